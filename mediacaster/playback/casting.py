"""Casting a plan to a device, for a person's click and for a queue moving on: the
converted stream started where the device will read it, where the user is saved
as it plays, loaded now or queued after what plays."""

from dataclasses import replace

from mediacaster.services.history import PLAYED_KINDS


class PlanCaster:
    def __init__(self, cast, conversion, history):
        self.cast = cast
        self.conversion = conversion
        self.history = history

    def cast_plan(self, device, plan, start, user_id, over=None, queued=False, lead=None, **how):
        """Cast ``plan`` to ``device`` from ``start`` seconds for ``user_id`` (None: logins off).

        ``over(how, url)`` and ``lead``: see :meth:`CastService.cast`. ``queued``: queue it
        after what plays instead. ``how``: fields of the CastMedia (autoplay, subtitle).
        Returns the device's status.
        """
        if plan.stream is not None:
            # The device asks for the playlist, then the segment at the start: make it meanwhile.
            self.conversion.prepare(plan.stream, start, reader=device.host)
        progress = self.progress_of(plan.entry, user_id)
        media = replace(plan.cast_media(start), **how)
        if queued:
            return self.cast.enqueue(device.id, media, source=plan, progress=progress)
        return self.cast.cast(device.id, media, source=plan, progress=progress, over=over, lead=lead)

    def progress_of(self, entry, user_id):
        """The ``progress(position, duration, final)`` of ``entry`` playing on a device: where
        the user is in it is saved (video and audio)."""
        if entry.kind not in PLAYED_KINDS:
            return None

        def progress(position, duration, final):
            self.history.record(user_id, entry.root, entry.path, position, duration, final)

        return progress

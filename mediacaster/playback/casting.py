"""Casting a plan to a device, for a person's click and for a queue moving on: the
converted stream started where the device will read it, where the user is saved
as it plays, loaded now or queued after what plays."""

from dataclasses import replace

from mediacaster.services.history import PLAYED_KINDS


def cast_plan(services, device, plan, start, user_id, over=None, queued=False, also=None, **how):
    """Cast ``plan`` to ``device`` from ``start`` seconds for ``user_id`` (None: logins off).

    ``over(how, url)``: see :meth:`CastService.cast`. ``queued``: queue it after what
    plays instead. ``also(position, duration)``: told where it is too, as it plays.
    ``how``: fields of the CastMedia (autoplay, subtitle). Returns the device's status.
    """
    if plan.stream is not None:
        # The device asks for the playlist, then the segment at the start: make it meanwhile.
        services.conversion.prepare(plan.stream, start, reader=device.host)
    progress = progress_of(services, plan.entry, user_id, also)
    media = replace(plan.cast_media(start), **how)
    if queued:
        return services.cast.enqueue(device.id, media, source=plan, progress=progress)
    return services.cast.cast(device.id, media, source=plan, progress=progress, over=over)


def progress_of(services, entry, user_id, also=None):
    """The ``progress(position, duration, final)`` of ``entry`` playing on a device: where
    the user is in it is saved (video and audio), and ``also`` told."""
    record = services.history.record if entry.kind in PLAYED_KINDS else None

    def progress(position, duration, final):
        if record is not None:
            record(user_id, entry.root, entry.path, position, duration, final)
        if also is not None and not final:  # a last word (let go, ended) is no news of playing
            also(position, duration)

    return progress

"""Casting to a device: a plan cast for a person's click and for a queue moving on (the
converted stream started where the device will read it, where the user is saved as it
plays, loaded now or queued after what plays), and the rules of what a person asks of
a device (the plan of a file there, taking the device, another sound track)."""

from dataclasses import replace

from mediacaster.bytenames import shown
from mediacaster.errors import Unprocessable
from mediacaster.playback.plans import Target, WillNotPlay
from mediacaster.services.history import PLAYED_KINDS


class Casting:
    """What a person asks of a device. ``urls``: the URLs the device fetches, made by the
    view for the request (:func:`mediacaster.urls.device_urls`)."""

    def __init__(self, cast, playback, caster, queue_player, slideshows):
        self.cast_service = cast
        self.playback = playback
        self.caster = caster
        self.queue_player = queue_player
        self.slideshows = slideshows

    def plan(self, device, entry, urls, direct=False, audio=None):
        """The plan for ``entry`` on ``device``, playing sound track ``audio`` if given."""
        plan = self.playback.plan(entry, Target.device(device), urls, direct=direct, audio_index=audio)
        if audio is not None and plan.audio_index != audio:
            # Only a converted stream carries another track than the file's default.
            why = "direct: true sends the file as it is" if direct else "it cannot be converted here"
            raise Unprocessable(
                f"{shown(entry.name)} plays only its default sound track on {device.name}: {why}"
            )
        return plan

    def cast(self, device, entry, urls, start, user_id, direct=False, audio=None, force=False):
        """Cast ``entry`` from ``start`` seconds for ``user_id`` (their place in it is saved as
        it plays), in place of this app's queue or slideshow there: ``(plan, status)``.
        ``direct``: the file as it is; ``force``: even if it will not play there."""
        plan = self.plan(device, entry, urls, direct=direct, audio=audio)
        if plan.will_not_play and not (force or direct):  # direct: the user insists
            reason = plan.verdict.reason
            raise WillNotPlay(
                f"{entry.name} will not play on {device.name}: {reason}; send force: true to try"
            )
        self.take_device(device)
        return plan, self.caster.cast_plan(device, plan, start, user_id)

    def take_device(self, device):
        """Something new is cast to the device: the queue or slideshow this app played there stops."""
        self.queue_player.replaced(device.id)
        self.slideshows.replaced(device.id)

    def change_sound(self, device, track, urls, find_entry, user_id):
        """Play sound track ``track`` of what this app cast to ``device``; ``find_entry(root,
        segments)``: the file among those the user asking sees.

        A receiver cannot switch the sound of a stream with one rendition: the
        file is cast again with that track, where it was, playing or paused as it
        was, with the same subtitles.
        """
        status, was = self.cast_service.now_playing(device.id)
        if was.audio_index == track:
            return status
        # Looked up again: the file may have changed or gone since.
        entry = find_entry(was.entry.root, tuple(was.entry.path.split("/")))
        plan = self.plan(device, entry, urls, audio=track)
        media = status.media
        subtitle = next((t.id for t in plan.tracks if t.id in media.active_tracks), None)
        paused = media.player_state == "PAUSED"
        # In a queue, the queue goes on from this cast.
        return self.queue_player.recast(
            device, plan, media.current_time or 0.0, user_id, autoplay=not paused, subtitle=subtitle
        )


class PlanCaster:
    """Casts plans: for :class:`Casting` and for queues moving on."""

    def __init__(self, cast, conversion, history):
        self.cast = cast
        self.conversion = conversion
        self.history = history

    def cast_plan(self, device, plan, start, user_id, on_change=None, queued=False, lead=None, **how):
        """Cast ``plan`` to ``device`` from ``start`` seconds for ``user_id`` (None: logins off).

        ``on_change(how, url)`` and ``lead``: see :meth:`CastService.cast`. ``queued``: queue it
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
        return self.cast.cast(
            device.id, media, source=plan, progress=progress, on_change=on_change, lead=lead
        )

    def progress_of(self, entry, user_id):
        """The ``progress(position, duration, final)`` of ``entry`` playing on a device: where
        the user is in it is saved (video and audio)."""
        if entry.kind not in PLAYED_KINDS:
            return None

        def progress(position, duration, final):
            self.history.record(user_id, entry.root, entry.path, position, duration, final)

        return progress

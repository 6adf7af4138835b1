"""The cast service: one object the app holds to find devices, cast to them and control them."""

import functools
from dataclasses import replace

from mediacaster.mediatypes import MEDIA_KINDS
from mediacaster.services.cast.connections import Connections
from mediacaster.services.cast.controls import command, read_status, require_media, subtitle_command
from mediacaster.services.cast.discovery import Discovery
from mediacaster.services.cast.errors import CastError, NotCastHere, OutOfRange, UnsupportedMedia
from mediacaster.services.cast.loading import enqueue, load, repeat_command
from mediacaster.services.cast.watching import (
    ENDED,
    FAILED,
    STOPPED,
    TAKEN_OVER,
    Watcher,
    interruption,
)


class CastService:
    def __init__(
        self,
        known_hosts=(),
        interfaces=None,
        connect_timeout=5.0,
        load_timeout=8.0,
        command_timeout=5.0,
        progress_every=10.0,
    ):
        self.discovery = Discovery(known_hosts, interfaces)
        self.connections = Connections(self.discovery, connect_timeout)
        self.watcher = Watcher(self.connections, every=progress_every)
        self.load_timeout = load_timeout
        self.command_timeout = command_timeout
        # Device id -> {URL loaded or queued there: what it was cast from}. In memory:
        # after a restart the app no longer knows what it cast, and says so.
        self._sources = {}

    # -- lifecycle -------------------------------------------------------

    def start(self):
        """Start continuous discovery: mDNS, and polling of the known hosts."""
        self.discovery.start()
        return self

    def close(self):
        self.watcher.close()
        self.connections.close()
        self.discovery.stop()

    def state(self):
        return self.discovery.state()

    # -- devices ---------------------------------------------------------

    def devices(self):
        """Every device seen; one this app lost touch with is offline, and says why."""
        return [self._as_known(device) for device in self.discovery.devices()]

    def _as_known(self, device):
        problem = self.connections.problem(device)
        return device if problem is None else replace(device, online=False, problem=problem)

    def find(self, id_or_name):
        return self.discovery.find(id_or_name)

    def local_address(self, id_or_name):
        """This machine's address on the connection to the device (for the URLs it fetches)."""
        return self.connections.local_address(self.find(id_or_name))

    # -- casting and control ----------------------------------------------

    def cast(self, id_or_name, media, source=None, progress=None, on_change=None, lead=None):
        """Load ``media`` on the device; return its status once the device confirmed it.

        ``source``: what the caller made ``media`` from, handed back by
        :meth:`source` and :meth:`now_playing` while the device plays it.
        ``progress(position, duration, final)``: told where it is while it plays
        (every ``progress_every`` seconds, and when it pauses or ends).
        ``on_change(how, url)``: called when it moves to an item queued after it (ADVANCED),
        ends (ENDED), or another sender stops it or takes over (STOPPED, TAKEN_OVER).
        ``lead``: for a queue, seconds before the end of each item at which ``on_change`` is
        told NEAR_END; it is then also told PLAYED (the item played to its end and the
        device holds the next one) and FAILED, with why (the device could not play it);
        GONE when the device stops answering, and RETURNED when it answers again, with the
        position to load the item again at (nothing plays there) or None (it played on).
        """
        device = self.find(id_or_name)
        if media.kind not in MEDIA_KINDS:
            raise UnsupportedMedia(f"{media.title} is not video, audio or an image and cannot be cast")
        cast = self.connections.get(device)
        with self.connections.holding(device, self.load_timeout):
            # What this app cast there before is saved where it is and followed no more:
            # the device moving to the new media is no takeover, the old media ending while
            # the new one loads (a queue's "next" in a song's last seconds) is no news, and a
            # LOAD that fails leaves nothing of this app's said to play there.
            self._release(device)
            load(cast, device, media, self.load_timeout, self.connections.timeout)
            self._sources[device.id] = {media.url: source}
            told = functools.partial(self._changed, device.id, on_change)
            self.watcher.watch(device.id, media.url, progress, told, media.duration, lead)
        if media.subtitle is not None:
            # pychromecast's LOAD cannot name the tracks shown: the track is turned on after it.
            return self.set_subtitles(device.id, media.subtitle)
        return read_status(device, cast)

    def adopt(self, id_or_name, url, progress=None, on_change=None, lead=None):
        """Follow ``url``, which the device plays, as if this app had just cast it (it did,
        before a restart): see :meth:`cast`."""
        device = self.find(id_or_name)
        with self.connections.holding(device, self.load_timeout):
            self._sources[device.id] = {url: None}
            told = functools.partial(self._changed, device.id, on_change)
            self.watcher.watch(device.id, url, progress, told, lead=lead)

    def enqueue(self, id_or_name, media, source=None, progress=None):
        """Queue ``media`` after what this app cast to the device (a Cast QUEUE_INSERT): the
        device plays it next by itself, having fetched it ahead. Returns its URL."""
        device = self.find(id_or_name)
        cast = self.connections.get(device)
        with self.connections.holding(device, self.load_timeout):
            sources = self._sources.get(device.id)
            if sources is None:  # nothing cast, or what it was to follow ended meanwhile
                raise NotCastHere(f"nothing cast by this app is playing on {device.name}")
            # Known before it is sent: the device may move to it before its answer is read.
            sources[media.url] = source
            self.watcher.expect(device.id, media.url, progress, media.duration)
            try:
                enqueue(cast, device, media, self.command_timeout)
            except CastError:
                sources.pop(media.url, None)
                self.watcher.forget(device.id, media.url)
                raise
        return media.url

    def skip(self, id_or_name, jump):
        """Move ``jump`` items on in the device's queue (-1: back)."""
        device, cast = self._connected(id_or_name)
        controller = cast.media_controller
        self.watcher.leaving(device.id, controller.status.adjusted_current_time or 0.0)
        return self._send(device, cast, controller.queue_next if jump > 0 else controller.queue_prev)

    def set_repeat(self, id_or_name, one):
        """Have the device play its item again and again (``one``), or not."""
        device, cast = self._connected(id_or_name)
        return self._send(device, cast, repeat_command(cast), "REPEAT_SINGLE" if one else "REPEAT_OFF")

    def source(self, status):
        """What the media of ``status`` was cast from (``source`` of :meth:`cast` or
        :meth:`enqueue`), or None: another sender's media (its URL is not one loaded
        here), or nothing cast by this app since it started."""
        sources = self._sources.get(status.device.id, {})
        return sources.get(status.media.content_id) if status.media is not None else None

    def _changed(self, device_id, on_change, how, url, *why):
        """What this app cast there moved on or is over: played to its end, or failed, it
        leaves no trace."""
        if how in (ENDED, FAILED):
            self._sources.pop(device_id, None)
        if on_change is not None:
            on_change(how, url, *why)

    def interruption(self, status):
        """How another sender interrupted what this app cast to the device of ``status``:
        TAKEN_OVER (it plays something else), STOPPED, or None (it was not)."""
        urls = self._sources.get(status.device.id)
        media = status.media
        if not urls:
            return None
        if media is None:
            return STOPPED if status.device.app_id is None else TAKEN_OVER
        app_id = status.device.app_id
        return interruption(urls, app_id, media.content_id, media.player_state, media.idle_reason)

    def _release(self, device):
        """This app stops what it cast there: not an interruption; its position is saved."""
        self._sources.pop(device.id, None)
        self.watcher.release(device.id)

    def now_playing(self, id_or_name):
        """``(status, source)`` of the media playing on the device, which this app cast."""
        device, cast = self._connected(id_or_name)
        status = read_status(device, cast)
        source = self.source(status)
        if source is None:
            raise NotCastHere(f"nothing cast by this app is playing on {device.name}")
        return status, source

    def status(self, id_or_name):
        device = self.find(id_or_name)
        return read_status(device, self.connections.get(device))

    def _connected(self, id_or_name, playing=True):
        """The device and its connection; with ``playing``, refuse when nothing plays."""
        device = self.find(id_or_name)
        cast = self.connections.get(device)
        if playing:
            require_media(device, cast)
        return device, cast

    def _send(self, device, cast, call, *args):
        command(device, call, *args, timeout=self.command_timeout)
        return read_status(device, cast)

    def play(self, id_or_name):
        device, cast = self._connected(id_or_name)
        return self._send(device, cast, cast.media_controller.play)

    def pause(self, id_or_name):
        device, cast = self._connected(id_or_name)
        return self._send(device, cast, cast.media_controller.pause)

    def stop_media(self, id_or_name):
        device, cast = self._connected(id_or_name)
        self._release(device)
        return self._send(device, cast, cast.media_controller.stop)

    def seek(self, id_or_name, seconds):
        device, cast = self._connected(id_or_name)
        if seconds < 0:
            raise OutOfRange("the position must be 0 or more seconds")
        return self._send(device, cast, cast.media_controller.seek, float(seconds))

    def set_subtitles(self, id_or_name, track_id):
        """Show subtitle track ``track_id``, or none with None."""
        device, cast = self._connected(id_or_name)
        call, args = subtitle_command(device, cast, track_id)
        return self._send(device, cast, call, *args)

    def set_volume(self, id_or_name, level):
        if not 0 <= level <= 1:
            raise OutOfRange("the volume must be from 0 to 1")
        device, cast = self._connected(id_or_name, playing=False)
        return self._send(device, cast, cast.set_volume, float(level))

    def set_muted(self, id_or_name, muted):
        device, cast = self._connected(id_or_name, playing=False)
        return self._send(device, cast, cast.set_volume_muted, bool(muted))

    def quit_app(self, id_or_name):
        device, cast = self._connected(id_or_name, playing=False)
        self._release(device)
        return self._send(device, cast, cast.quit_app)

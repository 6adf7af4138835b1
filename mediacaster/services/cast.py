"""Cast service: discover Chromecasts, keep one connection per device, cast and control.

Knows nothing of HTTP. Built on pychromecast 14 and one shared Zeroconf, with
three of pychromecast's pitfalls designed around:

- ``play_media`` defaults to ``stream_type="LIVE"``; files are sent ``BUFFERED``.
- Status listeners and request callbacks run on the connection's socket
  thread: they only set events here, and the waiting happens in the caller's
  thread, so nothing ever blocks the socket thread.
- pychromecast reads its TLS socket on the socket thread while other threads
  write to it, with no lock; OpenSSL objects are not thread-safe, and about one
  connection in ten loses a message to a corrupted record. The socket is wrapped
  so that one thread at a time reads or writes, every LOAD is confirmed by the
  MEDIA_STATUS that answers it, and an unanswered LOAD is sent once more.
"""

import logging
import ssl
import threading
import time
from dataclasses import dataclass, replace
from uuid import UUID

import pychromecast
from pychromecast.const import CAST_TYPE_AUDIO, CAST_TYPE_CHROMECAST, CAST_TYPE_GROUP, CAST_TYPES
from pychromecast.controllers.media import STREAM_TYPE_BUFFERED
from pychromecast.discovery import AbstractCastListener
from pychromecast.error import PyChromecastError, RequestFailed, RequestTimeout
from pychromecast.socket_client import SocketClient
from zeroconf import Zeroconf

log = logging.getLogger(__name__)

TYPES = {CAST_TYPE_CHROMECAST: "cast", CAST_TYPE_AUDIO: "audio", CAST_TYPE_GROUP: "group"}
CASTABLE_KINDS = ("video", "audio", "image")
# Cast's MediaMetadata types: generic, movie, TV show, music track, photo.
METADATA_GENERIC, METADATA_MUSIC, METADATA_PHOTO = 0, 3, 4
# detailedErrorCode values of a receiver's LOAD_FAILED, in words.
LOAD_ERRORS = {
    100: "the media could not be played (generic media error)",
    101: "the media could not be decoded",
    102: "the media is not supported",
    103: "the media could not be decoded",
    104: "the receiver could not fetch the media",
    110: "the media source is not supported",
    301: "the media could not be loaded",
    311: "a media segment could not be fetched",
    321: "the media manifest could not be fetched",
    411: "the media could not be fetched (network error)",
    412: "the media could not be fetched (HTTP error)",
}


class CastError(Exception):
    """Something a person can act on; ``code`` names it for scripts."""

    code = "cast_error"


class UnknownDevice(CastError):
    code = "unknown_device"


class DeviceUnreachable(CastError):
    code = "device_unreachable"


class DeviceTimeout(DeviceUnreachable):
    """The device is connected but did not answer in time."""

    code = "device_timeout"


class UnsupportedMedia(CastError):
    code = "unsupported_media"


class LoadFailed(CastError):
    code = "load_failed"


class NothingPlaying(CastError):
    code = "nothing_playing"


@dataclass(frozen=True)
class Device:
    id: str
    name: str
    model: str
    type: str  # cast, audio or group
    host: str
    port: int
    last_seen: float
    online: bool


@dataclass(frozen=True)
class CastMedia:
    url: str
    content_type: str
    kind: str  # video, audio or image
    title: str
    thumb: str | None = None
    artist: str | None = None
    album: str | None = None
    start: float = 0.0
    tracks: tuple = ()  # subtitle tracks: dicts of id, url, language, name


def device_type(model, port, discovered_type):
    """cast, audio or group: by model name first (a group's model is
    "Google Cast Group"), pychromecast's guess from the port only otherwise."""
    known = CAST_TYPES.get((model or "").lower())
    if known:
        return TYPES.get(known[0], "cast")
    return TYPES.get(discovered_type, "group" if port != 8009 else "cast")


# -- one thread at a time in the TLS socket -----------------------------------


class _SerialSocket:
    """The TLS socket, entered by one thread at a time for reads and writes."""

    def __init__(self, sock, lock):
        self._sock = sock
        self._lock = lock

    def recv(self, *args):
        with self._lock:
            return self._sock.recv(*args)

    def send(self, *args):
        with self._lock:
            return self._sock.send(*args)

    def sendall(self, *args):
        with self._lock:
            return self._sock.sendall(*args)

    def __getattr__(self, name):
        return getattr(self._sock, name)


class _SerialSocketClient(SocketClient):
    """pychromecast's socket client, whose TLS socket is a :class:`_SerialSocket`."""

    @property
    def socket(self):
        return self.__dict__.get("_serial_socket")

    @socket.setter
    def socket(self, value):
        if isinstance(value, ssl.SSLSocket):
            value = _SerialSocket(value, self.__dict__.setdefault("_io_lock", threading.Lock()))
        self.__dict__["_serial_socket"] = value


def _serialise(cast):
    client = cast.socket_client
    current = client.__dict__.pop("socket", None)
    client.__class__ = _SerialSocketClient
    client.socket = current


# -- discovery ------------------------------------------------------------------


class _Listener(AbstractCastListener):
    def __init__(self, service):
        self.service = service

    def add_cast(self, uuid, service):
        self.service._seen(uuid)

    def update_cast(self, uuid, service):
        self.service._seen(uuid)

    def remove_cast(self, uuid, service, cast_info):
        self.service._vanished(uuid)


class _Waiter:
    """A request callback that the socket thread fires and the caller waits on."""

    def __init__(self):
        self.event = threading.Event()
        self.sent = None
        self.response = None

    def __call__(self, sent, response):
        self.sent, self.response = sent, response
        self.event.set()

    def wait(self, timeout):
        return self.event.wait(timeout)


class CastService:
    def __init__(
        self, known_hosts=(), interfaces=None, connect_timeout=5.0, load_timeout=8.0, command_timeout=5.0
    ):
        self.known_hosts = list(known_hosts)
        self.interfaces = interfaces
        self.connect_timeout = connect_timeout
        self.load_timeout = load_timeout
        self.command_timeout = command_timeout
        self.zeroconf = None
        self.browser = None
        self._devices = {}  # uuid -> Device
        self._casts = {}  # uuid -> pychromecast.Chromecast
        self._locks = {}  # uuid -> lock serialising connection set-up and LOADs
        self._lock = threading.Lock()
        self.started_at = None

    # -- lifecycle -------------------------------------------------------

    def start(self):
        """Start continuous discovery: mDNS, and polling of the known hosts."""
        kwargs = {"interfaces": self.interfaces} if self.interfaces else {}
        self.zeroconf = _outside_event_loops(lambda: Zeroconf(**kwargs))
        self.browser = pychromecast.CastBrowser(_Listener(self), self.zeroconf, self.known_hosts or None)
        self.browser.start_discovery()
        self.started_at = time.time()
        return self

    def stop(self):
        with self._lock:
            casts, self._casts = list(self._casts.values()), {}
        for cast in casts:
            cast.disconnect(timeout=2)
        if self.browser is not None:
            _outside_event_loops(self.browser.stop_discovery)
            self.browser = None
        if self.zeroconf is not None:
            _outside_event_loops(self.zeroconf.close)
            self.zeroconf = None

    def state(self):
        devices = self.devices()
        return {
            "running": self.browser is not None,
            "devices": len(devices),
            "online": sum(d.online for d in devices),
            "known_hosts": self.known_hosts,
        }

    # -- the registry ------------------------------------------------------

    def _seen(self, uuid):
        info = self.browser.devices.get(uuid) if self.browser else None
        if info is None:
            return
        device = Device(
            id=str(uuid),
            name=info.friendly_name or str(uuid),
            model=info.model_name or "",
            type=device_type(info.model_name, info.port, info.cast_type),
            host=info.host,
            port=info.port,
            last_seen=time.time(),
            online=True,
        )
        with self._lock:
            self._devices[uuid] = device
        log.info("cast device %s (%s) at %s:%s", device.name, device.model, device.host, device.port)

    def _vanished(self, uuid):
        with self._lock:
            device = self._devices.get(uuid)
            if device is not None:
                self._devices[uuid] = replace(device, online=False)
        log.info("cast device %s went offline", device.name if device else uuid)

    def devices(self):
        with self._lock:
            return sorted(self._devices.values(), key=lambda d: (not d.online, d.name.casefold()))

    def find(self, id_or_name):
        """A device by its id or its friendly name (case-insensitive)."""
        text = str(id_or_name or "").strip()
        with self._lock:
            try:
                device = self._devices.get(UUID(text))
            except ValueError:
                device = None
            if device is None:
                matches = [d for d in self._devices.values() if d.name.casefold() == text.casefold()]
                device = next((d for d in matches if d.online), matches[0] if matches else None)
        if device is None:
            raise UnknownDevice(f"no cast device {text!r} is known; known: {self._names() or 'none yet'}")
        return device

    def _names(self):
        return ", ".join(d.name for d in self.devices())

    # -- connections -------------------------------------------------------

    def _device_lock(self, uuid):
        with self._lock:
            return self._locks.setdefault(uuid, threading.RLock())

    def _connect(self, device):
        """The device's connection: made on first use, shared, waited for when lost."""
        uuid = UUID(device.id)
        if not device.online:
            raise DeviceUnreachable(f"{device.name} is offline: it no longer answers on the network")
        with self._device_lock(uuid):
            cast = self._casts.get(uuid)
            if cast is None:
                info = self.browser.devices.get(uuid) if self.browser else None
                if info is None:
                    raise DeviceUnreachable(f"{device.name} is offline: it no longer answers on the network")
                cast = pychromecast.get_chromecast_from_cast_info(
                    info, self.zeroconf, tries=None, retry_wait=1, timeout=self.connect_timeout
                )
                _serialise(cast)
                cast.start()
                self._casts[uuid] = cast
        if not _wait_connected(cast, self.connect_timeout):
            raise DeviceUnreachable(
                f"{device.name} at {device.host}:{device.port} "
                f"did not answer within {self.connect_timeout:g} s"
            )
        return cast

    def local_address(self, id_or_name):
        """This machine's address on the connection to the device: one the device can reach."""
        cast = self._connect(self.find(id_or_name))
        sock = cast.socket_client.socket
        try:
            return sock.getsockname()[0]
        except (OSError, AttributeError):
            raise DeviceUnreachable("the connection to the device was lost; try again") from None

    # -- casting -------------------------------------------------------------

    def cast(self, id_or_name, media):
        """Load ``media`` on the device; return its status once the device confirmed it."""
        device = self.find(id_or_name)
        if media.kind not in CASTABLE_KINDS:
            raise UnsupportedMedia(f"{media.title} is not video, audio or an image and cannot be cast")
        cast = self._connect(device)
        with self._device_lock(UUID(device.id)):
            for attempt in (1, 2):
                waiter = _Waiter()
                try:
                    cast.media_controller.play_media(
                        media.url,
                        media.content_type,
                        current_time=media.start or None,
                        stream_type=STREAM_TYPE_BUFFERED,
                        metadata=_metadata(media),
                        media_info=_tracks(media.tracks),
                        callback_function=waiter,
                    )
                except PyChromecastError as error:
                    log.warning("LOAD on %s failed to send (attempt %d): %s", device.name, attempt, error)
                    _wait_connected(cast, self.connect_timeout)
                    continue
                if waiter.wait(self.load_timeout) and waiter.sent:
                    return self._confirmed(device, cast, waiter.response)
                log.warning("LOAD on %s unanswered (attempt %d)", device.name, attempt)
        raise DeviceTimeout(f"{device.name} did not confirm the cast within {self.load_timeout:g} s, twice")

    def _confirmed(self, device, cast, response):
        kind = (response or {}).get("type")
        if kind in ("LOAD_FAILED", "LOAD_CANCELLED", "INVALID_REQUEST"):
            code = response.get("detailedErrorCode")
            reason = LOAD_ERRORS.get(code) or response.get("reason") or kind.replace("_", " ").lower()
            raise LoadFailed(f"{device.name} could not play it: {reason}")
        return self.status(device.id)

    # -- control -------------------------------------------------------------

    def _playing(self, id_or_name):
        device = self.find(id_or_name)
        cast = self._connect(device)
        status = cast.media_controller.status
        if status is None or status.media_session_id is None or status.player_state in ("IDLE", "UNKNOWN"):
            raise NothingPlaying(f"nothing is playing on {device.name}")
        return device, cast

    def _command(self, device, call, *args):
        try:
            call(*args, timeout=self.command_timeout)
        except RequestTimeout:
            raise DeviceUnreachable(
                f"{device.name} did not answer within {self.command_timeout:g} s"
            ) from None
        except RequestFailed as error:
            raise NothingPlaying(f"{device.name} refused it: {error}") from None
        except PyChromecastError as error:
            raise DeviceUnreachable(f"{device.name}: {error}") from None

    def play(self, id_or_name):
        device, cast = self._playing(id_or_name)
        self._command(device, cast.media_controller.play)
        return self.status(device.id)

    def pause(self, id_or_name):
        device, cast = self._playing(id_or_name)
        self._command(device, cast.media_controller.pause)
        return self.status(device.id)

    def stop_media(self, id_or_name):
        device, cast = self._playing(id_or_name)
        self._command(device, cast.media_controller.stop)
        return self.status(device.id)

    def seek(self, id_or_name, seconds):
        device, cast = self._playing(id_or_name)
        if seconds < 0:
            raise ValueError("the position must be 0 or more seconds")
        self._command(device, cast.media_controller.seek, float(seconds))
        return self.status(device.id)

    def set_subtitles(self, id_or_name, track_id):
        """Show subtitle track ``track_id``, or none with None."""
        device, cast = self._playing(id_or_name)
        controller = cast.media_controller
        if track_id is None:
            self._command(device, controller.disable_subtitle)
        else:
            known = {t.get("trackId") for t in controller.status.subtitle_tracks or []}
            if track_id not in known:
                raise ValueError(f"no subtitle track {track_id}; tracks: {sorted(known) or 'none'}")
            self._command(device, controller.enable_subtitle, int(track_id))
        return self.status(device.id)

    def set_volume(self, id_or_name, level):
        if not 0 <= level <= 1:
            raise ValueError("the volume must be from 0 to 1")
        device = self.find(id_or_name)
        cast = self._connect(device)
        self._command(device, cast.set_volume, float(level))
        return self.status(device.id)

    def set_muted(self, id_or_name, muted):
        device = self.find(id_or_name)
        cast = self._connect(device)
        self._command(device, cast.set_volume_muted, bool(muted))
        return self.status(device.id)

    def quit_app(self, id_or_name):
        device = self.find(id_or_name)
        cast = self._connect(device)
        self._command(device, cast.quit_app)
        return self.status(device.id)

    def status(self, id_or_name):
        device = self.find(id_or_name)
        cast = self._connect(device)
        receiver = cast.status
        media = cast.media_controller.status
        has_media = media is not None and media.media_session_id is not None
        return {
            "device": {
                "id": device.id,
                "name": device.name,
                "volume": receiver.volume_level if receiver else None,
                "muted": receiver.volume_muted if receiver else None,
                "app": receiver.display_name if receiver else None,
                "app_id": receiver.app_id if receiver else None,
            },
            "media": {
                "player_state": media.player_state,
                "current_time": media.adjusted_current_time,
                "duration": media.duration,
                "title": media.title,
                "content_id": media.content_id,
                "content_type": media.content_type,
                "idle_reason": media.idle_reason,
                "tracks": [
                    {"id": t.get("trackId"), "name": t.get("name"), "language": t.get("language")}
                    for t in media.subtitle_tracks or []
                    if t.get("type") == "TEXT"
                ],
                "active_tracks": list(media.current_subtitle_tracks or []),
            }
            if has_media
            else None,
        }


def _outside_event_loops(call):
    """Run ``call`` in a thread of its own and return its result.

    Zeroconf adopts an asyncio loop running in the calling thread, and skips its
    blocking calls there; discovery must not depend on whoever starts the
    service (an async server, a browser driver), so it never sees such a loop.
    """
    result = {}

    def run():
        try:
            result["value"] = call()
        except BaseException as error:  # re-raised in the caller's thread
            result["error"] = error

    thread = threading.Thread(target=run, name="zeroconf-call")
    thread.start()
    thread.join()
    if "error" in result:
        raise result["error"]
    return result.get("value")


def _wait_connected(cast, timeout):
    """Wait for the connection (pychromecast reconnects on its own thread)."""
    deadline = time.monotonic() + timeout
    while not (cast.socket_client.is_connected and cast.status is not None):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.02)
    return True


def _tracks(tracks):
    """The LOAD's text tracks, shown as outlined white text like the TV's own captions."""
    if not tracks:
        return None
    return {
        "tracks": [
            {
                "trackId": t["id"],
                "type": "TEXT",
                "subtype": "SUBTITLES",
                "trackContentId": t["url"],
                "trackContentType": "text/vtt",
                "language": t.get("language") or "und",
                "name": t["name"],
            }
            for t in tracks
        ],
        "textTrackStyle": {"backgroundColor": "#00000000", "edgeType": "OUTLINE", "edgeColor": "#000000FF"},
    }


def _metadata(media):
    if media.kind == "image":
        data = {"metadataType": METADATA_PHOTO, "title": media.title}
    elif media.kind == "audio":
        data = {"metadataType": METADATA_MUSIC, "title": media.title}
        if media.artist:
            data["artist"] = media.artist
        if media.album:
            data["albumName"] = media.album
    else:
        data = {"metadataType": METADATA_GENERIC, "title": media.title}
    if media.thumb:
        data["images"] = [{"url": media.thumb}]
    return data

"""A fake Chromecast that speaks the real CASTV2 protocol.

TLS on a loopback address, frames of a 4-byte big-endian length and a protobuf
``CastMessage``, advertised over mDNS as ``_googlecast._tcp.local.`` and
optionally answering ``/setup/eureka_info`` on port 8008 for known_hosts. Like
a Default Media Receiver it fetches the media it is told to LOAD (``bytes=0-``
first, then the tail of an MP4 whose index is at the end), answers LOAD_FAILED
when it cannot, and lets playback time run while PLAYING. An HLS LOAD makes it
GET the media playlist, its init segment and the segments it would buffer,
again in the background on every SEEK; :meth:`FakeChromecast.wait_fetches`
waits for those. Like a receiver, it tells every connected sender of each
change (a LOAD, a pause, a stop, an app launched or closed), so one sees when
another took over or stopped it.

Like Google's Default Media Receiver, in what a queue of items depends on:

- It sends a MEDIA_STATUS after a change of state or in answer to GET_STATUS,
  never on a timer (Media Playback Messages, "Status":
  https://developers.google.com/cast/docs/media/messages). A sender extrapolates
  the position in between.
- At the end of an item it moves to the next item of its queue (a LOAD makes a
  queue of one; QUEUE_INSERT adds to it) by itself, with a status whose
  ``currentItemId`` is the new item's; with nothing after it, it goes IDLE with
  ``idleReason`` FINISHED (https://developers.google.com/cast/docs/reference/
  web_receiver/cast.framework.messages.MediaStatus,
  https://developers.google.com/cast/docs/reference/web_receiver/
  cast.framework.messages.QueueInsertItemsRequestData).
- A queue item it cannot play gets a LOAD_FAILED naming its ``itemId``, then a
  status IDLE with ``idleReason`` ERROR (https://developers.google.com/cast/docs/
  reference/web_receiver/cast.framework.messages.ErrorData: "an itemId of a queue
  item for errors that were related to a particular queue item"); a LOAD of it is
  answered LOAD_FAILED. Its ``detailedErrorCode`` is from
  https://developers.google.com/cast/docs/web_receiver/error_codes: 104
  (MEDIA_SRC_NOT_SUPPORTED) when the fetch fails, 102 (MEDIA_DECODE) for media
  named in :attr:`FakeChromecast.unplayable`, which stands for what a TV's
  decoder turns down.
- A LOAD, from any sender, first ends the media playing with IDLE and
  ``idleReason`` INTERRUPTED, "a sender requested playing a different media
  using the LOAD command" (https://developers.google.com/cast/docs/reference/
  web_receiver/cast.framework.messages#.IdleReason), told to every sender before
  it fetches the new media; the new media's status follows.

A development tool, shipped with the package so that the tests, the
benchmarks and people trying the UI without a TV all run the same device:
``python -m mediacaster.fakecast --name "Living Room TV" --address 127.0.0.2``
"""

import argparse
import bisect
import contextlib
import functools
import http.client
import json
import re
import socket
import ssl
import struct
import threading
import time
import urllib.error
import urllib.request
import uuid as uuidlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from pychromecast.generated.cast_channel_pb2 import CastMessage

from mediacaster.services.cast import outside_event_loops

TLS_DIR = Path(__file__).parent / "tls"
NS_CONNECTION = "urn:x-cast:com.google.cast.tp.connection"
NS_HEARTBEAT = "urn:x-cast:com.google.cast.tp.heartbeat"
NS_RECEIVER = "urn:x-cast:com.google.cast.receiver"
NS_MEDIA = "urn:x-cast:com.google.cast.media"
DEFAULT_MEDIA_RECEIVER = "CC1AD845"
FETCH_BYTES = 64 * 1024
HLS_TYPES = ("application/x-mpegurl", "application/vnd.apple.mpegurl")
# The server makes segments on demand, which can take seconds.
HLS_TIMEOUT = 60
# detailedErrorCode of a LOAD_FAILED, as the app reads them.
ERROR_SEGMENT, ERROR_MANIFEST = 311, 321
ERROR_FETCH, ERROR_DECODE = 104, 102  # MEDIA_SRC_NOT_SUPPORTED, MEDIA_DECODE
SERVICE_TYPE = "_googlecast._tcp.local."


class Fetch:
    """One HTTP request the device made for the media it was told to load.

    ``body`` holds at most FETCH_BYTES; ``length`` is the whole size. HLS
    requests have no ``range``; one that got no answer has ``status`` None
    and the reason in ``error``.
    """

    def __init__(self, url, range_header, status, content_type, length, body, error=None):
        self.url, self.range, self.status = url, range_header, status
        self.content_type, self.length, self.body = content_type, length, body
        self.error = error


class Playlist:
    """A VOD HLS media playlist, as much of it as a receiver needs to buffer."""

    def __init__(self, url, init, segments):
        self.url = url
        self.init = init  # URL of the #EXT-X-MAP init segment, or None
        self.segments = segments  # (start, duration, url) in playback order

    @property
    def duration(self):
        start, length, _ = self.segments[-1]
        return start + length

    def index_at(self, position):
        """The segment with start <= position < end; the last one past the end."""
        starts = [start for start, _, _ in self.segments]
        return max(0, bisect.bisect_right(starts, position) - 1)

    def buffer_urls(self, position):
        """The segment at ``position`` and the next one: a receiver buffers ahead."""
        index = self.index_at(position)
        return [url for _, _, url in self.segments[index : index + 2]]


def parse_playlist(text, url):
    """Parse an HLS media playlist; relative URIs are resolved against ``url``."""
    lines = [line.strip() for line in text.lstrip("\ufeff").splitlines()]
    lines = [line for line in lines if line]
    if not lines or lines[0] != "#EXTM3U":
        raise ValueError("no #EXTM3U header")
    init, segments, start, extinf = None, [], 0.0, None
    for line in lines[1:]:
        if line.startswith("#EXT-X-STREAM-INF"):
            raise ValueError("a multivariant playlist, not a media playlist")
        if line.startswith("#EXT-X-MAP:"):
            found = re.search(r'(?:^|[:,])URI="([^"]*)"', line)
            if found is None:
                raise ValueError("#EXT-X-MAP without a URI")
            init = urljoin(url, found.group(1))
        elif line.startswith("#EXTINF:"):
            extinf = float(line[len("#EXTINF:") :].split(",", 1)[0])
        elif not line.startswith("#"):
            if extinf is None:
                raise ValueError(f"segment {line} has no #EXTINF")
            segments.append((start, extinf, urljoin(url, line)))
            start, extinf = start + extinf, None
    if not segments:
        raise ValueError("no segments")
    return Playlist(url, init, segments)


class FakeChromecast:
    def __init__(
        self,
        name="Fake TV",
        model="Chromecast",
        address="127.0.0.1",
        port=0,
        uuid=None,
        duration=30.0,
        eureka=False,
    ):
        self.name, self.model, self.address = name, model, address
        self.uuid = uuid or uuidlib.uuid4()
        self.duration = duration  # of media whose LOAD gives none
        self.want_eureka = eureka
        self.port = port
        self.lock = threading.RLock()
        self.connections = set()
        self.messages = []  # (namespace, data) of every message received
        self.loads = []  # LOAD requests, with their arrival time
        self.fetches = []
        self._fetched = threading.Condition(self.lock)  # notified on every Fetch
        self.volume = {"level": 1.0, "muted": False}
        self.app = None  # the running application, after LAUNCH
        self.media = None  # the loaded media status
        self.media_session_id = 0
        self._hls = None  # (media session id, Playlist) of the last HLS media loaded
        self.queue = []  # the items loaded and inserted, each with its itemId
        self.current_item = None  # the itemId playing
        self.repeat = "REPEAT_OFF"
        self._next_item_id = 0
        self.played = []  # (time, contentId) of every item started, by LOAD or by the queue
        self.inserts = []  # (time, [contentId]) of every QUEUE_INSERT
        self._seeks = 0  # a failure after a SEEK counts only if no SEEK followed
        self.drop_next_loads = 0  # for tests: LOADs to swallow silently
        self.drop_next_inserts = 0  # and QUEUE_INSERTs
        # For tests: names (parts of a contentId) of media it fetches but cannot decode.
        self.unplayable = set()
        self._server = None
        self._stop = threading.Event()
        self._zeroconf = None
        self._info = None
        self._eureka = None

    # -- lifecycle -------------------------------------------------------

    def start(self, zeroconf=None):
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(TLS_DIR / "cert.pem", TLS_DIR / "key.pem")
        self._context = context
        server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind((self.address, self.port))
        server.listen(16)
        self.port = server.getsockname()[1]
        self._server = server
        self._stop.clear()
        threading.Thread(target=self._accept, name=f"fakecast-{self.name}", daemon=True).start()
        threading.Thread(target=self._clock, name=f"fakecast-clock-{self.name}", daemon=True).start()
        if self.want_eureka:
            self._start_eureka()
        if zeroconf is not None:
            self.advertise(zeroconf)
        return self

    def stop(self):
        """Vanish: stop advertising, close every connection, stop listening."""
        self.unadvertise()
        self._stop.set()
        if self._server is not None:
            _close(self._server)  # shutdown() first: it wakes the thread blocked in accept()
            self._server = None
        with self.lock:
            for conn in list(self.connections):
                _close(conn)
            self.connections.clear()
        if self._eureka is not None:
            self._eureka.shutdown()
            self._eureka.server_close()
            self._eureka = None

    def restart(self):
        """Come back on the same address and port, with no app running (as after a reboot)."""
        self.stop()
        with self.lock:
            self.app, self.media = None, None
            self.queue, self.current_item, self.repeat = [], None, "REPEAT_OFF"
        self.start(self._zeroconf)

    def advertise(self, zeroconf):
        from zeroconf import ServiceInfo

        self._zeroconf = zeroconf
        self._info = ServiceInfo(
            SERVICE_TYPE,
            f"Chromecast-{self.uuid.hex}.{SERVICE_TYPE}",
            addresses=[socket.inet_aton(self.address)],
            port=self.port,
            properties={"id": self.uuid.hex, "md": self.model, "fn": self.name, "ve": "05", "ca": "4101"},
            server=f"{self.uuid.hex}.local.",
        )
        info = self._info
        outside_event_loops(lambda: zeroconf.register_service(info, allow_name_change=False))

    def unadvertise(self):
        if self._zeroconf is not None and self._info is not None:
            info, self._info = self._info, None
            outside_event_loops(lambda: self._zeroconf.unregister_service(info))

    # -- known_hosts: /setup/eureka_info on port 8008 ----------------------

    def _start_eureka(self):
        device = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                if not self.path.startswith("/setup/eureka_info"):
                    self.send_error(404)
                    return
                body = json.dumps(
                    {
                        "name": device.name,
                        "device_info": {
                            "name": device.name,
                            "model_name": device.model,
                            "manufacturer": "Google Inc.",
                            "ssdp_udn": str(device.uuid),
                            "capabilities": {"display_supported": True, "multizone_supported": False},
                        },
                    }
                ).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self._eureka = ThreadingHTTPServer((self.address, 8008), Handler)
        threading.Thread(target=self._eureka.serve_forever, daemon=True).start()

    # -- the CASTV2 endpoint ---------------------------------------------

    def _accept(self):
        server = self._server
        while not self._stop.is_set():
            try:
                raw, _ = server.accept()
            except OSError:
                return
            try:
                conn = self._context.wrap_socket(raw, server_side=True)
            except (OSError, ssl.SSLError):
                _close(raw)
                continue
            with self.lock:
                self.connections.add(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn):
        try:
            while not self._stop.is_set():
                header = _read_exactly(conn, 4)
                if header is None:
                    break
                message = CastMessage()
                message.ParseFromString(_read_exactly(conn, struct.unpack(">I", header)[0]) or b"")
                self._handle(conn, message)
        except (OSError, ssl.SSLError, ValueError):
            pass
        finally:
            with self.lock:
                self.connections.discard(conn)
            _close(conn)

    def _send(self, conn, source, destination, namespace, data):
        message = CastMessage()
        message.protocol_version = CastMessage.CASTV2_1_0
        message.source_id = source
        message.destination_id = destination
        message.namespace = namespace
        message.payload_type = CastMessage.STRING
        message.payload_utf8 = json.dumps(data)
        payload = message.SerializeToString()
        with self.lock, contextlib.suppress(OSError):
            conn.sendall(struct.pack(">I", len(payload)) + payload)

    def _handle(self, conn, message):
        data = json.loads(message.payload_utf8) if message.payload_utf8 else {}
        namespace, kind = message.namespace, data.get("type")
        with self.lock:
            self.messages.append((namespace, data))

        def reply(payload, namespace=namespace):
            self._send(conn, message.destination_id, message.source_id, namespace, payload)

        if namespace == NS_HEARTBEAT and kind == "PING":
            reply({"type": "PONG"})
        elif namespace == NS_RECEIVER:
            self._receiver(kind, data, reply, conn)
        elif namespace == NS_MEDIA:
            self._media(kind, data, reply, conn, message)

    def _receiver_status(self, request_id):
        with self.lock:
            apps = [self.app] if self.app else []
            return {
                "type": "RECEIVER_STATUS",
                "requestId": request_id,
                "status": {
                    "applications": apps,
                    "volume": dict(self.volume),
                    "isActiveInput": True,
                    "isStandBy": False,
                },
            }

    def _receiver(self, kind, data, reply, conn):
        request_id = data.get("requestId", 0)
        with self.lock:
            if kind == "LAUNCH":
                session = uuidlib.uuid4().hex
                self.app = {
                    "appId": data.get("appId"),
                    "displayName": "Default Media Receiver",
                    "sessionId": session,
                    "transportId": f"transport-{session[:8]}",
                    "namespaces": [{"name": NS_MEDIA}],
                    "statusText": "Ready to cast",
                }
                self.media = None
            elif kind == "STOP":
                self.app, self.media = None, None
            elif kind == "SET_VOLUME":
                volume = data.get("volume", {})
                if "level" in volume:
                    self.volume["level"] = max(0.0, min(1.0, float(volume["level"])))
                if "muted" in volume:
                    self.volume["muted"] = bool(volume["muted"])
            elif kind != "GET_STATUS":
                return
        reply(self._receiver_status(request_id))
        if kind != "GET_STATUS":  # like a receiver, it tells every other sender too
            with self.lock:
                others = [other for other in self.connections if other is not conn]
            for other in others:
                self._send(other, "receiver-0", "*", NS_RECEIVER, self._receiver_status(0))

    # -- the Default Media Receiver ----------------------------------------

    def media_status(self, request_id=0):
        with self.lock:
            statuses = []
            if self.media is not None:
                status = {key: value for key, value in self.media.items() if not key.startswith("_")}
                status["currentTime"] = self._position()
                status["volume"] = dict(self.volume)
                status["currentItemId"] = self.current_item
                status["repeatMode"] = self.repeat
                status["items"] = [{"itemId": i["itemId"], "media": i["media"]} for i in self.queue]
                statuses.append(status)
            return {"type": "MEDIA_STATUS", "requestId": request_id, "status": statuses}

    def _position(self):
        media = self.media
        if media["playerState"] != "PLAYING":
            return media["_time"]
        return min(media["_time"] + time.monotonic() - media["_since"], media["media"].get("duration", 0))

    def _set_state(self, state, position=None, idle_reason=None):
        media = self.media
        media["_time"] = self._position() if position is None else position
        media["_since"] = time.monotonic()
        media["playerState"] = state
        if idle_reason:
            media["idleReason"] = idle_reason
        else:
            media.pop("idleReason", None)

    def _media(self, kind, data, reply, conn, message):
        request_id = data.get("requestId", 0)
        if kind == "LOAD":
            with self.lock:
                self.loads.append((time.monotonic(), data))
                if self.drop_next_loads:
                    self.drop_next_loads -= 1
                    return  # lost, as a corrupted TLS record would lose it
            self._load(data, reply, conn)
            return
        if kind == "QUEUE_INSERT":
            with self.lock:
                if self.drop_next_inserts:
                    self.drop_next_inserts -= 1
                    return
        jump_to = None  # a queue item a QUEUE_ message moved to
        with self.lock:
            media = self.media
            if kind == "GET_STATUS" or kind is None:
                pass
            elif media is None or (media["playerState"] == "IDLE" and kind != "STOP"):
                reply(
                    {"type": "INVALID_REQUEST", "requestId": request_id, "reason": "INVALID_MEDIA_SESSION_ID"}
                )
                return
            elif kind == "PLAY":
                self._set_state("PLAYING")
            elif kind == "PAUSE":
                self._set_state("PAUSED")
            elif kind == "SEEK":
                position = max(0.0, min(float(data.get("currentTime", 0)), media["media"].get("duration", 0)))
                resume = {"PLAYBACK_START": "PLAYING", "PLAYBACK_PAUSE": "PAUSED"}
                self._set_state(resume.get(data.get("resumeState"), media["playerState"]), position)
                if self.playlist is not None:
                    self._seeks += 1
                    # In the background: the SEEK is answered at once, as a receiver does.
                    threading.Thread(
                        target=self._buffer_after_seek,
                        args=(self.playlist, position, media["mediaSessionId"], self._seeks),
                        daemon=True,
                    ).start()
            elif kind == "STOP":
                if media is not None:
                    self._set_state("IDLE", idle_reason="CANCELLED")
            elif kind == "EDIT_TRACKS_INFO":
                media["activeTrackIds"] = list(data.get("activeTrackIds") or [])
            elif kind.startswith("QUEUE_"):
                jump_to = self._queue(kind, data)
            else:
                return
        if jump_to is not None:
            self._play_item(jump_to)  # every sender is told
            reply(self.media_status(request_id))
            return
        reply(self.media_status(request_id))
        if kind not in ("GET_STATUS", None):
            self._broadcast_media_status(exclude=conn)

    def _load(self, data, reply, conn):
        request_id = data.get("requestId", 0)
        with self.lock:
            # The media playing ends as the LOAD arrives, before the new media is fetched.
            interrupted = self.media is not None and self.media["playerState"] != "IDLE"
            if interrupted:
                self._set_state("IDLE", idle_reason="INTERRUPTED")
        if interrupted:  # every sender is told, the one that sent the LOAD too
            self._broadcast_media_status()
        media, playlist, code, error = self._prepare(
            data.get("media", {}), float(data.get("currentTime") or 0)
        )
        if error:
            reply(
                {"type": "LOAD_FAILED", "requestId": request_id, "detailedErrorCode": code, "reason": error}
            )
            return
        with self.lock:
            # A LOAD makes a queue of one item, which QUEUE_INSERT extends.
            self._next_item_id += 1
            self.queue = [{"itemId": self._next_item_id, "media": media, "autoplay": True}]
            self._become(self.queue[0], media, playlist, data.get("currentTime"), data.get("autoplay", True))
            self.media["activeTrackIds"] = list(data.get("activeTrackIds") or [])
        reply(self.media_status(request_id))
        # Like a receiver, it tells every other sender what now plays.
        self._broadcast_media_status(exclude=conn)

    def _prepare(self, media, position):
        """Fetch what ``media`` names, as a receiver does before playing it:
        ``(media with its duration, HLS playlist or None, detailedErrorCode, error or None)``."""
        media = dict(media)
        url = media.get("contentId", "")
        playlist = None
        if _is_hls(media.get("contentType", "")):
            playlist, code, error = self._fetch_hls(url, position)
            if playlist is not None and media.get("duration") is None:
                media["duration"] = playlist.duration
        else:
            code, error = ERROR_FETCH, self._fetch(url, media.get("contentType", ""))
        if error is None and any(name in url for name in self.unplayable):
            code, error = ERROR_DECODE, f"{_without_query(url)} cannot be decoded"
        media.setdefault("duration", self.duration)
        return media, playlist, code, error

    def _become(self, item, media, playlist, position, autoplay):
        """Play ``item`` of the queue (under the lock): a new media session."""
        self.media_session_id += 1
        self.current_item = item["itemId"]
        self.media = {
            "mediaSessionId": self.media_session_id,
            "media": media,
            "playbackRate": 1,
            "supportedMediaCommands": 274447,
            "activeTrackIds": [],
            "_time": float(position or 0),
            "_since": time.monotonic(),
            "playerState": "PLAYING" if autoplay else "PAUSED",
        }
        self._hls = (self.media_session_id, playlist) if playlist is not None else None
        self.played.append((time.monotonic(), media.get("contentId")))

    # -- the queue -----------------------------------------------------------

    def _queue(self, kind, data):
        """QUEUE_INSERT, QUEUE_UPDATE and QUEUE_REMOVE (under the lock); the item to play
        now, if the message moved to another one."""
        ids = [item["itemId"] for item in self.queue]
        if kind == "QUEUE_INSERT":
            items = []
            for item in data.get("items") or []:
                self._next_item_id += 1
                items.append({**item, "itemId": self._next_item_id})
            before = data.get("insertBefore")
            at = ids.index(before) if before in ids else len(self.queue)
            self.queue[at:at] = items
            self.inserts.append((time.monotonic(), [item["media"].get("contentId") for item in items]))
        elif kind == "QUEUE_REMOVE":
            gone = set(data.get("itemIds") or [])
            self.queue = [item for item in self.queue if item["itemId"] not in gone]
        elif kind == "QUEUE_UPDATE":
            if data.get("repeatMode"):
                self.repeat = data["repeatMode"]
            target = data.get("currentItemId")
            if data.get("jump") and self.current_item in ids:
                index = ids.index(self.current_item) + int(data["jump"])
                target = ids[index] if 0 <= index < len(ids) else None
                if target is None:
                    self._set_state("IDLE", idle_reason="FINISHED")
            if target in ids:
                return self.queue[ids.index(target)]
        return None

    def _play_item(self, item, position=None):
        """Fetch and play ``item`` (not under the lock: it fetches), then tell every sender."""
        media, playlist, code, error = self._prepare(
            item["media"], float(position or item.get("startTime") or 0)
        )
        with self.lock:
            if error:
                # The status names the item that failed, at its start.
                self.current_item = item["itemId"]
                self.media["media"] = media
                self._set_state("IDLE", position=0.0, idle_reason="ERROR")
                failed = {
                    "type": "LOAD_FAILED",
                    "requestId": 0,
                    "itemId": item["itemId"],
                    "detailedErrorCode": code,
                    "reason": error,
                }
            else:
                self._become(item, media, playlist, position or item.get("startTime"), True)
        if error:
            self._broadcast(failed)
        self._broadcast_media_status()

    def _following(self):
        """The item after the one that just ended (under the lock), by the repeat mode; None: the end."""
        ids = [item["itemId"] for item in self.queue]
        if self.current_item not in ids:
            return None
        index = ids.index(self.current_item)
        if self.repeat == "REPEAT_SINGLE":
            return self.queue[index]
        if index + 1 < len(ids):
            return self.queue[index + 1]
        return self.queue[0] if self.repeat == "REPEAT_ALL" else None

    def _fetch(self, url, content_type):
        """Fetch the media as a receiver does; return an error text, or None."""
        try:
            first = self._get(url, "bytes=0-")
        except (urllib.error.URLError, OSError, ValueError) as error:
            return f"cannot fetch {url}: {getattr(error, 'reason', error)}"
        if first.status not in (200, 206):
            return f"{url} answered {first.status}"
        total = first.length
        if (
            content_type.startswith("video/mp4")
            and b"moov" not in first.body
            and total
            and total > FETCH_BYTES
        ):
            try:
                self._get(url, f"bytes={max(0, total - FETCH_BYTES)}-")
            except (urllib.error.URLError, OSError):
                return f"cannot fetch the index at the end of {url}"
        return None

    def _get(self, url, range_header):
        request = urllib.request.Request(url, headers={"Range": range_header})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                body = response.read(FETCH_BYTES)
                length = _total_length(response.headers)
                fetch = Fetch(
                    url, range_header, response.status, response.headers.get("Content-Type"), length, body
                )
        except urllib.error.HTTPError as error:
            fetch = Fetch(url, range_header, error.code, None, 0, b"")
        self._record(fetch)
        return fetch

    def _record(self, fetch):
        with self._fetched:
            self.fetches.append(fetch)
            self._fetched.notify_all()

    # -- HLS ---------------------------------------------------------------

    def _fetch_hls(self, url, position):
        """Fetch the playlist, its init segment and the segments to buffer at
        ``position``; return (playlist, detailedErrorCode, error text or None)."""
        fetch, body = self._download(url)
        if fetch.status != 200:
            return None, ERROR_MANIFEST, f"playlist {_describe(fetch)}"
        try:
            playlist = parse_playlist(body.decode("utf-8", "replace"), url)
        except ValueError as error:
            text = f"playlist {_without_query(url)} is not an HLS media playlist: {error}"
            return None, ERROR_MANIFEST, text
        init = [playlist.init] if playlist.init else []
        for segment in init + playlist.buffer_urls(position):
            fetch, _ = self._download(segment)
            if fetch.status != 200:
                return None, ERROR_SEGMENT, f"segment {_describe(fetch)}"
        return playlist, None, None

    def _download(self, url):
        """GET the whole of a playlist or segment, from the device's own address (a server
        tells players apart by it); a busy server's 503 is asked again after its
        Retry-After, as a receiver's player does, for up to HLS_TIMEOUT. Return the last
        Fetch and its body."""
        deadline = time.monotonic() + HLS_TIMEOUT
        while True:
            fetch, body, retry_after = self._download_once(url)
            if fetch.status != 503 or time.monotonic() + retry_after > deadline:
                return fetch, body
            time.sleep(retry_after)

    def _download_once(self, url):
        body, retry_after = b"", 1.0
        source = functools.partial(http.client.HTTPConnection, source_address=(self.address, 0))
        opener = urllib.request.build_opener(_HTTPFrom(source))
        try:
            with opener.open(url, timeout=HLS_TIMEOUT) as response:
                body = response.read()
                fetch = Fetch(
                    url,
                    None,
                    response.status,
                    response.headers.get("Content-Type"),
                    len(body),
                    body[:FETCH_BYTES],
                )
        except urllib.error.HTTPError as error:
            error.close()
            fetch = Fetch(url, None, error.code, None, 0, b"")
            with contextlib.suppress(TypeError, ValueError):
                retry_after = min(10.0, float(error.headers.get("Retry-After")))
        except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as error:
            fetch = Fetch(url, None, None, None, 0, b"", error=str(getattr(error, "reason", error)))
        self._record(fetch)
        return fetch, body, retry_after

    @property
    def playlist(self):
        """The parsed playlist of the current media when it is HLS, else None."""
        with self.lock:
            if self._hls is None or self.media is None or self._hls[0] != self.media["mediaSessionId"]:
                return None
            return self._hls[1]

    def _buffer_after_seek(self, playlist, position, session, seek):
        for url in playlist.buffer_urls(position):
            fetch, _ = self._download(url)
            if fetch.status == 200:
                continue
            with self._fetched:
                media = self.media
                if (
                    media is None
                    or media["mediaSessionId"] != session
                    or seek != self._seeks
                    or media["playerState"] == "IDLE"
                ):
                    return  # superseded: a failure of media or of a position no longer wanted
                self._set_state("IDLE", idle_reason="ERROR")
                self._fetched.notify_all()
            self._broadcast_media_status()
            return

    def wait_fetches(self, predicate, timeout=10.0):
        """Wait until ``predicate(fetches)`` is true; return its value, falsy after ``timeout`` s.

        ``fetches`` is a copy of :attr:`fetches`. The predicate is checked again
        on every new Fetch (those made in the background after a SEEK too) and
        when a failed one turned the player IDLE, so a predicate that ignores
        its argument and looks at :attr:`player_state` works as well.
        """
        with self._fetched:
            return self._fetched.wait_for(lambda: predicate(list(self.fetches)), timeout)

    def _broadcast_media_status(self, exclude=None):
        self._broadcast(self.media_status(), exclude)

    def _broadcast(self, message, exclude=None):
        """Send a media message to every sender (but ``exclude``), as a receiver does."""
        with self.lock:
            connections = [conn for conn in self.connections if conn is not exclude]
            transport = self.app["transportId"] if self.app else "receiver-0"
        for conn in connections:
            self._send(conn, transport, "*", NS_MEDIA, message)

    def _clock(self):
        """At the end of the media, play the queue's next item, or end with IDLE/FINISHED."""
        while not self._stop.wait(0.1):
            with self.lock:
                media = self.media
                if media is None or media["playerState"] != "PLAYING":
                    continue
                if self._position() < media["media"].get("duration", 0):
                    continue
                following = self._following()
                if following is None:
                    self._set_state(
                        "IDLE", position=media["media"].get("duration", 0), idle_reason="FINISHED"
                    )
            if following is None:
                self._broadcast_media_status()
            else:
                self._play_item(following, position=0)

    # -- what tests look at ------------------------------------------------

    @property
    def player_state(self):
        with self.lock:
            return None if self.media is None else self.media["playerState"]

    def position(self):
        with self.lock:
            return None if self.media is None else self._position()


class _HTTPFrom(urllib.request.HTTPHandler):
    """Plain HTTP through ``connection`` (an HTTPConnection bound to an address)."""

    def __init__(self, connection):
        super().__init__()
        self.connection = connection

    def http_open(self, req):
        return self.do_open(self.connection, req)


def _is_hls(content_type):
    return content_type.split(";", 1)[0].strip().lower() in HLS_TYPES


def _without_query(url):
    return urlsplit(url)._replace(query="", fragment="").geturl()


def _describe(fetch):
    """The URL, without its signature, and what came of the request."""
    if fetch.status is None:
        return f"{_without_query(fetch.url)} could not be fetched: {fetch.error}"
    return f"{_without_query(fetch.url)} answered {fetch.status}"


def _total_length(headers):
    content_range = headers.get("Content-Range", "")
    if "/" in content_range:
        total = content_range.rsplit("/", 1)[1]
        return int(total) if total.isdigit() else 0
    return int(headers.get("Content-Length") or 0)


def _read_exactly(conn, size):
    chunks, received = [], 0
    while received < size:
        chunk = conn.recv(size - received)
        if not chunk:
            return None
        chunks.append(chunk)
        received += len(chunk)
    return b"".join(chunks)


def _close(sock):
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--name", default="Fake TV")
    parser.add_argument("--model", default="Chromecast")
    parser.add_argument("--address", default="127.0.0.2", help="address to listen on (port 8009)")
    args = parser.parse_args()
    from zeroconf import Zeroconf

    zeroconf = Zeroconf(interfaces=[args.address] if args.address.startswith("127.") else None)
    device = FakeChromecast(args.name, args.model, args.address, port=8009, eureka=True).start(zeroconf)
    print(f"{args.name} ({args.model}) on {args.address}:{device.port}; known_hosts: {args.address}")
    print("Ctrl-C stops it.")
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        device.stop()
        zeroconf.close()

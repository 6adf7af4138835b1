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

import threading
import time
import uuid as uuidlib

from mediacaster.fakecast.hls import ERROR_DECODE, ERROR_FETCH, Fetcher, is_hls, without_query
from mediacaster.fakecast.protocol import NS_MEDIA, NS_RECEIVER, CastEndpoint

DEFAULT_MEDIA_RECEIVER = "CC1AD845"


class FakeChromecast(CastEndpoint):
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
        super().__init__(name, model, address, port, uuid, eureka)
        self.duration = duration  # of media whose LOAD gives none
        self.fetcher = Fetcher(address, self.lock)
        self.loads = []  # LOAD requests, with their arrival time
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

    def started(self):
        threading.Thread(target=self._clock, name=f"fakecast-clock-{self.name}", daemon=True).start()

    def restart(self):
        """Come back on the same address and port, with no app running (as after a reboot)."""
        self.stop()
        with self.lock:
            self.app, self.media = None, None
            self.queue, self.current_item, self.repeat = [], None, "REPEAT_OFF"
        self.start(self._zeroconf)

    # -- what it fetched -------------------------------------------------------

    @property
    def fetches(self):
        return self.fetcher.fetches

    def wait_fetches(self, predicate, timeout=10.0):
        """Wait until ``predicate(fetches)`` is true; return its value, falsy after ``timeout`` s.

        ``fetches`` is a copy of :attr:`fetches`. The predicate is checked again
        on every new Fetch (those made in the background after a SEEK too) and
        when a failed one turned the player IDLE, so a predicate that ignores
        its argument and looks at :attr:`player_state` works as well.
        """
        return self.fetcher.wait_fetches(predicate, timeout)

    # -- the receiver ----------------------------------------------------------

    def handle(self, conn, message, data, reply):
        namespace, kind = message.namespace, data.get("type")
        if namespace == NS_RECEIVER:
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
            for other in self.others(exclude=conn):
                self.send(other, "receiver-0", "*", NS_RECEIVER, self._receiver_status(0))

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
        if is_hls(media.get("contentType", "")):
            playlist, code, error = self.fetcher.fetch_hls(url, position)
            if playlist is not None and media.get("duration") is None:
                media["duration"] = playlist.duration
        else:
            code, error = ERROR_FETCH, self.fetcher.fetch(url, media.get("contentType", ""))
        if error is None and any(name in url for name in self.unplayable):
            code, error = ERROR_DECODE, f"{without_query(url)} cannot be decoded"
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

    @property
    def playlist(self):
        """The parsed playlist of the current media when it is HLS, else None."""
        with self.lock:
            if self._hls is None or self.media is None or self._hls[0] != self.media["mediaSessionId"]:
                return None
            return self._hls[1]

    def _buffer_after_seek(self, playlist, position, session, seek):
        for url in playlist.buffer_urls(position):
            fetch, _ = self.fetcher.download(url)
            if fetch.status == 200:
                continue
            with self.fetcher.fetched:
                media = self.media
                if (
                    media is None
                    or media["mediaSessionId"] != session
                    or seek != self._seeks
                    or media["playerState"] == "IDLE"
                ):
                    return  # superseded: a failure of media or of a position no longer wanted
                self._set_state("IDLE", idle_reason="ERROR")
                self.fetcher.fetched.notify_all()
            self._broadcast_media_status()
            return

    def _broadcast_media_status(self, exclude=None):
        self._broadcast(self.media_status(), exclude)

    def _broadcast(self, message, exclude=None):
        """Send a media message to every sender (but ``exclude``), as a receiver does."""
        connections = self.others(exclude)
        with self.lock:
            transport = self.app["transportId"] if self.app else "receiver-0"
        for conn in connections:
            self.send(conn, transport, "*", NS_MEDIA, message)

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

    def load_elsewhere(self, url, content_type):
        """For tests: another sender's LAUNCH and LOAD of ``url``, over no connection (made
        while the app is out of touch with the device, say). False: the LOAD failed."""
        failed = []
        self._receiver("LAUNCH", {"appId": DEFAULT_MEDIA_RECEIVER}, lambda payload: None, None)
        media = {"contentId": url, "contentType": content_type, "streamType": "BUFFERED"}
        self._load({"media": media}, lambda payload: failed.append(payload["type"] == "LOAD_FAILED"), None)
        return not any(failed)

    @property
    def player_state(self):
        with self.lock:
            return None if self.media is None else self.media["playerState"]

    def position(self):
        with self.lock:
            return None if self.media is None else self._position()

"""Following what plays on the devices this app cast to: its position saved while it
plays (the TV may be switched off: no stop is ever seen), the move to the next item of
a queue, its end, a failure, and another sender taking over.

A receiver sends a media status only after a change (a LOAD, a pause, a seek, the next
item of its queue, an end) or when asked, never on a timer (Media Playback Messages,
"Status": https://developers.google.com/cast/docs/media/messages).
pychromecast keeps each connection's last status and extrapolates the position while
it plays. A thread reads it at once when a status arrives (a listener on the
connection wakes it; nothing waits in pychromecast's socket thread), every ``every``
seconds to save the position, and, for a queue (a watch with a ``lead``), at the
moment the item comes within ``lead`` seconds of its end, whatever the interval.

A device that stops answering (unplugged, its Wi-Fi gone, frozen) is told as GONE,
with its position saved as it was when it was last heard. When it answers again, a
queue's watch is told RETURNED: with the position to load its item again at when
nothing plays there (the device restarted), or with None when it played on. Another
sender's media playing there by then is a takeover, as ever.
"""

import logging
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field

from pychromecast.config import APP_MEDIA_RECEIVER

from mediacaster.services.cast.loading import describe_error

log = logging.getLogger(__name__)

# How what this app cast there came to an end, or moved on. With a ``lead`` (a queue's
# watch) also: NEAR_END, the item is within ``lead`` seconds of its end; PLAYED, it
# played to its end and the device holds the next one; FAILED, the device could not
# play it.
ENDED, STOPPED, TAKEN_OVER, ADVANCED = "ended", "stopped", "taken_over", "advanced"
NEAR_END, PLAYED, FAILED = "near_end", "played", "failed"
# The device stopped answering; it answers again.
GONE, RETURNED = "gone", "returned"
PLAYING_STATES = ("PLAYING", "PAUSED", "BUFFERING")
# A position this close to the end counts as the end, when the device played it again.
END_MARGIN = 3.0
# Seconds between two looks at the devices' connections: a frozen device sends nothing.
HEALTH_EVERY = 2.0
# Seconds a device that answers again is given to say what it plays, once its receiver
# app is known to run.
BACK_WAIT = 5.0


def interruption(urls, app_id, content_id, player_state, idle_reason):
    """How what this app cast there (``urls``: the items it loaded) was interrupted,
    judging by the device's receiver app and media: TAKEN_OVER (another app, other
    media, or a LOAD that interrupted it), STOPPED, or None.

    Idle reasons (https://developers.google.com/cast/docs/reference/web_receiver/
    cast.framework.messages#.IdleReason): INTERRUPTED, "a sender requested playing a
    different media using the LOAD command", comes before the other sender's media
    starts (this app lets go of what it cast before each LOAD of its own, so that one
    is never its own); CANCELLED is a STOP; FINISHED and ERROR are no interruption.
    """
    if app_id is None:
        return STOPPED  # the receiver app was closed
    if app_id != APP_MEDIA_RECEIVER or content_id not in urls:
        return TAKEN_OVER
    if player_state == "IDLE" and idle_reason == "INTERRUPTED":
        return TAKEN_OVER
    if player_state == "IDLE" and idle_reason == "CANCELLED":
        return STOPPED
    return None


@dataclass
class Item:
    """One item this app loaded on a device: where to report its position
    (``progress(position, duration, final)``), and its length when known."""

    progress: Callable[[float, float | None, bool], None] | None
    duration: float | None


@dataclass
class Watch:
    """What this app cast to one device: the items loaded there (a queue's), the one
    playing, and ``on_change(how, url[, why])``, called when it ended, moved to the item
    ``url`` (ADVANCED), or was stopped or taken over by another sender; with a ``lead``,
    also NEAR_END, PLAYED and FAILED (with why)."""

    items: dict[str, Item]  # by URL
    url: str
    on_change: Callable | None
    lead: float | None = None
    state: str | None = None
    position: float = 0.0
    seen_at: float = field(default_factory=time.monotonic)  # when ``position`` was read
    saved_at: float = field(default_factory=time.monotonic)
    following: str | None = None  # the URL queued after the one playing, not played yet
    near: bool = False  # NEAR_END was told for the item playing
    done: bool = False  # the item playing ended or failed, and was told so
    left_at: float | None = None  # where a person moved on from it (it did not play to its end)
    since: float = field(default_factory=time.monotonic)  # when this app loaded it
    gone_at: float | None = None  # when the device was found not answering, if it is not
    gone_position: float = 0.0  # where the item was when the device was last heard
    back_at: float | None = None  # when the device that was gone answered again

    @property
    def item(self):
        return self.items[self.url]

    def predicted(self, now):
        """Where the item should be by ``now``, judging by the last status read."""
        if self.state != "PLAYING":
            return self.position
        return self.position + now - self.seen_at


class Watcher:
    def __init__(self, connections, every=10.0):
        self.connections = connections
        self.every = every
        self._watches = {}  # device id -> Watch
        self._wakers = weakref.WeakKeyDictionary()  # connection -> its _Waker
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = None
        connections.on_connect.append(self._listen)
        connections.on_health.append(self._wake.set)

    def watch(self, device_id, url, progress=None, on_change=None, duration=None, lead=None):
        """Follow ``url``, just loaded on the device, until it ends or another takes over."""
        with self._lock:
            self._watches[device_id] = Watch({url: Item(progress, duration)}, url, on_change, lead)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="cast-watcher", daemon=True)
                self._thread.start()
        self._wake.set()

    def expect(self, device_id, url, progress=None, duration=None):
        """``url`` is being queued after what plays on the device: moving to it is no takeover."""
        with self._lock:
            watch = self._watches.get(device_id)
            if watch is not None:
                watch.items[url] = Item(progress, duration)
                watch.following = url

    def forget(self, device_id, url):
        """``url`` could not be queued after all."""
        with self._lock:
            watch = self._watches.get(device_id)
            if watch is not None and watch.following == url:
                watch.following = None
                watch.items.pop(url, None)

    def leaving(self, device_id, position):
        """A person moves the device on from the item playing, at ``position``: it did not
        play to its end."""
        with self._lock:
            watch = self._watches.get(device_id)
            if watch is not None:
                watch.left_at = position

    def urls(self, device_id):
        """The items this app loaded on the device and follows, or an empty set."""
        with self._lock:
            watch = self._watches.get(device_id)
            return set(watch.items) if watch is not None else set()

    def release(self, device_id):
        """Stop following the device (this app stopped it): its last position is saved."""
        with self._lock:
            watch = self._watches.pop(device_id, None)
        if watch is not None and not watch.done:
            self._report(watch, watch.item.progress, watch.position, watch.item.duration, True)

    def close(self):
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=2)

    def _listen(self, cast):
        waker = _Waker(self._wake)
        self._wakers[cast] = waker
        cast.media_controller.register_status_listener(waker)

    def _run(self):
        while not self._stop.is_set():
            self._wake.wait(self._until_next())
            self._wake.clear()
            with self._lock:
                watches = list(self._watches.items())
            for device_id, watch in watches:
                try:
                    self._check(device_id, watch)
                except Exception:  # one device's trouble must not stop the others' saves
                    log.exception("following device %s failed", device_id)

    def _until_next(self):
        """Seconds until the next look: the interval, or sooner when a queue's item comes
        within its lead of the end (no status marks that moment)."""
        now = time.monotonic()
        with self._lock:
            watches = list(self._watches.values())
        wait = min(self.every, HEALTH_EVERY) if watches else self.every
        for watch in watches:
            duration = watch.item.duration
            if watch.lead is not None and not watch.near and watch.state == "PLAYING" and duration:
                wait = min(wait, duration - watch.lead - watch.predicted(now))
        return max(wait, 0.05)

    def _check(self, device_id, watch):
        cast = self.connections.existing(device_id)
        lost_at = self.connections.silent_since(cast) if cast is not None else None
        if lost_at is not None:
            self._gone(device_id, watch, lost_at)
            return
        if cast is None or not cast.socket_client.is_connected:
            watch.state = None  # not known to play on: no lead to time until it says so
            return
        if watch.gone_at is not None and not self._back(device_id, watch, cast):
            return
        waker = self._wakers.get(cast)
        # A LOAD_FAILED comes before the status that says IDLE: kept until that status.
        failure = waker.failure(watch.since) if waker is not None else None
        status, receiver = cast.media_controller.status, cast.status
        app_id = receiver.app_id if receiver is not None else None
        if status is None:
            self._end(device_id, watch, TAKEN_OVER)
            return
        # Read once: pychromecast's socket thread updates the status in place meanwhile.
        url, state, idle_reason = status.content_id, status.player_state, status.idle_reason
        position, duration = status.adjusted_current_time or 0.0, status.duration
        now = time.monotonic()
        how = interruption(watch.items, app_id, url, state, idle_reason)
        if how is not None:
            self._end(device_id, watch, how)
            return
        if url != watch.url:  # the queue's next item (by itself, or a "next"), or one jumped to
            self._advance(watch, url, now)
        elif state in PLAYING_STATES and self._restarted(watch, position, now):
            self._advance(watch, watch.url, now)  # played again from the start: repeat one
        elif state == "IDLE" and failure is not None and watch.following is not None:
            # The device reports the item it could not move to under the one it left.
            self._advance(watch, watch.following, now)
        item = watch.item
        item.duration = duration or item.duration
        if state == "IDLE" and idle_reason == "FINISHED":
            self._finished(device_id, watch)
        elif state == "IDLE" and (idle_reason == "ERROR" or failure is not None):
            if waker is not None:
                waker.forget_failure()
            self._failed(device_id, watch, failure)
        elif state in PLAYING_STATES:
            # Paused or played on: saved at once. (Buffering comes and goes while playing.)
            changed = watch.state is not None and (state == "PAUSED") != (watch.state == "PAUSED")
            if changed or now - watch.saved_at >= self.every:
                self._report(watch, item.progress, position, item.duration, changed)
                watch.saved_at = now
            watch.state, watch.position, watch.seen_at = state, position, now
            near = watch.lead is not None and item.duration and item.duration - position <= watch.lead
            if near and not watch.near:
                watch.near = True
                self._report(watch, watch.on_change, NEAR_END, watch.url)
        # IDLE with no reason: the receiver is loading the item; its next status says more.

    def _gone(self, device_id, watch, lost_at):
        """The device stopped answering: where the item was when it was last heard is
        saved, and told."""
        if watch.gone_at is not None:
            return
        now = time.monotonic()
        position = watch.predicted(min(lost_at, now))
        if watch.item.duration:
            position = min(position, watch.item.duration)
        watch.gone_at, watch.gone_position, watch.back_at, watch.state = now, position, None, None
        log.warning("cast device %s is not answering; its item was at %.0f s", device_id, position)
        if not watch.done:
            self._report(watch, watch.item.progress, position, watch.item.duration, True)
        self._report(watch, watch.on_change, GONE, watch.url)

    def _back(self, device_id, watch, cast):
        """The device answers again. True: follow it as before (it played on, or what it
        plays now is judged as ever); False: not yet, or no more (a queue's item is to be
        loaded again where it was, nothing playing there)."""
        now = time.monotonic()
        watch.back_at = watch.back_at or now
        receiver = cast.socket_client.receiver_controller.status  # None until it says anew
        if receiver is None:
            return False
        media = cast.media_controller.status
        content = media.content_id if media is not None else None
        app_id = receiver.app_id
        if app_id == APP_MEDIA_RECEIVER and content is None and now - watch.back_at < BACK_WAIT:
            return False  # its media status is on its way
        nothing = app_id is None or (app_id == APP_MEDIA_RECEIVER and content is None)
        watch.gone_at = None
        if nothing and watch.lead is not None:
            with self._lock:
                if self._watches.get(device_id) is watch:
                    del self._watches[device_id]  # the item loaded again makes a watch anew
            self._report(watch, watch.on_change, RETURNED, watch.url, watch.gone_position)
            return False
        if content in watch.items and media.player_state in PLAYING_STATES:
            self._report(watch, watch.on_change, RETURNED, watch.url, None)
        return True

    @staticmethod
    def _restarted(watch, position, now):
        """The item was at its end and is back near its start."""
        duration = watch.item.duration or 0
        margin = min(END_MARGIN, duration / 3)
        return duration > 0 and watch.predicted(now) > duration - margin and position < duration - 2 * margin

    def _advance(self, watch, url, now):
        """The device moved to the item ``url``: the one it left is saved at its end, unless
        a person moved on from it (then where it was), and the queue is told."""
        item = watch.item
        if not watch.done:
            if watch.left_at is not None:
                self._report(watch, item.progress, watch.left_at, item.duration, True)
            else:  # the receiver moved on by itself: it played to its end
                end = item.duration or watch.predicted(now)
                self._report(watch, item.progress, end, item.duration, True)
        watch.url, watch.state, watch.position, watch.seen_at, watch.saved_at = url, None, 0.0, now, now
        watch.near, watch.done, watch.left_at = False, False, None
        if watch.following == url:
            watch.following = None
        self._report(watch, watch.on_change, ADVANCED, url)

    def _finished(self, device_id, watch):
        """IDLE/FINISHED: played to its end. A queue's watch stays while the device holds
        the next item, which it moves to by itself."""
        if watch.done:
            return
        watch.done = True
        item = watch.item
        self._report(watch, item.progress, item.duration or watch.position, item.duration, True)
        if watch.lead is not None and watch.following is not None:
            self._report(watch, watch.on_change, PLAYED, watch.url)
        else:
            self._end(device_id, watch, ENDED, saved=True)

    def _failed(self, device_id, watch, code):
        """IDLE/ERROR, or LOAD_FAILED for a queue item: the device could not play it."""
        if watch.done:
            return
        watch.done = True
        self._report(watch, watch.item.progress, watch.position, watch.item.duration, True)
        if watch.lead is None:
            self._end(device_id, watch, ENDED, saved=True)
            return
        with self._lock:
            if self._watches.get(device_id) is watch:
                del self._watches[device_id]
        self._report(watch, watch.on_change, FAILED, watch.url, describe_error(code))

    def _end(self, device_id, watch, how, saved=False):
        with self._lock:
            if self._watches.get(device_id) is not watch:
                return  # replaced meanwhile by a new cast
            del self._watches[device_id]
        if not saved and not watch.done:
            self._report(watch, watch.item.progress, watch.position, watch.item.duration, True)
        self._report(watch, watch.on_change, how, watch.url)

    @staticmethod
    def _report(watch, callback, *args):
        if callback is None:
            return
        try:
            callback(*args)
        except Exception:  # a failed save must not stop the following
            log.exception("reporting on %s failed", watch.url)


class _Waker:
    """A pychromecast status listener that wakes the watcher and notes a LOAD_FAILED the
    device sent of its own accord (it runs on the socket thread)."""

    def __init__(self, event):
        self.event = event
        self._failure = None  # (error code, when)
        self._lock = threading.Lock()

    def new_media_status(self, status):
        self.event.set()

    def load_media_failed(self, queue_item_id, error_code):
        # LOAD_FAILED with the itemId of the queue item that failed, then IDLE/ERROR
        # (https://developers.google.com/cast/docs/reference/web_receiver/
        # cast.framework.messages.ErrorData: "itemId ... when loading a queue item failed").
        with self._lock:
            self._failure = (error_code, time.monotonic())
        self.event.set()

    def failure(self, since):
        """The error code of the last LOAD_FAILED told since ``since``, or None."""
        with self._lock:
            failure = self._failure
        return failure[0] if failure is not None and failure[1] >= since else None

    def forget_failure(self):
        with self._lock:
            self._failure = None

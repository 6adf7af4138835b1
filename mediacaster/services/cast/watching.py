"""Following what plays on the devices this app cast to: its position saved while it
plays (the TV may be switched off: no stop is ever seen), the move to the next item of
a queue, its end, and another sender taking over.

pychromecast keeps each connection's media status up to date from the device's
broadcasts, and extrapolates the position while it plays. A thread reads it every
``every`` seconds, and at once when a status arrives: a listener on the
connection wakes it, and nothing waits in pychromecast's socket thread.
"""

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from pychromecast.config import APP_MEDIA_RECEIVER

log = logging.getLogger(__name__)

# How what this app cast there came to an end, or moved on.
ENDED, STOPPED, TAKEN_OVER, ADVANCED = "ended", "stopped", "taken_over", "advanced"
PLAYING_STATES = ("PLAYING", "PAUSED", "BUFFERING")
# A position this close to the end counts as the end, when the device moved on.
END_MARGIN = 3.0


def interruption(urls, app_id, content_id, player_state, idle_reason):
    """How what this app cast there (``urls``: the items it loaded) was interrupted,
    judging by the device's receiver app and media: TAKEN_OVER (another app, or
    other media), STOPPED, or None."""
    if app_id is None:
        return STOPPED  # the receiver app was closed
    if app_id != APP_MEDIA_RECEIVER or content_id not in urls:
        return TAKEN_OVER
    if player_state == "IDLE" and idle_reason not in ("FINISHED", None):
        return STOPPED
    return None


@dataclass
class Item:
    """One item this app loaded on a device: where to report its position
    (``progress(position, duration, final)``), and its length when known."""

    progress: Callable | None
    duration: float | None


@dataclass
class Watch:
    """What this app cast to one device: the items loaded there (a queue's), the one
    playing, and ``over(how, url)`` to tell when it ended, moved to the item ``url``
    (ADVANCED), or was stopped or taken over by another sender."""

    items: dict  # url -> Item
    url: str
    over: Callable | None
    state: str | None = None
    position: float = 0.0
    saved_at: float = field(default_factory=time.monotonic)

    @property
    def item(self):
        return self.items[self.url]


class Watcher:
    def __init__(self, connections, every=10.0):
        self.connections = connections
        self.every = every
        self._watches = {}  # device id -> Watch
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = None
        connections.on_connect.append(self._listen)

    def watch(self, device_id, url, progress=None, over=None, duration=None):
        """Follow ``url``, just loaded on the device, until it ends or another takes over."""
        with self._lock:
            self._watches[device_id] = Watch({url: Item(progress, duration)}, url, over)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="cast-watcher", daemon=True)
                self._thread.start()
        self._wake.set()

    def expect(self, device_id, url, progress=None, duration=None):
        """``url`` was queued after what plays on the device: moving to it is no takeover."""
        with self._lock:
            watch = self._watches.get(device_id)
            if watch is not None:
                watch.items[url] = Item(progress, duration)

    def urls(self, device_id):
        """The items this app loaded on the device and follows, or an empty set."""
        with self._lock:
            watch = self._watches.get(device_id)
            return set(watch.items) if watch is not None else set()

    def release(self, device_id):
        """Stop following the device (this app stopped it): its last position is saved."""
        with self._lock:
            watch = self._watches.pop(device_id, None)
        if watch is not None:
            self._report(watch, watch.item.progress, watch.position, watch.item.duration, True)

    def close(self):
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=2)

    def _listen(self, cast):
        cast.media_controller.register_status_listener(_Waker(self._wake))

    def _run(self):
        while not self._stop.is_set():
            self._wake.wait(self.every)
            self._wake.clear()
            with self._lock:
                watches = list(self._watches.items())
            for device_id, watch in watches:
                try:
                    self._check(device_id, watch)
                except Exception:  # one device's trouble must not stop the others' saves
                    log.exception("following device %s failed", device_id)

    def _check(self, device_id, watch):
        cast = self.connections.existing(device_id)
        if cast is None or not cast.socket_client.is_connected:
            return  # switched off, or out of reach: the last position saved stands
        status, receiver = cast.media_controller.status, cast.status
        app_id = receiver.app_id if receiver is not None else None
        if status is None:
            self._end(device_id, watch, TAKEN_OVER, watch.position)
            return
        # Read once: pychromecast's socket thread updates the status in place meanwhile.
        url, state, idle_reason = status.content_id, status.player_state, status.idle_reason
        position, duration = status.adjusted_current_time or 0.0, status.duration
        how = interruption(watch.items, app_id, url, state, idle_reason)
        if how is not None:
            self._end(device_id, watch, how, watch.position)
            return
        if url != watch.url:  # the queue's next item, or one jumped to
            self._advance(watch, url)
        elif state in PLAYING_STATES and self._restarted(watch, position):
            self._advance(watch, watch.url)  # played again from the start: repeat one
        item = watch.item
        item.duration = duration or item.duration
        if state == "IDLE":  # played to its end
            self._end(device_id, watch, ENDED, item.duration or watch.position)
        elif state in PLAYING_STATES:
            now = time.monotonic()
            # Paused or played on: saved at once. (Buffering comes and goes while playing.)
            changed = watch.state is not None and (state == "PAUSED") != (watch.state == "PAUSED")
            if changed or now - watch.saved_at >= self.every:
                self._report(watch, item.progress, position, item.duration, changed)
                watch.saved_at = now
            watch.state, watch.position = state, position

    @staticmethod
    def _restarted(watch, position):
        """The item was at its end and is back near its start."""
        duration = watch.item.duration or 0
        return (
            duration > 0
            and watch.position > duration - END_MARGIN
            and position < watch.position - 2 * END_MARGIN
        )

    def _advance(self, watch, url):
        """The device moved to the item ``url``: the one before is saved where it was (at
        its end when it ended there), and the queue is told."""
        item = watch.item
        ended = item.duration and watch.position >= item.duration - END_MARGIN
        self._report(watch, item.progress, item.duration if ended else watch.position, item.duration, True)
        watch.url, watch.state, watch.position, watch.saved_at = url, None, 0.0, time.monotonic()
        self._report(watch, watch.over, ADVANCED, url)

    def _end(self, device_id, watch, how, position):
        with self._lock:
            if self._watches.get(device_id) is not watch:
                return  # replaced meanwhile by a new cast
            del self._watches[device_id]
        self._report(watch, watch.item.progress, position, watch.item.duration, True)
        self._report(watch, watch.over, how, watch.url)

    @staticmethod
    def _report(watch, callback, *args):
        if callback is None:
            return
        try:
            callback(*args)
        except Exception:  # a failed save must not stop the following
            log.exception("reporting on %s failed", watch.url)


class _Waker:
    """A pychromecast status listener that only wakes the watcher (it runs on the socket thread)."""

    def __init__(self, event):
        self.event = event

    def new_media_status(self, status):
        self.event.set()

    def load_media_failed(self, queue_item_id, error_code):
        self.event.set()

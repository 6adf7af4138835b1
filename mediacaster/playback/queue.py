"""Playing queues on devices: a folder, an album, a search result or a selection, one
file after the other, converted where the device needs it.

The queue lives in the database (:mod:`mediacaster.services.queues`). The device
gets the item playing (a LOAD) and, ``LEAD`` seconds before it ends (at once for a
shorter item), the next one (a Cast QUEUE_INSERT), which it fetches ahead and plays
by itself; its start is made ready then (its first segments made, or the first bytes
of a file played as it is read: :mod:`.prefetch`). The moment comes from the device's
media status, which a receiver sends only on a change, and the watcher's own clock, not
from the progress interval. What comes next is decided only then, so shuffling, adding
or "play next" before it needs nothing of the device. An item played to its end with
nothing held after it (a seek into its last seconds, say) is followed by a LOAD of the
next one. "Next" moves the device to the item it holds (a QUEUE_UPDATE jump) when it
holds one, else loads the next item; "previous" and a jump load the item. Items that will not play there even
converted, or that the device fails to load or to play, are skipped with a note; a
device that twice in a row does not answer as the queue moves on stops it. When
another sender stops the device or takes it over, the queue stops there and says so:
it never fights back. A device that stops answering leaves the queue waiting where it
was; when it answers again with nothing playing, the item is loaded again where it was
(with another sender's media playing there, that sender took it over).
"""

import contextlib
import functools
import logging
import threading
import time
from dataclasses import dataclass, field
from typing import NamedTuple
from urllib.parse import unquote, urlsplit

from mediacaster.bytenames import shown
from mediacaster.errors import AppError, NotFound
from mediacaster.models.queues import Queue
from mediacaster.playback import Target
from mediacaster.playback.prefetch import Prefetch
from mediacaster.services import queues
from mediacaster.services.cast import (
    ADVANCED,
    ENDED,
    FAILED,
    GONE,
    NEAR_END,
    PLAYED,
    RETURNED,
    DeviceUnreachable,
    LoadFailed,
    NotCastHere,
    NothingPlaying,
)
from mediacaster.services.queues import QueueError

log = logging.getLogger(__name__)

LEAD = 30.0  # seconds before an item ends at which the next one is queued on the device
STATUS_WAIT = 5.0  # seconds a device found is given to say what it plays
HOLD_WAIT = 5.0  # seconds a device that played an item to its end is given to move to the next
DEVICE_FAILURES = 2  # times in a row the device does not answer before a queue stops
FOLLOWING = queues.FOLLOWING


@dataclass
class Live:
    """A queue this app follows on a device, in memory (as the device's connection is)."""

    queue_id: int
    user_id: int | None
    app_url: str  # the app's URL as the request that started it saw it
    urls: dict[str, int] = field(default_factory=dict)  # URL loaded or queued there -> item number
    number: int | None = None  # the item playing
    queued: int | None = None  # the item queued on the device after it
    queuing: bool = False
    failures: int = 0  # items in a row the device failed to play
    device_failures: int = 0  # times in a row the device did not answer as the queue moved on


class Placed(NamedTuple):
    """An item of a queue where it plays in the queue's order."""

    position: int
    number: int  # its index in the queue's items
    root: str
    path: str

    @classmethod
    def at(cls, queue, position):
        item = queues.item_at(queue, position)
        return cls(position, item.number, item.root, queues.path_of(item))


class QueuePlayer:
    def __init__(self, database, library, playback, cast, caster, urls_for):
        """``caster``: a :class:`mediacaster.playback.casting.PlanCaster`.
        ``urls_for(app_url, user_id, address)``: the URLs a device fetches, made
        outside a request (see :func:`mediacaster.urls.later_device_urls`)."""
        self.database = database
        self.library = library
        self.playback = playback
        self.cast = cast
        self.caster = caster
        self.urls_for = urls_for
        self.prefetch = Prefetch(library, playback)
        self._live = {}  # device id -> Live
        self._lock = threading.RLock()
        self._timers = set()  # moves on waiting to be made
        self._closed = False

    # -- what people ask -------------------------------------------------------------

    def start(self, user_id, device, files, app_url, start=0, shuffle=False, repeat="off"):
        """Play ``files`` (``[(root, path)]``) on ``device`` from file ``start``."""
        with self._lock:
            with self._transaction() as session:
                queue = queues.make(session, user_id, device, files, start, shuffle, repeat, app_url)
                for other in queues.others_playing(session, queue):
                    queues.touch(other, "taken_over")
                live = Live(queue.id, user_id, app_url)
                position = queue.position
            earlier = self._live.get(device.id)
            if earlier is not None and earlier.queue_id != live.queue_id:
                self._finish(earlier, "taken_over")
            self._live[device.id] = live
            self._play(live, device, position)
            self._set_repeat(device, repeat)
            return self.view(user_id, device)

    def next(self, user_id, device, app_url):
        with self._lock:
            live, queue = self._ours(user_id, device, app_url)
            if live.queued is not None and live.queued != live.number:
                self.cast.skip(device.id, 1)  # the device holds it: it moves by itself
                return self.view(user_id, device)
            position = queues.following(queue, queue.position, moving_on=True)
            if position is None:
                raise QueueError("this is the last item of the queue")
            self._play(live, device, position)
            return self.view(user_id, device)

    def previous(self, user_id, device, app_url):
        with self._lock:
            live, queue = self._ours(user_id, device, app_url)
            position = queues.preceding(queue, queue.position)
            if position is None:
                raise QueueError("this is the first item of the queue")
            self._play(live, device, position)
            return self.view(user_id, device)

    def jump(self, user_id, device, app_url, position):
        with self._lock:
            live, queue = self._ours(user_id, device, app_url)
            if not 0 <= position < len(queue.order):
                raise QueueError(f"the queue has items 0 to {len(queue.order) - 1}")
            self._play(live, device, position)
            return self.view(user_id, device)

    def change(self, user_id, device, shuffle=None, repeat=None, add=(), next_up=False):
        """Shuffle or not, repeat, add files at the end or right after the one playing."""
        with self._lock, self._transaction() as session:
            queue = self._queue(session, user_id, device)
            if shuffle is not None and shuffle != queue.shuffle:
                queues.set_shuffle(queue, shuffle)
            if repeat is not None:
                queue.repeat = queues.check_repeat(repeat)
            if add:
                queues.add(queue, add, next_up)
        live = self._live.get(device.id)
        if repeat is not None and live is not None:
            self._set_repeat(device, repeat)
            if live.queued == live.number:  # repeating one held no next item: it is queued now
                live.queued = None
        return self.view(user_id, device)

    def stop(self, user_id, device):
        """Stop the queue and what it plays."""
        with self._lock:
            with self._transaction() as session:
                queue = self._queue(session, user_id, device)
                queues.touch(queue, "stopped")
            live = self._live.pop(device.id, None)
            if live is not None:
                # It had ended there meanwhile, or the device is not there to be told.
                with contextlib.suppress(NothingPlaying, DeviceUnreachable):
                    self.cast.stop_media(device.id)
            return self.view(user_id, device)

    def recast(self, device, plan, start, user_id, **how):
        """Cast ``plan`` again in place of the queue's item playing on the device (its other
        sound track, say), the queue following it still; without a queue there, a plain cast."""
        with self._lock:
            live = self._live.get(device.id)
            if live is None:
                return self.caster.cast_plan(device, plan, start, user_id, **how)
            on_change = functools.partial(self._on_change, device, live)
            status = self.caster.cast_plan(
                device, plan, start, live.user_id, on_change=on_change, lead=LEAD, **how
            )
            live.urls[status.media.content_id], live.queued = live.number, None
            return status

    def replaced(self, device_id):
        """A file was cast to the device without the queue: the queue stops there."""
        with self._lock:
            live = self._live.pop(device_id, None)
        if live is not None:
            self._finish(live, "taken_over")

    def found(self, device):
        """The device is found (at startup, say): if this app played a queue there, follow
        it again, so that it goes on by itself with no page open."""
        with self.database.sessions() as session:
            queue = queues.playing_on(session, device.id)
            if queue is None or queue.app_url is None:
                return
            user_id, app_url = queue.user_id, queue.app_url
        try:
            # A new connection learns what the device plays a moment after it is made.
            deadline = time.monotonic() + STATUS_WAIT
            while self.cast.status(device.id).media is None and time.monotonic() < deadline:
                time.sleep(0.2)
            self.follow(user_id, device, app_url)
        except AppError as error:  # out of reach, the file gone, something else playing
            log.info("the queue on %s is not followed again: %s", device.name, error)

    def follow(self, user_id, device, app_url):
        """After a restart: follow the user's queue again if the device still plays one of
        its items, so that it goes on by itself."""
        if device.id in self._live:
            return
        with self._lock:
            with self.database.sessions() as session:
                queue = queues.current(session, user_id, device.id)
                if queue is None or queue.state not in FOLLOWING or device.id in self._live:
                    return
                items = [Placed.at(queue, position) for position in range(len(queue.order))]
                queue_id = queue.id
            media = self.cast.status(device.id).media
            if media is None or media.player_state == "IDLE" or not media.content_id:
                return
            playing = unquote(urlsplit(media.content_id).path)
            found = next((item for item in items if playing.endswith(f"/{item.root}/{item.path}")), None)
            if found is None:
                return  # something else plays there
            entry = self.library.entry(found.root, tuple(found.path.split("/")))
            live = Live(queue_id, user_id, app_url, {media.content_id: found.number}, found.number)
            self._live[device.id] = live
            progress = self.caster.progress_of(entry, user_id)
            on_change = functools.partial(self._on_change, device, live)
            self.cast.adopt(device.id, media.content_id, progress, on_change, lead=LEAD)
            self._moved(live, found.position)

    def view(self, user_id, device):
        """The user's queue on the device with its items, for presenters; or None."""
        with self.database.sessions() as session:
            queue = queues.current(session, user_id, device.id)
            if queue is not None:
                queue.items  # noqa: B018 - loaded while the session is open
            return queue

    def close(self):
        """Make no more moves on (the app stops); the devices play on by themselves."""
        self._closed = True
        for timer in list(self._timers):
            timer.cancel()

    # -- playing ---------------------------------------------------------------------

    def _transaction(self):
        return self.database.sessions.begin()

    def _queue(self, session, user_id, device):
        queue = queues.current(session, user_id, device.id)
        if queue is None:
            raise NotFound(f"you have no queue on {device.name}")
        return queue

    def _ours(self, user_id, device, app_url):
        """``(Live, Queue)`` of the user's queue on the device, followed again if this app
        restarted since it began."""
        with self.database.sessions() as session:
            queue = self._queue(session, user_id, device)
            if queue.state == "waiting":
                raise DeviceUnreachable(
                    f"{device.name} is not answering: the queue goes on where it was once it is back"
                )
            if queue.state != "playing":
                raise QueueError(
                    f"the queue on {device.name} is {queue.state.replace('_', ' ')}: start it again"
                )
            session.expunge(queue)
        live = self._live.get(device.id)
        if live is None or live.queue_id != queue.id:
            live = self._live[device.id] = Live(queue.id, user_id, app_url)
        return live, queue

    def _item(self, live, position):
        """The item at ``position`` of the queue's order."""
        with self.database.sessions() as session:
            queue = session.get(Queue, live.queue_id)
            if queue is None:
                raise QueueError("the queue is gone")
            return Placed.at(queue, position)

    def _plan(self, live, device, root, path):
        entry = self.library.entry(root, tuple(path.split("/")))
        urls = self.urls_for(live.app_url, live.user_id, self.cast.local_address(device.id))
        plan = self.playback.plan(entry, Target.device(device), urls)
        if plan.will_not_play:
            raise Skipped(f"{shown(entry.name)} will not play on {device.name}: {plan.verdict.reason}")
        return plan

    def _play(self, live, device, position, patient=False, start=0.0):
        """Load the item at ``position`` on the device from ``start`` seconds, or the first
        one after it that plays (``patient``: see :meth:`_first_playing`)."""
        try:
            found = self._first_playing(live, device, position, False, patient, start)
        except AppError:  # the device out of reach, say: the queue stops there, and says so
            self._drop(device, live, "stopped")
            raise
        if found is not None:
            position, number, status = found
            live.urls, live.number, live.queued = {status.media.content_id: number}, number, None
            self._moved(live, position)
            return
        self._drop(device, live, "ended")
        raise QueueError(f"nothing more in the queue plays on {device.name}")

    def _drop(self, device, live, state):
        """Follow the queue no more, and note how it ended."""
        with self._lock:
            if self._live.get(device.id) is live:
                del self._live[device.id]
        self._finish(live, state)

    def _first_playing(self, live, device, position, queued, patient=False, start=0.0):
        """Cast (or ``queued``: queue) the item at ``position`` from ``start`` seconds, or
        the first one after it that plays, skipping the others: ``(position, number,
        status or URL)``, or None.

        ``patient`` (the queue moving on by itself, nobody there to be told): a device that
        does not answer costs the item a skip, and stops the queue the second time in a
        row, rather than at once."""
        for _ in range(self._length(live)):
            if position is None:
                return None
            item = self._item(live, position)
            number = item.number
            try:
                plan = self._plan(live, device, item.root, item.path)
                if queued:  # the device refusing it now is no fault of the item: not skipped
                    if plan.stream is None:  # a converted one is made ready by the cast itself
                        self.prefetch.ahead(plan, device.host)
                    url = self.caster.cast_plan(device, plan, 0.0, live.user_id, queued=True)
                    return position, number, url
                on_change = functools.partial(self._on_change, device, live)
                status = self.caster.cast_plan(
                    device, plan, start, live.user_id, on_change=on_change, lead=LEAD
                )
                live.device_failures = 0
                return position, number, status
            except (Skipped, NotFound) as error:
                self._skip(live, number, str(error))
            except LoadFailed as error:
                if queued:
                    raise
                self._skip(live, number, f"{_name(item.path)}: {error}")
            except DeviceUnreachable as error:
                if not patient:
                    raise
                live.device_failures += 1
                if live.device_failures >= DEVICE_FAILURES:
                    self._skip(live, number, f"{_name(item.path)}: {error}; the queue stopped there")
                    raise
                self._skip(live, number, f"{_name(item.path)}: {error}")
            position, start = self._following(live, position), 0.0
        return None

    def _near_end(self, device, live):
        """Near the item's end (told by the device's status, or at the lead's moment): queue
        the next one on the device, once."""
        if live.queued is not None or live.queuing or self._closed:
            return
        live.queuing = True
        threading.Thread(target=self._queue_next, args=(device, live), daemon=True).start()

    def _queue_next(self, device, live):
        try:
            with self._lock:
                if self._live.get(device.id) is not live:
                    return
                with self.database.sessions() as session:
                    queue = session.get(Queue, live.queue_id)
                    if queue.repeat == "one":
                        live.queued = live.number  # the device plays it again by itself
                        return
                    position = queues.following(queue, queue.position)
                found = self._first_playing(live, device, position, queued=True)
                if found is not None:
                    _position, number, url = found
                    live.urls[url], live.queued = number, number
        except (AppError, NotCastHere) as error:  # the item ended meanwhile: loaded after it
            log.info("queueing the next item on %s failed: %s", device.name, error)
        finally:
            live.queuing = False

    def _on_change(self, device, live, how, url, detail=None):
        """The device moved to another item of the queue, nears the end of one, played one
        to its end, failed to play one (``detail``: why), stopped answering or answers
        again (``detail``: where to load the item again), or the queue is over there."""
        with self._lock:
            if self._live.get(device.id) is not live:
                return
            if how == ADVANCED:
                number = live.urls.get(url)
                if number is not None:
                    live.number, live.queued = number, None if live.queued == number else live.queued
                    with self.database.sessions() as session:
                        position = session.get(Queue, live.queue_id).order.index(number)
                    self._moved(live, position)
                return
            if how == GONE:
                self._set_state(live, "waiting")
                return
            if how == RETURNED:
                if detail is None:  # it played on
                    self._set_state(live, "playing")
                else:  # nothing plays there: the item again, where it was
                    self._later(0, self._resume, device, live, live.number, detail)
                return
            if how == NEAR_END:
                live.failures = 0
                self._near_end(device, live)
                return
            if how in (PLAYED, ENDED):
                # Played to its end: the device moves to the item it holds by itself; when it
                # holds none, or does not move within HOLD_WAIT, the next item is loaded.
                live.failures = 0
                held = how == PLAYED and live.queued is not None
                self._later(HOLD_WAIT if held else 0, self._go_on, device, live, live.number, False)
                return
            if how == FAILED:
                number = live.urls.get(url, live.number)
                name = _name(self._path_of(live, number))
                self._skip(live, number, f"{name}: {device.name} could not play it: {detail}")
                live.failures += 1
                if live.failures < self._length(live):
                    self._later(0, self._go_on, device, live, live.number, True)
                    return
            self._live.pop(device.id, None)
        self._finish(live, "ended" if how == FAILED else how)

    def _later(self, delay, call, *args):
        """``call(*args)`` in a thread of its own, after ``delay`` seconds: not in the thread
        that follows the devices, which a LOAD would hold up."""

        def run():
            self._timers.discard(timer)
            if self._closed:
                return
            try:
                call(*args)
            except Exception:  # nobody waits on it: said in the log
                log.exception("moving a queue on failed")

        timer = threading.Timer(delay, run)
        timer.daemon = True
        self._timers.add(timer)
        timer.start()

    def _go_on(self, device, live, number, moving_on):
        """The device is done with item ``number``: load the one after it (``moving_on``:
        past it even when repeating one), unless the device moved on meanwhile."""
        with self._lock:
            if self._live.get(device.id) is not live or live.number != number:
                return
            with self.database.sessions() as session:
                queue = session.get(Queue, live.queue_id)
                position = queues.following(queue, queue.position, moving_on) if queue is not None else None
            if position is None:
                self._drop(device, live, "ended")
                return
            try:
                self._play(live, device, position, patient=True)
            except (AppError, QueueError) as error:
                log.warning("the queue on %s stopped: %s", device.name, error)

    def _resume(self, device, live, number, start):
        """The device answers again with nothing playing: item ``number`` is loaded again
        from ``start`` seconds, unless the queue moved on meanwhile."""
        with self._lock:
            if self._live.get(device.id) is not live or live.number != number:
                return
            with self.database.sessions() as session:
                queue = session.get(Queue, live.queue_id)
                if queue is None or queue.state not in FOLLOWING:
                    return
                position = queue.order.index(number)
            log.info("%s answers again: the queue goes on at %.0f s", device.name, start)
            try:
                self._play(live, device, position, patient=True, start=start)
            except (AppError, QueueError) as error:
                log.warning("the queue on %s stopped: %s", device.name, error)

    def _set_repeat(self, device, repeat):
        try:
            self.cast.set_repeat(device.id, repeat == "one")
        except AppError as error:
            log.warning("setting repeat on %s failed: %s", device.name, error)

    # -- the database ----------------------------------------------------------------

    def _length(self, live):
        with self.database.sessions() as session:
            queue = session.get(Queue, live.queue_id)
            return len(queue.order) if queue is not None else 0

    def _path_of(self, live, number):
        with self.database.sessions() as session:
            return queues.path_of(session.get(Queue, live.queue_id).items[number])

    def _following(self, live, position):
        """The place after a skipped one."""
        with self.database.sessions() as session:
            return queues.following(session.get(Queue, live.queue_id), position, moving_on=True)

    def _moved(self, live, position):
        with self._transaction() as session:
            queue = session.get(Queue, live.queue_id)
            if queue is not None:
                queue.position = position
                queues.touch(queue, "playing")

    def _skip(self, live, number, why):
        log.info("queue %s: skipped %s", live.queue_id, why)
        with self._transaction() as session:
            queue = session.get(Queue, live.queue_id)
            if queue is not None:
                queue.items[number].skipped = why

    def _finish(self, live, state):
        with self._transaction() as session:
            queue = session.get(Queue, live.queue_id)
            if queue is not None and queue.state in FOLLOWING:
                queues.touch(queue, state)

    def _set_state(self, live, state):
        """Waiting for the device, or playing again."""
        with self._transaction() as session:
            queue = session.get(Queue, live.queue_id)
            if queue is not None and queue.state in FOLLOWING and queue.state != state:
                queues.touch(queue, state)


def _name(path):
    return shown(path.rpartition("/")[2])


class Skipped(AppError):
    """An item of a queue that will not play on the device: it is skipped."""

    status, code = 422, "will_not_play"

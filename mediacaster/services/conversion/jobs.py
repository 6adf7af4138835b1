"""ffmpeg jobs that make a stream's segments on demand, and the wait for them.

A request for a segment is answered from the cache when it is there. Else it
waits for a running job that will make the segment no later than a new ffmpeg
started at that segment would, by the job's measured position and speed and
the measured cost of a start (a seek far ahead, or behind the job, starts one
there at once, in place of its player's job). A request is held at most
``HOLD_SECONDS``, less than a player waits for an answer to begin: then it is
answered 503 with a ``Retry-After``, and its player asks again. Only a
player's newest request moves its job: one it gave up on (a seek aborts the
request under way) never restarts the job that serves the newer one. A far
request while the player has read nothing past its job's first segment is a
probe (Shaka Player reading HLS fetches a middle and the last segment before it
plays on): a job of its own makes that one segment beside the player's job,
which goes on. Each job writes into a folder of its own; a watcher moves each
finished segment (ffmpeg renames it into place once complete) into the cache,
so the cache never holds half a segment.

Bad days: an ffmpeg that dies on a signal the app did not send (a crash, the
kernel's out-of-memory killer), or that a waiting player sees make no progress
for ``STALL_SECONDS`` (stopped, hung: killed then), is replaced by a new one at
the segment its player asks for next; a second such end of the stream's jobs
within ``RESTART_WINDOW`` is answered ``ConversionCrashed`` (503, ``Retry-After``).
A full disk makes the cache give way, its least recently used segments first:
while a job runs, down to the room jobs keep free, and when ffmpeg fails for
want of space (then restarted once, as after a crash); a job that cannot get
room is answered ``CacheFull`` (507), until there is room again.

Where ffmpeg runs: here, or, given a :class:`~.cluster.CeleryRunner`, on a worker
machine (:mod:`mediacaster.services.conversion.cluster`), into a folder of the
shared cache; either way the app moves its segments into the cache, and a run
whose worker went away ends as a crash does, sent again at once from its first
missing segment when its player still reads.

Limits: at most ``max_jobs`` jobs run at once (under Celery, as many as the live
workers say they have free slots, see :mod:`~.cluster`); when all are busy, one
nobody has read from for a while gives way, else the request is refused with a
``Retry-After``. A job nobody reads from for ``idle_timeout`` is killed, so is
one whose file changed. Every ffmpeg is a process group of its own, killed with
the app (and, through ``PR_SET_PDEATHSIG``, when the app dies without stopping
them), and always waited for: no zombies.
"""

import errno
import logging
import math
import os
import shutil
import signal
import threading
import time
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor

from mediacaster.errors import AppError, Gone, Unavailable
from mediacaster.services.conversion.cluster import CeleryRun, queue_for
from mediacaster.services.conversion.commands import hls_command
from mediacaster.services.conversion.errors import (
    CacheFull,
    ConversionBusy,
    ConversionCrashed,
    ConversionFailed,
    ConversionSlow,
    ConversionUnavailable,
    NoSuchSegment,
)
from mediacaster.services.conversion.fmp4 import fragment_tracks, init_complete, segment_complete
from mediacaster.services.conversion.names import INIT_NAME, cache_key, segment_index, segment_name
from mediacaster.services.conversion.processes import cpu_seconds, signal_process, spawn
from mediacaster.services.ffmpeg import ToolInterrupted, without_paths

log = logging.getLogger(__name__)

POLL_SECONDS = 0.02  # how often a job's folder is looked at for finished segments
# The longest a request is held. Shaka Player, in the page and in a Cast receiver (the
# Web Receiver SDK plays HLS and DASH with it), gives up on a request whose answer has
# not begun within 10 s (retryParameters.connectionTimeout) and asks again: a request
# held past that would be made twice, its first answer thrown away.
HOLD_SECONDS = 8.0
HOLD_RETRY_AFTER = 1
# Before a job has measured anything, a segment this far ahead of its progress is waited for.
NEARBY_SECONDS = 18.0
MEASURES_KEPT = 256  # streams whose start cost and speed are remembered
YIELD_AFTER = 15.0  # a job not read from for this long gives way to a new one
ERRORS_KEPT = 30.0  # seconds a failed job answers for its stream before a retry
RETRY_AFTER = 10
YIELD_WAIT = 5.0  # the longest a new job waits for a stopped one to be gone
STARTING_SEGMENTS = 2  # a job's first segments, which a player waits for before it plays
# A job this far (seconds of media) ahead of what its player last asked for pauses
# (SIGSTOP) until the player comes nearer: a film is not converted to its end, and its
# segments not evicted, while nobody watches that far.
PACE_AHEAD = 240.0
# A job is not started on a disk with less free (a quarter of a smaller disk), and a running
# job's segments make room down to it by evicting the least recently used.
MIN_FREE_BYTES = 256 * 1024 * 1024
# Segments used this recently are not evicted to keep the room above while a job runs.
SPARE_SECONDS = 60.0
# ffmpeg ending on a signal it did not get from the app (a crash, the kernel's out-of-memory
# killer), making no progress (stopped, hung), or failing on a full disk that the cache then
# made room on: the next request for what it did not make starts a new ffmpeg there, once.
# The stream's next such end within this many seconds is answered as it is.
RESTART_WINDOW = 60.0
# A job waited for this long (more than HOLD_SECONDS) that made no segment and used no
# processor time meanwhile (stopped, hung) is killed, and restarted as after a crash.
STALL_SECONDS = 10.0
DISK_FULL = "the disk of the conversion cache is full"
NO_ROOM = f"{DISK_FULL}, and the cache holds nothing more to give way: free some space on it"
FILE_CHANGED = "the file changed while it was being converted: load it again"
PROBED = "it made the one segment it was for"


class Measures:
    """What a stream's jobs measured: seconds from an ffmpeg's start to its first segment
    (a start's cost, seeking included), and seconds of media made per second after it."""

    def __init__(self):
        self.start = None
        self.speed = None

    def started(self, seconds):
        self.start = seconds if self.start is None else (self.start + seconds) / 2

    def made(self, speed):
        self.speed = speed if self.speed is None else (self.speed + speed) / 2


class _Job:
    def __init__(self, stream, timeline, start_index, folder, reader, until=None):
        self.stream = stream
        self.reader = reader  # who it is made for (a player's address): its seeks restart it
        self.timeline = timeline
        self.start_index = start_index
        self.until = until  # the last segment it makes (a probe's); None: to the end
        self.next_index = start_index  # the first segment not made yet
        self.folder = folder
        self.args = []
        self.process = None
        self.watcher = None
        self.init_done = False
        self.ended = False
        self.stopped = None  # why the app stopped it, if it did
        self.error = None  # why ffmpeg failed
        self.crashed = False  # whether it failed as a fresh ffmpeg may not (error says how)
        self.retry = False  # whether a new job is to make what it did not (once: see RESTART_WINDOW)
        self.stalled = None  # why the app killed it for making no progress
        self.short = None  # why a segment it wrote was refused
        self.started = time.monotonic()
        self.first_segment = None  # seconds the first segment took
        self.made_at = self.started  # when it last made a segment (or went on after a pause)
        self.speed = None  # seconds of media it makes per second, once it made two segments
        self.ended_at = None
        self.last_read = self.started
        self.asked = start_index  # the furthest segment asked of it
        self.read_from = False  # whether a segment was asked of it (not the init segment alone)
        self.request = 0  # the number of the newest request it serves (see JobManager._wait)
        self.paused = False
        self.progress_at = self.started  # when it last made a segment or used the processor
        self.cpu = None  # the processor time it had used then
        self.waited_since = None  # when a request began waiting for a segment it has not made

    @property
    def running(self):
        return not self.ended

    def segment_end(self, index):
        starts = self.timeline.starts
        return starts[index + 1] if index + 1 < len(starts) else self.timeline.end

    def eta(self, index, now, measures):
        """Seconds until this job has made segment ``index``: from its position and speed,
        and before its first segment from the cost of a start, as measured; None when
        nothing is measured yet."""
        speed = self.speed or (measures and measures.speed)
        if not speed:
            return None
        if self.first_segment is None:  # ffmpeg is starting: the first segment comes at its cost
            if measures is None or measures.start is None:
                return None
            first = max(0.0, self.started + measures.start - now)
            return first + (self.segment_end(index) - self.segment_end(self.start_index)) / speed
        # Where it is: the start of the segment it makes, and what it made of it since.
        position = self.timeline.starts[min(self.next_index, len(self.timeline) - 1)]
        if not self.paused and self.made_at is not None:
            position = min(position + (now - self.made_at) * speed, self.segment_end(self.next_index))
        return max(0.0, self.segment_end(index) - position) / speed


def worth_waiting(job, index, now, measures):
    """Will ``job`` make segment ``index`` no later than a new ffmpeg started there would?

    The segment after the furthest one its player asked for is: the player reads ahead
    (Shaka Player asks for the next segment with the one it needs), and a new job would
    stop the one making what it waits for. Else by the measures: the job's time to the
    segment against the cost of a start, give or take the segment itself (the job's
    position is known a segment at a time, and a new ffmpeg beside it shares the
    processors). Before anything is measured, what is near is waited for."""
    if index < job.start_index or index < job.next_index:
        return False  # before its start (a seek back), or made and gone from the cache: restart
    if job.until is not None and index > job.until:
        return False  # past a probe's segment
    if index <= job.asked + 1:
        return True  # reading ahead of what its player asked for, not a seek
    eta = job.eta(index, now, measures)
    if eta is None or measures is None or measures.start is None:
        starts = job.timeline.starts
        return starts[index] - starts[min(job.next_index, len(starts) - 1)] <= NEARBY_SECONDS
    speed = job.speed or measures.speed
    return eta <= measures.start + job.timeline.duration(index) / speed


class JobManager:
    def __init__(self, ffmpeg, cache, max_jobs, idle_timeout, runner=None):
        self.ffmpeg = ffmpeg
        self.cache = cache  # a DiskCache for segments: kind = stream id
        self.max_jobs = max_jobs
        self.runner = runner  # a CeleryRunner: jobs run on workers; None: here
        self.idle_timeout = idle_timeout
        self.work = cache.folder / ".work"
        shutil.rmtree(self.work, ignore_errors=True)  # what a crash left
        self._jobs = {}  # stream id -> [_Job], running or ended lately
        self._measures = OrderedDict()  # stream id -> Measures of its jobs, the latest last
        self._cond = threading.Condition()
        self._counter = 0
        self._requests = 0  # requests numbered as they come: the newest of a player moves its job
        self._restarts = {}  # stream id -> when a job of it last ended as a new ffmpeg may do better
        self._closed = False
        # One long-lived thread starts every ffmpeg: the parent-death signal is tied to
        # the thread that forked, which must outlive the job.
        self._launcher = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ffmpeg-launcher")
        self._reaper = threading.Thread(target=self._reap, name="conversion-reaper", daemon=True)
        self._reaper.start()

    # -- what requests ask for ----------------------------------------------

    def path(self, stream, timeline, index, reader=None):
        """Path of segment ``index`` of ``stream`` (None: its init segment, the codecs and
        their settings), made now if needed; ``reader`` names who asks (a player's
        address): two players far apart in a file get a job each."""
        if index is not None and not 0 <= index < len(timeline):
            raise NoSuchSegment(f"there is no segment {index}: this stream has {len(timeline)}")
        return self._wait(stream, timeline, index, reader)

    def prepare(self, stream, timeline, index, reader=None):
        """Start making the stream from segment ``index`` for ``reader`` (a cast that
        starts there), unless it is cached or a job is on its way there."""
        with self._cond:
            if self._closed:
                raise ToolInterrupted("the app is stopping")
            if self.cache.get(stream.id, *cache_key(index)):
                return
            now = time.monotonic()
            jobs = self._jobs.get(stream.id, [])
            if not any(job.running and self._serves(job, index, now) for job in jobs):
                self._requests += 1
                self._start(stream, timeline, index, reader, self._requests, now + HOLD_SECONDS)

    def running(self):
        with self._cond:
            return [job for jobs in self._jobs.values() for job in jobs if job.running]

    def starting(self):
        """Whether a job has yet to make its first STARTING_SEGMENTS segments: a player
        waits for them (a start, a seek, the next item made ready)."""
        with self._cond:
            return any(
                job.running and job.stopped is None and job.next_index < job.start_index + STARTING_SEGMENTS
                for jobs in self._jobs.values()
                for job in jobs
            )

    def measures(self, stream):
        """What the stream's jobs measured (a :class:`Measures`), or None."""
        with self._cond:
            return self._measures.get(stream.id)

    def _serves(self, job, index, now):
        """Whether the live ``job`` will make ``index`` no later than a new ffmpeg would."""
        return job.stopped is None and worth_waiting(job, index, now, self._measures.get(job.stream.id))

    def _wait(self, stream, timeline, index, reader):
        """Path of segment ``index`` (None: the init segment), once made."""
        deadline = time.monotonic() + HOLD_SECONDS
        with self._cond:
            self._requests += 1
            request = self._requests
            while True:
                path = self.cache.get(stream.id, *cache_key(index))
                jobs = self._jobs.get(stream.id, [])
                now = time.monotonic()
                for job in jobs:
                    serves = index is not None and job.start_index <= index <= job.next_index
                    if job.reader == reader or serves:
                        job.last_read = now  # its player still reads: not idle
                    if serves:
                        job.asked = max(job.asked, index)  # how far its player is (pacing)
                        job.read_from = True
                if path is not None:
                    return path
                if self._closed:
                    raise ToolInterrupted("the app is stopping")
                # The init segment comes with any job's first segment. Each pass weighs the
                # jobs again by what they measured meanwhile.
                coming = [
                    job
                    for job in jobs
                    if job.running
                    and (self._serves(job, index, now) if index is not None else not job.init_done)
                    and job.stopped is None
                ]
                wanted = index if index is not None else 0
                failed = [self._failure(job, wanted, now) for job in jobs if not job.running]
                failure = next((error for error in failed if error), None)
                if coming:
                    for job in coming:
                        job.last_read = now
                        job.asked = max(job.asked, index if index is not None else job.start_index)
                        job.read_from = job.read_from or index is not None
                        job.request = max(job.request, request)
                        if job.waited_since is None:
                            job.waited_since = now
                        if job.paused:
                            self._pace(job)  # its player caught up: on at once
                elif failure:
                    raise failure
                else:
                    self._start(stream, timeline, wanted, reader, request, deadline)
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    what = "the init segment" if index is None else f"segment {index}"
                    raise ConversionSlow(
                        f"{what} is still being made after {HOLD_SECONDS:g} s; ask again",
                        retry_after=HOLD_RETRY_AFTER,
                    )
                self._cond.wait(min(remaining, 1.0))

    def _failure(self, job, index, now):
        """The error that answers a request for ``index`` after the ended ``job``, or
        None if a new job might make it; holds the lock."""
        if job.stopped == FILE_CHANGED:
            return Gone(FILE_CHANGED)
        if job.short is not None and index >= job.next_index:
            return ConversionFailed(job.short)
        beyond = job.until is not None and index > job.until  # past a probe's segment
        if job.stopped is not None or index < job.start_index or beyond:
            return None  # stopped by the app, or not its part: a new job does better
        if job.error is not None:
            # A file broken here: asking again at once would fail again. Far beyond, a new job may pass it.
            if job.retry or index > job.next_index + 1:
                return None
            if job.error == DISK_FULL:
                return CacheFull(NO_ROOM) if self._disk_full() else None
            if job.crashed:
                # Answered until the job is forgotten; then a new ffmpeg is tried.
                wait = max(1, math.ceil(ERRORS_KEPT - (now - job.ended_at)))
                return ConversionCrashed(
                    f"ffmpeg failed twice in a row converting this file (last: {job.error}); "
                    f"the server may be short of memory or overloaded: try again in {wait} s",
                    retry_after=wait,
                )
            return ConversionFailed(job.error)
        if index >= job.next_index:
            return ConversionFailed(f"the file ends before segment {index}: it may be truncated or damaged")
        return None  # made, then evicted from the cache

    # -- jobs ---------------------------------------------------------------

    def _start(self, stream, timeline, index, reader, request, deadline):
        """Start the stream's job at segment ``index`` for ``reader``'s ``request``, in
        place of the one it had (a seek), unless that one serves a newer request of the
        reader (this one was given up on); holds the lock."""
        if self._closed:
            raise ToolInterrupted("the app is stopping")
        until = index if self._probe(stream, index, reader) else None
        start_time = timeline.starts[index] if index > 0 or timeline.starts[0] > stream.start + 1e-6 else None
        length = (
            None
            if until is None
            else timeline.starts[until] + timeline.duration(until) - timeline.starts[index]
        )
        spec = stream.job(index, start_time, length)
        while True:
            # The reader's job elsewhere gives way (a seek), not to a probe. Waiting for room
            # releases the lock: another request of the reader may have started one
            # meanwhile, or the app begun to stop, or the lists changed.
            for old in self._jobs.get(stream.id, []) if until is None else []:
                if old.running and old.stopped is None and old.reader == reader:
                    if old.request > request:
                        # It serves the reader's newer request: this one was most likely
                        # given up on (a seek aborts the request under way). It waits for
                        # what comes, if anything, as long as requests are held.
                        return None
                    self._stop(old, "a seek restarted the conversion elsewhere")
            local = self._make_room(deadline, queue_for(spec))
            if self._closed:
                raise ToolInterrupted("the app is stopping")
            live = [job for job in self._jobs.get(stream.id, []) if job.running and job.stopped is None]
            now = time.monotonic()
            if any(self._serves(job, index, now) for job in live):
                return None  # started by another request while this one waited: it serves this one
            if until is not None or not any(job.reader == reader for job in live):
                break
        self._check_space()
        self._counter += 1
        folder = self.work / f"{self._counter}-{stream.id[:12]}"
        try:
            folder.mkdir(parents=True)
        except OSError as error:
            raise CacheFull(f"the conversion cache cannot be written: {error.strerror}") from None
        job = _Job(stream, timeline, index, folder, reader, until)
        job.request = request
        job.args = args = hls_command(spec, str(folder))
        try:
            if local:
                job.process = self._launcher.submit(spawn, self.ffmpeg.path, args, folder).result()
            else:
                job.process = self.runner.cluster.send(spec, folder)
        except ConversionUnavailable:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        except OSError as error:
            shutil.rmtree(folder, ignore_errors=True)
            raise Unavailable(f"ffmpeg could not be started: {error.strerror}") from None
        job.started = job.made_at = time.monotonic()
        # Ended jobs of the stream answer for it no longer: this one is its retry. Stopped
        # ones stay listed, and count against the limit, until their ffmpeg is gone.
        self._jobs[stream.id] = [old for old in self._jobs.get(stream.id, []) if old.running] + [job]
        job.watcher = threading.Thread(target=self._watch, args=(job,), name="conversion-job", daemon=True)
        job.watcher.start()
        log.info(
            "conversion %s of %s started at segment %d%s",
            stream.variant.token,
            stream.source,
            index,
            "" if until is None else " for it alone",
        )
        return job

    def _probe(self, stream, index, reader):
        """Whether a request for ``index`` that no job serves is the reader's probe: its
        job has been asked for its first segment and nothing past it, and there is room
        for one more; not when it reads on from a probe's segment (a seek there); holds
        the lock."""
        own = [job for job in self._jobs.get(stream.id, []) if job.reader == reader and job.running]
        if any(job.until is not None and index == job.until + 1 for job in self._jobs.get(stream.id, [])):
            return False
        # Stopped jobs are going: their room comes in a moment.
        running = sum(job.running and job.stopped is None for jobs in self._jobs.values() for job in jobs)
        young = [job for job in own if job.stopped is None and job.until is None]
        return running < self.max_jobs and any(
            job.read_from and job.asked == job.start_index < index - 1 for job in young
        )

    def _free(self, queue):
        """(How many more jobs of ``queue`` may start, whether here)."""
        jobs = [job for jobs in self._jobs.values() for job in jobs]
        if self.runner is None:
            return self.max_jobs - sum(job.running for job in jobs), True
        return self.runner.free(queue, jobs)

    def _make_room(self, deadline, queue):
        """Wait until a slot is free (here, or on the workers by their word), stopping a
        job nobody read from for a while; whether the job runs here; holds the lock
        (released while waiting)."""
        deadline = min(deadline, time.monotonic() + YIELD_WAIT)
        while True:
            free, local = self._free(queue)
            if local and not self.ffmpeg.available:
                raise ConversionUnavailable()
            if free > 0:
                return local
            # Only a job where this one would run gives it room.
            running = [
                job
                for jobs in self._jobs.values()
                for job in jobs
                if job.running and isinstance(job.process, CeleryRun) != local
            ]
            now = time.monotonic()
            idle = [job for job in running if job.stopped is None and now - job.last_read > YIELD_AFTER]
            if idle:
                self._stop(min(idle, key=lambda job: job.last_read), "it gave way to a newer conversion")
            elif all(job.stopped is None for job in running) or now > deadline:
                where = (
                    "this server makes at once (mediacaster.max_conversions)"
                    if local
                    else "the conversion workers make at once (their slots)"
                )
                raise ConversionBusy(
                    f"{len(running)} conversions are running, the most {where}; try again shortly",
                    retry_after=RETRY_AFTER,
                )
            self._cond.wait(0.2)  # a stopped job's watcher says when it is gone

    def _room(self):
        """The free space jobs keep on the cache's disk (None when it cannot be read)."""
        try:
            return min(MIN_FREE_BYTES, shutil.disk_usage(self.cache.folder).total // 4)
        except OSError:
            return None

    def _disk_full(self):
        room, free = self._room(), self.cache.free_bytes()
        return room is not None and free is not None and free < room

    def _make_space(self):
        """Evict the least recently used segments until the disk has the room jobs keep;
        whether it has it now."""
        return not self._disk_full() or self.cache.make_room(self._room())

    def _check_space(self):
        if not self._make_space():
            raise CacheFull(NO_ROOM)

    def _stop(self, job, why):
        """Kill a running job (its watcher waits for it); holds the lock."""
        job.stopped = why
        _kill(job.process)

    def _watch(self, job):
        """Move the job's finished segments into the cache until ffmpeg ends."""
        process = job.process
        reason = None
        try:
            while True:
                code = process.poll()
                self._harvest(job)
                if code is not None:
                    break
                time.sleep(POLL_SECONDS)
            self._harvest(job)
        except OSError as error:  # the cache's disk failed under the job
            _kill(process)
            code = process.wait()
            reason = (
                DISK_FULL if error.errno == errno.ENOSPC else f"the conversion cache failed: {error.strerror}"
            )
        crashed = False  # a fresh ffmpeg may make what this one did not
        if job.error is not None:  # a damaged segment: said already
            reason = job.error
        elif job.stalled is not None:
            reason, crashed = job.stalled, True
        elif code != 0 and job.stopped is None and reason is None:
            if code < 0:  # a signal not from the app: a crash, the out-of-memory killer, kill -9
                # (or its worker went away)
                reason, crashed = (
                    getattr(process, "lost", None) or f"ffmpeg was killed by {_signal_name(-code)}",
                    True,
                )
            else:
                reason = _last_line(job.folder / "ffmpeg.log", [*job.args, str(job.folder)])
                if "No space left" in reason:
                    reason = DISK_FULL
        shutil.rmtree(job.folder, ignore_errors=True)
        # A full disk: the cache gives way (the least recently used segments), and the job
        # is restarted if that made room.
        passing = crashed or (reason == DISK_FULL and self._make_space())
        with self._cond:
            now = time.monotonic()
            job.error, job.crashed = reason, crashed
            if passing:
                last = self._restarts.get(job.stream.id)
                job.retry = last is None or now - last > RESTART_WINDOW
                self._restarts[job.stream.id] = now
            lost = job.retry and reason is not None and reason == getattr(process, "lost", None)
            if reason is not None:
                then = "; sent again at once" if lost else "; a new ffmpeg goes on where its player asks next"
                log.warning(
                    "conversion of %s failed: %s%s", job.stream.source, reason, then if job.retry else ""
                )
            job.ended, job.ended_at = True, now
            self._cond.notify_all()
            if lost:
                self._resend(job, now)

    def _resend(self, job, now):
        """Start again, from its first missing segment, the job of a run whose worker went
        away, without waiting for its player to ask: the player reads on from what it
        holds meanwhile; holds the lock."""
        if job.until is not None or now - job.last_read > YIELD_AFTER or job.next_index >= len(job.timeline):
            return
        try:
            self._start(job.stream, job.timeline, job.next_index, job.reader, job.request, now + HOLD_SECONDS)
        except AppError as error:  # its player's next request tries again, and is answered
            log.warning("conversion of %s not sent again at once: %s", job.stream.source, error)

    def _harvest(self, job):
        try:
            names = os.listdir(job.folder)
        except OSError:
            return
        numbers = sorted(n for n in map(segment_index, names) if n is not None)
        # A probe's job reads past its segment, and ends with a part of the next one; past
        # the file's last segment ffmpeg may end with one of a padding frame, or none (FLAC
        # in fMP4 ends so, empty). Neither is kept.
        last = len(job.timeline) - 1 if job.until is None else min(job.until, len(job.timeline) - 1)
        numbers = [n for n in numbers if n <= last]
        if not numbers:
            return
        kind = job.stream.id
        expected = (job.stream.variant.video is not None) + (job.stream.variant.audio is not None)
        if (
            numbers[0] == job.start_index > 0
            and fragment_tracks(job.folder / segment_name(numbers[0])) < expected
        ):
            # A file whose header promises more than it holds (cut short): a job started
            # past its real end writes what is left of one stream. Not this stream's.
            with self._cond:
                job.short = f"the file ends before segment {numbers[0]}: it may be truncated or damaged"
                self._stop(job, job.short)
            return
        made = []
        for number in numbers:
            segment = job.folder / segment_name(number)
            # ffmpeg 5's HLS muxer ignores write errors: a full disk leaves empty or cut
            # segments (and init segment) behind an exit code of 0. Never cached.
            init = job.folder / INIT_NAME if not job.init_done and INIT_NAME in names else None
            if not segment_complete(segment) or (init is not None and not init_complete(init)):
                with self._cond:
                    job.error = DISK_FULL if self._disk_full() else f"ffmpeg wrote a damaged segment {number}"
                    _kill(job.process)  # failed, not stopped: asking again gets the error
                break
            if init is not None:
                # Written with the first segment, whole once it is. Every job writes the
                # same one: the first is kept.
                if self.cache.get(kind, *cache_key(None)) is None:
                    self.cache.adopt(kind, *cache_key(None), init)
                job.init_done = True
            self.cache.adopt(kind, *cache_key(number), segment)
            made.append(number)
        if not made:
            return
        if self._disk_full():
            # The cache gives way before ffmpeg meets a full disk, but not with what its
            # players are reading: that only once ffmpeg failed for want of space.
            self.cache.make_room(self._room(), spare=SPARE_SECONDS)
        with self._cond:
            job.progress_at, job.waited_since = time.monotonic(), None
            self._measure(job, made[-1], time.monotonic())
            job.next_index = max(job.next_index, made[-1] + 1)
            if job.until is not None and job.next_index > job.until and job.stopped is None:
                self._stop(job, PROBED)  # its segment is made: what it reads past it is not wanted
            self._cond.notify_all()

    def _measure(self, job, last, now):
        """The cost of the job's start once its first segment is made, then its speed
        from segment to segment (not across a pause); holds the lock."""
        measures = self._measures.get(job.stream.id) or Measures()
        self._measures[job.stream.id] = measures
        self._measures.move_to_end(job.stream.id)
        while len(self._measures) > MEASURES_KEPT:
            self._measures.popitem(last=False)
        if job.first_segment is None:
            job.first_segment = now - job.started
            measures.started(job.first_segment)
        elif job.made_at is not None and now > job.made_at and not job.paused:
            made = job.segment_end(last) - job.timeline.starts[job.next_index]
            speed = made / (now - job.made_at)
            job.speed = speed if job.speed is None else (job.speed + speed) / 2
            measures.made(speed)
        job.made_at = now

    def _reap(self):
        """Once a second: stop idle jobs and those whose file changed, pause jobs far
        ahead of their player (and resume them), forget old ended ones."""
        while True:
            time.sleep(1.0)
            with self._cond:
                if self._closed:
                    return
                live = [
                    job for jobs in self._jobs.values() for job in jobs if job.running and job.stopped is None
                ]
            changed = {id(job) for job in live if _changed(job.stream)}  # the NAS, outside the lock
            cpu = {id(job): cpu_seconds(job.process) for job in live}
            with self._cond:
                now = time.monotonic()
                for job in live:
                    if not job.running or job.stopped is not None or job.stalled is not None:
                        continue
                    if now - job.last_read > self.idle_timeout:
                        self._stop(job, "nobody was reading it")
                    elif id(job) in changed:
                        self._stop(job, FILE_CHANGED)
                    elif _stalled(job, cpu[id(job)], now):
                        # Killed as by a crash, not stopped: its player's next request restarts it.
                        job.stalled = f"ffmpeg made no progress for {STALL_SECONDS:g} s (stopped or hung)"
                        _kill(job.process)
                    else:
                        self._pace(job)
                self._forget_ended(now)

    def _forget_ended(self, now):
        """Drop jobs ended more than ``ERRORS_KEPT`` ago, and streams left with none; holds the lock."""
        for key, jobs in list(self._jobs.items()):
            jobs[:] = [job for job in jobs if job.running or now - job.ended_at <= ERRORS_KEPT]
            if not jobs:
                del self._jobs[key]
        for key, when in list(self._restarts.items()):
            if now - when > RESTART_WINDOW:
                del self._restarts[key]

    def _pace(self, job):
        starts = job.timeline.starts
        ahead = starts[min(job.next_index, len(starts) - 1)] - starts[min(job.asked, len(starts) - 1)]
        if ahead > PACE_AHEAD and not job.paused:
            job.paused = signal_process(job.process, signal.SIGSTOP)
        elif ahead <= PACE_AHEAD / 2 and job.paused:
            job.paused = not signal_process(job.process, signal.SIGCONT)
            if not job.paused:
                job.made_at = None  # the time to its next segment includes the pause: no speed
                job.progress_at = time.monotonic()  # a pause is no stall

    def close(self):
        """Kill every job, wait for them and their watchers, and remove their folders
        (the app is stopping)."""
        with self._cond:
            self._closed = True
            jobs = [job for jobs in self._jobs.values() for job in jobs]
            for job in jobs:
                if job.running:
                    self._stop(job, "the app is stopping")
            self._cond.notify_all()
        for job in jobs:
            if job.watcher is not None:
                job.watcher.join(timeout=5)
        self._launcher.shutdown(wait=True)
        shutil.rmtree(self.work, ignore_errors=True)


def _stalled(job, cpu, now):
    """Whether ``job`` was waited for ``STALL_SECONDS`` (more than a request is held:
    the first waiting request is answered ``ConversionSlow``), and made no segment
    and used no processor time (``cpu``: seconds so far) meanwhile; notes its progress."""
    if cpu is not None and cpu != job.cpu:
        job.cpu, job.progress_at = cpu, now
    if job.waited_since is None or job.paused or now - job.last_read > STALL_SECONDS:
        return False  # nobody waits for it now
    return now - max(job.progress_at, job.waited_since) > STALL_SECONDS


def _signal_name(number):
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def _kill(process):
    signal_process(process, signal.SIGKILL)


def _changed(stream):
    try:
        st = os.stat(stream.source)
    except OSError:
        return True
    return (st.st_size, st.st_mtime_ns) != (stream.size, stream.mtime_ns)


def _last_line(log_path, args):
    try:
        lines = log_path.read_bytes().decode(errors="replace").strip().splitlines()
    except OSError:
        lines = []
    if not lines:
        return "ffmpeg failed"
    return without_paths(lines[-1], args)

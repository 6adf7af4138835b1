"""The conversion service: streams, their timelines and playlists, and their segments.

It knows files and probes, never HTTP: the playback layer asks it for a
:class:`~mediacaster.services.conversion.streams.Stream` of a file, the views
for the playlist (with the URLs they build) and, through :meth:`ConversionService.open`,
for a segment by the name its URL ends with.
"""

import json
import logging
import threading
import time
from collections import OrderedDict
from pathlib import Path

from mediacaster.services.conversion import manifests
from mediacaster.services.conversion.cluster import CeleryRunner
from mediacaster.services.conversion.errors import ConversionFailed, ConversionSlow, NoSuchSegment
from mediacaster.services.conversion.jobs import JobManager
from mediacaster.services.conversion.keyframes import read_keyframes
from mediacaster.services.conversion.names import INIT_NAME, segment_index
from mediacaster.services.conversion.streams import Stream
from mediacaster.services.conversion.timeline import FIRST_SECONDS, Timeline, fixed, from_keyframes
from mediacaster.services.ffmpeg import ToolFailed, ToolTimeout

log = logging.getLogger(__name__)
TIMELINES_KEPT = 64  # in memory; all of them on disk
FAILURES_KEPT = 60.0
HERE = "this server"  # the app's machine, as a worker


class ConversionService:
    def __init__(
        self, ffmpeg, ffprobe, cache, max_jobs, idle_timeout, encoder="software", cluster=None, fallback=True
    ):
        """``cluster``: a :class:`~.cluster.Cluster` whose workers run the jobs (None: here);
        ``fallback``: whether jobs run here when no worker is live."""
        self.ffmpeg = ffmpeg
        self.ffprobe = ffprobe
        self.cache = cache
        self.encoder = encoder
        self.cluster = cluster
        runner = None if cluster is None else CeleryRunner(cluster, max_jobs if fallback else 0)
        self.jobs = JobManager(ffmpeg, cache, max_jobs, idle_timeout, runner)
        self._timelines = OrderedDict()
        self._reads = {}  # file -> the lock of its keyframe read
        self._failures = {}  # file -> (when, why) its keyframes could not be read
        self._lock = threading.Lock()

    @property
    def available(self):
        return (self.ffmpeg.available or self.cluster is not None) and self.ffprobe.available

    def stream(self, path, size, mtime_ns, probe, variant):
        return Stream.of(path, size, mtime_ns, probe, variant, self.encoder)

    def timeline(self, stream):
        """Where the stream's segments start; for copied video, read once from its keyframes."""
        with self._lock:
            timeline = self._timelines.get(stream.id)
            if timeline is not None:
                self._timelines.move_to_end(stream.id)
                return timeline
        cached = self.cache.get(stream.id, "timeline", ".json")
        timeline = None
        if cached is not None:
            try:
                data = json.loads(cached.read_bytes())
                timeline = Timeline(tuple(data["starts"]), data["end"])
            except (OSError, ValueError, KeyError):
                timeline = None
        if timeline is None:
            timeline = self._make_timeline(stream)
            data = json.dumps({"starts": timeline.starts, "end": timeline.end}).encode()
            try:
                self.cache.put_bytes(stream.id, "timeline", ".json", data)
            except OSError as error:  # kept in memory only; segments will say if the disk is full
                log.warning("the timeline of %s was not cached: %s", stream.source, error)
        with self._lock:
            self._timelines[stream.id] = timeline
            while len(self._timelines) > TIMELINES_KEPT:
                self._timelines.popitem(last=False)
        return timeline

    def _make_timeline(self, stream):
        if stream.variant.video == "copy":
            timeline = from_keyframes(self.keyframes(stream), stream.end)
        elif stream.variant.video:
            timeline = fixed(stream.video_start, stream.end, stream.fps, first=FIRST_SECONDS)
        else:
            timeline = fixed(stream.start, stream.end)
        if not timeline.starts:
            raise ConversionFailed("no picture to cut into segments was found in the file")
        return timeline

    def keyframes(self, stream):
        """The keyframes of the stream's video, read once per file version (one read at a
        time per file; a failure is remembered for a minute, not read again at once)."""
        key = f"{stream.source}\0{stream.size}\0{stream.mtime_ns}\0{stream.video_index}"
        with self._lock:
            lock = self._reads.setdefault(key, threading.Lock())
        with lock:
            cached = self.cache.get("keyframes", key, ".json")
            if cached is not None:
                try:
                    return json.loads(cached.read_bytes())
                except (OSError, ValueError):
                    pass
            failed = self._failures.get(key)
            if failed and time.monotonic() - failed[0] < FAILURES_KEPT:
                raise ConversionFailed(failed[1])
            try:
                keyframes = read_keyframes(self.ffprobe, stream.source, stream.video_index)
            except (ToolFailed, ToolTimeout) as error:
                reason = f"its keyframes could not be read: {error}"
                self._failures[key] = (time.monotonic(), reason)
                raise ConversionFailed(reason) from None
            finally:
                with self._lock:
                    self._reads.pop(key, None)
            try:
                self.cache.put_bytes("keyframes", key, ".json", json.dumps(keyframes).encode())
            except OSError as error:
                log.warning("the keyframes of %s were not cached: %s", stream.source, error)
            return keyframes

    def playlist(self, stream, init_uri, segment_uri):
        return self.timeline(stream).playlist(init_uri, segment_uri)

    def mpd(self, stream, probe, init_uri, segment_uri):
        """The DASH MPD of the same segments as :meth:`playlist`."""
        return manifests.mpd(self.timeline(stream), stream, probe, init_uri, segment_uri)

    def open(self, stream, name, reader=None):
        """The segment of ``stream`` that a URL names (``init.mp4``, ``0.m4s``…), open for
        reading: from the cache, else once a job made it. ``reader`` names who asks (a
        player's address). A segment evicted between its making and its opening (a
        small cache, a full disk) is made again, once."""
        if name == INIT_NAME:
            index = None
        else:
            index = segment_index(name)
            if index is None:
                raise NoSuchSegment(f"{name!r} is not a segment's name")
        timeline = self.timeline(stream)
        for _ in range(2):
            path = self.jobs.path(stream, timeline, index, reader)
            try:
                return open(path, "rb")  # the caller owns and closes it
            except OSError:
                pass
        # Made twice and evicted twice before it was read: the disk is all but full.
        raise ConversionSlow(
            f"{name} was removed from the cache as soon as it was made; ask again", retry_after=1
        )

    def prepare(self, stream, position, reader=None):
        """Start making ``stream`` from ``position`` seconds in (a cast that starts there)."""
        timeline = self.timeline(stream)
        self.jobs.prepare(stream, timeline, timeline.index_at(position), reader)

    def overview(self):
        """The workers (name, encoders, slots, running jobs, media seconds made per second)
        and the running conversions (file, variant, segment, worker), for administrators;
        this machine is a worker under ``local``, or when it runs jobs in the workers' place."""
        jobs = [job for job in self.jobs.running() if job.stopped is None]
        conversions = [
            {
                "file": Path(job.stream.source).name,
                "variant": job.stream.variant.token,
                "segment": job.next_index,
                "worker": getattr(job.process, "worker", None) or HERE,
            }
            for job in jobs
        ]
        workers = [] if self.cluster is None else self.cluster.workers()
        if self.cluster is None or any(c["worker"] == HERE for c in conversions):
            workers.append({"name": HERE, "encoders": [self.encoder], "slots": self.jobs.max_jobs})
        listed = []
        for worker in workers:
            mine = [job for job, c in zip(jobs, conversions, strict=True) if c["worker"] == worker["name"]]
            # A worker's runs by its own word (its runs for another app too); this server's, the app's.
            running = len(worker["runs"]) if "runs" in worker else len(mine)
            slots = worker.get("slots", 0)
            listed.append(
                {
                    "name": worker["name"],
                    "encoders": list(worker.get("encoders", ())),
                    "slots": slots,
                    "running": running,
                    "free": max(0, slots - running),
                    "speed": round(sum(job.speed or 0.0 for job in mine), 2),
                }
            )
        backend = "local" if self.cluster is None else "celery"
        return {"backend": backend, "workers": listed, "conversions": conversions}

    def health(self):
        """The conversions' part of /healthz: the backend, and under Celery whether its
        broker answers and how many workers are live."""
        if self.cluster is None:
            return {"backend": "local"}
        reachable = self.cluster.reachable()
        workers = len(self.cluster.workers()) if reachable else 0
        return {"backend": "celery", "broker": {"reachable": reachable}, "workers": workers}

    def close(self):
        self.jobs.close()
        if self.cluster is not None:
            self.cluster.close()

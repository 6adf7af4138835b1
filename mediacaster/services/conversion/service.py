"""The conversion service: streams, their timelines and playlists, and their segments.

It knows files and probes, never HTTP: the playback layer asks it for a
:class:`~mediacaster.services.conversion.streams.Stream` of a file, the views
for the playlist (with the URLs they build) and the segments' paths.
"""

import json
import threading
from collections import OrderedDict

from mediacaster.services.conversion.jobs import ConversionFailed, JobManager
from mediacaster.services.conversion.keyframes import read_keyframes
from mediacaster.services.conversion.streams import Stream
from mediacaster.services.conversion.timeline import Timeline, fixed, from_keyframes
from mediacaster.services.ffmpeg import ToolFailed, ToolTimeout

TIMELINES_KEPT = 64  # in memory; all of them on disk


class ConversionService:
    def __init__(self, ffmpeg, ffprobe, cache, max_jobs, idle_timeout, encoder="software"):
        self.ffmpeg = ffmpeg
        self.ffprobe = ffprobe
        self.cache = cache
        self.encoder = encoder
        self.jobs = JobManager(ffmpeg, cache, max_jobs, idle_timeout)
        self._timelines = OrderedDict()
        self._lock = threading.Lock()

    @property
    def available(self):
        return self.ffmpeg.available and self.ffprobe.available

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
            self.cache.put_bytes(stream.id, "timeline", ".json", data)
        with self._lock:
            self._timelines[stream.id] = timeline
            while len(self._timelines) > TIMELINES_KEPT:
                self._timelines.popitem(last=False)
        return timeline

    def _make_timeline(self, stream):
        if stream.variant.video == "copy":
            try:
                keyframes = read_keyframes(self.ffprobe, stream.source, stream.video_index)
            except (ToolFailed, ToolTimeout) as error:
                raise ConversionFailed(f"its keyframes could not be read: {error}") from None
            timeline = from_keyframes(keyframes, stream.end)
        elif stream.variant.video:
            timeline = fixed(stream.video_start, stream.end, stream.fps)
        else:
            timeline = fixed(stream.start, stream.end)
        if not timeline.starts:
            raise ConversionFailed("no picture to cut into segments was found in the file")
        return timeline

    def playlist(self, stream, init_uri, segment_uri):
        return self.timeline(stream).playlist(init_uri, segment_uri)

    def init(self, stream, reader=None):
        """Path of the stream's init segment; ``reader`` names who asks (a player's address)."""
        return self.jobs.init(stream, self.timeline(stream), reader)

    def segment(self, stream, index, reader=None):
        return self.jobs.segment(stream, self.timeline(stream), index, reader)

    def prepare(self, stream, position, reader=None):
        """Start making ``stream`` from ``position`` seconds in (a cast that starts there)."""
        timeline = self.timeline(stream)
        self.jobs.prepare(stream, timeline, timeline.index_at(position), reader)

    def close(self):
        self.jobs.close()

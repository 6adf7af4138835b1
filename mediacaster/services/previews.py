"""Seek previews: small pictures of a video every few seconds, on sheets of tiles.

A player shows the picture of the place the pointer is over on its seek bar.
ffmpeg makes them once per version of a file, at a low priority on one thread,
decoding the keyframes only (``-skip_frame nokey``: a fraction of the cost of
decoding every frame), one picture every :attr:`Layout.interval` seconds,
:data:`WIDTH` pixels wide, ``COLUMNS`` x ``ROWS`` to a JPEG sheet. The sheets
go to a disk cache of their own (its budget is ``mediacaster.previews_cache_mb``);
a set is whole when its last file, a small record of its sheets, is there.

Where each picture is depends only on the file's length and shape, so the
WebVTT track (``#xywh=`` cues) and the DASH image adaptation set are written
before the sheets exist: a sheet asked for meanwhile waits for them. A file
whose previews cannot be made is remembered, and players are offered none.
"""

import concurrent.futures
import contextlib
import hashlib
import json
import logging
import math
import os
import re
import shutil
import stat
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from mediacaster.errors import Gone, NotFound, Unavailable
from mediacaster.services.ffmpeg import PAUSE_CHECK, ToolFailed, ToolTimeout

log = logging.getLogger(__name__)

WIDTH = 160  # pixels, of one picture; its height keeps the picture's shape
COLUMNS, ROWS = 10, 10
MAX_INTERVAL = 10  # seconds between pictures, for a film
NICENESS = 10  # below the conversions that players wait for
# Seconds a set waits at most, before its ffmpeg starts, for the conversions whose first
# segments a player waits for (its ffmpeg is stopped while one does): niced, its decoding
# still cost a cold film's first frame 0.7 s of its 3.6 s (two cores).
YIELD_AT_MOST = 15.0
KIND = "previews"  # the disk cache's folder
# A keyframe can be this far before the end of a file: the last one is held this long
# so that every picture the layout promises is made.
TAIL_SECONDS = 30
VTT_NAME = "thumbnails.vtt"
SHEET_NAME = re.compile(r"^([0-9a-f]{12})-([0-9]{1,6})\.jpg$")
REMEMBERED_FAILURES = 1000


class PreviewsUnavailable(NotFound):
    """This file has no seek previews; the message says why."""

    code = "no_previews"


class PreviewsNotReady(Unavailable):
    """The file's seek previews are being made: a player asks again after Retry-After."""

    code = "previews_not_ready"
    default_retry_after = 15


@dataclass(frozen=True)
class Layout:
    """Where each picture of a file is: ``count`` pictures, one every ``interval``
    seconds, each ``width`` x ``height``, ``columns`` x ``rows`` to a sheet."""

    duration: float
    interval: int
    width: int
    height: int
    columns: int = COLUMNS
    rows: int = ROWS

    @classmethod
    def of(cls, probe):
        """The layout for a probed video, or :class:`PreviewsUnavailable`."""
        if not probe or not probe.get("ok"):
            raise PreviewsUnavailable("the file could not be read")
        video, duration = probe.get("video") or {}, probe.get("duration") or 0
        if not video.get("width") or not video.get("height"):
            raise PreviewsUnavailable("the file has no picture")
        if duration <= 0:
            raise PreviewsUnavailable("the file's length is not known")
        # About a hundred pictures for a short clip, one every ten seconds for a film.
        interval = min(MAX_INTERVAL, max(1, round(duration / 60)))
        height = max(2, round(WIDTH * video["height"] / video["width"] / 2) * 2)
        return cls(duration, interval, WIDTH, height)

    @property
    def count(self):
        return math.ceil(self.duration / self.interval)

    @property
    def per_sheet(self):
        return self.columns * self.rows

    @property
    def sheets(self):
        return math.ceil(self.count / self.per_sheet)

    @property
    def sheet_seconds(self):
        return self.interval * self.per_sheet

    @property
    def tile(self):
        """``CxR``, as DASH's thumbnail_tile property writes it."""
        return f"{self.columns}x{self.rows}"

    def cues(self):
        """``(start, end, sheet, x, y)`` of each picture, in seconds and pixels."""
        for index in range(self.count):
            sheet, place = divmod(index, self.per_sheet)
            row, column = divmod(place, self.columns)
            start = index * self.interval
            end = min(self.duration, start + self.interval)
            yield start, end, sheet, column * self.width, row * self.height

    def filters(self):
        """ffmpeg's filters from the keyframes to the sheets."""
        return ",".join(
            [
                f"tpad=stop_mode=clone:stop_duration={TAIL_SECONDS + self.interval}",
                f"fps=1/{self.interval}",
                f"trim=end_frame={self.count}",
                f"scale={self.width}:{self.height}",
                f"tile={self.tile}",
            ]
        )


@dataclass(frozen=True)
class Previews:
    """The previews of one version of a file (``tag``: a short name of that version)."""

    path: str
    version: str
    layout: Layout

    @property
    def tag(self):
        return hashlib.sha1(self.version.encode("utf-8", "surrogateescape")).hexdigest()[:12]

    def sheet_name(self, index):
        return f"{self.tag}-{index}.jpg"

    def sheet_index(self, name):
        """The sheet a URL's last part names: NotFound, or Gone when it is of another version."""
        match = SHEET_NAME.match(name)
        if not match:
            raise NotFound(f"{name!r} is not a part of the seek previews: {VTT_NAME} or a sheet")
        if match.group(1) != self.tag:
            raise Gone("the file changed since its previews were listed: load it again")
        index = int(match.group(2))
        if index >= self.layout.sheets:
            raise NotFound(f"the previews of this file have {self.layout.sheets} sheets")
        return index

    def vtt(self, sheet_url):
        """The WebVTT track of the pictures; ``sheet_url(index)``: a sheet's URL."""
        lines = ["WEBVTT", ""]
        width, height = self.layout.width, self.layout.height
        for start, end, sheet, x, y in self.layout.cues():
            lines += [
                f"{_timestamp(start)} --> {_timestamp(end)}",
                f"{sheet_url(sheet)}#xywh={x},{y},{width},{height}",
                "",
            ]
        return "\n".join(lines)


def _timestamp(seconds):
    millis = round(seconds * 1000)
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    return f"{hours:02}:{minutes:02}:{millis // 1000:02}.{millis % 1000:03}"


class PreviewService:
    """Makes seek previews in the background, one file at a time, and finds them."""

    def __init__(self, cache, ffmpeg, enabled=True, niceness=NICENESS, yield_to=None):
        self.cache = cache  # a DiskCache of its own: its budget is the previews'
        self.ffmpeg = ffmpeg  # a Tool
        self.enabled = enabled
        self.niceness = niceness
        # () -> whether a player waits for work that comes first (a conversion's start)
        self.yield_to = yield_to or (lambda: False)
        self._jobs = {}  # version -> Future of the run making its sheets
        self._failed = {}  # version -> why its previews cannot be made
        self._lock = threading.Lock()
        self._pool = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="previews")

    def find(self, path, probe):
        """The previews of the video at ``path`` (made or not), or :class:`PreviewsUnavailable`."""
        if not self.enabled:
            raise PreviewsUnavailable("seek previews are turned off (mediacaster.previews)")
        if not self.ffmpeg.available:
            raise PreviewsUnavailable("ffmpeg is not installed: no seek previews")
        layout = Layout.of(probe)
        try:
            st = os.stat(path)
        except OSError:
            raise PreviewsUnavailable("the file is gone") from None
        if not stat.S_ISREG(st.st_mode):
            raise PreviewsUnavailable("not a regular file")
        previews = Previews(path, f"{path}\0{st.st_size}\0{st.st_mtime_ns}\0{layout}", layout)
        with self._lock:
            failed = self._failed.get(previews.version)
        if failed is not None:
            raise PreviewsUnavailable(f"no seek previews could be made: {failed}")
        return previews

    def sheets(self, previews):
        """The paths of the sheets when the whole set is in the cache, else None."""
        record = self.cache.read_bytes(KIND, previews.version, ".json")
        if record is None:
            return None
        found = [
            self.cache.get(KIND, f"{previews.version}\0{index}", ".jpg")
            for index in range(previews.layout.sheets)
        ]
        return None if None in found else found

    def start(self, previews):
        """Make the previews in the background unless they are made or being made: a Future."""
        with self._lock:
            job = self._jobs.get(previews.version)
            if job is None:
                job = self._jobs[previews.version] = self._pool.submit(self._make, previews)
        return job

    def sheet(self, previews, index, timeout):
        """Path of sheet ``index``, made first if need be (waiting ``timeout`` seconds at most)."""
        found = self.sheets(previews)
        if found is None:
            try:
                found = self.start(previews).result(timeout)
            except concurrent.futures.TimeoutError:
                raise PreviewsNotReady("the seek previews are still being made: ask again soon") from None
        return found[index]

    def _make(self, previews):
        try:
            found = self.sheets(previews) or self.make(previews)
        except Exception as error:
            reason = error.reason if isinstance(error, ToolFailed) else str(error)
            log.warning("no seek previews for %s: %s", os.path.basename(previews.path), reason)
            with self._lock:
                if len(self._failed) >= REMEMBERED_FAILURES:
                    self._failed.pop(next(iter(self._failed)))
                self._failed[previews.version] = reason
            raise PreviewsUnavailable(f"no seek previews could be made: {reason}") from None
        finally:
            with self._lock:
                self._jobs.pop(previews.version, None)
        return found

    def make(self, previews):
        """Run ffmpeg for the sheets now, and keep them in the cache; their paths."""
        layout = previews.layout
        work = self.cache.folder / ".previews-work"  # a dot: not the cache's until adopted
        work.mkdir(parents=True, exist_ok=True)
        folder = Path(tempfile.mkdtemp(dir=work))
        try:
            args = ["-nostdin", "-loglevel", "error", "-y", "-threads", "1", "-skip_frame", "nokey"]
            args += ["-an", "-sn", "-dn", "-i", previews.path, "-map", "0:v:0", "-filter_threads", "1"]
            args += ["-vf", layout.filters(), "-q:v", "5", "-start_number", "0", "-f", "image2"]
            # Decoding keyframes only, a film is read many times faster than it plays.
            timeout = 60 + layout.duration / 4
            self._yield()
            try:
                self.ffmpeg.run(
                    [*args, str(folder / "%d.jpg")],
                    timeout,
                    niceness=self.niceness,
                    pause_while=self.yield_to,
                )
            except ToolTimeout:
                raise PreviewsUnavailable(f"making them took longer than {timeout:g} s") from None
            made = [folder / f"{index}.jpg" for index in range(layout.sheets)]
            missing = [path.name for path in made if not path.is_file()]
            if missing:
                raise PreviewsUnavailable(
                    f"ffmpeg made {layout.sheets - len(missing)} of {layout.sheets} sheets"
                )
            found = [
                self.cache.adopt(KIND, f"{previews.version}\0{index}", ".jpg", path)
                for index, path in enumerate(made)
            ]
            record = {"sheets": layout.sheets, "tile": layout.tile, "interval": layout.interval}
            self.cache.put_bytes(KIND, previews.version, ".json", json.dumps(record).encode())
            return found
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def _yield(self):
        """Wait, up to YIELD_AT_MOST seconds, while a player waits for what comes first."""
        deadline = time.monotonic() + YIELD_AT_MOST
        while self.yield_to() and time.monotonic() < deadline:
            time.sleep(PAUSE_CHECK)

    def close(self):
        """Forget the runs not started; the one running ends with ffmpeg (closed apart)."""
        with contextlib.suppress(Exception):
            self._pool.shutdown(wait=False, cancel_futures=True)

"""Know the media: ffprobe reads each file once, in the background, cached in Redis.

Results are keyed by path, size and modification time, so a changed file is
read again. ffprobe runs with a time limit and is killed when it overruns;
without ffprobe installed the app runs and says what it cannot show.
"""

import hashlib
import itertools
import json
import logging
import os
import re
import threading
from concurrent.futures import ThreadPoolExecutor

import orjson
import redis

from mediacaster.services.ffmpeg import Tool, ToolFailed, ToolInterrupted, ToolTimeout

log = logging.getLogger(__name__)

CACHE_TTL = 90 * 24 * 3600
# A file that took too long to read is tried again after this long: the NAS
# may just have been busy.
TIMEOUT_TTL = 3600
# Probes kept decoded in this process, besides Redis: a file version's probe
# never changes, and a 10,000-file folder would otherwise fetch and decode
# 10,000 of them on every listing. About 3.5 KB each: at most 70 MB.
MEMO_SIZE = 20_000
# ffprobe's field_order values of interlaced video (progressive, unknown: not).
INTERLACED = {"tt", "bb", "tb", "bt"}
TEXT_SUBTITLES = {"subrip", "ass", "ssa", "mov_text", "webvtt", "text"}
IMAGE_FORMATS = {"image2", "png_pipe", "jpeg_pipe", "webp_pipe", "gif", "bmp_pipe", "gif_pipe"}
# ffprobe's format names, as the containers people know.
CONTAINERS = {
    "mpegts": "mpegts",
    "mp3": "mp3",
    "ogg": "ogg",
    "wav": "wav",
    "flac": "flac",
    "aac": "aac",
    "avi": "avi",
    "hls": "hls",
    "dash": "dash",
}
CONTAINER_TYPES = {
    "mp4": "video/mp4",
    "mov": "video/quicktime",
    "webm": "video/webm",
    "matroska": "video/x-matroska",
    "mpegts": "video/mp2t",
    "mp3": "audio/mpeg",
    "ogg": "audio/ogg",
    "wav": "audio/wav",
    "flac": "audio/flac",
    "aac": "audio/aac",
    "avi": "video/x-msvideo",
}


# Bumped when parse() keeps new fields: probes cached before are read again.
PARSE_VERSION = 3


def cache_key(path, size, mtime_ns):
    text = f"{PARSE_VERSION}\0{path}\0{size}\0{mtime_ns}"
    digest = hashlib.sha1(text.encode("utf-8", "surrogateescape")).hexdigest()
    return f"mediacaster:probe:{digest}"


def _number(value):
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _whole(value):
    number = _number(value)
    return int(number) if number is not None else None


def _bit_depth(stream):
    """Bits per sample of a video stream: from ffprobe's field, else its pixel format's name."""
    depth = _whole(stream.get("bits_per_raw_sample"))
    if depth:
        return depth
    match = re.search(r"p(9|10|12|14|16)(le|be)$", stream.get("pix_fmt") or "")
    return int(match.group(1)) if match else 8


def _rate(value):
    try:
        top, bottom = (int(x) for x in str(value).split("/"))
        return round(top / bottom, 3) if bottom else None
    except ValueError:
        return None


def container_of(format_name, streams, name):
    """mp4, mov, webm, matroska, mpegts, mp3, ... from ffprobe's format name."""
    names = format_name.split(",")
    if "mov" in names and "mp4" in names:
        return "mov" if name.lower().endswith(".mov") else "mp4"
    if "matroska" in names:
        codecs = {s.get("codec_name") for s in streams}
        webm_only = codecs <= {"vp8", "vp9", "av1", "opus", "vorbis", "webvtt", None}
        return "webm" if webm_only and not name.lower().endswith(".mkv") else "matroska"
    if set(names) & IMAGE_FORMATS:
        return "image"
    return CONTAINERS.get(names[0], names[0])


def parse(data, name):
    """The fields mediacaster uses, from ``ffprobe -show_format -show_streams`` JSON."""
    streams = data.get("streams", [])
    fmt = data.get("format", {})
    tags = {k.lower(): v for k, v in (fmt.get("tags") or {}).items()}
    video, audio, subtitles, picture = None, [], [], False
    for stream in streams:
        kind = stream.get("codec_type")
        disposition = stream.get("disposition") or {}
        stream_tags = {k.lower(): v for k, v in (stream.get("tags") or {}).items()}
        if kind == "video" and disposition.get("attached_pic"):
            picture = True
        elif kind == "video" and video is None:
            codec = stream.get("codec_name")
            video = {
                "index": stream.get("index"),
                "codec": codec,
                "profile": stream.get("profile"),
                "level": _level(codec, stream.get("level")),
                "width": stream.get("width"),
                "height": stream.get("height"),
                "fps": _rate(stream.get("avg_frame_rate")) or _rate(stream.get("r_frame_rate")),
                "pix_fmt": stream.get("pix_fmt"),
                "bit_depth": _bit_depth(stream),
                "interlaced": stream.get("field_order") in INTERLACED,
                "bit_rate": _whole(stream.get("bit_rate")),
                "start_time": _number(stream.get("start_time")),
            }
        elif kind == "audio":
            audio.append(
                {
                    "index": stream.get("index"),
                    "codec": stream.get("codec_name"),
                    "profile": stream.get("profile"),
                    "channels": stream.get("channels"),
                    "sample_rate": _whole(stream.get("sample_rate")),
                    "language": stream_tags.get("language"),
                    "title": stream_tags.get("title"),
                    "default": bool(disposition.get("default")),
                }
            )
        elif kind == "subtitle":
            subtitles.append(
                {
                    "index": stream.get("index"),
                    "codec": stream.get("codec_name"),
                    "language": stream_tags.get("language"),
                    "title": stream_tags.get("title"),
                    "text": stream.get("codec_name") in TEXT_SUBTITLES,
                }
            )
    container = container_of(fmt.get("format_name", ""), streams, name)
    if container == "image":
        video = None
    return {
        "ok": True,
        "container": container,
        "content_type": CONTAINER_TYPES.get(container),
        "duration": _number(fmt.get("duration")),
        # Where the file's clock starts (MPEG-TS recordings start anywhere): conversions
        # keep the source's timestamps and seek relative to it.
        "start_time": _number(fmt.get("start_time")) or 0.0,
        "bit_rate": _whole(fmt.get("bit_rate")),
        "video": video,
        "audio": audio,
        "subtitles": subtitles,
        "picture": picture,
        "width": (video or {}).get("width") or _first(streams, "width"),
        "height": (video or {}).get("height") or _first(streams, "height"),
        "tags": {key: tags[key] for key in ("title", "artist", "album") if tags.get(key)},
    }


def _level(codec, level):
    """ffprobe gives H.264 levels times ten (41 for 4.1) and HEVC's times thirty."""
    if level in (None, -99):
        return None
    return {"h264": level / 10, "hevc": level / 30}.get(codec, level)


def _loads(value):
    """A cached probe: orjson reads the 10,000 probes of a big folder's first listing
    about three times as fast as the standard library, which reads what it refuses
    (a name that is not UTF-8, kept as lone surrogates)."""
    try:
        return orjson.loads(value)
    except orjson.JSONDecodeError:
        return json.loads(value)


def _first(streams, key):
    return next((s[key] for s in streams if s.get(key)), None)


class ProbeService:
    def __init__(self, redis_client, ffprobe=None, workers=2, timeout=20.0):
        self.redis = redis_client
        self.timeout = timeout
        self.ffprobe = ffprobe or Tool("ffprobe")
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="probe")
        self._pending = set()
        self._lock = threading.Lock()
        # (path, size, mtime_ns) -> probe, oldest first; dict operations are
        # atomic under CPython's GIL, and a lost race only reads a file twice.
        self._memo = {}

    @property
    def available(self):
        return self.ffprobe.available

    def state(self):
        with self._lock:
            pending = len(self._pending)
        return {
            "available": self.available,
            "detail": None
            if self.available
            else "ffprobe is not installed: durations, resolutions "
            "and will-it-play verdicts are not shown (install Debian's ffmpeg package)",
            "pending": pending,
        }

    def close(self):
        """Stop the background probes: queued ones are dropped, running ones end as
        soon as their ffprobe is stopped (stop the Tool first)."""
        self._pool.shutdown(wait=True, cancel_futures=True)

    # -- the cache ---------------------------------------------------------
    # A file is named by (path, size, mtime_ns): a changed file is a new key.

    def cached_many(self, files):
        """``{(path, size, mtime_ns): probe}`` for the files already probed."""
        memo, found, missing = self._memo, {}, []
        for file in files:
            probe = memo.get(file)
            if probe is None:
                missing.append(file)
            else:
                found[file] = probe
        if not missing:
            return found
        try:
            values = self.redis.mget([cache_key(*f) for f in missing])
        except redis.RedisError:
            return found
        for file, value in zip(missing, values, strict=True):
            if value:
                found[file] = self._remember(file, _loads(value))
        return found

    def _remember(self, file, result):
        memo = self._memo
        if len(memo) >= MEMO_SIZE:
            for old in list(itertools.islice(memo, MEMO_SIZE // 10)):
                memo.pop(old, None)
        memo[file] = result
        return result

    def _store(self, file, result, ttl=CACHE_TTL):
        try:
            self.redis.set(cache_key(*file), json.dumps(result), ex=ttl)
        except redis.RedisError as error:
            log.warning("probe cache unavailable: %s", error)
            return
        if ttl == CACHE_TTL:  # what is kept only for a while is not kept here
            self._remember(file, result)

    # -- probing -----------------------------------------------------------

    def schedule(self, path, size, mtime_ns):
        """Probe in the background, once; returns whether it is (now) pending."""
        if not self.available:
            return False
        file = (path, size, mtime_ns)
        with self._lock:
            if file in self._pending:
                return True
            self._pending.add(file)
        self._pool.submit(self._probe_unless_cached, file)
        return True

    def _probe_unless_cached(self, file):
        # A listing that found no probe may ask for one just after the worker that
        # made it has finished: that file is not read twice.
        if self.cached_many([file]):
            with self._lock:
                self._pending.discard(file)
            return
        self._probe_and_store(file)

    def probe(self, path, size, mtime_ns):
        """Probe now (or from the cache); None without ffprobe."""
        if not self.available:
            return None
        file = (path, size, mtime_ns)
        cached = self.cached_many([file])
        if cached:
            return cached[file]
        return self._probe_and_store(file)

    def _probe_and_store(self, file):
        """Read the file and keep what was learnt; None when the app stopped the read."""
        path, size, _ = file
        try:
            try:
                result, ttl = self.run(path, size), CACHE_TTL
            except ToolTimeout:
                result = {"ok": False, "error": f"reading it took longer than {self.timeout:g} s"}
                ttl = TIMEOUT_TTL
            self._store(file, result, ttl)
            return result
        except ToolInterrupted:
            return None  # nothing was learnt about the file
        except Exception:  # a worker must never die of one bad file
            log.exception("probing %s failed", path)
            return {"ok": False, "error": "the file could not be read"}
        finally:
            with self._lock:
                self._pending.discard(file)

    def run(self, path, size):
        if size == 0:
            return {"ok": False, "error": "the file is empty"}
        args = ["-v", "error", "-print_format", "json", "-show_format", "-show_streams", path]
        try:
            output = self.ffprobe.run(args, self.timeout)
        except ToolFailed as failure:
            return {"ok": False, "error": f"not readable as media ({failure.reason.split(': ', 1)[-1]})"}
        try:
            data = json.loads(output or b"{}")
        except ValueError:
            return {"ok": False, "error": "not readable as media"}
        if not data.get("streams"):
            return {"ok": False, "error": "not readable as media (no audio, video or picture in it)"}
        return parse(data, os.path.basename(path))

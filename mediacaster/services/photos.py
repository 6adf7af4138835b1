"""A photo's own facts: its size in pixels and when it was taken, read with Pillow.

Only the file's header is read (no pixel is decoded): the size, and the EXIF
``DateTimeOriginal`` the camera wrote, as the camera's clock showed it (EXIF
has no time zone of its own). A photo the camera turned (EXIF orientation 5 to
8) is described as it is shown, upright. What is read is kept in Redis like the
probes (:mod:`mediacaster.services.probe`): by path, size and modification
time, so a changed file is read again, and in this process for the pages that
follow.
"""

import contextlib
import hashlib
import json
import logging
import os
import stat
import warnings
from datetime import datetime

import redis
from PIL import ExifTags, Image

log = logging.getLogger(__name__)

CACHE_TTL = 90 * 24 * 3600
MEMO_SIZE = 5_000
# Bumped when facts() keeps new fields: facts cached before are read again.
READ_VERSION = 1
# EXIF orientations of a picture stored on its side: shown, its width is its height.
TURNED = {5, 6, 7, 8}
EXIF_TIME = "%Y:%m:%d %H:%M:%S"


def cache_key(path, size, mtime_ns):
    text = f"{READ_VERSION}\0{path}\0{size}\0{mtime_ns}"
    return "mediacaster:photo:" + hashlib.sha1(text.encode("utf-8", "surrogateescape")).hexdigest()


def taken_at(text):
    """ISO 8601 of an EXIF date and time ("2024:05:01 10:20:30"); None for none, or for
    the zeros or garbage some cameras write."""
    if not isinstance(text, str):
        return None
    try:
        return datetime.strptime(text.strip("\0 ")[:19], EXIF_TIME).isoformat()
    except ValueError:
        return None


def read(path):
    """``{"width", "height", "taken"}`` of the picture at ``path``; None when it is not one
    Pillow reads (a format it does not know, a damaged file)."""
    try:
        with warnings.catch_warnings():
            # A huge picture is still a photo here: nothing is decoded.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                width, height = image.size
                exif = image.getexif()
                original = exif.get_ifd(ExifTags.IFD.Exif).get(ExifTags.Base.DateTimeOriginal)
                turned = exif.get(ExifTags.Base.Orientation) in TURNED
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as error:
        log.debug("%s: not a picture Pillow reads: %s", path, error)
        return None
    if turned:
        width, height = height, width
    return {"width": width, "height": height, "taken": taken_at(original)}


class PhotoService:
    def __init__(self, redis_client):
        self.redis = redis_client
        self._memo = {}  # (path, size, mtime_ns) -> facts; a lost race only reads a file twice

    def facts(self, path, size, mtime_ns):
        """The photo's facts (see :func:`read`), from the cache or read now; None when the
        file is not a picture Pillow reads, or is not a regular file."""
        file = (path, size, mtime_ns)
        if file in self._memo:
            return self._memo[file]
        key = cache_key(*file)
        with contextlib.suppress(redis.RedisError):
            cached = self.redis.get(key)
            if cached:
                return self._remember(file, json.loads(cached)["facts"])
        try:
            regular = stat.S_ISREG(os.stat(path).st_mode)
        except OSError:
            return None  # gone meanwhile
        facts = read(path) if regular else None  # a FIFO would hold the request
        try:
            self.redis.set(key, json.dumps({"facts": facts}), ex=CACHE_TTL)
        except redis.RedisError as error:
            log.warning("photo cache unavailable: %s", error)
        return self._remember(file, facts)

    def _remember(self, file, facts):
        if len(self._memo) >= MEMO_SIZE:
            self._memo.clear()
        self._memo[file] = facts
        return facts

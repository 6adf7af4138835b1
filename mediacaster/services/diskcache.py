"""Files made once and kept on disk: WebVTT subtitles, pictures, converted segments.

Each file is named by a hash of the version of what it was made from, in a
folder per kind, so a changed source makes a new file and no name the app
derives can leave the cache folder. Writes are atomic (a temporary file in the
same folder, renamed into place), so a reader never sees half a file. The
total size is kept under a budget: when a write goes over it, the least
recently used files are removed, and with a ``max_age``, files unused for
that long are removed as well. A hit sets a file's access time, never its
modification time, which the file's ETag is made from. Folders whose name
starts with a dot are not the cache's (work in progress).

A full disk: the cache gives way first. A write that fails for want of space
(ENOSPC) removes the least recently used files until there is room and is tried
once more; when nothing is left to remove, it raises :class:`CacheFull`, the
partial file removed.
"""

import contextlib
import errno
import hashlib
import logging
import os
import shutil
import tempfile
import threading
import time
from pathlib import Path

from mediacaster.errors import InsufficientStorage

log = logging.getLogger(__name__)

# After an eviction the cache holds at most this share of its budget, so that
# not every write triggers one.
LOW_WATER = 0.9
# Free space a failed write makes before it is tried again: at least this, at least
# twice what it had written.
ROOM_BYTES = 1024 * 1024


class CacheFull(InsufficientStorage, OSError):
    """The disk of a cache is full, and nothing is left in the cache to make room.

    An ``OSError`` (ENOSPC) too: whoever keeps a file in the cache only to spare work
    later (a folder's rows, a timeline) goes on without it, as on any write error."""

    code = "cache_full"
    default_detail = "the server's disk is full: free some space on it"

    def __init__(self, detail=None):
        super().__init__(detail)
        self.errno = errno.ENOSPC


class DiskCache:
    def __init__(self, folder, max_bytes, max_age=None):
        self.folder = Path(folder)
        self.max_bytes = max_bytes
        self.max_age = max_age  # seconds since last use, None: no limit
        self._size = None  # bytes in the cache, counted on first write
        self._swept = time.monotonic()  # when files past max_age were last removed
        self._lock = threading.Lock()

    def path(self, kind, version, suffix):
        digest = hashlib.sha1(version.encode("utf-8", "surrogateescape")).hexdigest()
        return self.folder / kind / f"{digest}{suffix}"

    def get(self, kind, version, suffix):
        """The cached file for ``version``, or None."""
        path = self.path(kind, version, suffix)
        try:
            os.utime(path, ns=(time.time_ns(), os.stat(path).st_mtime_ns))  # a hit: recently used
        except OSError:
            return None
        return path

    def read_bytes(self, kind, version, suffix):
        """The content of the cached file for ``version``, or None."""
        path = self.get(kind, version, suffix)
        try:
            return None if path is None else path.read_bytes()
        except OSError:
            return None  # removed meanwhile

    def put(self, kind, version, suffix, make):
        """Make the file with ``make(temporary path)`` and keep it; return its path. On a
        full disk, the least recently used files make room and ``make`` runs again, once."""
        path = self.path(kind, version, suffix)
        self.size  # noqa: B018 - count what is there before this file joins it
        for attempt in (1, 2):
            written = [0]
            try:
                size = self._write(path, suffix, make, written)
                break
            except OSError as error:
                if error.errno != errno.ENOSPC or isinstance(error, CacheFull):
                    raise
                if attempt == 2 or not self.make_room(max(ROOM_BYTES, 2 * written[0])):
                    raise CacheFull(
                        f"the disk of the cache {self.folder.name} is full: {_free(self.folder)}"
                    ) from None
        self._account(size)
        return path

    def _write(self, path, suffix, make, written):
        """Write the file (``written[0]``: the bytes it had when it failed); its size."""
        fd, partial = _in_folder(
            path, lambda: tempfile.mkstemp(dir=path.parent, prefix=".part-", suffix=suffix)
        )
        os.close(fd)
        try:
            make(partial)
            size = os.path.getsize(partial)
            _in_folder(path, lambda: os.replace(partial, path))
        except BaseException:
            with contextlib.suppress(OSError):
                written[0] = os.path.getsize(partial)
            with contextlib.suppress(OSError):
                os.unlink(partial)
            raise
        return size

    def adopt(self, kind, version, suffix, source):
        """Move the finished file ``source`` (on the cache's disk) into the cache."""
        path = self.path(kind, version, suffix)
        self.size  # noqa: B018 - count what is there before this file joins it
        size = os.path.getsize(source)
        _in_folder(path, lambda: os.replace(source, path))
        self._account(size)
        return path

    def put_bytes(self, kind, version, suffix, data):
        return self.put(kind, version, suffix, lambda partial: Path(partial).write_bytes(data))

    @property
    def size(self):
        with self._lock:
            if self._size is None:
                self._size = sum(size for _, size, _ in self._files())
            return self._size

    def _account(self, added):
        with self._lock:
            self._size += added
            over = self._size > self.max_bytes
            stale = self.max_age is not None and time.monotonic() - self._swept > min(self.max_age, 3600)
        if over or stale:
            self._evict()

    def free_bytes(self):
        """Free space on the cache's disk (None when it cannot be known)."""
        try:
            return shutil.disk_usage(self.folder).free
        except OSError:
            return None

    def make_room(self, needed, spare=None):
        """Remove the least recently used files until the disk has ``needed`` bytes free
        (the disk is full), but not those used in the last ``spare`` seconds; whether it
        has them now."""
        with self._lock:
            free = self.free_bytes()
            if free is None or free >= needed:
                return free is not None
            files = sorted(self._files(), key=lambda f: f[2])  # least recently used first
            if spare is not None:
                files = [f for f in files if f[2] < time.time() - spare]
            removed = 0
            for path, size, _ in files:
                with contextlib.suppress(OSError):
                    os.unlink(path)
                    removed += size
                with contextlib.suppress(OSError):
                    os.rmdir(os.path.dirname(path))  # the last file of its folder
                free = self.free_bytes()
                if free is None or free >= needed:
                    break
            if self._size is not None:
                self._size = max(0, self._size - removed)
        enough = free is not None and free >= needed
        (log.info if enough else log.warning)(
            "the disk of the cache %s is full: %d bytes of its least recently used files removed, %s",
            self.folder,
            removed,
            _free(self.folder),
        )
        return enough

    def _evict(self, target=None):
        target = self.max_bytes * LOW_WATER if target is None else target
        with self._lock:
            files = sorted(self._files(), key=lambda f: f[2])  # least recently used first
            total = sum(size for _, size, _ in files)
            oldest = time.time() - self.max_age if self.max_age is not None else None
            for path, size, used in files:
                if total <= target and (oldest is None or used >= oldest):
                    break
                with contextlib.suppress(OSError):
                    os.unlink(path)
                    total -= size
                with contextlib.suppress(OSError):
                    os.rmdir(os.path.dirname(path))  # the last file of its folder
            self._size = total
            self._swept = time.monotonic()
        log.info("disk cache %s trimmed to %d bytes", self.folder, total)

    def _files(self):
        """(path, size, last use) of every file in the cache."""
        try:
            kinds = list(os.scandir(self.folder))
        except OSError:
            return []
        found = []
        for kind in kinds:
            if kind.name.startswith(".") or not kind.is_dir(follow_symlinks=False):
                continue
            for item in os.scandir(kind.path):
                if item.is_file(follow_symlinks=False) and not item.name.startswith(".part-"):
                    st = item.stat(follow_symlinks=False)
                    found.append((item.path, st.st_size, st.st_atime))
        return found


def _in_folder(path, write):
    """``write()`` into the folder of ``path``, made if need be. An eviction removes the
    folder it empties: if it did so between the two, the folder is made again."""
    for attempt in range(3):
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            return write()
        except FileNotFoundError:
            if attempt == 2 or path.parent.exists():
                raise  # what is missing is not the folder


def _free(folder):
    """How much the disk holding ``folder`` has left, in words."""
    try:
        usage = shutil.disk_usage(folder)
    except OSError:
        return "its free space cannot be read"
    return f"{usage.free // 1024} KiB free of {usage.total // 1024} KiB"

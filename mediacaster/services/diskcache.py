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
"""

import contextlib
import hashlib
import logging
import os
import tempfile
import threading
import time
from pathlib import Path

log = logging.getLogger(__name__)

# After an eviction the cache holds at most this share of its budget, so that
# not every write triggers one.
LOW_WATER = 0.9


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
        """Make the file with ``make(temporary path)`` and keep it; return its path."""
        path = self.path(kind, version, suffix)
        self.size  # noqa: B018 - count what is there before this file joins it
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
                os.unlink(partial)
            raise
        self._account(size)
        return path

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

    def trim(self):
        """Remove the least recently used files down to the budget's low water mark (the
        disk is full)."""
        self._evict(min(self.size / 2, self.max_bytes * LOW_WATER))

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

"""Search by name across all roots, from an index kept fresh in the background.

A NAS share is often mounted over NFS or SMB, where inotify sees nothing of
changes made by other machines, so the index is refreshed by polling: every
``interval`` seconds each folder is stat'ed and only folders whose mtime changed
(a file was added, removed or renamed in them) are listed again. A rescan of a
tree of 100,000 files in 1,000 folders thus costs 1,000 ``stat`` calls.
"""

import heapq
import logging
import os
import threading
import time
import unicodedata
from dataclasses import dataclass

from mediacaster.services.library import visible_children

log = logging.getLogger(__name__)


def fold(text):
    """The form names and queries are compared in: NFC, case-folded."""
    return unicodedata.normalize("NFC", text).casefold()


@dataclass(frozen=True)
class Hit:
    root: str
    path: str
    is_dir: bool


@dataclass
class _Folder:
    mtime: float
    files: list  # names
    folders: list  # names


class SearchIndex:
    def __init__(self, roots, interval=60.0):
        self.roots = {name: os.path.realpath(path) for name, path in roots.items()}
        self.interval = interval
        self._folders = {}  # (root, relative folder) -> _Folder
        self._items = []  # (folded relative path, folded name, Hit)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = None
        self.ready = threading.Event()
        self.last_scan = None
        self.scan_seconds = None

    # -- lifecycle -------------------------------------------------------

    def start(self):
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="search-index", daemon=True)
            self._thread.start()

    def stop(self):
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self):
        while not self._stop.is_set():
            try:
                self.scan()
            except Exception:  # keep the index alive whatever one scan hits
                log.exception("library scan failed")
            self._stop.wait(self.interval)

    # -- scanning --------------------------------------------------------

    def scan(self):
        """Bring the index up to date with the disk; return the number of items."""
        started = time.monotonic()
        seen = {}
        items = []
        for root, base in self.roots.items():
            self._walk(root, base, "", seen, items, {os.path.realpath(base)})
        with self._lock:
            self._folders = seen
            self._items = items
        self.last_scan = time.time()
        self.scan_seconds = time.monotonic() - started
        self.ready.set()
        return len(items)

    def _walk(self, root, base, rel, seen, items, visited):
        path = os.path.join(base, rel) if rel else base
        try:
            mtime = os.stat(path).st_mtime
        except OSError:
            return
        folder = self._folders.get((root, rel))
        if folder is None or folder.mtime != mtime:
            folder = self._list(base, path, mtime)
        seen[(root, rel)] = folder
        prefix = rel + "/" if rel else ""
        for name in folder.files:
            items.append((fold(prefix + name), fold(name), Hit(root, prefix + name, False)))
        for name in folder.folders:
            sub = prefix + name
            real = os.path.realpath(os.path.join(base, sub))
            if real in visited:
                continue  # a symlink loop
            items.append((fold(sub), fold(name), Hit(root, sub, True)))
            self._walk(root, base, sub, seen, items, visited | {real})

    @staticmethod
    def _list(base, path, mtime):
        files, folders = [], []
        try:
            for item in visible_children(path, base):
                try:
                    is_dir = item.is_dir()
                except OSError:
                    continue
                (folders if is_dir else files).append(item.name)
        except OSError:
            pass
        return _Folder(mtime, files, folders)

    # -- querying --------------------------------------------------------

    def query(self, text, limit=100):
        """Return ``(hits, total)``: the best ``limit`` matches and their count.

        Every word of the query must appear in the path below the root; hits
        whose own name starts with, then contains, the first word come first.
        """
        words = fold(text).split()
        if not words:
            return [], 0
        with self._lock:
            items = self._items
        first = words[0]
        matches = [
            (0 if name.startswith(first) else 1 if first in name else 2, len(name), key, hit)
            for key, name, hit in items
            if all(word in key for word in words)
        ]
        best = heapq.nsmallest(limit, matches, key=lambda m: m[:3])
        return [m[3] for m in best], len(matches)

    def state(self):
        return {
            "ready": self.ready.is_set(),
            "items": len(self._items),
            "folders": len(self._folders),
            "last_scan": self.last_scan,
            "scan_seconds": self.scan_seconds,
        }

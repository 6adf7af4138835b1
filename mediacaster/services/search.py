"""Search by name across all roots, from an index kept fresh in the background.

A NAS share is often mounted over NFS or SMB, where inotify sees nothing of
changes made by other machines, so the index is refreshed by polling: every
``interval`` seconds each folder is stat'ed and only folders whose mtime changed
(a file was added, removed or renamed in them) are listed again. A rescan of a
tree of 100,000 files in 1,000 folders thus costs 1,000 ``stat`` calls.

The same scan keeps what arrived last (:meth:`SearchIndex.recent`): a film as
itself, the songs of an album as their folder.
"""

import bisect
import heapq
import logging
import os
import threading
import time
from dataclasses import dataclass, field

from mediacaster.mediatypes import classify
from mediacaster.services.library import fold, query_words, visible_children

log = logging.getLogger(__name__)


class _Stopped(Exception):
    """The index is closing: a scan under way ends."""


@dataclass(frozen=True)
class Hit:
    root: str
    path: str
    is_dir: bool
    # When a video or audio file arrived here: its inode's change time, which a copy,
    # a move or a download sets (its mtime may be kept from elsewhere). None otherwise.
    added: float | None = field(default=None, compare=False)
    kind: str = field(default="other", compare=False)


RECENT_KEPT = 200  # the latest arrivals kept after each scan, for every user's home page


@dataclass
class _Folder:
    mtime: float
    folders: list[str]  # names of subfolders, to walk into
    items: list[tuple[str, str, Hit]]  # (folded relative path, folded name, Hit) for every child


class SearchIndex:
    def __init__(self, roots, interval=60.0):
        self.roots = {name: os.path.realpath(path) for name, path in roots.items()}
        self.interval = interval
        self._folders = {}  # (root, relative folder) -> _Folder
        self._items = []  # (folded relative path, folded name, Hit)
        self._blob = ""  # the folded paths, one a line, for fast substring search
        self._starts = []  # offset in _blob of each item's line
        self._recent = []  # Hits of the latest video and audio files, latest first
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

    def close(self):
        self._stop.set()  # a scan under way stops at its next folder
        if self._thread is not None:
            self._thread.join(timeout=1)

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
        try:
            for root, base in self.roots.items():
                self._walk(root, base, "", seen, items, {os.path.realpath(base)})
        except _Stopped:
            return len(self._items)  # closing: the index stays as it was
        blob, starts, offset = [], [], 0
        for key, _name, _hit in items:
            starts.append(offset)
            blob.append(key)
            offset += len(key) + 1
        arrivals = (hit for _key, _name, hit in items if hit.added is not None)
        recent = heapq.nlargest(RECENT_KEPT, arrivals, key=lambda hit: hit.added)
        with self._lock:
            self._folders = seen
            self._items = items
            self._blob = "\n".join(blob)
            self._starts = starts
            self._recent = recent
        self.last_scan = time.time()
        self.scan_seconds = time.monotonic() - started
        self.ready.set()
        return len(items)

    def _walk(self, root, base, rel, seen, items, visited):
        if self._stop.is_set():
            raise _Stopped
        path = os.path.join(base, rel) if rel else base
        try:
            mtime = os.stat(path).st_mtime
        except OSError:
            return
        folder = self._folders.get((root, rel))
        if folder is None or folder.mtime != mtime:
            folder = self._list(root, base, rel, mtime)
        seen[(root, rel)] = folder
        items.extend(folder.items)
        prefix = rel + "/" if rel else ""
        for name in folder.folders:
            sub = prefix + name
            real = os.path.realpath(os.path.join(base, sub))
            if real not in visited:  # else a symlink loop
                self._walk(root, base, sub, seen, items, visited | {real})

    @staticmethod
    def _list(root, base, rel, mtime):
        path = os.path.join(base, rel) if rel else base
        prefix = rel + "/" if rel else ""
        folders, items = [], []
        try:
            for item in visible_children(path, base):
                try:
                    is_dir = item.is_dir()
                except OSError:
                    continue
                added, kind = None, "folder"
                if is_dir:
                    folders.append(item.name)
                else:
                    kind = classify(item.name)[1]
                    if kind in ("video", "audio"):
                        try:
                            added = item.stat().st_ctime
                        except OSError:
                            continue  # removed meanwhile
                hit = Hit(root, prefix + item.name, is_dir, added, kind)
                items.append((fold(prefix + item.name), fold(item.name), hit))
        except OSError:
            pass
        return _Folder(mtime, folders, items)

    # -- querying --------------------------------------------------------

    def query(self, text, limit=100, roots=None):
        """Return ``(hits, total)``: the best ``limit`` matches and their count, in
        ``roots`` only if given.

        Every word of the query must appear in the path below the root; hits
        whose own name starts with, then contains, the first word come first.
        """
        words = query_words(text)
        if not words:
            return [], 0
        with self._lock:
            items, blob, starts = self._items, self._blob, self._starts
        first = words[0]
        # Find the rarest-looking (longest) word with str.find over one string,
        # then check the other words on the few lines it hits.
        scan = max(words, key=len)
        others = [w for w in words if w != scan]
        matches = []
        position = blob.find(scan)
        while position != -1:
            index = bisect.bisect_right(starts, position) - 1
            key, name, hit = items[index]
            if all(word in key for word in others) and (roots is None or hit.root in roots):
                rank = 0 if name.startswith(first) else 1 if first in name else 2
                matches.append((rank, len(name), key, hit))
            following = index + 1
            if following == len(starts):
                break
            position = blob.find(scan, starts[following])
        best = heapq.nsmallest(limit, matches, key=lambda m: m[:3])
        return [m[3] for m in best], len(matches)

    def recent(self, limit=12, roots=None):
        """``[(hit, count)]``: what arrived last, latest first, in ``roots`` only if given: a
        video file as itself; audio files by their folder (an album), ``hit`` its latest
        file and ``count`` how many of the album's files are among the latest arrivals."""
        with self._lock:
            recent = self._recent
        picked, albums = [], {}
        for hit in recent:
            if roots is not None and hit.root not in roots:
                continue
            if hit.kind == "audio":
                album = (hit.root, hit.path.rpartition("/")[0])
                if album in albums:
                    albums[album][1] += 1
                    continue
                albums[album] = entry = [hit, 1]
            else:
                entry = [hit, 1]
            if len(picked) < limit:
                picked.append(entry)
        return [tuple(entry) for entry in picked]

    def state(self):
        return {
            "ready": self.ready.is_set(),
            "items": len(self._items),
            "folders": len(self._folders),
            "last_scan": self.last_scan,
            "scan_seconds": self.scan_seconds,
        }

"""The scanner: keeps the catalogue in step with the disk, in a background thread.

A full scan walks every root the way listings see it (no dot files, no symlinks out of
the root, nothing but regular files and folders: mediacaster.services.library) and reads
only the files whose size or mtime changed, so the scan after a restart costs a walk and
picks up where the last one stopped; what it read is committed a few files at a time, so
an interrupted scan keeps it. Between full scans, watchdog reports changes as they happen
(inotify); NFS and SMB shares changed by other machines report nothing, so a full scan
also runs every ``rescan_interval`` seconds.

One thread writes, with database sessions of its own and small transactions: browsing
never waits for it. Changes reported while a full scan runs are handled between its
batches, so a new file appears within seconds even then.
"""

import collections
import logging
import os
import queue
import threading
import time
from concurrent.futures import wait

from sqlalchemy.exc import SQLAlchemyError
from watchdog.events import (
    DirCreatedEvent,
    DirDeletedEvent,
    DirMovedEvent,
    FileClosedEvent,
    FileCreatedEvent,
    FileDeletedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer

from mediacaster.mediatypes import MEDIA_KINDS, classify
from mediacaster.services.catalogue import fileid, reading, store
from mediacaster.services.catalogue.art import is_art
from mediacaster.services.catalogue.identify import join, parent
from mediacaster.services.library import visible_children

log = logging.getLogger(__name__)
BATCH = 250  # files read before they are written, in one transaction
# New files in a root from which a full scan reads them in a process of its own
# (reading.Readers): fewer cost less in a thread than the process takes to start.
READ_APART_FROM = 2000
READ_AHEAD = 2  # batches read while one is written
ANALYZE_AFTER = 1000  # files read by a full scan after which the database counts its rows again
QUIET = 0.3  # seconds without a new change before reported changes are handled
RETRY_AFTER = 60.0  # seconds after a failed full scan
WATCHED_EVENTS = ("created", "deleted", "moved", "modified", "closed")
# What inotify is asked to report: the events above. Without the filter it reports every
# open and close of a file too, the scanner's own reads among them (three a file): the
# watching threads would then handle two events for each, beside the scan, for nothing.
EVENT_FILTER = [
    FileCreatedEvent,
    DirCreatedEvent,
    FileDeletedEvent,
    DirDeletedEvent,
    FileMovedEvent,
    DirMovedEvent,
    FileModifiedEvent,
    FileClosedEvent,
]


class _Stopped(Exception):
    """The scanner is closing: the work under way ends."""


class Scanner:
    def __init__(self, database, library, rescan_interval=600.0, watch=True):
        self.database = database
        self.library = library
        self.rescan_interval = rescan_interval
        self.watch = watch
        self._stop = threading.Event()
        self._rescan = threading.Event()
        self._changes = queue.Queue()
        self._thread = self._observer = None
        self._lock = threading.Lock()
        self._progress = {
            "running": False,
            "root": None,
            "seen": 0,
            "total": 0,
            "read": 0,
            "started": None,
            "finished": None,
        }
        self.scanned = threading.Event()  # set after each full scan
        # Set after each full scan's files have their content hashes (see _hash_new); with
        # when that took, and how many.
        self.hashed = threading.Event()
        self.hashing = {"started": None, "finished": None, "files": 0}

    # -- lifecycle -------------------------------------------------------

    def start(self):
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="catalogue-scanner", daemon=True)
            self._thread.start()
            if self.watch:
                self._start_watching()
        return self

    def close(self):
        """Stop the thread (the file under way is its last) and the watching."""
        self._stop.set()
        self._changes.put(None)
        if self._observer is not None:
            self._observer.stop()
            self._observer.join(timeout=5)
        if self._thread is not None:
            self._thread.join(timeout=5)

    def rescan(self):
        """Ask for a full scan now."""
        self._rescan.set()
        self._changes.put(None)

    def progress(self):
        """``{"running", "root", "seen", "total", "read", "started", "finished",
        "watching"}``: the full scan under way, or the last one: files walked past and in
        all, files read (new or changed), times in epoch seconds, and whether changes are
        followed as they happen."""
        with self._lock:
            return {**self._progress, "watching": self._observer is not None and self._observer.is_alive()}

    def _set(self, **values):
        with self._lock:
            self._progress.update(values)

    def _run(self):
        next_scan = 0.0
        while not self._stop.is_set():
            try:
                if self._rescan.is_set() or time.monotonic() >= next_scan:
                    self._rescan.clear()
                    self.scan()
                    next_scan = time.monotonic() + self.rescan_interval
                    continue
                try:
                    change = self._changes.get(timeout=max(0.0, next_scan - time.monotonic()))
                except queue.Empty:
                    continue
                if change is not None:
                    self._handle_changes(change, wait=True)
            except _Stopped:
                return
            except Exception:  # the scanner stays alive whatever one file or scan hits
                log.exception("catalogue scan failed")
                self._set(running=False)
                # Tried again a little later (the database may be back), not in a loop.
                next_scan = time.monotonic() + min(self.rescan_interval, RETRY_AFTER)

    def _check(self):
        if self._stop.is_set():
            raise _Stopped

    # -- full scans --------------------------------------------------------

    def scan(self):
        """Bring the whole catalogue in step with the disk (in the caller's thread): walk
        every root first, so that the progress knows the total, then read what changed."""
        self._set(running=True, root=None, seen=0, total=0, read=0, started=time.time(), finished=None)
        try:
            walked = {}
            for root in self.library.roots:
                self._set(root=root)
                walked[root] = self._walk(self.library.root_path(root))
                with self._lock:
                    self._progress["total"] += len(walked[root][1])
            self._analyze_at = ANALYZE_AFTER
            for root, (listed, paths) in walked.items():
                self._scan_root(root, listed, paths)
            if self._progress["read"] > ANALYZE_AFTER:
                store.analyze(self.database.engine)
        finally:
            self._set(running=False, root=None)
        self._set(finished=time.time())
        self.scanned.set()
        self._hash_new()
        self.hashed.set()

    def _hash_new(self):
        """Give the files a scan wrote without a content hash theirs, a batch at a time.

        Only a file written with its hash can be told again once it is copied elsewhere
        (a new inode: another disk, a backup restored), so each gets one as soon as the
        catalogue holds the scan's items; a first scan does not wait for these two reads
        a file before it shows them. A file that changed meanwhile waits for the next scan."""
        started, files = time.time(), 0
        for root in self.library.roots:
            after = 0
            while True:
                self._check()
                with self.database.sessions() as session:
                    rows = store.unhashed(session, root, after, BATCH)
                if not rows:
                    break
                after = rows[-1][0]
                hashes = {}
                for file_id, path, size, mtime_ns in rows:
                    # None where the path now leads out of the root
                    real = reading.real_path(self.library, root, path)
                    try:
                        st = os.stat(real) if real is not None else None
                        if st is not None and (st.st_size, st.st_mtime_ns) == (size, mtime_ns):
                            hashes[file_id] = fileid.content_hash(real, size)
                    except OSError:
                        continue  # gone or unreadable: the next scan sees to it
                with self.database.sessions.begin() as session:
                    store.set_hashes(session, hashes)
                files += len(hashes)
                self._handle_changes()
        if files > ANALYZE_AFTER:
            # Each hash written left its row's old version behind: PostgreSQL's index-only
            # reads (Next up) look at the table again until a vacuum marks it all visible.
            store.analyze(self.database.engine)
        self.hashing = {"started": started, "finished": time.time(), "files": files}

    def _scan_root(self, root, listed, paths):
        self._set(root=root)
        with self.database.sessions() as session:
            known = store.present_files(session, root)
            vanished = store.has_vanished(session, root)
        folders = self._folders(root)
        seen = set(paths)
        gone = {path for path in known if path not in seen}
        # Nothing vanished, nothing changed meanwhile: a path the catalogue does not know
        # is a new file (not one moved), written with its batch's others at once.
        fresh = not (gone or vanished)
        base = self.library.root_path(root)

        batches = [paths[start : start + BATCH] for start in range(0, len(paths), BATCH)]
        apart = sum(path not in known for path in paths) >= READ_APART_FROM
        # The next batches are read while this one is written. Where nothing vanished, no file
        # can be one moved: the content hashes that tell a moved file wait until the
        # catalogue holds them all (_hash_new).
        with reading.Readers(self.library, folders, apart) as readers:
            ahead = collections.deque()
            for index, batch in enumerate(batches):
                self._check()
                while len(ahead) <= READ_AHEAD and index + len(ahead) < len(batches):
                    ahead.append(
                        (readers.submit(root, batches[index + len(ahead)], known, not fresh), not fresh)
                    )
                answers, batch_hashed = ahead[0][0].result(), ahead.popleft()[1]
                found = [reading.logged(root, answer) for answer in answers]
                if not (batch_hashed or fresh):  # a change came meanwhile: a file may be one moved
                    found = [self._with_hash(base, item) for item in found]
                read_now = self._write_batch(root, found, known, gone, fresh)
                with self._lock:
                    self._progress["seen"] += len(batch)
                    self._progress["read"] += read_now
                if self._progress["read"] >= self._analyze_at:
                    # The tables grew since the database last counted them: its plans for the
                    # batches' statements (a first scan's start from empty tables) would read
                    # whole tables where an index finds the rows.
                    store.analyze(self.database.engine)
                    self._analyze_at *= 2
                if not self._changes.empty():
                    wait([future for future, _ in ahead])  # the files changed are read with the reader idle
                fresh = not self._handle_changes() and fresh
        if gone and not (listed and paths):
            # An unreadable root, or an unmounted share's empty mount point: its files are
            # not taken for deleted.
            log.warning("library root %s holds nothing that can be read: its catalogue is kept", root)
        elif gone:
            with self.database.sessions.begin() as session:
                store.mark_missing(session, root, sorted(gone))

    def _write_batch(self, root, found, known, gone, fresh):
        """Write a full scan's batch of :meth:`_read` results; how many files were written."""
        written = 0
        if fresh:
            written = self._write_new(root, [item for item in found if item and item[0] not in known])
            found = [item for item in found if item and item[0] in known]
        return written + self._write(root, found, gone)

    @staticmethod
    def _with_hash(base, item):
        """``item`` (of :meth:`_read`, read without its hash) with its content hash."""
        if item is None or item[1] is None or item[2] is not None:
            return item
        path, st, _, info = item
        try:
            return (path, st, fileid.content_hash(os.path.join(base, path), st.st_size), info)
        except OSError:
            return (path, None, None, None)

    def _walk(self, base, start=""):
        """``(listed, paths)``: whether the starting folder could be read, and the media
        files below it, in name order (symlinks that lead out of the root, or back to a
        folder seen already, are not followed)."""
        paths, visited, listed = [], set(), False
        pending = [start]
        while pending:
            self._check()
            folder = pending.pop()
            real = os.path.join(base, folder) if folder else base
            key = os.path.realpath(real)
            if key in visited:
                continue
            visited.add(key)
            try:
                children = sorted(visible_children(real, base), key=lambda item: item.name)
            except OSError:
                continue
            listed = listed or folder == start
            folders = []
            for item in children:
                try:
                    if item.is_dir():
                        folders.append(join(folder, item.name))
                    elif classify(item.name)[1] in MEDIA_KINDS:
                        paths.append(join(folder, item.name))
                except OSError:
                    continue
            # Taken from the end: the first folder is walked first, so a show's episodes
            # come in their order and find the earlier ones written (no renumbering).
            pending.extend(reversed(folders))
        return listed, paths

    def _folders(self, root):
        return reading.folders_of(self.library, root)

    # -- one file ----------------------------------------------------------

    def _read(self, root, path, folders, known, force=False):
        """What :func:`reading.read` finds of one file, its error logged."""
        self._check()
        return reading.logged(root, reading.read(self.library, root, path, folders, known, force))

    def _write(self, root, found, gone=None):
        """Write what :meth:`_read` found, in one transaction; how many files that was.
        ``gone``: the paths a full scan found missing (see store.record_file)."""
        found = [item for item in found if item is not None]
        if not found:
            return 0
        try:
            with self.database.sessions.begin() as session:
                written = [self._write_one(session, root, item, gone) for item in found]
                store.save_items(session, [(record, info, False) for record, info in written if record])
                store.order_episodes(session)
        except (SQLAlchemyError, ValueError):  # ValueError: what the driver could not encode
            if len(found) == 1:
                log.exception("cannot write %s/%s to the catalogue", root, found[0][0])
                return 0
            # One file's failure (another writer's row, a value out of bounds) costs that
            # file only: the batch is written again a file at a time.
            return sum(self._write(root, [item], gone) for item in found)
        return len(found)

    def _write_new(self, root, found):
        """Write the files of a full scan that are new (see :meth:`_scan_root`), in one
        transaction; how many. A failure falls back to writing them one by one."""
        found = [item for item in found if item[1] is not None]
        if not found:
            return 0
        try:
            with self.database.sessions.begin() as session:
                records = store.new_records(
                    session,
                    root,
                    [
                        (path, classify(path.rpartition("/")[2])[1], st, content_hash)
                        for path, st, content_hash, _ in found
                    ],
                )
                store.save_items(
                    session,
                    [(record, info, True) for record, (*_, info) in zip(records, found, strict=True)],
                )
                store.order_episodes(session)
        except (SQLAlchemyError, ValueError):
            return self._write(root, found)
        return len(found)

    def _write_one(self, session, root, found, gone):
        """``(record, info)`` of one file of :meth:`_write` (its item written with the
        batch's others); ``(None, None)`` when it is gone."""
        path, st, content_hash, info = found
        if st is None:
            store.mark_missing(session, root, [path])
            return None, None
        kind = classify(path.rpartition("/")[2])[1]
        record = store.record_file(
            session, root, path, kind, st, content_hash, reading.real_of(self.library, root), gone
        )
        return record, info

    # -- changes as they happen --------------------------------------------

    def refresh(self, root, path):
        """Bring what is at ``path`` below ``root`` (a file, a folder, or nothing any more)
        in step with the disk now."""
        base = self.library.root_path(root)
        real = reading.real_path(self.library, root, path)
        folders = self._folders(root)
        if real is not None and os.path.isdir(real) and path:
            listed, paths = self._walk(base, path)
            with self.database.sessions() as session:
                below = set(store.present_below(session, root, path))
                known = {p: v for p, v in store.present_files(session, root).items() if p in below}
            for start in range(0, len(paths), BATCH):
                self._write(root, [self._read(root, p, folders, known) for p in paths[start : start + BATCH]])
            gone = sorted(below - set(paths))
            if gone and listed:
                with self.database.sessions.begin() as session:
                    store.mark_missing(session, root, gone)
            return
        name = path.rpartition("/")[2]
        if real is None or not os.path.exists(real):
            with self.database.sessions.begin() as session:
                store.mark_missing(session, root, [path, *store.present_below(session, root, path)])
            return
        kind = classify(name)[1]
        if kind in MEDIA_KINDS and not (kind == "image" and is_art(name)):
            self._write(root, [self._read(root, path, folders, {})])
        else:
            # An .nfo or a picture of art changed: what it describes is read again.
            folder = parent(path)
            listed, paths = self._walk(base, folder) if folder else (True, [])
            nearby = [p for p in paths if parent(p) == folder or parent(parent(p)) == folder]
            self._write(root, [self._read(root, p, folders, {}, force=True) for p in nearby])

    def _handle_changes(self, first=None, wait=False):
        """Handle the changes reported so far; with ``wait``, once none came for QUIET
        seconds. Returns how many paths were looked at again."""
        pending = {first} if first else set()
        deadline = time.monotonic() + 5 * QUIET
        while True:
            try:
                change = self._changes.get(timeout=QUIET if wait and time.monotonic() < deadline else 0)
            except queue.Empty:
                break
            if change is None:
                if self._stop.is_set() or self._rescan.is_set():
                    break
                continue
            pending.add(change)
        for root, path in sorted(pending):
            self._check()
            try:
                self.refresh(root, path)
            except _Stopped:
                raise
            except Exception:
                log.exception("catalogue update of %s/%s failed", root, path)
        return len(pending)

    def _start_watching(self):
        handler = _Changes(self)
        observer = Observer()
        try:
            for base in self.library.roots.values():
                observer.schedule(handler, base, recursive=True, event_filter=EVENT_FILTER)
            observer.start()
        except OSError as error:  # inotify's limits, or a file system it cannot watch
            log.warning("changes in the library are not followed as they happen (%s): rescans only", error)
            observer.stop()  # whatever part of it started
            if observer.is_alive():
                observer.join(timeout=5)
            return
        self._observer = observer

    def changed(self, real_path):
        """Note that something at ``real_path`` (on disk) changed: handled within QUIET seconds."""
        for root, base in self.library.roots.items():
            if real_path == base or real_path.startswith(base + "/"):
                path = real_path[len(base) + 1 :]
                if not any(segment.startswith(".") for segment in path.split("/")):
                    self._changes.put((root, path))
                return


class _Changes(FileSystemEventHandler):
    def __init__(self, scanner):
        self.scanner = scanner

    def on_any_event(self, event):
        if event.event_type not in WATCHED_EVENTS or (event.is_directory and event.event_type == "modified"):
            return
        for path in (event.src_path, getattr(event, "dest_path", "")):
            if path:
                self.scanner.changed(os.fsdecode(path))

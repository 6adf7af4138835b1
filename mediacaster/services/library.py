"""The media library: named roots, safe path resolution and folder listings.

Knows nothing about HTTP. A path is always a sequence of segments below a
named root; anything that could leave the root (``..``, separators, NUL,
absolute paths, symlinks pointing outside) is refused as not found, so the
caller never needs to tell "forbidden" from "missing" and leaks nothing.

Only regular files and folders exist here: a FIFO, a socket or a device file
is neither listed nor resolved, and files are opened without blocking and
checked once open (:func:`open_regular`), so no request can hang in ``open()``.
"""

import functools
import os
import re
import stat
import unicodedata
from typing import NamedTuple

from mediacaster.errors import NotFound, Unprocessable
from mediacaster.mediatypes import MEDIA_KINDS, classify

SORT_KEYS = ("name", "date", "size")


class TooManyFiles(Unprocessable):
    code = "too_many_files"


class Entry(NamedTuple):
    # A named tuple rather than a frozen dataclass: a 10,000-file folder builds
    # 10,000 of these per listing, and tuples are built several times faster.
    root: str
    path: str  # '/'-joined segments below the root; '' is the root itself
    name: str
    is_dir: bool
    size: int
    mtime: float
    kind: str  # folder, video, audio, image, other
    content_type: str | None
    mtime_ns: int = 0  # with inode: the file's identity, for strong validators
    inode: int = 0

    @property
    def is_media(self):
        """Video, audio or a picture: what plays, has a picture and can be cast."""
        return self.kind in MEDIA_KINDS

    @property
    def segments(self):
        return tuple(self.path.split("/")) if self.path else ()

    @property
    def parent(self):
        """Segments of the containing folder, or None for a root."""
        return self.segments[:-1] if self.path else None


@functools.lru_cache(maxsize=20_000)
def natural_key(name):
    """Sort 'Episode 2' before 'Episode 10', ignoring case and accents' form.

    Memoised: a folder is listed again and again, and its names' keys are most
    of what sorting it costs.
    """
    text = unicodedata.normalize("NFC", name).casefold()
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.split(r"(\d+)", text))


def unknown_root(root):
    """What a root that does not exist answers (and one a user may not see: the same)."""
    return f"no library root named {root!r}"


def split_path(path):
    """Split a '/'-joined path from an API client into segments."""
    return tuple(part for part in (path or "").split("/") if part != "")


# Words of a filter or a search beyond this many are ignored: a query of
# thousands of words would otherwise cost seconds of work per request.
MAX_WORDS = 16


def fold(text):
    """The form names and queries are compared in: NFC, case-folded."""
    return unicodedata.normalize("NFC", text).casefold()


def query_words(text):
    """The distinct words of a filter or search query, folded, at most MAX_WORDS."""
    return list(dict.fromkeys(fold(text).split()))[:MAX_WORDS]


def _valid_segment(segment):
    return (
        isinstance(segment, str)
        and segment not in ("", ".", "..")
        and not segment.startswith(".")
        and "/" not in segment
        and "\\" not in segment
        and "\0" not in segment
    )


def _inside(path, root):
    try:
        return os.path.commonpath([path, root]) == root
    except ValueError:
        return False


def visible_children(folder, base):
    """Yield the ``os.DirEntry`` items of ``folder`` that a listing shows.

    Dot files stay hidden; symlinks that lead out of ``base``, and whatever is
    neither a regular file nor a folder (FIFOs, sockets, devices), are left out.
    Raises ``OSError`` when the folder itself cannot be read.
    """
    with os.scandir(folder) as scan:
        for item in scan:
            if item.name.startswith(".") or "\\" in item.name:
                continue
            try:
                if item.is_symlink() and not _inside(os.path.realpath(item.path), base):
                    continue
                if not (item.is_file() or item.is_dir()):
                    continue
            except OSError:
                continue
            yield item


def open_regular(path):
    """Open a regular file for reading, or raise :class:`NotFound`.

    ``O_NONBLOCK``: opening a FIFO for reading would wait for a writer, for
    ever; with it the open returns at once, and ``fstat`` of what was opened
    refuses anything that is not a regular file.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except IsADirectoryError:
        raise NotFound("a folder is not a file") from None
    except OSError:
        raise NotFound("the file cannot be read") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise NotFound("not a regular file")
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


# Folders whose name order is kept (see LibraryService._by_name).
ORDERS_KEPT = 64


class LibraryService:
    def __init__(self, roots):
        # name -> real path of the root folder, as a string for cheap prefix checks
        self.roots = {name: os.path.realpath(path) for name, path in roots.items()}
        self._orders = {}  # real folder path -> {name: rank in natural order}

    def root_path(self, root):
        try:
            return self.roots[root]
        except (KeyError, TypeError):
            raise NotFound(unknown_root(root)) from None

    def resolve(self, root, segments):
        """Return ``(real path, on-disk segments)`` or raise :class:`NotFound`."""
        base = self.root_path(root)
        current = base
        found = []
        linked = False
        for segment in segments:
            if not _valid_segment(segment):
                raise NotFound("no such file or folder")
            candidate = os.path.join(current, segment)
            try:
                mode = os.lstat(candidate).st_mode
            except OSError:
                segment = self._same_name_other_form(current, segment)
                candidate = os.path.join(current, segment)
                try:
                    mode = os.lstat(candidate).st_mode
                except OSError:
                    raise NotFound("no such file or folder") from None
            linked = linked or stat.S_ISLNK(mode)
            found.append(segment)
            current = candidate
        # The root is a real path: without a symlink below it, so is this one
        # (realpath would lstat every component from / on each request).
        real = os.path.realpath(current) if linked else current
        if linked and (not _inside(real, base) or not os.path.exists(real)):
            raise NotFound("no such file or folder")
        return real, tuple(found)

    def open(self, root, segments):
        """Open a file for reading: ``(binary file, entry)``; the entry comes
        from ``fstat`` of the open file, so it describes exactly what is read."""
        real, found = self.resolve(root, segments)
        file = open_regular(real)
        st = os.fstat(file.fileno())
        return file, self.make_entry(root, "/".join(found), found[-1] if found else root, st)

    @staticmethod
    def _same_name_other_form(folder, segment):
        # File names written by macOS clients are often NFD while URLs typed or
        # built elsewhere are NFC: accept either form of the same name.
        wanted = unicodedata.normalize("NFC", segment)
        if wanted != segment or unicodedata.normalize("NFD", segment) != segment:
            try:
                for name in os.listdir(folder):
                    if unicodedata.normalize("NFC", name) == wanted:
                        return name
            except OSError:
                pass
        raise NotFound("no such file or folder")

    def entry(self, root, segments):
        return self._entry_at(root, *self.resolve(root, segments))

    def _entry_at(self, root, real, found):
        try:
            st = os.stat(real)
        except OSError:
            raise NotFound("no such file or folder") from None
        if not (stat.S_ISREG(st.st_mode) or stat.S_ISDIR(st.st_mode)):
            raise NotFound("not a regular file or a folder")
        name = found[-1] if found else root
        return self.make_entry(root, "/".join(found), name, st)

    def listing(self, root, segments, sort="name", descending=False, query=""):
        """Return ``(folder entry, child entries)``; folders come first. With
        ``query``, only entries whose name holds every word of it (compared as
        the search compares them: NFC, case-folded)."""
        real, found = self.resolve(root, segments)
        folder = self._entry_at(root, real, found)
        if not folder.is_dir:
            raise NotFound("not a folder")
        base = self.root_path(root)
        prefix = folder.path + "/" if folder.path else ""
        entries = []
        try:
            for item in visible_children(real, base):
                try:
                    st = item.stat()
                except OSError:
                    continue  # broken symlink or vanished meanwhile
                entries.append(self.make_entry(root, prefix + item.name, item.name, st))
        except OSError:
            raise NotFound("folder cannot be read") from None
        # The order of every name, before filtering, so that a filtered listing
        # reuses the folder's order rather than replacing it.
        rank = self._by_name(real, entries) if sort == "name" else None
        words = query_words(query)
        if words:
            entries = [e for e in entries if _holds_all(fold(e.name), words)]
        if rank is not None:
            entries.sort(key=lambda e: rank[e.name], reverse=descending)
        else:
            entries.sort(key=_sort_key(sort), reverse=descending)
        # Folders stay first whichever the order: sort() is stable.
        entries.sort(key=_is_file)
        return folder, entries

    def _by_name(self, folder, entries):
        """``{name: rank}`` in natural order for the names of ``entries``.

        Sorting 10,000 names by their natural keys is most of what listing a
        big folder costs, and the names of a folder rarely change: the order is
        kept per folder and made again, from the names there now, when a name
        it does not know appears. (Dict operations are atomic under CPython's
        GIL; two threads may at worst both make the same order.)
        """
        rank = self._orders.get(folder)
        if rank is None or any(e.name not in rank for e in entries):
            names = sorted({e.name for e in entries}, key=natural_key)
            rank = {name: position for position, name in enumerate(names)}
            if len(self._orders) >= ORDERS_KEPT:
                self._orders.pop(next(iter(self._orders)), None)
            self._orders[folder] = rank
        return rank

    @staticmethod
    def make_entry(root, path, name, st):
        is_dir = stat.S_ISDIR(st.st_mode)
        if is_dir:
            content_type, kind = None, "folder"
        else:
            content_type, kind = classify(name)
        # Positional: a named tuple built from keywords costs four times as much.
        size, mtime = 0 if is_dir else st.st_size, st.st_mtime
        return Entry(root, path, name, is_dir, size, mtime, kind, content_type, st.st_mtime_ns, st.st_ino)

    def file_path(self, entry):
        """Where the entry is on disk (below its root: its path was resolved safely)."""
        base = self.root_path(entry.root)
        return base + "/" + entry.path if entry.path else base

    def file_key(self, entry):
        """``(path, size, mtime_ns)``: names a version of a file, for caches."""
        return self.file_path(entry), entry.size, entry.mtime_ns

    def file_keys(self, entries):
        """:meth:`file_key` of each of ``entries``, for a whole listing at once."""
        bases = {root: self.root_path(root) + "/" for root in {e.root for e in entries}}
        return [(bases[e.root] + e.path, e.size, e.mtime_ns) for e in entries]

    def siblings(self, entry):
        """Names of the files beside ``entry`` that a listing would show: where sidecar
        subtitles and folder covers are looked for, under the same rules (no dot
        files, no symlinks out of the root)."""
        folder = os.path.dirname(self.file_path(entry))
        try:
            return [item.name for item in visible_children(folder, self.root_path(entry.root))]
        except OSError:
            return []

    def files_below(self, folder, kinds, limit, folders_limit):
        """Paths of the files of ``kinds`` in the ``folder`` entry and the folders below
        it, as listings show them (symlinks that lead out of the root, or back to a folder
        seen already, are not followed); in no order. Raises :class:`TooManyFiles` past
        ``limit`` files or ``folders_limit`` folders."""
        base = self.root_path(folder.root)
        found, seen, pending = [], set(), [(self.file_path(folder), folder.path)]
        while pending:
            real, path = pending.pop()
            key = os.path.realpath(real)
            if key in seen:
                continue
            seen.add(key)
            if len(seen) > folders_limit:
                raise TooManyFiles(
                    f"{folder.name} holds more than {folders_limit} folders: choose one further down"
                )
            prefix = path + "/" if path else ""
            try:
                for item in visible_children(real, base):
                    if item.is_dir():
                        pending.append((item.path, prefix + item.name))
                    elif classify(item.name)[1] in kinds:
                        found.append(prefix + item.name)
            except OSError:
                continue  # not readable, or removed meanwhile
            if len(found) > limit:
                raise TooManyFiles(
                    f"{folder.name} holds more than {limit} such files: choose a folder further down"
                )
        return found

    def next_file(self, entry, kinds, backwards=False):
        """The file of ``kinds`` after ``entry`` in its folder's listing order (the next
        episode, the next song), or with ``backwards`` the one before it (the previous
        photo), or None. Names only: nothing is stat'ed but the one found."""
        folder = os.path.dirname(self.file_path(entry))
        try:
            names = [
                item.name
                for item in visible_children(folder, self.root_path(entry.root))
                if classify(item.name)[1] in kinds and item.is_file()
            ]
        except OSError:
            return None

        def order(name):
            return natural_key(name), name

        here = order(entry.name)
        later = sorted(
            (name for name in names if (order(name) < here if backwards else order(name) > here)),
            key=order,
            reverse=backwards,
        )
        parent = entry.segments[:-1]
        for name in later:
            try:
                return self.entry(entry.root, (*parent, name))
            except NotFound:
                continue  # gone meanwhile
        return None

    def warm(self, folders, read_probes, limit):
        """Make ready, after a start, what listing the ``folders`` (``(root, path)``) needs
        beyond their files' details: their names' order, the folders' pages in the
        system's cache, and through ``read_probes(file keys)`` their first ``limit``
        media files' probes. Folders that are gone are passed over. Returns how many
        entries were listed."""
        listed = 0
        for root, path in folders:
            if limit <= 0:
                break
            try:
                _, entries = self.listing(root, split_path(path))
            except NotFound:
                continue
            listed += len(entries)
            media = [e for e in entries if e.is_media][:limit]
            limit -= len(media)
            read_probes(self.file_keys(media))
        return listed

    def search(self, index, text, limit, roots=None):
        """Entries of the best ``limit`` hits of the search ``index`` for ``text``
        (stat'ed now, so sizes are fresh), and how many there are in all; in
        ``roots`` only if given."""
        hits, total = index.query(text, limit=limit, roots=roots)
        entries = []
        for hit in hits:
            try:
                entries.append(self.entry(hit.root, tuple(hit.path.split("/"))))
            except NotFound:
                total -= 1  # removed since the last scan
        return entries, total

    def readable(self, root):
        path = self.root_path(root)
        return os.path.isdir(path) and os.access(path, os.R_OK | os.X_OK)


def _holds_all(name, words):
    return all(word in name for word in words)


def _is_file(entry):
    return not entry.is_dir


def _sort_key(sort):
    if sort == "date":
        return lambda e: (e.mtime, natural_key(e.name))
    if sort == "size":
        return lambda e: (e.size, natural_key(e.name))
    return lambda e: natural_key(e.name)

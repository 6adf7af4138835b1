"""Reading what a file is, for the scanner: its stat, its content hash, and what
:func:`identify` makes of its names, tags and ``.nfo``.

A few files are read in the scanner's own threads. A first scan's thousands are read in a
process of its own (:class:`Readers`): their names and tags are Python work, which in
the app's process would take turns on one core with the database writes of the batch
before, while the machine's other cores wait.
"""

import logging
import multiprocessing
import os
import stat
import traceback
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

from mediacaster.errors import NotFound
from mediacaster.mediatypes import classify
from mediacaster.services.catalogue import fileid
from mediacaster.services.catalogue.identify import identify
from mediacaster.services.catalogue.listing import Folders
from mediacaster.services.library import LibraryService, split_path, visible_children

log = logging.getLogger(__name__)


def real_path(library, root, path):
    """Where ``path`` of ``root`` is on disk, or None where it would leave the root."""
    try:
        return library.resolve(root, split_path(path))[0]
    except NotFound:
        return None


def real_of(library, root):
    """``real_of(path)``: where a path of ``root`` is on disk ("" where it would leave it)."""
    return lambda path: real_path(library, root, path) or ""


def folders_of(library, root):
    """The :class:`Folders` of ``root``, as listings see them."""
    base = library.root_path(root)

    def names(folder):
        try:
            return [
                item.name for item in visible_children(os.path.join(base, folder) if folder else base, base)
            ]
        except OSError:
            return []

    return Folders(names)


def read(library, root, path, folders, known, force=False, real=None, hashed=True):
    """``((path, stat, hash, info), error)``. The first is None when the file did not
    change (its size and mtime are ``known[path]``) unless ``force``; ``(path, None, …)``
    when it is gone. ``real``: where it is on disk, when a walk has just found it there
    (else it is looked for, segment by segment); ``hashed`` False: its hash is None, to be
    given later. ``error``: why ``info`` is None for a file that is there, or None."""
    if real is None:
        real = real_path(library, root, path)
    try:
        st = os.stat(real) if real is not None else None
    except OSError:
        st = None
    if st is None or not stat.S_ISREG(st.st_mode):
        return (path, None, None, None), None
    if not force and known.get(path) == (st.st_size, st.st_mtime_ns):
        return None, None
    try:
        content_hash = fileid.content_hash(real, st.st_size) if hashed else None
    except OSError:
        return (path, None, None, None), None
    kind = classify(path.rpartition("/")[2])[1]
    try:
        info = identify(path, kind, real, folders, real_of(library, root))
    except Exception:  # a reader's bug on one odd file must not stop every scan there
        return (path, st, content_hash, None), traceback.format_exc()
    return (path, st, content_hash, info), None


def logged(root, answer):
    """What :func:`read` found, its error logged."""
    found, error = answer
    if error is not None:
        log.error("cannot tell what %s/%s is\n%s", root, found[0], error.rstrip())
    return found


def read_batch(library, root, folders, paths, known, hashed):
    """:func:`read`'s answers for ``paths``, each found by a walk just now."""
    base = library.root_path(root)
    return [
        read(library, root, path, folders, known, real=os.path.join(base, path), hashed=hashed)
        for path in paths
    ]


_library, _folders = None, {}  # the reading process's


def _start(roots):
    global _library
    # Background work: a conversion or a page someone waits for comes first.
    os.nice(10)
    _library = LibraryService(roots)


def _read_batch(root, paths, known, hashed):
    if root not in _folders:
        _folders[root] = folders_of(_library, root)
    return read_batch(_library, root, _folders[root], paths, known, hashed)


class Readers:
    """Reads a full scan's batches ahead of their writing (a ``with`` block for the
    scan): in the caller's process (a thread), or ``apart`` in a process of its own,
    which lists the folders afresh."""

    def __init__(self, library, folders, apart):
        self._library, self._folders = library, folders
        if apart:
            # Spawned, not forked: a fork would copy the locks the app's other threads hold.
            context = multiprocessing.get_context("spawn")
            self._pool = ProcessPoolExecutor(
                1, mp_context=context, initializer=_start, initargs=(library.roots,)
            )
        else:
            self._pool = ThreadPoolExecutor(1, thread_name_prefix="catalogue-read")
        self._apart = apart

    def submit(self, root, paths, known, hashed):
        """A future of :func:`read_batch`'s answer."""
        if self._apart:
            known = {path: known[path] for path in paths if path in known}
            return self._pool.submit(_read_batch, root, paths, known, hashed)
        return self._pool.submit(read_batch, self._library, root, self._folders, paths, known, hashed)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._pool.shutdown(wait=True, cancel_futures=True)

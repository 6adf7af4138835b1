"""What each user played: where they stopped in each file, and what they watched.

Knows the database session it is given, nothing of HTTP. The rules are the usual
media server's (Jellyfin's defaults): a file of 5 minutes or more is offered to
resume between 5 % and 90 % of it; from 90 % it counts as watched, and stays so
until marked unwatched. Players report every few seconds; a report that comes
sooner than :data:`SAVE_EVERY` after the last one saved is dropped, so a player
costs one small write every few seconds at most.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import and_, select

from mediacaster import bytenames
from mediacaster.models.accounts import as_utc
from mediacaster.models.history import Progress

PLAYED_KINDS = ("video", "audio")  # the files that have a place
RESUME_FROM = 0.05  # of the duration
WATCHED_FROM = 0.90
RESUME_MIN_DURATION = 300.0  # seconds: shorter files (songs, clips) start over
SAVE_EVERY = timedelta(seconds=5)


@dataclass(frozen=True)
class Place:
    """Where a user is in a file."""

    position: float
    duration: float | None
    watched: bool
    updated_at: datetime

    @property
    def resume_at(self):
        """The position to offer to resume at, or None: start over."""
        duration = self.duration
        if not duration or duration < RESUME_MIN_DURATION:
            return None
        return self.position if RESUME_FROM * duration < self.position < WATCHED_FROM * duration else None

    @property
    def fraction(self):
        """How much of it was played, for a progress bar: 1 once watched."""
        if self.watched:
            return 1.0
        return min(1.0, self.position / self.duration) if self.duration else 0.0

    @classmethod
    def of(cls, row):
        return cls(row.position, row.duration, row.watched, as_utc(row.updated_at))


def _key(path):
    folder, _, _ = path.rpartition("/")
    return bytenames.encode(path), bytenames.encode(folder)


def _row(session, user_id, root, path):
    return session.scalar(
        select(Progress).where(
            Progress.user_id == user_id, Progress.root == root, Progress.path == _key(path)[0]
        )
    )


def record(session, user_id, root, path, position, duration=None, final=False, now=None):
    """Note that ``user_id`` (None: everyone, logins off) is at ``position`` seconds of a
    file lasting ``duration``; ``final``: the player stopped or left (always saved).
    Returns the file's :class:`Place` as saved, or as it was when the report came too soon."""
    now = now or datetime.now(timezone.utc)
    position = max(0.0, float(position))
    row = _row(session, user_id, root, path)
    if row is None:
        encoded, folder = _key(path)
        row = Progress(user_id=user_id, root=root, path=encoded, folder=folder, watched=False)
        session.add(row)
    elif not final and now - as_utc(row.updated_at) < SAVE_EVERY:
        return Place.of(row)
    if duration:
        row.duration = float(duration)
        position = min(position, row.duration)
        if position >= WATCHED_FROM * row.duration:
            row.watched = True
    row.position, row.updated_at = position, now
    session.flush()
    return Place.of(row)


def mark(session, user_id, root, path, watched, now=None):
    """Mark a file watched or unwatched by hand; either way it starts over next time."""
    (row,) = mark_all(session, user_id, root, [path], watched, now)
    return Place.of(row)


def mark_all(session, user_id, root, paths, watched, now=None):
    """:func:`mark` each of ``paths`` (a folder's files, say), reading their rows a folder
    at a time; their rows."""
    now = now or datetime.now(timezone.utc)
    keys = {path: _key(path) for path in paths}
    rows = {}
    folders = sorted({folder for _, folder in keys.values()})
    for start in range(0, len(folders), 500):  # under any database's limit of bound values
        rows.update(
            (row.path, row)
            for row in session.scalars(
                select(Progress).where(
                    Progress.user_id == user_id,
                    Progress.root == root,
                    Progress.folder.in_(folders[start : start + 500]),
                )
            )
        )
    for encoded, folder in keys.values():
        row = rows.get(encoded)
        if row is None:
            row = rows[encoded] = Progress(user_id=user_id, root=root, path=encoded, folder=folder)
            session.add(row)
        row.watched, row.position, row.updated_at = bool(watched), 0.0, now
    session.flush()
    return [rows[encoded] for encoded, _ in keys.values()]


def place(session, user_id, root, path):
    row = _row(session, user_id, root, path)
    return Place.of(row) if row is not None else None


def of_folder(session, user_id, root, folder):
    """``{name: Place}`` of the files directly in ``folder`` the user played."""
    rows = session.scalars(
        select(Progress).where(
            Progress.user_id == user_id, Progress.root == root, Progress.folder == bytenames.encode(folder)
        )
    )
    return {bytenames.decode(row.path).rpartition("/")[2]: Place.of(row) for row in rows}


def in_progress(session, user_id, roots, limit=12):
    """``[(root, path, Place)]``: the files the user may resume, latest first, among ``roots``."""
    duration = Progress.duration
    rows = session.scalars(
        select(Progress)
        .where(
            Progress.user_id == user_id,
            Progress.root.in_(list(roots)),
            and_(
                duration >= RESUME_MIN_DURATION,
                Progress.position > RESUME_FROM * duration,
                Progress.position < WATCHED_FROM * duration,
            ),
        )
        .order_by(Progress.updated_at.desc())
        .limit(limit)
    )
    return [(row.root, bytenames.decode(row.path), Place.of(row)) for row in rows]


class History:
    """The history for those who write outside a request (the cast watcher): a
    transaction of its own for each write."""

    def __init__(self, database):
        self.database = database

    def record(self, user_id, root, path, position, duration=None, final=False):
        with self.database.sessions.begin() as session:
            return record(session, user_id, root, path, position, duration, final)

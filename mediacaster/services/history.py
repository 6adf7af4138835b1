"""What each user played: where they stopped in each file, and what they watched.

Knows the database session it is given, nothing of HTTP. The rules are the usual
media server's (Jellyfin's defaults): a file of 5 minutes or more is offered to
resume between 5 % and 90 % of it; from 90 % it counts as watched, and stays so
until marked unwatched. Players report every few seconds; a report that comes
sooner than :data:`SAVE_EVERY` after the last one saved is dropped, so a player
costs one small write every few seconds at most.

While the database is away (restarting, locked, its disk full), :class:`History`
keeps each file's latest report in Redis and writes them once it is back.
"""

import json
import logging
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import redis
from sqlalchemy import and_, exc, select

from mediacaster import bytenames
from mediacaster.models import OUTAGES
from mediacaster.models.accounts import as_utc
from mediacaster.models.history import Progress

log = logging.getLogger(__name__)

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


def record_kept(session, user_id, root, path, kept):
    """Write a report :class:`History` kept while the database was away, unless the file's
    row was saved after it; what a report in between crossed (watched) stays crossed."""
    reported_at = datetime.fromisoformat(kept["at"])
    row = _row(session, user_id, root, path)
    if row is not None and as_utc(row.updated_at) >= reported_at:
        return
    place = record(session, user_id, root, path, kept["position"], kept["duration"], True, reported_at)
    if kept["watched"] and not place.watched:
        _row(session, user_id, root, path).watched = True
        session.flush()


KEPT = "mediacaster:kept-places"  # Redis hash: [user_id, root, path] -> the latest report
RETRY_EVERY = 2.0  # seconds between tries to write the kept reports
# Delete a kept report only if it is still the one written: a newer one stays for the next try.
DELETE_IF_SAME = """
if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then return redis.call('HDEL', KEYS[1], ARGV[1]) end
return 0
"""


class History:
    """The history for writes outside the request's transaction (players' reports, the cast
    watcher): a transaction of its own for each. While the database is away a report is
    kept in Redis, and a thread writes the kept ones once the database is back."""

    def __init__(self, database, redis_client):
        self.database = database
        self.redis = redis_client
        self._delete_if_same = redis_client.register_script(DELETE_IF_SAME)
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._writer = None
        try:
            if redis_client.exists(KEPT):  # kept before a restart of the app
                self._write_soon()
        except redis.RedisError:
            pass  # Redis's own outage is answered where it is needed

    def record(self, user_id, root, path, position, duration=None, final=False):
        """:func:`record` in a transaction of its own; ``(Place, saved)``: ``saved`` False when
        the database is away and the report was kept in Redis for later. Raises the
        database's error when Redis cannot keep it either: the report is lost."""
        failure = None
        if self._writer is None:
            try:
                return self._record(user_id, root, path, position, duration, final), True
            except OUTAGES as error:
                failure = error
        # Else the database was away moments ago: kept at once, not after the database's
        # timeout, which would hold a request thread for each player's report meanwhile.
        try:
            return self._keep(user_id, root, path, position, duration), False
        except redis.RedisError:
            if failure is None:
                raise
            raise failure from None

    def _record(self, user_id, root, path, position, duration, final):
        try:
            with self.database.sessions.begin() as session:
                return record(session, user_id, root, path, position, duration, final)
        except exc.IntegrityError:
            # The file's first report, and another player's (or the TV's) first report of it
            # came at the same moment and made its row first: this one updates that row.
            with self.database.sessions.begin() as session:
                return record(session, user_id, root, path, position, duration, final)

    def _keep(self, user_id, root, path, position, duration):
        """Keep the report in Redis (a later one of the same file replaces it: kept reports
        are written as final ones); the :class:`Place` it tells of."""
        field = json.dumps([user_id, root, path])
        earlier = self.redis.hget(KEPT, field)
        if not earlier:  # once per file and outage, not at every report
            log.warning("database unavailable: positions in %s kept in Redis until it is back", root)
        earlier = json.loads(earlier) if earlier else {}
        duration = float(duration) if duration else earlier.get("duration")
        position = max(0.0, float(position))
        if duration:
            position = min(position, duration)
        watched = earlier.get("watched", False) or bool(duration and position >= WATCHED_FROM * duration)
        now = datetime.now(timezone.utc)
        kept = {"position": position, "duration": duration, "watched": watched, "at": now.isoformat()}
        self.redis.hset(KEPT, field, json.dumps(kept))
        self._write_soon()
        return Place(position, duration, watched, now)

    def pending(self):
        """How many files' reports wait in Redis for the database."""
        return self.redis.hlen(KEPT)

    def _write_soon(self):
        with self._lock:
            if self._writer is None and not self._stopping.is_set():
                self._writer = threading.Thread(target=self._write_kept, name="history-writer", daemon=True)
                self._writer.start()

    def _write_kept(self):
        """Until every kept report is written: try every few seconds."""
        while not self._stopping.wait(RETRY_EVERY):
            try:
                self.write_kept()
                with self._lock:
                    if not self.redis.exists(KEPT):
                        self._writer = None
                        return
            except (*OUTAGES, redis.RedisError) as error:
                log.debug("kept positions not written yet: %s", error)
            except Exception:  # a bug must not end the writer: what is kept would wait forever
                log.exception("writing the kept positions failed")

    def write_kept(self):
        """Write the reports kept in Redis to the database; how many."""
        written = 0
        for field, value in self.redis.hgetall(KEPT).items():
            user_id, root, path = json.loads(field)
            try:
                with self.database.sessions.begin() as session:
                    record_kept(session, user_id, root, path, json.loads(value))
            except exc.IntegrityError:  # its user was removed meanwhile
                log.warning("a kept position of a removed user dropped")
            self._delete_if_same(keys=[KEPT], args=[field, value])
            written += 1
        if written:
            log.info("database back: %d kept position(s) written", written)
        return written

    def close(self):
        self._stopping.set()
        with self._lock:
            writer = self._writer
        if writer is not None:
            writer.join()

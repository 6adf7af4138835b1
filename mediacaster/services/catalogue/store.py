"""Writing what the scanner found: file records that keep their identity through a move,
the items on them, and the history that follows a moved file.

The history (mediacaster/models/history.py) stays keyed by root and path, the key every
player, the cast watcher and the folder pages already use and that works with the
catalogue off; a move seen here rewrites its rows to the new path instead, in the same
transaction as the file record, so positions and watched state follow the file.
"""

from datetime import datetime, timezone

from sqlalchemy import delete, insert, or_, select, text, update

from mediacaster import bytenames
from mediacaster.models.accounts import as_utc
from mediacaster.models.catalogue import (
    Album,
    Artist,
    CatalogueFile,
    Episode,
    Film,
    Photo,
    Season,
    Show,
    Track,
)
from mediacaster.models.history import Progress
from mediacaster.services.catalogue import fileid
from mediacaster.services.catalogue.identify import comparable, parent, sort_title

GONE_IN_QUERY = 500  # missing paths named in the query for moved files; more are sifted here
ITEMS = {"film": Film, "episode": Episode, "track": Track, "photo": Photo}


def encode(path):
    return bytenames.encode(path) if path is not None else None


def present_files(session, root):
    """``{path: (size, mtime_ns)}`` of the files of ``root`` the catalogue holds as present:
    what a rescan compares the disk with to skip what did not change."""
    rows = session.execute(
        select(CatalogueFile.path, CatalogueFile.size, CatalogueFile.mtime_ns).where(
            CatalogueFile.root == root, CatalogueFile.present.is_(True)
        )
    )
    return {bytenames.decode(path): (size, mtime_ns) for path, size, mtime_ns in rows}


def record_file(session, root, path, kind, st, content_hash, real_of, gone=None, now=None):
    """The file record of ``path`` (stat ``st``), found by path, then as a file moved or
    restored (device and inode, then content), else new; its history moved along.

    A record whose file is still at its own path is a copy's or a hard link's, not this
    one's: ``gone`` is the set of paths a full scan found missing, or, None, each
    candidate's path is looked at on disk, where ``real_of(relative path)`` says."""
    now = now or datetime.now(timezone.utc)
    encoded = bytenames.encode(path)
    record = session.scalar(
        select(CatalogueFile).where(
            CatalogueFile.root == root, CatalogueFile.path == encoded, CatalogueFile.present.is_(True)
        )
    )
    if record is None:
        record = _moved_here(session, root, encoded, st, content_hash, real_of, gone)
        if record is not None:
            move_history(session, root, record.path, encoded)
    if record is None:
        record = session.scalar(
            select(CatalogueFile)
            .where(CatalogueFile.root == root, CatalogueFile.path == encoded)
            .order_by(CatalogueFile.id.desc())
            .limit(1)
        )
    if record is None:
        record = CatalogueFile(
            root=root,
            first_seen=now,
            added_at=min(now, datetime.fromtimestamp(st.st_ctime, timezone.utc)),
        )
        session.add(record)
    record.path, record.folder, record.kind = encoded, bytenames.encode(parent(path)), kind
    record.size, record.mtime_ns, record.device, record.inode = (
        st.st_size,
        st.st_mtime_ns,
        st.st_dev,
        st.st_ino,
    )
    record.content_hash, record.present, record.last_seen = content_hash, True, now
    session.flush()
    return record


CATALOGUE_TABLES = [
    model.__tablename__ for model in (CatalogueFile, Show, Season, Episode, Film, Artist, Album, Track, Photo)
]


def analyze(session):
    """Have the database count what the catalogue's tables hold, after a scan changed many
    rows: its planner then starts the pages' joins from the small side (a thousand films,
    not fifty thousand files)."""
    for table in CATALOGUE_TABLES:
        session.execute(text(f"ANALYZE {table}"))


def has_vanished(session, root):
    """Whether ``root`` has records of files that vanished: a file found at a new path may
    be one of them, moved or restored."""
    return (
        session.scalar(
            select(CatalogueFile.id)
            .where(CatalogueFile.root == root, CatalogueFile.present.is_(False))
            .limit(1)
        )
        is not None
    )


def new_records(session, root, found, now=None):
    """The records of files seen for the first time, ``found`` as ``[(path, kind, stat,
    content hash)]``, written at once: for a path no record has, in a root where no file
    vanished (:func:`has_vanished`), when nothing else changed meanwhile."""
    now = now or datetime.now(timezone.utc)
    rows = [
        {
            "root": root,
            "path": bytenames.encode(path),
            "folder": bytenames.encode(parent(path)),
            "kind": kind,
            "size": st.st_size,
            "mtime_ns": st.st_mtime_ns,
            "device": st.st_dev,
            "inode": st.st_ino,
            "content_hash": content_hash,
            "present": True,
            "first_seen": now,
            "added_at": min(now, datetime.fromtimestamp(st.st_ctime, timezone.utc)),
            "last_seen": now,
        }
        for path, kind, st, content_hash in found
    ]
    if not rows:
        return []
    inserted = session.scalars(
        insert(CatalogueFile).returning(CatalogueFile, sort_by_parameter_order=True), rows
    ).all()
    return inserted


def _moved_here(session, root, encoded, st, content_hash, real_of, gone):
    """A record of the same file under another path (or none, gone), whose own path no
    longer holds it: the same inode first, then the same content."""
    same_inode = (CatalogueFile.device == st.st_dev) & (CatalogueFile.inode == st.st_ino)
    query = select(CatalogueFile).where(
        CatalogueFile.root == root,
        CatalogueFile.size == st.st_size,
        or_(same_inode, CatalogueFile.content_hash == content_hash),
        CatalogueFile.path != encoded,
    )
    if gone is not None and len(gone) <= GONE_IN_QUERY:
        # Hard links and copies of one file can be many: only those that can have moved.
        missing = [bytenames.encode(path) for path in gone]
        query = query.where(or_(CatalogueFile.present.is_(False), CatalogueFile.path.in_(missing)))
    candidates = session.scalars(query.order_by(CatalogueFile.id)).all()
    candidates.sort(key=lambda c: (c.device, c.inode) != (st.st_dev, st.st_ino))
    for candidate in candidates:
        if not candidate.present:
            return candidate
        if gone is not None:
            if bytenames.decode(candidate.path) in gone:
                return candidate
        elif not fileid.same_file(
            real_of(bytenames.decode(candidate.path)), candidate.device, candidate.inode
        ):
            return candidate
    return None


def move_history(session, root, old, new):
    """Every user's row of ``old`` (bytes) becomes the row of ``new``; where a user has one
    for ``new`` already, the later of the two stays."""
    if old == new:
        return
    folder = bytenames.encode(parent(bytenames.decode(new)))
    for row in session.scalars(select(Progress).where(Progress.root == root, Progress.path == old)).all():
        there = session.scalar(
            select(Progress).where(
                Progress.user_id == row.user_id, Progress.root == root, Progress.path == new
            )
        )
        if there is not None:
            if as_utc(there.updated_at) >= as_utc(row.updated_at):
                session.delete(row)
                continue
            session.delete(there)
            session.flush()
        row.path, row.folder = new, folder
    session.flush()


def mark_missing(session, root, paths):
    """The files at ``paths`` vanished: not present, their items and history kept."""
    encoded = [bytenames.encode(path) for path in paths]
    for start in range(0, len(encoded), 500):
        for record in session.scalars(
            select(CatalogueFile).where(
                CatalogueFile.root == root,
                CatalogueFile.path.in_(encoded[start : start + 500]),
                CatalogueFile.present.is_(True),
            )
        ):
            record.present = False
    session.flush()


def present_below(session, root, folder):
    """Paths of the present files in ``folder`` and below it."""
    prefix = bytenames.encode(folder) + b"/"
    # '/' is 0x2F and '0' 0x30: the paths that start with the prefix sort between these two.
    below = (CatalogueFile.path >= prefix) & (CatalogueFile.path < prefix[:-1] + b"0")
    rows = session.scalars(
        select(CatalogueFile.path).where(
            CatalogueFile.root == root,
            CatalogueFile.present.is_(True),
            or_(below, CatalogueFile.path == prefix[:-1]),
        )
    )
    return [bytenames.decode(path) for path in rows]


def save_item(session, record, info, new=False):
    """Make the item on ``record`` what ``info`` (services/catalogue/identify.py) says; no
    item for None. An item keeps its id while its file stays of the same type. ``new``:
    the record was just made (it has no item yet), and the item is written with the
    transaction's others."""
    wanted = ITEMS.get(info["type"]) if info else None
    if not new:
        for kind in ITEMS.values():
            if kind is not wanted:
                session.execute(delete(kind).where(kind.file_id == record.id))
    if wanted is None:
        return None
    item = None if new else session.scalar(select(wanted).where(wanted.file_id == record.id))
    if item is None:
        item = wanted(file_id=record.id)
    info = storable(info)
    # Added once filled: its show, season, album or artist is found or made on the way.
    FILL[info["type"]](session, record, item, info)
    session.add(item)
    if not new:
        session.flush()
    return item


ART = frozenset({"poster", "fanart", "cover", "show_poster", "show_fanart", "season_poster"})
LONGEST = 255  # characters of a title or a name kept (the columns hold 255 to 512)


def storable(info):
    """``info`` as both databases store it: text without NUL characters (PostgreSQL refuses
    them, and tags hold them), names that are not UTF-8 with their odd bytes replaced
    (their paths keep them), no longer than the columns; whole numbers that fit in them."""
    kept = {}
    for name, value in info.items():
        if isinstance(value, str) and name not in ART:
            value = bytenames.encode(value).decode("utf-8", "replace").replace("\0", "").strip()[:LONGEST]
        elif isinstance(value, int) and not isinstance(value, bool) and not -(2**31) < value < 2**31:
            value = None
        kept[name] = value
    return kept


def _fill_film(session, record, film, info):
    film.key, film.title, film.sort_title = _key(info["title"]), info["title"], info["sort_title"]
    film.year = info["year"]
    film.edition, film.poster, film.poster_embedded = (
        info["edition"],
        encode(info["poster"]),
        info["poster_embedded"],
    )
    film.fanart = encode(info["fanart"])


def _fill_episode(session, record, episode, info):
    before = episode.show_id  # the show it belonged to, if it changes
    show = _one(session, Show, root=record.root, key=_key(info["show_key"] or info["show"]))
    show.title, show.sort_title = info["show"], info["show_sort_title"]
    show.year = info["show_year"] or show.year
    show.poster = encode(info["show_poster"]) or show.poster
    show.fanart = encode(info["show_fanart"]) or show.fanart
    _flush_new(session, show)
    season = _one(session, Season, show_id=show.id, number=info["season"])
    season.poster = encode(info["season_poster"]) or season.poster
    _flush_new(session, season)
    episode.show_id, episode.season_id = show.id, season.id
    episode.number, episode.last_number = info["number"], info["last_number"]
    episode.absolute_number, episode.aired, episode.title = (
        info["absolute_number"],
        info["aired"],
        info["title"],
    )
    # Its place in the show's order is given before the transaction ends (order_episodes).
    session.info.setdefault(REORDER, set()).update({show.id, before} - {None})


def _fill_track(session, record, track, info):
    artist = _artist(session, record.root, info["artist"])
    album_artist = _artist(session, record.root, info["album_artist"])
    album = _one(session, Album, root=record.root, artist_id=album_artist.id, key=_key(info["album"]))
    if album.title is None:
        album.title, album.sort_title = info["album"], sort_title(info["album"])
    album.year = info["year"] or album.year
    album.compilation = bool(album.compilation) or info["compilation"]
    # Local art before embedded covers, whichever song of the album is read first.
    if info["cover"] and (album.cover is None or (album.cover_embedded and not info["cover_embedded"])):
        album.cover, album.cover_embedded = encode(info["cover"]), info["cover_embedded"]
    _flush_new(session, album)
    track.album_id, track.artist_id = album.id, artist.id
    track.title, track.disc, track.number = info["title"], info["disc"], info["number"]


def _artist(session, root, name):
    artist = _one(session, Artist, root=root, key=_key(name))
    if artist.name is None:
        artist.name, artist.sort_name = name, sort_title(name)
    _flush_new(session, artist)
    return artist


def _fill_photo(session, record, photo, info):
    taken = info["taken_at"]
    photo.taken_from_exif = taken is not None
    photo.taken_at = taken or datetime.fromtimestamp(record.mtime_ns / 1e9, timezone.utc).replace(tzinfo=None)
    photo.width, photo.height = info["width"], info["height"]


REORDER = "catalogue_shows_to_order"  # session.info: shows whose episodes were written


def watching_order(season_number, number, aired, path):
    """Episodes in the order they are watched: specials last, date-named ones by date."""
    return (
        season_number == 0,
        season_number,
        number if number is not None else 1 << 30,
        aired.toordinal() if aired is not None else 0,
        path,
    )


def order_episodes(session):
    """Number the episodes of the shows written in this transaction in watching order
    (:attr:`Episode.watch_order`), specials left out; only changed places are written."""
    shows = session.info.pop(REORDER, set())
    if not shows:
        return
    session.flush()
    rows = session.execute(
        select(Episode.show_id, Episode.id, Episode.watch_order, Season.number, Episode.number)
        .add_columns(Episode.aired, CatalogueFile.path)
        .join(Season, Episode.season_id == Season.id)
        .join(CatalogueFile, Episode.file_id == CatalogueFile.id)
        .where(Episode.show_id.in_(shows))
    ).all()
    rows.sort(key=lambda row: (row[0], watching_order(*row[3:])))
    changed, place, show = [], 0, None
    for show_id, episode_id, known, season, *_ in rows:
        place = 1 if show_id != show else place + 1
        show = show_id
        wanted = None if season == 0 else place
        if known != wanted:
            changed.append({"id": episode_id, "watch_order": wanted})
    if changed:
        session.execute(update(Episode), changed)


def _flush_new(session, row):
    """Give a new row its id (what refers to it needs it); a known one is written later."""
    if row.id is None:
        session.flush()


FILL = {"film": _fill_film, "episode": _fill_episode, "track": _fill_track, "photo": _fill_photo}


def _key(title):
    """What two names that are the same compare as (within a column's length)."""
    return (comparable(title) or title.casefold())[:512]


def _one(session, kind, **key):
    """The row of ``kind`` with ``key``, made when there is none; each looked for once in
    a session (a batch of a scan holds a season's episodes, an album's songs)."""
    rows = session.info.setdefault("catalogue_rows", {})
    cached = (kind, *sorted(key.items()))
    found = rows.get(cached)
    if found is None:
        found = session.scalar(select(kind).filter_by(**key))
        if found is None:
            found = kind(**key)
            session.add(found)
        rows[cached] = found
    return found

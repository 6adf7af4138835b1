"""Writing what the scanner found: file records that keep their identity through a move,
the items on them, and the history that follows a moved file.

The history (mediacaster/models/history.py) stays keyed by root and path, the key every
player, the cast watcher and the folder pages already use and that works with the
catalogue off; a move seen here rewrites its rows to the new path instead, in the same
transaction as the file record, so positions and watched state follow the file.
"""

from datetime import datetime, timezone
from typing import NamedTuple

from sqlalchemy import bindparam, delete, insert, or_, select, text, update

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

# The content hash of a file written before it was hashed (scanner._hash_new): no file's
# hash is ever compared with it, so a record that has it matches by its inode only.
UNHASHED = ""
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
    candidate's path is looked at on disk, where ``real_of(relative path)`` says.
    ``content_hash`` None: not read yet (the file is then told by its inode alone)."""
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
    record.content_hash, record.present, record.last_seen = content_hash or UNHASHED, True, now
    session.flush()
    return record


CATALOGUE_TABLES = [
    model.__tablename__ for model in (CatalogueFile, Show, Season, Episode, Film, Artist, Album, Track, Photo)
]


def analyze(engine):
    """Have the database count what the catalogue's tables hold, after a scan changed many
    rows: its planner then starts the pages' joins from the small side (a thousand films,
    not fifty thousand files). PostgreSQL also vacuums them, which marks their pages as
    all visible: Next up then reads files and episodes from their indexes alone (0008)."""
    postgresql = engine.dialect.name == "postgresql"
    # VACUUM runs outside a transaction only.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        for table in CATALOGUE_TABLES:
            connection.execute(text(f"{'VACUUM (ANALYZE)' if postgresql else 'ANALYZE'} {table}"))


def unhashed(session, root, after, limit):
    """``[(id, path, size, mtime_ns)]`` of the first ``limit`` present files of ``root``
    after id ``after`` that have no content hash yet (:data:`UNHASHED`), in id order."""
    rows = session.execute(
        select(CatalogueFile.id, CatalogueFile.path, CatalogueFile.size, CatalogueFile.mtime_ns)
        .where(
            CatalogueFile.root == root,
            CatalogueFile.present.is_(True),
            CatalogueFile.content_hash == UNHASHED,
            CatalogueFile.id > after,
        )
        .order_by(CatalogueFile.id)
        .limit(limit)
    )
    return [(file_id, bytenames.decode(path), size, mtime_ns) for file_id, path, size, mtime_ns in rows]


def set_hashes(session, hashes):
    """Give the files of ``hashes``, ``{id: content hash}``, their hash, where a file
    has none yet (another writer's is kept)."""
    if hashes:
        session.connection().execute(
            update(CatalogueFile.__table__)
            .where(CatalogueFile.id == bindparam("file_id"), CatalogueFile.content_hash == UNHASHED)
            .values(content_hash=bindparam("hash")),
            [{"file_id": file_id, "hash": value} for file_id, value in hashes.items()],
        )


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
    vanished (:func:`has_vanished`), when nothing else changed meanwhile. Returns each
    one's :class:`Written`, in their order."""
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
            "content_hash": content_hash or UNHASHED,
            "present": True,
            "first_seen": now,
            "added_at": min(now, datetime.fromtimestamp(st.st_ctime, timezone.utc)),
            "last_seen": now,
        }
        for path, kind, st, content_hash in found
    ]
    if not rows:
        return []
    # The table's own INSERT: the ORM's bulk path would only add its bookkeeping. Without
    # RETURNING, the driver sends one short prepared statement a row; with it, SQLAlchemy
    # would make one statement of the batch's 3,000 values, which psycopg parses anew each
    # time (it keeps only short statements parsed). The ids are then read by path, which
    # only these new records have among the present ones.
    table = CatalogueFile.__table__
    session.execute(insert(table), rows)
    ids = {}
    for chunk in _chunks([row["path"] for row in rows]):
        ids.update(
            session.execute(
                select(table.c.path, table.c.id).where(
                    table.c.root == root, table.c.path.in_(chunk), table.c.present.is_(True)
                )
            ).all()
        )
    return [Written(ids[row["path"]], root, row["mtime_ns"], row["path"]) for row in rows]


class Written(NamedTuple):
    """What :func:`save_items` needs of a record written at once by :func:`new_records`."""

    id: int
    root: str
    mtime_ns: int
    path: bytes


def _moved_here(session, root, encoded, st, content_hash, real_of, gone):
    """A record of the same file under another path (or none, gone), whose own path no
    longer holds it: the same inode first, then the same content."""
    same_inode = (CatalogueFile.device == st.st_dev) & (CatalogueFile.inode == st.st_ino)
    query = select(CatalogueFile).where(
        CatalogueFile.root == root,
        CatalogueFile.size == st.st_size,
        same_inode if content_hash is None else or_(same_inode, CatalogueFile.content_hash == content_hash),
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


def save_item(session, record, info):
    """:func:`save_items` for one file: its item, or None."""
    save_items(session, [(record, info, False)])
    wanted = ITEMS.get(info["type"]) if info else None
    return session.scalar(select(wanted).where(wanted.file_id == record.id)) if wanted else None


def save_items(session, found):
    """Make the items on the records of ``found``, ``[(record, info, new)]``, what each
    ``info`` (services/catalogue/identify.py) says; no item for None. An item keeps its id
    while its file stays of the same type; ``new``: the record was just made and has no
    item yet. ``record`` needs ``id``, ``root``, ``mtime_ns`` and ``path``.

    A batch costs a few statements, not a few per file: its shows, seasons, artists and
    albums are looked up at once (:class:`_Parents`), and its items written with one
    statement of each type."""
    found = [(record, storable(info) if info else None, new) for record, info, new in found]
    kept = _kept_items(session, [(record.id, info) for record, info, new in found if not new])
    parents = _Parents(session, [(record.root, info) for record, info, _new in found if info])
    inserts, updates, new_episodes = {}, {}, []
    for record, info, _new in found:
        if info is None:
            continue
        row = {"file_id": record.id, **ROWS[info["type"]](parents, record, info)}
        item_id = kept.get((info["type"], record.id))
        if item_id is None:
            inserts.setdefault(info["type"], []).append(row)
            if info["type"] == "episode":
                new_episodes.append((row, info["season"], record.path))
        else:
            updates.setdefault(info["type"], []).append({"id": item_id, **row})
    if new_episodes:
        _place_new_episodes(session, new_episodes)
    for name, rows in inserts.items():
        session.execute(insert(ITEMS[name].__table__), rows)
    for name, rows in updates.items():
        session.execute(update(ITEMS[name]), rows)
    # Their places in the shows' order are given before the transaction ends (order_episodes).
    shows = {row["show_id"] for rows in (inserts, updates) for row in rows.get("episode", ())}
    session.info.setdefault(REORDER, set()).update(shows)


def _kept_items(session, found):
    """``{(type, file id): item id}`` of the items of ``found``, ``[(file id, info)]``, that
    stay of the same type; the others are deleted (a film that became an episode)."""
    wanted = {file_id: info["type"] if info else None for file_id, info in found}
    kept = {}
    for name, kind in ITEMS.items():
        gone = []
        for chunk in _chunks(list(wanted)):
            columns = (kind.id, kind.file_id, *((kind.show_id,) if kind is Episode else ()))
            for item_id, file_id, *show in session.execute(select(*columns).where(kind.file_id.in_(chunk))):
                if wanted[file_id] == name:
                    kept[(name, file_id)] = item_id
                else:
                    gone.append(item_id)
                # The show it belonged to is numbered again, whatever it becomes.
                session.info.setdefault(REORDER, set()).update(show)
        for chunk in _chunks(gone):
            session.execute(delete(kind).where(kind.id.in_(chunk)))
    return kept


def _chunks(values, size=GONE_IN_QUERY):
    return (values[start : start + size] for start in range(0, len(values), size))


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


def _film_row(parents, record, info):
    return {
        "key": _key(info["title"]),
        "title": info["title"],
        "sort_title": info["sort_title"],
        "year": info["year"],
        "edition": info["edition"],
        "poster": encode(info["poster"]),
        "poster_embedded": info["poster_embedded"],
        "fanart": encode(info["fanart"]),
    }


def _episode_row(parents, record, info):
    show, season = parents.show_of(record.root, info), parents.season_of(record.root, info)
    return {
        "show_id": show.id,
        "season_id": season.id,
        "number": info["number"],
        "last_number": info["last_number"],
        "absolute_number": info["absolute_number"],
        "aired": info["aired"],
        "title": info["title"],
    }


def _track_row(parents, record, info):
    return {
        "album_id": parents.album_of(record.root, info).id,
        "artist_id": parents.artist(record.root, info["artist"]).id,
        "title": info["title"],
        "disc": info["disc"],
        "number": info["number"],
    }


def _photo_row(parents, record, info):
    taken = info["taken_at"]
    mtime = datetime.fromtimestamp(record.mtime_ns / 1e9, timezone.utc).replace(tzinfo=None)
    return {
        "taken_from_exif": taken is not None,
        "taken_at": taken or mtime,
        "width": info["width"],
        "height": info["height"],
    }


ROWS = {"film": _film_row, "episode": _episode_row, "track": _track_row, "photo": _photo_row}


class _Parents:
    """The shows, seasons, artists and albums the items of a batch, ``[(root, info)]``,
    stand in: each looked up once, made when missing, and given what the batch's files
    say of it in their order (a later file's show title wins; art and years only where
    a file has them); one flush writes them all. Each is known by its names (a show's
    root and key...), which a new one has before the flush gives it an id."""

    def __init__(self, session, found):
        self.session = session
        episodes = [(root, info) for root, info in found if info["type"] == "episode"]
        tracks = [(root, info) for root, info in found if info["type"] == "track"]
        roots = {root for root, _info in found}
        self.shows = self._load(Show, roots, {_show_key(root, info)[1] for root, info in episodes})
        names = {_key(info[name]) for _root, info in tracks for name in ("artist", "album_artist")}
        self.artists = self._load(Artist, roots, names)
        show_keys = {show.id: key for key, show in self.shows.items()}
        self.seasons = {
            (*show_keys[season.show_id], season.number): season
            for chunk in _chunks(list(show_keys))
            for season in session.scalars(select(Season).where(Season.show_id.in_(chunk)))
        }
        artist_keys = {artist.id: key for key, artist in self.artists.items()}
        albums = self._rows(Album, roots, {_key(info["album"]) for _root, info in tracks})
        self.albums = {
            (*artist_keys[album.artist_id], album.key): album
            for album in albums
            if album.artist_id in artist_keys
        }
        for root, info in episodes:
            self._fill_show(root, info)
        for root, info in tracks:
            self._fill_album(root, info)
        session.flush()

    def _rows(self, kind, roots, keys):
        return [
            row
            for chunk in _chunks(sorted(keys))
            for row in self.session.scalars(select(kind).where(kind.root.in_(roots), kind.key.in_(chunk)))
        ]

    def _load(self, kind, roots, keys):
        return {(row.root, row.key): row for row in self._rows(kind, roots, keys)}

    def _made(self, rows, known_as, kind, **values):
        row = rows.get(known_as)
        if row is None:
            row = rows[known_as] = kind(**values)
            self.session.add(row)
        return row

    def show_of(self, root, info):
        return self.shows[_show_key(root, info)]

    def season_of(self, root, info):
        return self.seasons[(*_show_key(root, info), info["season"])]

    def artist(self, root, name):
        artist = self._made(self.artists, (root, _key(name)), Artist, root=root, key=_key(name))
        if artist.name is None:
            artist.name, artist.sort_name = name, sort_title(name)
        return artist

    def album_of(self, root, info):
        return self.albums[(root, _key(info["album_artist"]), _key(info["album"]))]

    def _fill_show(self, root, info):
        key = _show_key(root, info)
        show = self._made(self.shows, key, Show, root=root, key=key[1])
        show.title, show.sort_title = info["show"], info["show_sort_title"]
        show.year = info["show_year"] or show.year
        show.poster = encode(info["show_poster"]) or show.poster
        show.fanart = encode(info["show_fanart"]) or show.fanart
        season = self._made(self.seasons, (*key, info["season"]), Season, number=info["season"], **_of(show))
        season.poster = encode(info["season_poster"]) or season.poster

    def _fill_album(self, root, info):
        self.artist(root, info["artist"])
        artist = self.artist(root, info["album_artist"])
        key = (root, artist.key, _key(info["album"]))
        album = self._made(self.albums, key, Album, root=root, key=key[2], **_of(artist))
        if album.title is None:
            album.title, album.sort_title = info["album"], sort_title(info["album"])
        album.year = info["year"] or album.year
        album.compilation = bool(album.compilation) or info["compilation"]
        # Local art before embedded covers, whichever song of the album is read first.
        if info["cover"] and (album.cover is None or (album.cover_embedded and not info["cover_embedded"])):
            album.cover, album.cover_embedded = encode(info["cover"]), info["cover_embedded"]


def _show_key(root, info):
    return root, _key(info["show_key"] or info["show"])


def _of(parent):
    """What a new season or album says of its show or artist: its id when it has one (no
    load of a known show's seasons), else the new row itself, which the flush writes first."""
    name = "show" if isinstance(parent, Show) else "artist"
    return {f"{name}_id": parent.id} if parent.id is not None else {name: parent}


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
    changed = [
        {"id": episode_id, "watch_order": wanted}
        for (_show, episode_id, known, *_), wanted in _in_watching_order(_episodes_of(session, shows))
        if known != wanted
    ]
    if changed:
        session.execute(update(Episode), changed)


def _episodes_of(session, shows):
    """``[(show id, id, watch_order, season number, number, aired, path)]`` of the
    episodes of ``shows``."""
    return session.execute(
        select(Episode.show_id, Episode.id, Episode.watch_order, Season.number, Episode.number)
        .add_columns(Episode.aired, CatalogueFile.path)
        .join(Season, Episode.season_id == Season.id)
        .join(CatalogueFile, Episode.file_id == CatalogueFile.id)
        .where(Episode.show_id.in_(shows))
    ).all()


def _in_watching_order(episodes):
    """``(episode, place)`` of each of ``episodes`` (as :func:`_episodes_of` gives them),
    show by show in watching order; the place None for a special."""
    place, show = 0, None
    for episode in sorted(episodes, key=lambda row: (row[0], watching_order(*row[3:]))):
        place = 1 if episode[0] != show else place + 1
        show = episode[0]
        yield episode, (None if episode[3] == 0 else place)


def _place_new_episodes(session, new):
    """Give the rows of new episodes, ``[(row, season number, path)]``, their places among
    their shows' episodes before they are written: a first scan's episodes then need no
    second write (order_episodes still writes the places that change)."""
    known = _episodes_of(session, {row["show_id"] for row, _season, _path in new})
    added = [
        (row["show_id"], row, None, season, row["number"], row["aired"], path) for row, season, path in new
    ]
    for episode, place in _in_watching_order([*known, *added]):
        if isinstance(episode[1], dict):
            episode[1]["watch_order"] = place


def _key(title):
    """What two names that are the same compare as (within a column's length)."""
    return (comparable(title) or title.casefold())[:512]

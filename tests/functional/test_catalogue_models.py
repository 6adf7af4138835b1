"""The catalogue's tables on a real SQLite file and a real PostgreSQL cluster: migration
0006 up and down with rows in them, and the file identities the store keeps (a moved
file's record and history, files below a folder) on both."""

import os
from datetime import date, datetime, timezone
from types import SimpleNamespace

import pytest
from alembic import command
from sqlalchemy import func, inspect, select, text

from mediacaster import bytenames
from mediacaster.models import alembic_config
from mediacaster.models.catalogue import CatalogueFile, Episode, Film, Photo, Season, Show, Track
from mediacaster.models.history import Progress
from mediacaster.services import accounts, history
from mediacaster.services.catalogue import store

pytestmark = pytest.mark.postgres

CATALOGUE = {
    f"catalogue_{name}"
    for name in ("files", "shows", "seasons", "episodes", "films", "artists", "albums", "tracks", "photos")
}


def stat(size=1000, inode=1, device=7, mtime_ns=1_700_000_000_000_000_000):
    return SimpleNamespace(st_size=size, st_ino=inode, st_dev=device, st_mtime_ns=mtime_ns, st_ctime=1.7e9)


def nowhere(path):
    return f"/nonexistent/{path}"


EPISODE = {
    "type": "episode",
    "show": "The Expanse",
    "show_key": "the expanse",
    "show_sort_title": "expanse",
    "show_year": 2015,
    "show_poster": "TV/The Expanse/poster.jpg",
    "show_fanart": None,
    "season": 2,
    "season_poster": None,
    "number": 5,
    "last_number": 5,
    "absolute_number": None,
    "aired": date(2017, 3, 8),
    "title": "Home",
}


def fill(session):
    """One file of each kind, with its item, and some history."""
    anna = accounts.add_user(session, "anna", "correct horse")
    files = {}
    for number, (path, kind, info) in enumerate(
        [
            ("TV/The Expanse/S02E05.mkv", "video", EPISODE),
            (
                "Films/Alien (1979).mkv",
                "video",
                {
                    "type": "film",
                    "title": "Alien",
                    "sort_title": "alien",
                    "year": 1979,
                    "edition": None,
                    "poster": None,
                    "poster_embedded": False,
                    "fanart": None,
                },
            ),
            (
                "Music/Artist/Album/01 Song.mp3",
                "audio",
                {
                    "type": "track",
                    "title": "Song",
                    "artist": "Artist",
                    "album_artist": "Artist",
                    "album": "Album",
                    "year": 2001,
                    "disc": None,
                    "number": 1,
                    "compilation": False,
                    "cover": "Music/Artist/Album/01 Song.mp3",
                    "cover_embedded": True,
                },
            ),
            (
                "Photos/caf\udce9.jpg",  # a Latin-1 name, kept as its bytes
                "image",
                {"type": "photo", "taken_at": datetime(2023, 7, 14, 10, 0), "width": 4, "height": 3},
            ),
        ],
        start=1,
    ):
        record = store.record_file(session, "lib", path, kind, stat(inode=number), f"{number:064x}", nowhere)
        store.save_item(session, record, info)
        files[path] = record
    history.record(session, anna.id, "lib", "TV/The Expanse/S02E05.mkv", 600.0, 2700.0, final=True)
    return anna.id, files


def counts(database):
    with database.engine.connect() as connection:
        return {
            table: connection.execute(text(f"SELECT count(*) FROM {table}")).scalar()
            for table in sorted(CATALOGUE | {"progress", "users"})
        }


def test_migration_0006_goes_down_and_up_with_rows_in_place(database):
    database.prepare()
    with database.sessions.begin() as session:
        fill(session)
    filled = counts(database)
    assert all(filled[table] > 0 for table in CATALOGUE)
    with database.engine.begin() as connection:
        command.downgrade(alembic_config(connection=connection), "0005")
    assert not CATALOGUE & set(inspect(database.engine).get_table_names())
    # What was there before the catalogue stays: accounts and history.
    assert counts_of(database, ["users", "progress"]) == {"users": 1, "progress": 1}
    database.prepare()
    assert database.revision() == database.head()
    assert counts(database) == {**{table: 0 for table in CATALOGUE}, "users": 1, "progress": 1}
    with database.sessions.begin() as session:
        fill_again = store.record_file(session, "lib", "a.mkv", "video", stat(), "0" * 64, nowhere)
        store.save_item(session, fill_again, {**EPISODE})
    with database.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Episode)) == 1


def counts_of(database, tables):
    with database.engine.connect() as connection:
        return {table: connection.execute(text(f"SELECT count(*) FROM {table}")).scalar() for table in tables}


def test_a_moved_file_keeps_its_record_item_and_history(database):
    database.prepare()
    with database.sessions.begin() as session:
        anna, files = fill(session)
        history.mark(session, None, "lib", "TV/The Expanse/S02E05.mkv", True)
    episode = files["TV/The Expanse/S02E05.mkv"]
    with database.sessions.begin() as session:
        # Another user played the new path before: the later of the two rows stays.
        later = datetime.now(timezone.utc)
        history.record(session, anna, "lib", "TV/Moved/S02E05.mkv", 5.0, 2700.0, final=True, now=later)
        moved = store.record_file(
            session, "lib", "TV/Moved/S02E05.mkv", "video", stat(inode=1), "f" * 64, nowhere
        )
        assert moved.id == episode.id
        store.save_item(session, moved, EPISODE)
    with database.sessions() as session:
        assert session.scalar(select(Episode.file_id)) == episode.id
        assert session.scalar(select(func.count()).select_from(Episode)) == 1
        assert history.place(session, anna, "lib", "TV/Moved/S02E05.mkv").position == 5.0
        assert history.place(session, None, "lib", "TV/Moved/S02E05.mkv").watched is True
        assert history.place(session, None, "lib", "TV/The Expanse/S02E05.mkv") is None
        rows = session.scalars(select(Progress.folder)).all()
        assert set(rows) == {b"TV/Moved"}

    # Gone, then back under a third name with a new inode: found by its content.
    with database.sessions.begin() as session:
        store.mark_missing(session, "lib", ["TV/Moved/S02E05.mkv"])
    with database.sessions.begin() as session:
        again = store.record_file(session, "lib", "TV/Back.mkv", "video", stat(inode=99), "f" * 64, nowhere)
        assert (again.id, again.present) == (episode.id, True)
    with database.sessions() as session:
        assert history.place(session, None, "lib", "TV/Back.mkv").watched is True


def test_a_copy_is_a_file_of_its_own(database, tmp_path):
    database.prepare()
    original = tmp_path / "a.mkv"
    original.write_bytes(b"content")
    st = os.stat(original)
    with database.sessions.begin() as session:
        first = store.record_file(session, "lib", "a.mkv", "video", st, "a" * 64, lambda p: str(tmp_path / p))
        # Same content elsewhere while the original is still there: a copy, not a move.
        copy = store.record_file(
            session, "lib", "b.mkv", "video", stat(inode=12345), "a" * 64, lambda p: str(tmp_path / p)
        )
        assert copy.id != first.id


def test_files_below_a_folder_and_their_names_as_bytes(database):
    database.prepare()
    with database.sessions.begin() as session:
        for number, path in enumerate(
            ["A/x.mkv", "A/B/y.mkv", "A0/z.mkv", "A.mkv", "AB/w.mkv", "A/caf\udce9.mkv"]
        ):
            store.record_file(session, "lib", path, "video", stat(inode=number), f"{number:064x}", nowhere)
        store.record_file(session, "other", "A/x.mkv", "video", stat(inode=50), "e" * 64, nowhere)
    with database.sessions() as session:
        assert sorted(store.present_below(session, "lib", "A")) == ["A/B/y.mkv", "A/caf\udce9.mkv", "A/x.mkv"]
        assert set(store.present_files(session, "lib")) == {
            "A/x.mkv",
            "A/B/y.mkv",
            "A0/z.mkv",
            "A.mkv",
            "AB/w.mkv",
            "A/caf\udce9.mkv",
        }
        encoded = session.scalar(select(CatalogueFile.path).where(CatalogueFile.inode == 5))
        assert encoded == b"A/caf\xe9.mkv" == bytenames.encode("A/caf\udce9.mkv")


def test_removing_a_file_record_removes_its_items(database):
    database.prepare()
    with database.sessions.begin() as session:
        fill(session)
    with database.sessions.begin() as session:
        for record in session.scalars(select(CatalogueFile)):
            session.delete(record)
    with database.sessions() as session:
        for kind in (Episode, Film, Track, Photo):
            assert session.scalar(select(func.count()).select_from(kind)) == 0
        # Shows and seasons stay; the pages list only those with an episode present.
        assert session.scalar(select(func.count()).select_from(Show)) == 1
        assert session.scalar(select(func.count()).select_from(Season)) == 1


def test_a_full_scan_tells_moves_from_hard_links_by_what_it_found_missing(database):
    database.prepare()
    with database.sessions.begin() as session:
        first = store.record_file(
            session, "lib", "a.mp3", "audio", stat(inode=5), "a" * 64, nowhere, gone=set()
        )
        # The same inode at a second path while the first is still there: a hard link.
        link = store.record_file(
            session, "lib", "b.mp3", "audio", stat(inode=5), "a" * 64, nowhere, gone=set()
        )
        assert link.id != first.id
        # The first path missing from the walk: the file was moved.
        moved = store.record_file(
            session, "lib", "c.mp3", "audio", stat(inode=5), "a" * 64, nowhere, gone={"a.mp3"}
        )
        assert moved.id == first.id
        paths = session.scalars(select(CatalogueFile.path).order_by(CatalogueFile.id)).all()
    assert paths == [b"c.mp3", b"b.mp3"]


def test_odd_text_from_names_and_tags_is_stored_on_both_databases(database):
    database.prepare()
    track = {
        "type": "track",
        "title": "Nul\x00Title",  # tags hold NULs; PostgreSQL refuses them
        "artist": "Caf\udce9",  # a Latin-1 folder name, not UTF-8
        "album_artist": "Caf\udce9",
        "album": "A" * 1000,
        "year": 2001,
        "disc": 10**12,  # a tag's number that no column holds
        "number": 3,
        "compilation": False,
        "cover": "Caf\udce9/cover.jpg",  # a path keeps its bytes
        "cover_embedded": False,
    }
    with database.sessions.begin() as session:
        record = store.record_file(session, "lib", "Caf\udce9/x.flac", "audio", stat(), "c" * 64, nowhere)
        saved = store.save_item(session, record, track)
        assert (saved.title, saved.disc, saved.number) == ("NulTitle", None, 3)
        assert saved.artist.name == "Caf\ufffd" and len(saved.album.title) == 255
        assert saved.album.cover == b"Caf\xe9/cover.jpg"

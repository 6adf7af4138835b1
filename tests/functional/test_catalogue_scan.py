"""The catalogue read from a generated household library: every film, episode, song and
photo as expected, identities that survive renames, moves and restores with their
history, changes followed through watchdog, Next up, and per-user roots in every query."""

import multiprocessing
import os
import shutil
import threading
import time
import uuid
from datetime import date

import pytest
from mutagen.flac import FLAC
from sqlalchemy import func, select

from mediacaster import bytenames
from mediacaster.mediatypes import classify
from mediacaster.models import Database
from mediacaster.models.catalogue import CatalogueFile, Episode
from mediacaster.services import accounts, history
from mediacaster.services.catalogue import fileid, queries
from mediacaster.services.catalogue import scanner as scanner_module
from mediacaster.services.catalogue.scanner import Scanner
from mediacaster.services.library import LibraryService
from tests.common import catalogue_library as expected
from tests.common.app import wait_for

pytestmark = pytest.mark.ffmpeg  # the library's songs and one film are made by ffmpeg

ALL = ("video", "music", "photos")


@pytest.fixture(scope="session")
def generated_library(tmp_path_factory):
    return expected.generate(tmp_path_factory.mktemp("catalogue-library"))


@pytest.fixture
def library(generated_library, tmp_path):
    """A copy of the library this test may change."""
    roots = {}
    for name, folder in generated_library.items():
        roots[name] = tmp_path / "library" / name
        shutil.copytree(folder, roots[name], copy_function=shutil.copy2)
    return roots


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database(request, tmp_path):
    """The catalogue's database: a SQLite file, then a PostgreSQL database."""
    if request.param == "sqlite":
        database = Database(f"sqlite:///{tmp_path / 'catalogue.sqlite3'}")
    else:
        database = Database(request.getfixturevalue("postgres").database(f"t_{uuid.uuid4().hex[:12]}"))
    database.prepare()
    yield database
    database.close()


@pytest.fixture
def scanner(database, library):
    scanner = Scanner(database, LibraryService(library), rescan_interval=3600, watch=False)
    yield scanner
    scanner.close()


def everything(session, query, *args, **kwargs):
    return query(session, *args, **kwargs, offset=0, limit=500)["items"]


def episodes_by_path(session, roots=ALL, user_id=None):
    found = {}
    for show in everything(session, queries.shows, roots, user_id):
        for season in queries.show(session, roots, user_id, show["id"])["seasons"]:
            for episode in everything(session, queries.episodes, roots, user_id, season["id"]):
                found[episode["file"]["path"]] = {**episode, "show_title": show["title"]}
    return found


@pytest.fixture(params=[False, True], ids=["read in a thread", "read in a process"])
def apart(request, monkeypatch):
    """Whether a full scan reads the files in a process of its own, as it does a large
    library's: from the first new file on."""
    if request.param:
        monkeypatch.setattr(scanner_module, "READ_APART_FROM", 1)
    yield request.param
    assert not multiprocessing.active_children(), "the reading process outlived its scan"


def test_the_catalogue_holds_every_item_as_expected(database, apart, scanner):
    scanner.scan()
    assert scanner.progress()["seen"] == scanner.progress()["total"] > 30
    with database.sessions() as session:
        films = {film["file"]["path"]: film for film in everything(session, queries.films, ALL, None)}
        assert set(films) == {path for path, *_ in expected.FILMS}
        for path, title, year, edition, poster, embedded, fanart in expected.FILMS:
            film = films[path]
            got = (film["title"], film["year"], film["edition"], film["poster"], film["poster_embedded"])
            assert got == (title, year, edition, poster, embedded), path
            assert film["fanart"] == fanart, path

        episodes = episodes_by_path(session)
        assert set(episodes) == set(expected.EPISODES)
        for path, (show, season, number, last, absolute, aired, title) in expected.EPISODES.items():
            episode = episodes[path]
            assert (
                episode["show_title"],
                episode["season"],
                episode["number"],
                episode["last_number"],
                episode["absolute_number"],
                episode["aired"],
                episode["title"],
            ) == (
                show,
                season,
                number,
                last,
                absolute,
                date.fromisoformat(aired) if aired else None,
                title,
            ), path

        shows = {show["title"]: show for show in everything(session, queries.shows, ALL, None)}
        assert set(shows) == set(expected.SHOWS)
        for title, (year, poster, fanart, seasons) in expected.SHOWS.items():
            detail = queries.show(session, ALL, None, shows[title]["id"])
            assert (detail["show"]["year"], detail["show"]["poster"], detail["show"]["fanart"]) == (
                year,
                poster,
                fanart,
            ), title
            assert {season["number"]: season["poster"] for season in detail["seasons"]} == seasons, title
        # Specials come after the seasons.
        assert [s["number"] for s in queries.show(session, ALL, None, shows["Show"]["id"])["seasons"]] == [
            1,
            0,
        ]

        albums = {(a["artist"], a["title"]): a for a in everything(session, queries.albums, ALL)}
        assert set(albums) == set(expected.ALBUMS)
        for key, (cover, embedded, compilation) in expected.ALBUMS.items():
            assert (albums[key]["cover"], albums[key]["cover_embedded"], albums[key]["compilation"]) == (
                cover,
                embedded,
                compilation,
            ), key
        tracks = {}
        for album in albums.values():
            for track in queries.album(session, ALL, album["id"])["tracks"]:
                tracks[track["file"]["path"]] = (
                    track["title"],
                    track["artist"],
                    album["artist"],
                    album["title"],
                    album["year"],
                    track["disc"],
                    track["number"],
                )
        assert tracks == expected.TRACKS
        wall = queries.album(session, ALL, albums[("Pink Floyd", "The Wall")]["id"])["tracks"]
        assert [(t["disc"], t["number"]) for t in wall] == [(1, 1), (2, 1)]  # disc, then track order
        names = [a["name"] for a in everything(session, queries.artists, ALL)]
        assert names == ["Daft Punk", "Pink Floyd", "Radiohead", "Various Artists"]

        photos = {p["file"]["path"]: p for p in everything(session, queries.photos, ALL)}
        assert {
            path: (p["taken_at"], p["taken_from_exif"], p["width"], p["height"]) for path, p in photos.items()
        } == expected.PHOTOS
        assert queries.photo_months(session, ALL) == [
            {"month": "2023-07", "photos": 2},
            {"month": "2021-02", "photos": 1},
        ]
        july = everything(session, queries.photos, ALL, month="2023-07")
        assert [p["file"]["path"] for p in july] == ["2023/IMG_0001.jpg", "2023/IMG_0002.jpg"]


def test_films_sort_page_and_filter_unwatched(database, scanner):
    scanner.scan()
    with database.sessions.begin() as session:
        anna = accounts.add_user(session, "anna", "correct horse").id
        history.mark(session, anna, "video", "Films/Big Buck Bunny (2008).mp4", True)
    with database.sessions() as session:

        def titles(**options):
            return [f["title"] for f in everything(session, queries.films, ALL, anna, **options)]

        # "The" is not sorted on.
        assert titles() == ["Alien", "Big Buck Bunny", "Blade Runner", "Heat", "The Matrix"]
        assert titles(sort="year") == ["Alien", "Blade Runner", "Heat", "The Matrix", "Big Buck Bunny"]
        by_year = titles(sort="year", descending=True)
        assert by_year == ["Big Buck Bunny", "The Matrix", "Heat", "Blade Runner", "Alien"]
        assert titles(unwatched=True) == ["Alien", "Blade Runner", "Heat", "The Matrix"]
        assert len(titles(sort="added")) == 5
        page = queries.films(session, ALL, anna, offset=1, limit=2)
        assert ([f["title"] for f in page["items"]], page["total"]) == (["Big Buck Bunny", "Blade Runner"], 5)
        assert page["items"][0]["progress"]["watched"] is True and page["items"][1]["progress"] is None
        with pytest.raises(ValueError, match="sort"):
            queries.films(session, ALL, anna, sort="colour")


def test_a_rescan_reads_only_what_changed(database, scanner, library):
    scanner.scan()
    with database.sessions() as session:
        before = {r.id: r.last_seen for r in session.scalars(select(CatalogueFile))}
    scanner.scan()
    with database.sessions() as session:
        after = {r.id: r.last_seen for r in session.scalars(select(CatalogueFile))}
    assert after == before  # nothing written: every file skipped by its size and mtime
    # A file whose .nfo is edited is read again on a refresh of the .nfo.
    nfo = library["video"] / "Films/The Matrix/matrix_final.nfo"
    nfo.write_text("<movie><title>The Matrix Reloaded</title><year>2003</year></movie>")
    scanner.refresh("video", "Films/The Matrix/matrix_final.nfo")
    with database.sessions() as session:
        titles = {f["title"]: f["year"] for f in everything(session, queries.films, ALL, None)}
    assert titles["The Matrix Reloaded"] == 2003 and "The Matrix" not in titles


def _record(database, path):
    with database.sessions() as session:
        encoded = bytenames.encode(path)
        return session.scalar(select(CatalogueFile).where(CatalogueFile.path == encoded))


def test_rename_and_move_keep_the_identity_and_the_history(database, scanner, library):
    scanner.scan()
    old = "TV/The Expanse (2015)/Season 01/The.Expanse.S01E01.1080p.BluRay.x264-DEMAND.mkv"
    with database.sessions.begin() as session:
        anna = accounts.add_user(session, "anna", "correct horse").id
        history.record(session, anna, "video", old, 1200.0, 2700.0, final=True)
        history.mark(session, None, "video", old, True)
    record = _record(database, old)
    with database.sessions() as session:
        episode_id = session.scalar(select(Episode.id).where(Episode.file_id == record.id))

    renamed = "TV/The Expanse (2015)/Season 01/The Expanse - S01E01 - Dulcinea.mkv"
    os.rename(library["video"] / old, library["video"] / renamed)
    scanner.scan()
    moved = "TV/Archive/The Expanse (2015)/Season 01/The Expanse - S01E01 - Dulcinea.mkv"
    (library["video"] / moved).parent.mkdir(parents=True)
    os.rename(library["video"] / renamed, library["video"] / moved)
    scanner.scan()

    after = _record(database, moved)
    assert (after.id, after.present) == (record.id, True)
    with database.sessions() as session:
        assert session.scalar(select(Episode.id).where(Episode.file_id == record.id)) == episode_id
        assert session.scalar(select(func.count()).select_from(CatalogueFile)) == _files(library)
        place = history.place(session, anna, "video", moved)
        assert (place.position, place.duration, place.watched) == (1200.0, 2700.0, False)
        assert history.place(session, None, "video", moved).watched is True
        assert history.place(session, anna, "video", old) is None
        episode = episodes_by_path(session, user_id=anna)[moved]
        assert episode["title"] == "Dulcinea" and episode["progress"]["position"] == 1200.0


def _files(library):
    """How many media files (pictures of art too) the library holds: one record each."""
    count = 0
    for folder in library.values():
        for _path, _dirs, names in os.walk(folder):
            count += sum(
                1 for n in names if classify(n)[1] in ("video", "audio", "image") and not n.startswith(".")
            )
    return count


def test_a_first_scan_hashes_its_files_once_it_has_written_them(database, scanner, library):
    """The catalogue holds a first scan's items before their content hashes are read; the
    scan then gives every file its hash, so that a copy of any is known again later."""
    scanner.scan()
    assert scanner.hashed.is_set()
    with database.sessions() as session:
        records = session.scalars(select(CatalogueFile)).all()
    assert len(records) == _files(library) and scanner.hashing["files"] == len(records)
    for record in records:
        real = library[record.root] / bytenames.decode(record.path)
        assert record.content_hash == fileid.content_hash(str(real), record.size), record.path
    scanner.scan()
    assert scanner.hashing["files"] == 0  # nothing left to hash


def test_a_deleted_file_keeps_its_history_and_gets_it_back_when_restored(database, scanner, library):
    scanner.scan()
    path = "Daft Punk/Discovery (2001)/02 Aerodynamic.mp3"
    with database.sessions.begin() as session:
        history.mark(session, None, "music", path, True)
    record = _record(database, path)
    backup = (library["music"] / path).read_bytes()
    (library["music"] / path).unlink()
    scanner.scan()
    assert _record(database, path).present is False
    with database.sessions() as session:
        discovery = next(a for a in everything(session, queries.albums, ALL) if a["title"] == "Discovery")
        assert discovery["tracks"] == 1
        assert history.place(session, None, "music", path).watched is True  # kept meanwhile
    # Restored from a backup under another name: a new inode, the same content.
    restored = "Daft Punk/Discovery (2001)/02 - Aerodynamic.mp3"
    (library["music"] / restored).write_bytes(backup)
    scanner.scan()
    again = _record(database, restored)
    assert (again.id, again.present) == (record.id, True)
    with database.sessions() as session:
        assert history.place(session, None, "music", restored).watched is True
        discovery = queries.album(session, ALL, discovery["id"])
        assert [t["title"] for t in discovery["tracks"]] == ["One More Time", "Aerodynamic"]


def test_next_up_follows_the_episodes_across_seasons(database, scanner):
    scanner.scan()
    expanse = "TV/The Expanse (2015)/Season 0{}/The.Expanse.S0{}E0{}.1080p.BluRay.x264-DEMAND.mkv"
    s1e1, s1e2, s2e1, s2e5 = (expanse.format(s, s, e) for s, e in [(1, 1), (1, 2), (2, 1), (2, 5)])
    with database.sessions.begin() as session:
        anna = accounts.add_user(session, "anna", "correct horse").id
        ben = accounts.add_user(session, "ben", "correct horse").id

    def next_paths(user_id):
        with database.sessions() as session:
            return [e["file"]["path"] for e in everything(session, queries.next_up, ALL, user_id)]

    assert next_paths(anna) == []  # nothing watched: nothing is next
    with database.sessions.begin() as session:
        history.mark(session, anna, "video", s1e2, True)
        history.record(session, anna, "video", s2e1, 30.0, 2700.0, final=True)  # started, not watched
    assert next_paths(anna) == [s2e1]  # over the season's end
    with database.sessions.begin() as session:
        history.mark(session, anna, "video", s2e1, True)
    with database.sessions() as session:
        shows = {s["title"]: s["id"] for s in everything(session, queries.shows, ALL, anna)}
        detail = queries.show(session, ALL, anna, shows["The Expanse"])
        assert detail["next_up"]["file"]["path"] == s2e5
        assert (detail["show"]["watched"], detail["show"]["episodes"]) == (2, 4)
        one = queries.next_up(session, ALL, anna, show_id=shows["The Expanse"])
        assert [e["file"]["path"] for e in one["items"]] == [s2e5]
        assert one["items"][0]["show"]["title"] == "The Expanse"
    assert next_paths(ben) == []  # Anna's history is hers

    # Watching a later show moves it first; the special is not next up.
    with database.sessions.begin() as session:
        history.mark(session, anna, "video", "TV/Show (2019)/Season 01/Show - S01E01 - Pilot.mkv", True)
    assert next_paths(anna) == ["TV/Show (2019)/Season 01/Show - S01E02E03 - Double Trouble.mkv", s2e5]
    with database.sessions.begin() as session:
        history.mark(
            session, anna, "video", "TV/Show (2019)/Season 01/Show - S01E02E03 - Double Trouble.mkv", True
        )
        history.mark(session, anna, "video", s2e5, True)
        history.mark(session, anna, "video", s1e1, False)  # unmarked again: before the last watched
    assert next_paths(anna) == []  # both shows watched to their last episode


def test_every_query_answers_only_for_the_roots_given(database, scanner):
    scanner.scan()
    with database.sessions.begin() as session:
        path = "TV/Show (2019)/Season 01/Show - S01E01 - Pilot.mkv"
        history.mark(session, None, "video", path, True)
    with database.sessions() as session:
        show_id = everything(session, queries.shows, ALL, None)[0]["id"]
        season_id = queries.show(session, ALL, None, show_id)["seasons"][0]["id"]
        album_id = everything(session, queries.albums, ALL)[0]["id"]
        artist_id = everything(session, queries.artists, ALL)[0]["id"]
        for roots in ([], ["photos"], ["music", "photos"]):
            assert everything(session, queries.films, roots, None) == []
            assert everything(session, queries.shows, roots, None) == []
            assert queries.show(session, roots, None, show_id) is None
            assert everything(session, queries.episodes, roots, None, season_id) == []
            assert everything(session, queries.next_up, roots, None) == []
            results = queries.search(session, roots, "the")
            assert results["films"]["total"] == results["shows"]["total"] == 0
        for roots in ([], ["photos"], ["video", "photos"]):
            assert everything(session, queries.artists, roots) == []
            assert everything(session, queries.albums, roots) == []
            assert everything(session, queries.albums, roots, artist_id=artist_id) == []
            assert queries.album(session, roots, album_id) is None
            results = queries.search(session, roots, "pink floyd wall")
            assert results["artists"]["total"] == results["albums"]["total"] == 0
        for roots in ([], ["video", "music"]):
            assert everything(session, queries.photos, roots) == []
            assert queries.photo_months(session, roots) == []
        assert len(everything(session, queries.next_up, ["video"], None)) == 1
        results = queries.search(session, ["video", "music"], "the")
        assert [f["title"] for f in results["films"]["items"]] == ["The Matrix"]
        assert {s["title"] for s in results["shows"]["items"]} == {"The Expanse", "The Daily Show"}
        assert [a["title"] for a in results["albums"]["items"]] == ["The Wall"]
        assert [a["name"] for a in queries.search(session, ALL, "floyd")["artists"]["items"]] == [
            "Pink Floyd"
        ]


def test_changes_are_followed_through_watchdog(database, library):
    scanner = Scanner(database, LibraryService(library), rescan_interval=3600, watch=True).start()
    try:
        wait_for(scanner.scanned.is_set, timeout=120, what="the first scan")
        assert scanner.progress()["watching"] is True
        new = "TV/Fargo.S01E02.720p.WEB.h264-GRP.mkv"
        written = time.monotonic()
        (library["video"] / new).write_bytes(b"a new episode")

        def appeared():
            with database.sessions() as session:
                return new in episodes_by_path(session)

        wait_for(appeared, timeout=30, what="the new episode")
        print(f"a new file was in the catalogue {time.monotonic() - written:.2f} s after it was written")
        # A folder moved away and back (another name): its files keep their records.
        season = library["video"] / "TV/The Expanse (2015)/Season 02"
        before = _record(
            database, "TV/The Expanse (2015)/Season 02/The.Expanse.S02E05.1080p.BluRay.x264-DEMAND.mkv"
        )
        season.rename(season.with_name("Season 2"))
        moved = "TV/The Expanse (2015)/Season 2/The.Expanse.S02E05.1080p.BluRay.x264-DEMAND.mkv"

        def moved_in_place():
            record = _record(database, moved)
            return record is not None and record.present and record.id == before.id

        wait_for(moved_in_place, timeout=30, what="the moved season's episode")
        (library["video"] / new).unlink()
        wait_for(lambda: _record(database, new).present is False, timeout=30, what="the file marked gone")
    finally:
        scanner.close()
    assert not scanner._thread.is_alive()


def test_a_scan_stops_when_closed_and_goes_on_after_a_restart(database, library):
    first = Scanner(database, LibraryService(library), rescan_interval=3600, watch=False)
    stop_after = 1  # a batch written, then closed

    original = first._write

    def write_then_close(*args):
        nonlocal stop_after
        written = original(*args)
        stop_after -= 1
        if stop_after == 0:
            first._stop.set()  # as close() does, without waiting here for the thread
        return written

    first._write = write_then_close
    first.start()
    first._thread.join(timeout=60)
    assert not first._thread.is_alive()
    with database.sessions() as session:
        kept = {record.id: record.last_seen for record in session.scalars(select(CatalogueFile))}
    assert 0 < len(kept) < _files(library)
    second = Scanner(database, LibraryService(library), rescan_interval=3600, watch=False)
    second.scan()
    progress = second.progress()
    assert progress["seen"] == progress["total"] == _files(library)
    assert progress["read"] == _files(library) - len(kept)
    with database.sessions() as session:
        records = session.scalars(select(CatalogueFile)).all()
    assert len(records) == _files(library)
    # What the first scan wrote was not read again.
    assert {record.id: record.last_seen for record in records if record.id in kept} == kept


def test_the_app_runs_the_scanner_and_stops_it_with_itself(make_app, library):
    services = make_app(library, **{"mediacaster.catalogue": "true"}).registry.services
    scanner = services.catalogue.scanner
    wait_for(scanner.scanned.is_set, timeout=120, what="the app's first catalogue scan")
    with services.database.sessions() as session:
        assert len(everything(session, queries.films, ALL, None)) == len(expected.FILMS)
    assert services.catalogue.progress()["watching"] is True
    services.close()
    assert not scanner._thread.is_alive() and not scanner._observer.is_alive()
    assert make_app(library).registry.services.catalogue is None  # off unless asked for


def test_odd_files_neither_hang_the_scan_nor_lead_out_of_the_root(
    database, apart, scanner, library, tmp_path
):
    films = library["video"] / "Films"
    os.mkfifo(films / "pipe.mkv")  # a FIFO named like a film: opening it would wait for ever
    os.mkfifo(films / "The Matrix" / "movie.nfo")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "Secret.2020.mkv").write_bytes(b"not for the library")
    os.symlink(outside / "Secret.2020.mkv", films / "Secret.2020.mkv")
    os.symlink(outside, films / "Escape")
    os.symlink(films, films / "Loop")  # back to a folder seen already
    os.symlink(films / "Big Buck Bunny (2008).mp4", films / "Bunny Again (2008).mp4")  # inside: followed
    (films / "Caf\udce9 (2001).mkv").write_bytes(b"a Latin-1 name")  # b"Caf\xe9": not UTF-8
    odd_tags = library["music"] / "Odd" / "odd.flac"
    odd_tags.parent.mkdir()
    shutil.copy(library["music"] / "Compilations/Now 1/01.flac", odd_tags)
    tags = FLAC(odd_tags)
    tags["title"], tags["tracknumber"], tags["album"] = "Nul\x00Title", "99999999999", "A" * 1000
    tags.save()
    done = threading.Thread(target=scanner.scan, daemon=True)
    done.start()
    done.join(timeout=120)
    assert not done.is_alive(), "the scan hangs"
    with database.sessions() as session:
        paths = {bytenames.decode(p) for p in session.scalars(select(CatalogueFile.path))}
        titles = {f["title"] for f in everything(session, queries.films, ALL, None)}
    assert not {p for p in paths if "pipe" in p or "Secret" in p or "Escape" in p or "Loop" in p}
    assert titles == {
        "Alien",
        "Big Buck Bunny",
        "Blade Runner",
        "Bunny Again",
        "Caf\ufffd",
        "Heat",
        "The Matrix",
    }
    with database.sessions() as session:
        odd = next(a for a in everything(session, queries.albums, ALL) if a["title"].startswith("AAA"))
        (track,) = queries.album(session, ALL, odd["id"])["tracks"]
    assert (track["title"], track["number"], len(odd["title"])) == ("NulTitle", None, 255)
    assert "Films/Caf\udce9 (2001).mkv" in paths
    for path in ("Films/pipe.mkv", "Films/Secret.2020.mkv", "Films/Escape/Secret.2020.mkv"):
        scanner.refresh("video", path)  # as a reported change would
    with database.sessions() as session:
        assert {bytenames.decode(p) for p in session.scalars(select(CatalogueFile.path))} == paths


def test_a_root_that_reads_as_empty_keeps_its_catalogue(database, scanner, library):
    scanner.scan()
    # An unmounted share: its mount point is an empty folder.
    shutil.rmtree(library["photos"])
    library["photos"].mkdir()
    scanner.scan()
    with database.sessions() as session:
        assert len(everything(session, queries.photos, ALL)) == len(expected.PHOTOS)
    # Emptied by hand, one file at a time, it is followed.
    scanner.refresh("photos", "2023")
    with database.sessions() as session:
        assert [p["file"]["path"] for p in everything(session, queries.photos, ALL)] == ["Scans/scan.jpg"]

"""Database faults injected with real processes: what people see during them, and the recovery after.

PostgreSQL stopped with ``pg_ctl stop`` and started again while a film plays on the (fake) TV;
SQLite locked by another process's write transaction; SQLite on a folder that became
read-only; and the data folder (SQLite, the embedded Redis) on a small tmpfs that fills up.
The app runs under a real waitress; requests go through HTTP with a browser's cookies.

Positions reported while the database is away are kept in Redis and written once it is back:
each test checks they are there after it.
"""

import contextlib
import sqlite3
import subprocess
import sys

import pytest
import redis
import requests

from mediacaster.models import SQLITE_FILE
from mediacaster.services import accounts, history
from mediacaster.services.accounts import token_hash
from tests.common.app import wait_for
from tests.common.mediafiles import long_film
from tests.common.postgres import PostgresServer
from tests.common.servers import LiveServer
from tests.functional.test_cast_converted import TV, app_with_the_tv
from tests.functional.test_faults import PASSWORD, logged_in, streams

pytestmark = pytest.mark.slow

FILM = "Heat.mp4"

MOVIE = "video/movie.mp4"
DATABASE_WORDS = "cannot reach its database"
LOGIN_WORDS = "Logging in does not work right now"
# Seconds a request waits on the database: short, so that the tests wait less.
QUICK = {"mediacaster.auth": "true", "mediacaster.database_timeout": "1"}


def with_anna(app):
    """anna, a member with the API token "anna-token"."""
    with app.registry.services.database.sessions.begin() as session:
        anna = accounts.add_user(session, "anna", PASSWORD)
        session.add(accounts.ApiToken(user=anna, name="script", token_hash=token_hash("anna-token")))
    return app


def place_of(app, root, path):
    with app.registry.services.database.sessions() as session:
        return history.place(session, accounts.find(session, "anna").id, root, path)


def csrf(server, browser):
    return {"X-CSRF-Token": browser.get(f"{server.url}/api/session", timeout=30).json()["csrf_token"]}


def report(server, browser, position):
    """A player's report of where it is in the movie, as the page sends it."""
    return browser.put(
        f"{server.url}/api/progress/{MOVIE}",
        json={"position": position, "duration": 6000.0, "final": True},
        headers=csrf(server, browser),
        timeout=30,
    )


def mark_watched(server, browser):
    """A write in the request's own transaction."""
    return browser.put(
        f"{server.url}/api/watched/{MOVIE}", json={"watched": True}, headers=csrf(server, browser), timeout=30
    )


def assert_database_down_in_words(server, browser):
    """Pages, the API and the login page answer 503 in words, with Retry-After."""
    page = browser.get(f"{server.url}/library/video", timeout=30)
    assert page.status_code == 503, page.text
    assert page.headers["Content-Type"].startswith("text/html") and page.headers["Retry-After"] == "10"
    assert DATABASE_WORDS in page.text and "Internal Server Error" not in page.text
    api = browser.get(f"{server.url}/api/library/video", timeout=30)
    assert api.status_code == 503 and api.headers["Retry-After"] == "10"
    assert (
        api.json()["error"] == "database_unavailable" and "try again in a few seconds" in api.json()["detail"]
    )
    login = requests.get(f"{server.url}/login", timeout=30)
    assert login.status_code == 503 and LOGIN_WORDS in login.text
    # Nothing the login page says is false: it promises nothing else.
    assert "still work" not in login.text
    health = requests.get(f"{server.url}/healthz", timeout=30)
    assert health.status_code == 503 and health.json()["down"] == ["database"]


def assert_back_to_normal(server, browser):
    """The same browser's pages and a fresh login work again, without a restart."""
    wait_for(lambda: browser.get(f"{server.url}/library/video", timeout=30).status_code == 200, 60, "pages")
    assert browser.get(f"{server.url}/api/library/video", timeout=30).status_code == 200
    login = requests.get(f"{server.url}/login", timeout=30)
    assert login.status_code == 200 and LOGIN_WORDS not in login.text
    assert requests.get(f"{server.url}/healthz", timeout=30).json()["down"] == []
    assert logged_in(server).get(f"{server.url}/api/library/video", timeout=30).status_code == 200


def kept(app):
    return app.registry.services.history.pending()


@pytest.fixture(autouse=True)
def nothing_kept(redis_server):
    """Each test's apps start with no reports kept for a database: the suite's apps share
    one Redis, where a report another test's app kept (its database away when it stopped)
    waits, as it should, for the next start, and would be counted here."""
    client = redis.Redis.from_url(redis_server.url)
    client.delete(history.KEPT)
    yield
    client.delete(history.KEPT)
    client.close()


@pytest.fixture(scope="module")
def films(tmp_path_factory):
    """A 10-minute film at one frame a second (made in a second)."""
    folder = tmp_path_factory.mktemp("films")
    long_film(folder / FILM, 600)
    return folder


@pytest.mark.postgres
def test_postgresql_stopped_while_a_film_plays_on_the_tv_and_started_again(
    make_app, films, library_roots, tv, tmp_path
):
    postgres = PostgresServer().start()
    try:
        app = with_anna(
            app_with_the_tv(
                make_app,
                {**library_roots, "m": films},
                **QUICK,
                **{
                    "mediacaster.database_url": postgres.database("mediacaster"),
                    "mediacaster.data_dir": str(tmp_path / "data"),
                    "mediacaster.progress_interval": "0.5",
                },
            )
        )
        with LiveServer(app) as server:
            browser = logged_in(server)
            stream_url = browser.get(f"{server.url}/api/library/{MOVIE}", timeout=30).json()["stream_url"]
            assert streams(stream_url)
            cast = requests.post(
                f"{server.url}/api/cast",
                json={"path": f"m/{FILM}", "device": TV, "start": 300},
                headers={"Authorization": "Bearer anna-token"},
                timeout=60,
            )
            assert cast.status_code == 200, cast.text
            wait_for(lambda: (p := place_of(app, "m", FILM)) and p.position > 300, 30, "a position saved")

            postgres.halt()
            assert_database_down_in_words(server, browser)
            # What plays goes on: the TV, and signed media URLs (on what was known of the user).
            wait_for(lambda: kept(app) == 1, 30, "the TV's position kept in Redis")
            at_fault = tv.position()
            wait_for(lambda: tv.position() > at_fault + 1, 30, "the film playing on")
            assert tv.player_state == "PLAYING"
            assert streams(stream_url) and streams(stream_url, browser)
            # A token's API call needs the database too: 503 in words, not 500.
            api = requests.get(
                f"{server.url}/api/library/video", headers={"Authorization": "Bearer anna-token"}, timeout=30
            )
            assert api.status_code == 503 and api.json()["error"] == "database_unavailable"
            assert_database_down_in_words(server, browser)  # still, after the pool's retries

            postgres.serve()
            assert_back_to_normal(server, browser)
            wait_for(lambda: kept(app) == 0, 60, "the kept positions written")
            # Nothing lost: the position saved is at least where the TV was during the fault.
            assert place_of(app, "m", FILM).position > at_fault
    finally:
        postgres.stop()


# Another program (a backup script, sqlite3 in a shell) holding a write transaction.
LOCKER = """
import sqlite3, sys
connection = sqlite3.connect(sys.argv[1], isolation_level=None)
connection.execute("BEGIN IMMEDIATE")
connection.execute("UPDATE users SET name = name")
print("locked", flush=True)
sys.stdin.read()
connection.execute("ROLLBACK")
"""


@contextlib.contextmanager
def locked(database):
    command = [sys.executable, "-c", LOCKER, str(database)]
    with subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True) as locker:
        try:
            assert locker.stdout.readline() == "locked\n"
            yield
        finally:
            locker.stdin.close()
            locker.wait(timeout=30)


def test_sqlite_locked_by_another_writer(make_app, tmp_path):
    database = tmp_path / "db"
    app = with_anna(make_app(**QUICK, **{"mediacaster.database_url": f"sqlite:///{database}"}))
    with LiveServer(app) as server:
        browser = logged_in(server)
        with locked(database):
            # The write-ahead log: pages that only read go on working.
            assert browser.get(f"{server.url}/library/video", timeout=30).status_code == 200
            # A player's report is kept for later: 202 Accepted.
            reported = report(server, browser, 1234.5)
            assert reported.status_code == 202 and reported.json()["position"] == 1234.5
            # The next one is kept at once (the database was away moments ago): one per file.
            assert report(server, browser, 1300.0).status_code == 202
            assert kept(app) == 1
            # A write that cannot wait gets 503 in words after the busy timeout, not a hang.
            marked = mark_watched(server, browser)
            assert marked.status_code == 503 and marked.headers["Retry-After"] == "10"
            assert marked.json()["error"] == "database_unavailable"
            page = browser.post(
                f"{server.url}/account/tokens", data={"name": "tv", **csrf_field(server, browser)}, timeout=30
            )
            assert page.status_code == 503 and DATABASE_WORDS in page.text
        wait_for(lambda: kept(app) == 0, 30, "the kept position written")
        assert place_of(app, "video", "movie.mp4").position == 1300.0
        assert mark_watched(server, browser).status_code == 200


def csrf_field(server, browser):
    return {"csrf_token": csrf(server, browser)["X-CSRF-Token"]}


@pytest.fixture
def small_disk(tmp_path):
    """A 6 MB tmpfs, unmounted after the test."""
    folder = tmp_path / "disk"
    folder.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=6M", "tmpfs", str(folder)], check=True)
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=True)


def remount(folder, mode):
    subprocess.run(["mount", "-o", f"remount,{mode}", str(folder)], check=True, capture_output=True)


def test_sqlite_on_a_folder_made_read_only(make_app, small_disk):
    database = small_disk / "db"
    app = with_anna(make_app(**QUICK, **{"mediacaster.database_url": f"sqlite:///{database}"}))
    with LiveServer(app) as server:
        browser = logged_in(server)
        stream_url = browser.get(f"{server.url}/api/library/{MOVIE}", timeout=30).json()["stream_url"]
        assert streams(stream_url)  # playing when the fault comes
        # A folder becomes read-only once no file in it is open for writing (the kernel
        # refuses otherwise): the pool's connections are closed first, as after a restart.
        app.registry.services.database.engine.dispose()
        remount(small_disk, "ro")
        try:
            assert_database_down_in_words(server, browser)
            assert streams(stream_url)
            # With logins on, a player's report needs the user's row: it is refused in words.
            refused = report(server, browser, 600.0)
            assert refused.status_code == 503 and refused.json()["error"] == "database_unavailable"
        finally:
            remount(small_disk, "rw")
        assert_back_to_normal(server, browser)
        assert report(server, browser, 700.0).status_code == 200


def test_without_logins_a_players_reports_are_kept_while_the_database_is_away(make_app, small_disk):
    database = small_disk / "db"
    settings = {**QUICK, "mediacaster.auth": "false", "mediacaster.allow_auth_off": "true"}
    app = make_app(**settings, **{"mediacaster.database_url": f"sqlite:///{database}"})
    with LiveServer(app) as server:
        browser = requests.Session()
        app.registry.services.database.engine.dispose()  # see test_sqlite_on_a_folder_made_read_only
        remount(small_disk, "ro")
        try:
            assert browser.get(f"{server.url}/library/video", timeout=30).status_code == 503
            reported = report(server, browser, 1500.0)
            assert reported.status_code == 202 and reported.json()["position"] == 1500.0
            assert kept(app) == 1
        finally:
            remount(small_disk, "rw")
        wait_for(lambda: kept(app) == 0, 30, "the kept position written")
        place = browser.get(f"{server.url}/api/progress/{MOVIE}", timeout=30).json()
        assert place["position"] == 1500.0


def fill(folder):
    """Fill the disk of ``folder`` with one file; its path."""
    filler = folder / "filler"
    with open(filler, "wb", buffering=0) as file, contextlib.suppress(OSError):
        while True:
            file.write(b"\0" * 65536)
    return filler


def test_a_full_data_folder(make_app, small_disk):
    """The data folder (the default SQLite file, the embedded Redis) on a disk that fills up."""
    data = {"mediacaster.data_dir": str(small_disk), "mediacaster.database_url": ""}  # SQLite's default file
    app = with_anna(make_app(redis_url="", **QUICK, **data))
    with LiveServer(app) as server:
        browser = logged_in(server)
        assert report(server, browser, 100.0).status_code == 200
        # The write-ahead log emptied, as a checkpoint leaves it: the next write needs new space
        # (a log with room left from earlier writes takes a few more before the disk stops it).
        with contextlib.closing(sqlite3.connect(small_disk / SQLITE_FILE)) as connection:
            assert connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0] == 0
        filler = fill(small_disk)
        try:
            # Reading goes on: pages, the progress saved before.
            assert browser.get(f"{server.url}/library/video", timeout=30).status_code == 200
            assert browser.get(f"{server.url}/api/progress/{MOVIE}", timeout=30).json()["position"] == 100.0
            # A write answers 507 in words, in the API and on a page.
            marked = mark_watched(server, browser)
            assert marked.status_code == 507, marked.text
            assert marked.json()["error"] == "disk_full" and "disk is full" in marked.json()["detail"]
            page = browser.post(
                f"{server.url}/account/tokens", data={"name": "tv", **csrf_field(server, browser)}, timeout=30
            )
            assert page.status_code == 507 and "The server&#39;s disk is full" in page.text
        finally:
            filler.unlink()
        # No half-written file: the database is whole, and no temporary file is left behind.
        with contextlib.closing(sqlite3.connect(small_disk / SQLITE_FILE)) as connection:
            assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert not [path for path in small_disk.rglob("*") if "part" in path.name or "tmp" in path.name]
        wait_for(lambda: mark_watched(server, browser).status_code == 200, 30, "writes working again")
        assert report(server, browser, 200.0).status_code == 200
        assert place_of(app, "video", "movie.mp4").position == 200.0

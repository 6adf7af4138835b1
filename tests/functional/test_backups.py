"""``mediacaster-admin backup`` and ``restore`` on a real SQLite file and a real PostgreSQL
cluster: every row of every table survives the round trip, a backup taken while another
thread writes is consistent, a backup of a running app's SQLite file works, an older
backup is brought up to date, and what is not a backup of this database is refused."""

import os
import pwd
import sqlite3
import stat
import threading
import uuid
from types import SimpleNamespace

import pytest
import webtest
from alembic.script import ScriptDirectory
from psycopg.conninfo import make_conninfo
from sqlalchemy import delete, select, update

from mediacaster.models import Database, alembic_config
from mediacaster.models.accounts import ApiToken, User
from mediacaster.models.history import Progress
from mediacaster.models.meta import Base
from mediacaster.services import accounts, backups, history, queues
from tests.common.app import wait_for
from tests.functional.test_database import admin, fill_every_table

KINDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(params=KINDS)
def kind(request):
    return request.param


@pytest.fixture
def new_url(kind, tmp_path, request):
    """Make URLs of new, empty databases of the kind under test."""

    def make():
        if kind == "sqlite":
            return f"sqlite:///{tmp_path / uuid.uuid4().hex}.sqlite3"
        return request.getfixturevalue("postgres").database(f"t_{uuid.uuid4().hex[:12]}")

    return make


@pytest.fixture
def filled(new_url):
    """A database at the head revision with users, tokens, positions, a queue, and rows in
    every table."""
    database = Database(new_url())
    database.prepare()
    with database.sessions.begin() as session:
        anna = accounts.add_user(session, "Anna", "correct horse", roots=["video"])
        ben = accounts.add_user(session, "Ben", "battery staple", role="admin")
        for user in (anna, ben):
            accounts.create_token(session, user, "laptop")
        session.flush()
        history.record(session, anna.id, "video", "film.mkv", 1200.0, 6000.0, final=True)
        history.record(session, ben.id, "video", "Série/é01.mkv", 10.0, 1500.0, final=True)
        history.mark(session, anna.id, "video", "seen.mkv", True)
        device = SimpleNamespace(id="tv", name="TV")
        queues.make(session, ben.id, device, [("video", "a.mkv"), ("video", "b.mkv")], app_url="http://nas")
    fill_every_table(database)  # and a row in every other table, those added later too
    yield database
    database.close()


def rows(database):
    """Every row of every table (those a newer migration adds too), in a stable order."""
    with database.engine.connect() as connection:
        found = {
            table.name: connection.execute(select(table).order_by(*table.primary_key.columns)).all()
            for table in Base.metadata.sorted_tables
        }
    found["alembic_version"] = [(database.revision(),)]
    return found


def head():
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def one_line_failure(result):
    assert result.returncode == 1 and result.stdout == ""
    message = result.stderr.strip()
    assert "\n" not in message and "Traceback" not in message and message.startswith("mediacaster-admin: ")
    return message


def test_every_row_survives_a_round_trip(filled, tmp_path):
    before = rows(filled)
    assert all(before[table.name] for table in Base.metadata.sorted_tables), "a table without rows"
    backup = tmp_path / "backup"
    result = admin(tmp_path, filled.url, "backup", str(backup))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith(f"to {backup} (revision {head()})")
    assert not list(tmp_path.glob(".backup.*"))  # written beside it, then renamed
    # Changed, removed and added after the backup: positions, accounts, tokens, queues.
    with filled.sessions.begin() as session:
        session.execute(update(Progress).values(position=1.0, watched=False))
        session.execute(delete(ApiToken).where(ApiToken.user_id == session.scalar(select(User.id).limit(1))))
        session.delete(accounts.find(session, "ben"))  # its token, position and queue go with it
        accounts.add_user(session, "Carl", "correct horse")
    assert rows(filled) != before
    result = admin(tmp_path, filled.url, "restore", str(backup))
    assert result.returncode == 0, result.stderr
    assert "start the app again" in result.stdout and "\n" not in result.stdout.strip()
    filled.engine.dispose()  # as the app, started again: SQLite's old connections hold the old file
    assert rows(filled) == before
    with filled.sessions() as session:
        assert accounts.verify(session, "anna", "correct horse").roots == ["video"]


def test_a_backup_taken_while_another_thread_writes_is_consistent(filled, new_url, tmp_path):
    """The writer adds, in each transaction, a position and an API token numbered alike, in
    two tables: a consistent copy holds both of every number or neither."""
    written, stop = [], threading.Event()

    def write():
        while not stop.is_set():
            with filled.sessions.begin() as session:
                number = len(written)
                history.record(session, None, "video", f"{number}.mkv", 5.0, final=True)
                accounts.create_token(session, accounts.find(session, "anna"), f"pair {number}")
            written.append(number)

    writer = threading.Thread(target=write)
    writer.start()
    try:
        wait_for(lambda: len(written) >= 20, 60, "20 pairs written")
        backups.backup(filled.url, tmp_path / "backup")
        during = len(written)
        wait_for(lambda: len(written) > during, 60, "a pair after the copy")  # still writing
    finally:
        stop.set()
        writer.join(60)
    copy = Database(new_url())
    try:
        backups.restore(copy.url, tmp_path / "backup")
        with copy.sessions() as session:
            paths = session.scalars(select(Progress.path).where(Progress.user_id.is_(None))).all()
            names = session.scalars(select(ApiToken.name).where(ApiToken.name.startswith("pair "))).all()
    finally:
        copy.close()
    positions = {int(path.decode().removesuffix(".mkv")) for path in paths}
    tokens = {int(name.removeprefix("pair ")) for name in names}
    assert len(positions) >= 20 and positions == tokens == set(range(len(positions)))


def test_an_older_backup_is_brought_up_to_date(new_url, tmp_path):
    scripts = ScriptDirectory.from_config(alembic_config())
    previous = scripts.get_revision(head()).down_revision
    old = Database(new_url())
    current = Database(new_url())
    try:
        old.upgrade(previous)
        with old.engine.begin() as connection:
            connection.exec_driver_sql(
                "INSERT INTO users (name, folded_name, password_hash, role, created_at) "
                "VALUES ('Anna', 'anna', 'x', 'member', CURRENT_TIMESTAMP)"
            )
        backups.backup(old.url, tmp_path / "old")
        current.prepare()
        with current.sessions.begin() as session:
            accounts.add_user(session, "Ben", "correct horse")
        said = backups.restore(current.url, tmp_path / "old")
        assert said == f"restored {tmp_path / 'old'} (revision {previous}, upgraded to {head()})"
        current.engine.dispose()  # as the app, started again
        assert current.revision() == head()
        with current.sessions() as session:
            assert [user.name for user in session.scalars(select(User))] == ["Anna"]
    finally:
        old.close()
        current.close()


def test_what_is_not_a_backup_of_this_database_is_refused(filled, new_url, tmp_path):
    before = rows(filled)
    text = tmp_path / "notes.txt"
    text.write_text("not a database\n")
    empty = tmp_path / "empty.sqlite3"
    sqlite3.connect(empty).execute("CREATE TABLE t (x)").connection.close()
    newer = tmp_path / "newer"
    backups.backup(filled.url, newer)
    other_kind = tmp_path / "other"
    if filled.engine.name == "sqlite":
        sqlite3.connect(newer).execute("UPDATE alembic_version SET version_num = '9999'").connection.commit()
        other_kind.write_bytes(b"PGDMP\x01\x0f\x00" + bytes(100))
        expected = {
            text: "is not a SQLite backup: this database is SQLite",
            newer: "is at schema revision 9999, which this version of mediacaster does not know",
            other_kind: "is a PostgreSQL backup: this database is SQLite",
            empty: "is a database without mediacaster's schema",
        }
    else:
        newer = None  # a dump cannot be edited in place; the SQLite case checks the revision
        other_kind = empty
        expected = {
            text: "is not a backup made by mediacaster-admin backup: this database is PostgreSQL",
            other_kind: "is a SQLite backup: this database is PostgreSQL",
        }
    expected[tmp_path / "missing"] = "no such file"
    expected[tmp_path] = "not a file"
    for source, words in expected.items():
        with pytest.raises(backups.BackupError) as refused:
            backups.restore(filled.url, source)
        message = str(refused.value)
        assert "\n" not in message and (f"{source} {words}" in message or f"{source}: {words}" in message)
    assert rows(filled) == before
    # The command says it in one line, with exit status 1.
    assert f"{text} is not" in one_line_failure(admin(tmp_path, filled.url, "restore", str(text)))
    message = one_line_failure(admin(tmp_path, filled.url, "backup", str(tmp_path / "nowhere" / "backup")))
    assert "its folder does not exist" in message
    with pytest.raises(backups.BackupError, match="is a folder"):
        backups.backup(filled.url, tmp_path)


def test_a_backup_of_a_running_apps_sqlite_file_works(make_app, tmp_path):
    url = f"sqlite:///{tmp_path / 'app.sqlite3'}"
    testapp = webtest.TestApp(make_app(**{"mediacaster.database_url": url}))
    reported, stop = [], threading.Event()

    def play():
        while not stop.is_set():
            body = {"position": 10.0 + len(reported), "duration": 6000.0, "final": True}
            testapp.put_json("/api/progress/video/movie.mp4", body)
            reported.append(1)

    player = threading.Thread(target=play)
    player.start()
    try:
        wait_for(lambda: reported, 60, "a position reported")
        result = admin(tmp_path, url, "backup", str(tmp_path / "backup"))
        assert result.returncode == 0, result.stderr
    finally:
        stop.set()
        player.join(60)
    copy = sqlite3.connect(tmp_path / "backup")
    try:
        assert copy.execute("SELECT version_num FROM alembic_version").fetchone() == (head(),)
        assert copy.execute("SELECT position FROM progress").fetchone()[0] >= 10.0
    finally:
        copy.close()


def test_a_restored_sqlite_file_keeps_the_owner_and_mode_of_the_one_it_replaces(tmp_path):
    """``restore`` run as root must leave the database to the app's user."""
    url = f"sqlite:///{tmp_path / 'app.sqlite3'}"
    made = Database(url)
    made.prepare()
    made.close()
    backups.backup(url, tmp_path / "backup")
    database = backups.sqlite_path(url)
    database.chmod(0o640)
    owner = os.geteuid() if os.geteuid() else pwd.getpwnam("nobody").pw_uid
    os.chown(database, owner, -1)
    backups.restore(url, tmp_path / "backup")
    status = database.stat()
    assert (status.st_uid, stat.S_IMODE(status.st_mode)) == (owner, 0o640)
    assert stat.S_IMODE((tmp_path / "backup").stat().st_mode) == 0o600  # it holds password hashes


def test_the_password_goes_to_postgresqls_tools_in_the_environment_only():
    url = "postgresql+psycopg://anna:it's%20s3cret@db.example:5433/media?sslmode=require"
    conninfo, env = backups.libpq_connection(url)
    assert "s3cret" not in conninfo and env["PGPASSWORD"] == "it's s3cret"
    assert make_conninfo(conninfo) == make_conninfo(
        host="db.example", port=5433, user="anna", dbname="media", sslmode="require"
    )

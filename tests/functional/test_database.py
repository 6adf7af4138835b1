"""Durable user data on a real SQLite file and a real PostgreSQL cluster: migrations
from an empty database and back, the app refusing a schema that is behind when told
to, accounts made by ``mediacaster-admin`` with Argon2 hashes."""

import subprocess
import sys
import warnings
from types import SimpleNamespace

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, select, text

from mediacaster import main
from mediacaster.models import Database, alembic_config
from mediacaster.models.accounts import ApiToken, User
from mediacaster.models.meta import Base
from mediacaster.services import accounts, history, queues
from tests.common.app import app_settings

CATALOGUE = {
    f"catalogue_{name}"
    for name in ("files", "shows", "seasons", "episodes", "films", "artists", "albums", "tracks", "photos")
}
TABLES = {"users", "api_tokens", "progress", "queues", "queue_items", "alembic_version"} | CATALOGUE
HEAD, PREVIOUS = "0006", "0004"


def not_skipped(database):
    def include(item, name, kind, reflected, compare_to):
        return not (database.engine.name == "sqlite" and name == "uq_progress_file")

    return include


def tables(database):
    return set(inspect(database.engine).get_table_names())


def counts(database):
    with database.engine.connect() as connection:
        return {
            table: connection.execute(text(f"SELECT count(*) FROM {table}")).scalar()
            for table in sorted(TABLES - {"alembic_version"} - CATALOGUE)
        }


def user_columns(database):
    return {column["name"] for column in inspect(database.engine).get_columns("users")}


def test_migrations_bring_an_empty_database_to_the_head_and_back(database):
    assert database.revision() is None and tables(database) == set()
    database.prepare()
    assert database.revision() == database.head() == HEAD
    assert tables(database) == TABLES
    # What the migrations made is what the models say, indexes included; SQLite's reflection
    # skips the one on an expression, which test_progress_is_one_row_per_user_and_file checks.
    with database.engine.connect() as connection, warnings.catch_warnings():
        warnings.filterwarnings("ignore", ".*expression-based index")
        context = MigrationContext.configure(connection, opts={"include_object": not_skipped(database)})
        assert compare_metadata(context, Base.metadata) == []
    # Down to the previous revision and up again, then down to nothing and up again.
    with database.engine.begin() as connection:
        command.downgrade(alembic_config(connection=connection), PREVIOUS)
    assert database.revision() == PREVIOUS and "password_stamp" not in user_columns(database)
    database.prepare()
    assert "password_stamp" in user_columns(database) and database.revision() == HEAD
    with database.engine.begin() as connection:
        command.downgrade(alembic_config(connection=connection), "base")
    assert tables(database) == {"alembic_version"} and database.revision() is None
    database.prepare()
    assert tables(database) == TABLES


def test_a_downgrade_keeps_every_row_and_the_upgrade_stamps_every_password(database):
    database.prepare()
    with database.sessions.begin() as session:
        anna = accounts.add_user(session, "anna", "correct horse")
        session.add(ApiToken(user=anna, name="laptop", token_hash="0" * 64))
        history.record(session, anna.id, "video", "film.mkv", 100.0, 6000.0)
        device = SimpleNamespace(id="tv", name="TV")
        queues.make(session, anna.id, device, [("video", "a.mkv"), ("video", "b.mkv")], app_url="http://nas")
    counted = counts(database)
    with database.engine.begin() as connection:
        command.downgrade(alembic_config(connection=connection), "0003")  # past 0004 and 0005
    assert counts(database) == counted
    database.prepare()
    assert counts(database) == counted
    with database.sessions() as session:
        assert len(session.scalar(select(User.password_stamp))) == 32  # given one on the way up


def test_accounts_keep_argon2_hashes_and_fold_names(database):
    database.prepare()
    with database.sessions.begin() as session:
        anna = accounts.add_user(session, "Anna", "correct horse", roots=["video", "music", "video"])
        assert anna.password_hash.startswith("$argon2id$")
        assert anna.roots == ["music", "video"]
        session.add(ApiToken(user=anna, name="script", token_hash="0" * 64))
        with pytest.raises(accounts.AccountError, match="exists"):
            accounts.add_user(session, "ANNA", "another password")
        with pytest.raises(accounts.AccountError, match="at least 8"):
            accounts.add_user(session, "Ben", "short")
        with pytest.raises(accounts.AccountError, match="role"):
            accounts.add_user(session, "Ben", "long enough", role="owner")
    with database.sessions.begin() as session:
        assert accounts.verify(session, "anna", "correct horse").name == "Anna"
        assert accounts.verify(session, "anna", "wrong horse") is None
        assert accounts.verify(session, "nobody", "correct horse") is None
        # Removing a user removes its tokens (the foreign key cascades, on SQLite too).
        session.delete(accounts.find(session, "anna"))
    with database.sessions.begin() as session:
        assert session.query(User).count() == 0 and session.query(ApiToken).count() == 0


def test_the_app_migrates_at_startup_or_refuses_when_told(url, redis_server, library_roots):
    settings = app_settings(library_roots, redis_server.url, **{"mediacaster.database_url": url})
    with pytest.raises(SystemExit) as refused:
        main({}, **{**settings, "mediacaster.migrate": "refuse"})
    message = str(refused.value.code)
    assert "\n" not in message and f"needs {HEAD}" in message and "mediacaster-admin migrate" in message
    app = main({}, **settings)
    try:
        assert app.registry.services.database.revision() == HEAD
    finally:
        app.registry.services.close()


def test_a_bad_database_url_stops_the_app_with_one_line(redis_server, library_roots):
    settings = app_settings(library_roots, redis_server.url, **{"mediacaster.database_url": "not a url"})
    with pytest.raises(SystemExit, match="mediacaster.database_url"):
        main({}, **settings)


def admin(tmp_path, url, *args, password="correct horse"):
    ini = tmp_path / "admin.ini"
    ini.write_text(
        f"[app:main]\nuse = egg:mediacaster\nmediacaster.roots = video={tmp_path}\n"
        "mediacaster.secret = a-secret-of-the-tests-0123\n"
        f"mediacaster.database_url = {url}\n"
    )
    return subprocess.run(
        [sys.executable, "-m", "mediacaster.admin", "-c", str(ini), *args],
        input=password + "\n",
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_mediacaster_admin_migrates_and_adds_users(tmp_path, url):
    result = admin(tmp_path, url, "migrate")
    assert result.returncode == 0, result.stderr
    assert f"at revision {HEAD}" in result.stdout
    result = admin(tmp_path, url, "adduser", "Anna", "--admin")
    assert (result.returncode, result.stdout.strip()) == (0, "added admin 'Anna'"), result.stderr
    result = admin(tmp_path, url, "adduser", "anna")
    assert result.returncode != 0 and "an account named 'anna' exists" in result.stderr
    result = admin(tmp_path, url, "adduser", "Ben", password="short")
    assert result.returncode != 0 and "at least 8 characters" in result.stderr
    result = admin(tmp_path, url, "adduser", "Ben", "--roots", "video,music")
    assert result.returncode != 0 and "no root named music" in result.stderr
    result = admin(tmp_path, url, "adduser", "Ben", "--roots", "video")
    assert result.returncode == 0, result.stderr
    database = Database(url)
    try:
        with database.sessions() as session:
            assert accounts.verify(session, "ANNA", "correct horse").role == "admin"
            assert accounts.verify(session, "ben", "correct horse").roots == ["video"]
    finally:
        database.close()

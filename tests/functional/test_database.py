"""Durable user data on a real SQLite file and a real PostgreSQL cluster: migrations
from an empty database and back, the app refusing a schema that is behind when told
to, accounts made by ``mediacaster-admin`` with Argon2 hashes."""

import subprocess
import sys
import uuid

import pytest
from alembic import command
from sqlalchemy import inspect

from mediacaster import main
from mediacaster.models import Database, alembic_config
from mediacaster.models.accounts import ApiToken, User
from mediacaster.services import accounts
from tests.common.app import app_settings
from tests.common.postgres import PostgresServer

TABLES = {"users", "api_tokens", "alembic_version"}


@pytest.fixture(scope="session")
def postgres():
    server = PostgresServer().start()
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'mediacaster.sqlite3'}"
    return request.getfixturevalue("postgres").database(f"t_{uuid.uuid4().hex[:12]}")


@pytest.fixture
def database(url):
    database = Database(url)
    yield database
    database.close()


def tables(database):
    return set(inspect(database.engine).get_table_names())


def test_migrations_bring_an_empty_database_to_the_head_and_back(database):
    assert database.revision() is None and tables(database) == set()
    database.prepare()
    assert database.revision() == database.head() == "0001"
    assert tables(database) == TABLES
    # Down to the previous revision (none before the first) and up again.
    with database.engine.begin() as connection:
        command.downgrade(alembic_config(connection=connection), "base")
    assert tables(database) == {"alembic_version"} and database.revision() is None
    database.prepare()
    assert tables(database) == TABLES


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
    assert "\n" not in message and "needs 0001" in message and "mediacaster-admin migrate" in message
    app = main({}, **settings)
    try:
        assert app.registry.services.database.revision() == "0001"
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
    assert "at revision 0001" in result.stdout
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

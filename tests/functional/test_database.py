"""Durable user data on a real SQLite file and a real PostgreSQL cluster: migrations
from an empty database and back, each one down and up again with rows in every table,
the app refusing a schema that is behind when told to, accounts made by
``mediacaster-admin`` with Argon2 hashes."""

import datetime
import subprocess
import sys
import warnings
from types import SimpleNamespace

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import JSON, MetaData, func, inspect, select, text

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
HEAD, PREVIOUS = "0008", "0004"


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
        [sys.executable, "-m", "mediacaster.cli.admin", "-c", str(ini), *args],
        input=password + "\n",
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.slow
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


# -- every migration, up and down, found by walking Alembic's revisions --------------------


def revisions():
    """Every migration, oldest first; those added later are covered without being named."""
    scripts = ScriptDirectory.from_config(alembic_config())
    return [script.revision for script in reversed(list(scripts.walk_revisions()))]


def downgrade(database, revision):
    with database.engine.begin() as connection:
        command.downgrade(alembic_config(connection=connection), revision or "base")


def reflected(connection):
    metadata = MetaData()
    with warnings.catch_warnings():  # SQLite's reflection skips the index on an expression
        warnings.filterwarnings("ignore", ".*expression-based index")
        metadata.reflect(connection)
    return metadata


def schema(database):
    """Each table's columns and indexes, as the database has them (Alembic's own table aside)."""
    with database.engine.connect() as connection:
        return {
            table.name: (sorted(table.columns.keys()), sorted(index.name for index in table.indexes))
            for table in reflected(connection).sorted_tables
            if table.name != "alembic_version"
        }


def all_counts(database):
    with database.engine.connect() as connection:
        return {
            table.name: connection.execute(select(func.count()).select_from(table)).scalar()
            for table in reflected(connection).sorted_tables
            if table.name != "alembic_version"
        }


SAMPLES = {int: 1, float: 1.5, bool: True, str: "x", bytes: b"x"}


def sample(column):
    """A value the column accepts: the model's own default where it has one (it satisfies
    the table's checks), else one of the column's type."""
    model = Base.metadata.tables.get(column.table.name)
    source = model.columns.get(column.name, column) if model is not None else column
    if source.default is not None and source.default.is_scalar and source.default.arg is not None:
        return source.default.arg
    if getattr(source.type, "enums", None):
        return source.type.enums[0]
    if isinstance(source.type, JSON):
        return [0]
    python = source.type.python_type
    if python is datetime.datetime:
        return datetime.datetime.now(datetime.UTC)
    if python is datetime.date:
        return datetime.date.today()
    return SAMPLES[python]


def fill_every_table(database):
    """One row in every empty table, its foreign keys pointing at its parents' first rows."""
    with database.engine.begin() as connection:
        first = {}
        for table in reflected(connection).sorted_tables:
            if table.name == "alembic_version":
                continue
            if connection.execute(select(func.count()).select_from(table)).scalar() == 0:
                row = {}
                for column in table.columns:
                    parents = [key.column for key in column.foreign_keys if key.column.table.name in first]
                    if parents:
                        row[column.name] = first[parents[0].table.name][parents[0].name]
                    elif not (column.primary_key and column.autoincrement in (True, "auto")):
                        row[column.name] = sample(column)
                connection.execute(table.insert().values(row))
            first[table.name] = connection.execute(select(table).limit(1)).mappings().one()


@pytest.mark.parametrize("rows", [False, True], ids=["empty", "with-rows"])
def test_every_migration_goes_down_and_up_again(database, rows):
    """Each migration in turn: up, (rows in every table), down to where it was with every
    row kept, and up again to the same schema; at the head, every table of the models."""
    for revision in revisions():
        below, previous = schema(database), database.revision()
        database.upgrade(revision)
        assert database.revision() == revision
        if rows:
            fill_every_table(database)
            assert all(all_counts(database).values()), f"{revision}: a table without rows"
        above, kept = schema(database), all_counts(database)
        survivors = {table: kept[table] for table in below}
        downgrade(database, previous)
        assert database.revision() == previous
        assert schema(database) == below, f"{revision} down"
        assert all_counts(database) == survivors
        database.upgrade(revision)
        assert schema(database) == above, f"{revision} up again"
        counted = all_counts(database)
        assert {table: counted[table] for table in survivors} == survivors
    assert set(schema(database)) == set(Base.metadata.tables)
    downgrade(database, None)
    assert schema(database) == {} and database.revision() is None

"""Backups of the database, taken while the app runs, and restoring them.

SQLite is copied through its online backup API, which reads one consistent
snapshot even while the app writes; PostgreSQL through ``pg_dump`` (custom
format), which dumps inside one transaction. A restore replaces the whole
database with the backup, then brings its schema up to the app's revision, so a
backup from an older version of the app can be restored into a newer one.

A restore is meant for a stopped app: a running app would keep writing into
what is being replaced. Whether the app runs cannot be told reliably from here
(another machine may run it against the same PostgreSQL), so the command says so
instead of guessing.

Connection parameters come from the configured URL; the password reaches
``pg_dump``, ``pg_restore`` and ``psql`` through ``PGPASSWORD``, never their
command lines (which other users of the machine can read).
"""

import glob
import os
import shutil
import sqlite3
import subprocess
import tempfile
from pathlib import Path

from alembic.script import ScriptDirectory
from psycopg.conninfo import make_conninfo
from sqlalchemy import inspect, make_url, text

from mediacaster.models import Database, alembic_config, one_line

SQLITE_HEADER = b"SQLite format 3\x00"
PG_CUSTOM_HEADER = b"PGDMP"
TOOL_TIMEOUT = 3600  # seconds; a dump of a home media server's database takes seconds


class BackupError(Exception):
    """A backup or restore that cannot be done, in one line."""


def backup(url, target):
    """Write a consistent copy of the database at ``url`` to ``target``; a short description."""
    target = Path(target)
    if not target.parent.is_dir():
        raise BackupError(f"{target}: its folder does not exist")
    if target.is_dir():
        raise BackupError(f"{target} is a folder: name the backup's file")
    if is_sqlite(url):
        return _sqlite_backup(sqlite_path(url), target)
    return _pg_backup(url, target)


def restore(url, source):
    """Replace the database at ``url`` with the backup in ``source`` and bring its schema up
    to date; a short description of what was done."""
    source = Path(source)
    if not source.is_file():
        raise BackupError(f"{source}: {'not a file' if source.exists() else 'no such file'}")
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    revision = _sqlite_restore(source, sqlite_path(url)) if is_sqlite(url) else _pg_restore(url, source)
    database = Database(url)
    try:
        database.upgrade()
    finally:
        database.close()
    upgraded = f", upgraded to {head}" if revision != head else ""
    return f"restored {source} (revision {revision}{upgraded})"


def is_sqlite(url):
    return make_url(url).get_backend_name() == "sqlite"


def sqlite_path(url):
    name = make_url(url).database
    if not name or name == ":memory:":
        raise BackupError("the database is in memory: there is nothing to back up or restore")
    return Path(name)


def known_revisions():
    return {script.revision for script in ScriptDirectory.from_config(alembic_config()).walk_revisions()}


def check_revision(source, revision):
    """Refuse a backup made by a newer app, before anything is replaced."""
    if revision is None:
        raise BackupError(f"{source} is a database without mediacaster's schema, not a backup of it")
    if revision not in known_revisions():
        raise BackupError(
            f"{source} is at schema revision {revision}, which this version of mediacaster does not know: "
            "restore it with the version that made it"
        )
    return revision


def _header(path, size):
    with open(path, "rb") as file:
        return file.read(size)


def _replace_atomically(target, write):
    """Let ``write(path)`` fill a file beside ``target``, then rename it over ``target``: a
    reader sees the old file or the new one, never half of one. The new file is private
    (backups hold password hashes), or as the old one was."""
    try:
        handle, partial = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent)
    except OSError as error:
        raise BackupError(f"{target}: {error.strerror}") from None
    os.close(handle)
    try:
        write(Path(partial))
        _keep_owner(target, partial)
        os.replace(partial, target)
    except BaseException as error:
        Path(partial).unlink(missing_ok=True)
        if isinstance(error, OSError):
            raise BackupError(f"{target}: {error.strerror}") from None
        raise


def _keep_owner(old, new):
    """A restore run as root leaves the database to the app's user, as it was."""
    try:
        status = os.stat(old)
    except FileNotFoundError:
        return
    os.chmod(new, status.st_mode & 0o777)
    if os.geteuid() == 0:
        os.chown(new, status.st_uid, status.st_gid)


# -- SQLite ---------------------------------------------------------------------------


def _sqlite_copy(source, destination):
    """Copy with SQLite's online backup: one snapshot, even while another connection writes
    (it waits out a writer holding the lock for up to the busy timeout)."""
    # Not read-only: a read-only connection to a WAL database leaves its -wal and -shm behind.
    origin = sqlite3.connect(source, timeout=30)
    try:
        copy = sqlite3.connect(destination)
        try:
            origin.backup(copy)
            # A self-contained file: no WAL beside it for a later reader to need.
            copy.execute("PRAGMA journal_mode=DELETE")
        finally:
            copy.close()
    finally:
        origin.close()


def _sqlite_revision(path):
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        if connection.execute("PRAGMA quick_check").fetchone() != ("ok",):
            raise BackupError(f"{path} is a damaged SQLite file")
        found = connection.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
        ).fetchone()
        if not found:
            return None
        row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
        return row[0] if row else None
    except sqlite3.DatabaseError as error:
        raise BackupError(f"{path} is not a readable SQLite file ({error})") from None
    finally:
        connection.close()


def _sqlite_backup(database, target):
    if not database.is_file():
        raise BackupError(f"there is no database at {database} yet: start the app once, or run migrate")
    try:
        _replace_atomically(target, lambda partial: _sqlite_copy(database, partial))
    except sqlite3.Error as error:
        raise BackupError(f"{database}: {error}") from None
    return f"backed up {database} to {target} (revision {_sqlite_revision(target) or 'none'})"


def _sqlite_restore(source, database):
    header = _header(source, len(SQLITE_HEADER))
    if header != SQLITE_HEADER:
        kind = "a PostgreSQL backup" if header.startswith(PG_CUSTOM_HEADER) else "not a SQLite backup"
        raise BackupError(f"{source} is {kind}: this database is SQLite ({database})")
    revision = check_revision(source, _sqlite_revision(source))
    database.parent.mkdir(parents=True, exist_ok=True)
    try:
        _replace_atomically(database, lambda partial: _sqlite_copy(source, partial))
    except sqlite3.Error as error:
        raise BackupError(f"{source}: {error}") from None
    # The replaced file's write-ahead log belongs to it: SQLite would replay it onto the new one.
    for leftover in ("-wal", "-shm", "-journal"):
        Path(f"{database}{leftover}").unlink(missing_ok=True)
    return revision


# -- PostgreSQL -----------------------------------------------------------------------


def libpq_connection(url):
    """The libpq connection string (without the password) and the environment with it."""
    parsed = make_url(url)
    options = {
        "host": parsed.host,
        "port": parsed.port,
        "user": parsed.username,
        "dbname": parsed.database,
        **{key: value for key, value in parsed.query.items() if isinstance(value, str)},
    }
    conninfo = make_conninfo(**{key: value for key, value in options.items() if value is not None})
    env = dict(os.environ)
    env.pop("PGPASSWORD", None)
    if parsed.password is not None:
        env["PGPASSWORD"] = parsed.password
    return conninfo, env


def _server_major(url):
    database = Database(url)
    try:
        with database.engine.connect() as connection:
            return int(connection.execute(text("SHOW server_version_num")).scalar()) // 10000
    except Exception as error:
        raise BackupError(
            f"database {database.safe_url}: {one_line(getattr(error, 'orig', error))}"
        ) from None
    finally:
        database.close()


def pg_tools(major):
    """The folder of pg_dump, pg_restore and psql for a server of version ``major``: the same
    version, else the nearest newer one (pg_dump refuses a server newer than itself)."""
    found = {}
    for path in glob.glob("/usr/lib/postgresql/*/bin/pg_dump"):
        version = Path(path).parent.parent.name
        if version.isdigit():
            found[int(version)] = Path(path).parent
    newer = sorted(version for version in found if version >= major)
    if newer:
        return found[newer[0]]
    on_path = shutil.which("pg_dump")
    if on_path:
        return Path(on_path).parent
    raise BackupError(
        f"pg_dump for PostgreSQL {major} is not installed (Debian: apt install postgresql-client-{major})"
    )


def _run(tool, args, env, what):
    try:
        result = subprocess.run(
            [str(tool), *args],
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=TOOL_TIMEOUT,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise BackupError(f"{what}: {tool.name} failed ({error})") from None
    if result.returncode != 0:
        raise BackupError(
            f"{what}: {one_line(result.stderr) or f'{tool.name} exited with {result.returncode}'}"
        )
    return result.stdout


def _pg_backup(url, target):
    tools = pg_tools(_server_major(url))
    conninfo, env = libpq_connection(url)
    safe = make_url(url).render_as_string(hide_password=True)

    def dump(partial):
        args = [
            "--format=custom",
            "--no-owner",
            "--no-privileges",
            f"--file={partial}",
            f"--dbname={conninfo}",
        ]
        _run(tools / "pg_dump", args, env, f"backing up {safe}")

    _replace_atomically(target, dump)
    return f"backed up {safe} to {target} (revision {_pg_revision(tools, target, env) or 'none'})"


def _pg_revision(tools, dump, env):
    """The schema revision recorded in a custom-format dump, or None without one."""
    script = _run(
        tools / "pg_restore",
        ["--data-only", "--table=alembic_version", "--file=-", str(dump)],
        env,
        f"reading {dump}",
    )
    lines = script.splitlines()
    for number, line in enumerate(lines):
        if line.startswith("COPY ") and "alembic_version" in line and number + 1 < len(lines):
            value = lines[number + 1]
            return None if value == "\\." else value
    return None


def _pg_restore(url, source):
    header = _header(source, len(SQLITE_HEADER))
    parsed = make_url(url)
    if not header.startswith(PG_CUSTOM_HEADER):
        kind = (
            "a SQLite backup" if header == SQLITE_HEADER else "not a backup made by mediacaster-admin backup"
        )
        raise BackupError(f"{source} is {kind}: this database is PostgreSQL ({parsed.database})")
    tools = pg_tools(_server_major(url))
    conninfo, env = libpq_connection(url)
    revision = check_revision(source, _pg_revision(tools, source, env))
    safe = parsed.render_as_string(hide_password=True)
    with tempfile.TemporaryDirectory(prefix="mediacaster-restore-") as folder:
        # What is there now goes first (tables a newer schema added too, which the backup's own
        # DROP statements would not name), then the backup's objects, in one transaction:
        # a restore that fails half-way leaves the database as it was.
        clean = Path(folder) / "clean.sql"
        clean.write_text(
            "".join(f"DROP TABLE IF EXISTS public.{quoted(name)} CASCADE;\n" for name in _pg_tables(url))
        )
        script = Path(folder) / "restore.sql"
        _run(
            tools / "pg_restore",
            ["--clean", "--if-exists", "--no-owner", "--no-privileges", f"--file={script}", str(source)],
            env,
            f"reading {source}",
        )
        args = ["--no-psqlrc", "--quiet", "--single-transaction", "--set=ON_ERROR_STOP=1"]
        _run(
            tools / "psql", [*args, f"--file={clean}", f"--file={script}", f"--dbname={conninfo}"], env, safe
        )
    return revision


def quoted(name):
    return '"' + name.replace('"', '""') + '"'


def _pg_tables(url):
    database = Database(url)
    try:
        return inspect(database.engine).get_table_names(schema="public")
    finally:
        database.close()

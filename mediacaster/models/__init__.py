"""Durable user data (accounts, API tokens, what each user played, queues) in a relational
database.

SQLite in the data folder by default, so ``make run`` needs nothing; PostgreSQL
(or any SQLAlchemy URL) through ``mediacaster.database_url`` / ``DATABASE_URL``.
The schema is Alembic's (``mediacaster/migrations``): brought up to date at
startup, or, with ``mediacaster.migrate = refuse``, the app refuses to start
on a schema that is behind and says which command brings it up to date.

Requests get one session each, joined to the request's transaction by
pyramid_tm and zope.sqlalchemy: committed when the view returns, rolled back
when it raises. Redis stays the home of sessions and caches.

A database that goes away (PostgreSQL stopped or restarted, SQLite locked by
another writer, its disk full or read-only) costs a request at most
``mediacaster.database_timeout`` seconds, then an error the error view answers
with 503 (507 for a full disk); the pool tests each connection before lending
it (pre-ping), so the app reconnects by itself once the database is back.
"""

import contextlib
import functools
import logging
import sqlite3
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, event, exc, make_url
from sqlalchemy.orm import sessionmaker
from zope.sqlalchemy import register

from mediacaster.models import accounts, catalogue, history, queues  # noqa: F401 - every table, in Base.metadata
from mediacaster.settings import SettingsError, writable_folder

log = logging.getLogger(__name__)
MIGRATIONS = "mediacaster:migrations"
REVISIONS = Path(__file__).resolve().parent.parent / "migrations" / "versions"
SQLITE_FILE = "mediacaster.sqlite3"
EXAMPLE_URL = "postgresql://user:password@host/name"
TIMEOUT = 5.0  # seconds; mediacaster.database_timeout


def database_url(settings):
    """The configured URL, or the SQLite file in the data folder."""
    return settings.database_url or f"sqlite:///{settings.data_dir / SQLITE_FILE}"


def alembic_config(url=None, connection=None):
    config = Config()
    config.set_main_option("script_location", MIGRATIONS)
    if url is not None:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.attributes["connection"] = connection
    return config


def head_revision():
    """The newest revision of the migrations. Alembic loads every revision script to find
    it: done once per process, and again only when a script changes."""
    return _head_of(tuple((path.name, path.stat().st_mtime_ns) for path in sorted(REVISIONS.glob("*.py"))))


@functools.lru_cache(maxsize=1)
def _head_of(scripts):
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


class Database:
    """The engine, the session factory and the schema's revision."""

    def __init__(self, url, timeout=TIMEOUT):
        self.url = url
        self.timeout = timeout
        sqlite = url.startswith("sqlite")
        try:
            self.engine = create_engine(url, **_engine_options(url, timeout))
        except (ImportError, exc.ArgumentError) as error:
            if isinstance(error, ImportError):
                problem = f"its driver is not installed ({error})"
            elif isinstance(error, exc.NoSuchModuleError):
                problem = f"this kind of database is not supported ({error})"
            else:
                problem = one_line(error)
            raise SettingsError(
                f"database {make_url(url).render_as_string(hide_password=True)}: {problem}: "
                f"use PostgreSQL ({EXAMPLE_URL}), or leave DATABASE_URL empty for SQLite in the data folder"
            ) from None
        if sqlite:
            event.listen(self.engine, "connect", _sqlite_pragmas)
            event.listen(self.engine, "handle_error", _sqlite_reopen)
        self.sessions = sessionmaker(bind=self.engine, expire_on_commit=False)

    @classmethod
    def of(cls, settings):
        """The configured database (the data folder made for the default SQLite file)."""
        if not settings.database_url:
            writable_folder(settings.data_dir)
        return cls(database_url(settings), settings.database_timeout)

    @classmethod
    def connect(cls, settings):
        """:meth:`of`, with its schema brought up to date or refused (``mediacaster.migrate``)."""
        database = cls.of(settings)
        try:
            database.prepare(upgrade=settings.migrate == "auto")
        except SettingsError:
            database.close()
            raise
        except Exception as error:
            database.close()
            served = isinstance(error, exc.OperationalError) and not database.url.startswith("sqlite")
            advice = ": start that database server, or correct DATABASE_URL" if served else ""
            raise SettingsError(
                f"database {database.safe_url}: {one_line(getattr(error, 'orig', error))}{advice}"
            ) from None
        return database

    @property
    def safe_url(self):
        """The URL without its password, for messages."""
        return self.engine.url.render_as_string(hide_password=True)

    def revision(self):
        with self.engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()

    def head(self):
        return head_revision()

    def upgrade(self, revision="head"):
        with self.engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                # A migration may rewrite a big table: no request waits on it.
                connection.exec_driver_sql("SET LOCAL statement_timeout = 0")
            command.upgrade(alembic_config(connection=connection), revision)

    def prepare(self, upgrade=True):
        """Bring the schema up to date, or refuse (``upgrade`` False) when it is behind."""
        current, head = self.revision(), self.head()
        if current == head:
            return
        if not upgrade:
            raise SettingsError(
                f"the database {self.safe_url} is at revision {current or 'none'}, the app needs {head}: "
                "run mediacaster-admin migrate, or set mediacaster.migrate = auto"
            )
        self.upgrade()
        log.info("database %s: schema upgraded from %s to %s", self.safe_url, current or "none", head)

    def reachable(self):
        """Whether the database answers now (within the timeout), reading from its tables
        (SQLite answers ``SELECT 1`` without opening its file)."""
        try:
            with self.engine.connect() as connection:
                connection.exec_driver_sql("SELECT version_num FROM alembic_version")
        except OUTAGES:
            return False
        return True

    def close(self):
        self.engine.dispose()


# What a database that is away, busy, read-only or full raises (drivers' OperationalError,
# a connection closed under the app, the pool's wait running out); not a bug's errors
# (IntegrityError, ProgrammingError), which stay failures.
OUTAGES = (exc.OperationalError, exc.InterfaceError, exc.TimeoutError)
SQLITE_FULL = 13
# SQLite's errors after which a connection stays broken: opened read-only while its folder was,
# or without the files of its write-ahead log.
SQLITE_REOPEN = {8, 10, 14}  # SQLITE_READONLY, SQLITE_IOERR, SQLITE_CANTOPEN
PG_DISK_FULL = "53100"


def is_disk_full(error):
    """Whether the database failed for want of disk space (an item of :data:`OUTAGES`)."""
    cause = getattr(error, "orig", None)
    return (
        getattr(cause, "sqlite_errorcode", None) == SQLITE_FULL
        or getattr(cause, "sqlstate", None) == PG_DISK_FULL
    )


def one_line(error):
    """An error's message on one line (drivers' messages run over several)."""
    return " ".join(line.strip() for line in str(error).splitlines() if line.strip())


def _engine_options(url, timeout):
    """The engine's pool and driver options: nothing waits on the database for longer
    than ``timeout`` seconds, and a connection the server dropped is replaced unseen."""
    # pre_ping: a connection the pool lends is tested first (a restarted PostgreSQL
    # dropped them all), and replaced if dead, instead of failing the request.
    options = {"pool_pre_ping": True, "pool_timeout": timeout}
    if url.startswith("sqlite"):
        # One file shared by the server's threads. The driver's timeout is SQLite's busy
        # timeout: how long a write waits for another writer's lock before "database is locked".
        options["connect_args"] = {"check_same_thread": False, "timeout": timeout}
    elif make_url(url).get_backend_name() == "postgresql":
        # libpq's connect timeout (whole seconds, 2 at least) and the server's statement
        # timeout: a database that does not answer, or a lock held elsewhere, fails the
        # request in seconds instead of holding its thread.
        options["connect_args"] = {
            "connect_timeout": max(2, round(timeout)),
            "options": f"-c statement_timeout={round(timeout * 1000)}",
        }
    return options


def _sqlite_reopen(context):
    """A connection SQLite could not write with is dropped as a lost one (and the pool's
    others with it): the next request opens the file anew, writable once its folder is."""
    code = getattr(context.original_exception, "sqlite_errorcode", None)
    if code is not None and code & 0xFF in SQLITE_REOPEN:
        context.is_disconnect = True


def _sqlite_pragmas(connection, record):
    """Foreign keys (off unless asked), and the write-ahead log: readers go on reading while
    another process writes, and a write is one append to the log (no rollback journal)."""
    cursor = connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    # Locked or read-only just now: this connection keeps the file's own mode (WAL once set
    # persists in the file); the next one asks again.
    with contextlib.suppress(sqlite3.OperationalError):
        cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


def request_session(request):
    """The request's database session (made once), in the request's transaction."""
    session = request.__dict__.get("_dbsession")
    if session is None:
        session = request.__dict__["_dbsession"] = request.registry.services.database.sessions()
        register(session, transaction_manager=request.tm)
    return session


def includeme(config):
    config.include("pyramid_tm")
    config.add_request_method(request_session, "dbsession")

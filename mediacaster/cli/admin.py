"""``mediacaster-admin``: the database's schema, accounts and backups, from a shell.

    mediacaster-admin [-c production.ini] migrate
    mediacaster-admin [-c production.ini] adduser NAME [--admin] [--roots video,music]
    mediacaster-admin [-c production.ini] passwd NAME
    mediacaster-admin [-c production.ini] backup FILE
    mediacaster-admin [-c production.ini] restore FILE

Settings come from the ini file (default development.ini when it is here) and
the environment, as for the app. ``adduser`` and ``passwd`` read the password
twice from the terminal, or once from standard input when it is not a terminal.
``passwd`` is the way back in for an administrator who forgot their password;
the account's browser sessions end, its API tokens keep working.

``backup`` writes a consistent copy of the database while the app runs: SQLite
through its online backup, PostgreSQL through ``pg_dump`` (custom format, the
``pg_dump`` of the server's version; the password through ``PGPASSWORD``).
``restore`` replaces the configured database with such a copy and brings its
schema up to date; stop the app first, and start it again afterwards.
"""

import argparse
import getpass
import os
import sys

from pyramid.paster import get_appsettings
from sqlalchemy import exc

from mediacaster.models import Database, one_line
from mediacaster.models.accounts import ADMIN, MEMBER
from mediacaster.services import accounts, backups
from mediacaster.settings import SettingsError, load


def read_password(stdin=sys.stdin):
    if not stdin.isatty():
        return stdin.readline().rstrip("\n")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Again: ") != first:
        raise SystemExit("mediacaster-admin: the passwords differ")
    return first


def change_password(database, name):
    with database.sessions.begin() as session:
        user = accounts.find(session, name)
        if user is None:
            raise SystemExit(f"mediacaster-admin: no account named {name!r}")
        accounts.set_password(user, read_password())
        print(f"new password for {user.name!r}: their browser sessions are logged out")


def copy(settings, command, file):
    """Back the database up to ``file``, or restore it from there."""
    try:
        database = Database.of(settings)
    except SettingsError as error:
        raise SystemExit(f"mediacaster-admin: {error}") from None
    url = database.url
    database.close()
    try:
        if command == "backup":
            print(backups.backup(url, file))
        else:
            print(f"{backups.restore(url, file)} into {database.safe_url}: start the app again")
    except backups.BackupError as error:
        raise SystemExit(f"mediacaster-admin: {error}") from None
    except OSError as error:
        raise SystemExit(f"mediacaster-admin: {error.filename or file}: {error.strerror}") from None
    except exc.SQLAlchemyError as error:
        raise SystemExit(
            f"mediacaster-admin: {database.safe_url}: {one_line(getattr(error, 'orig', error))}"
        ) from None


def main(argv=None):
    parser = argparse.ArgumentParser(prog="mediacaster-admin", description=__doc__.splitlines()[0])
    default_ini = "development.ini" if os.path.exists("development.ini") else None
    parser.add_argument("-c", "--config", default=default_ini, help="the ini file (default: development.ini)")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("migrate", help="bring the database's schema up to date")
    add = commands.add_parser("adduser", help="make an account")
    add.add_argument("name")
    add.add_argument("--admin", action="store_true", help="an administrator (sees every root)")
    add.add_argument("--roots", default=None, help="comma-separated roots a member sees (default: all)")
    commands.add_parser("passwd", help="give an account a new password").add_argument("name")
    commands.add_parser("backup", help="copy the database to FILE, while the app runs").add_argument("file")
    commands.add_parser(
        "restore", help="replace the database with the backup in FILE (stop the app first)"
    ).add_argument("file")
    args = parser.parse_args(argv)
    try:
        settings = load(get_appsettings(args.config, name="main") if args.config else {})
    except SettingsError as error:
        raise SystemExit(f"mediacaster-admin: {error}") from None
    if args.command in ("backup", "restore"):
        copy(settings, args.command, args.file)
        return
    if args.command == "migrate":
        try:
            database = Database.of(settings)
        except SettingsError as error:
            raise SystemExit(f"mediacaster-admin: {error}") from None
        try:
            database.upgrade()
            print(f"{database.safe_url}: at revision {database.revision()}")
        finally:
            database.close()
        return
    try:
        database = Database.connect(settings)
    except SettingsError as error:
        raise SystemExit(f"mediacaster-admin: {error}") from None
    try:
        if args.command == "passwd":
            change_password(database, args.name)
            return
        roots = [r.strip() for r in args.roots.split(",") if r.strip()] if args.roots else None
        unknown = sorted(set(roots or ()) - set(settings.roots))
        if unknown and settings.roots:
            raise SystemExit(f"mediacaster-admin: no root named {', '.join(unknown)}")
        with database.sessions.begin() as session:
            user = accounts.add_user(
                session, args.name, read_password(), ADMIN if args.admin else MEMBER, roots
            )
            print(f"added {user.role} {user.name!r}")
    except accounts.AccountError as error:
        raise SystemExit(f"mediacaster-admin: {error}") from None
    finally:
        database.close()


if __name__ == "__main__":
    main()

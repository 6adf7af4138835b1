"""``mediacaster-admin``: the database's schema and accounts, from a shell.

    mediacaster-admin [-c production.ini] migrate
    mediacaster-admin [-c production.ini] adduser NAME [--admin] [--roots video,music]
    mediacaster-admin [-c production.ini] passwd NAME

Settings come from the ini file (default development.ini when it is here) and
the environment, as for the app. ``adduser`` and ``passwd`` read the password
twice from the terminal, or once from standard input when it is not a terminal.
``passwd`` is the way back in for an administrator who forgot their password;
the account's browser sessions end, its API tokens keep working.
"""

import argparse
import getpass
import os
import sys

from pyramid.paster import get_appsettings

from mediacaster.models import Database
from mediacaster.models.accounts import ADMIN, MEMBER
from mediacaster.services import accounts
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
    args = parser.parse_args(argv)
    try:
        settings = load(get_appsettings(args.config, name="main") if args.config else {})
    except SettingsError as error:
        raise SystemExit(f"mediacaster-admin: {error}") from None
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

"""``mediacaster``: serve the app an ini file describes, as ``pserve`` does, for a service manager.

    mediacaster production.ini

The ini file's ``[app:main]`` is the app and its ``[server:main]`` the server
(mediacaster's waitress runner), with its logging set up from the file, and the
environment overriding settings as the README's table says. A setting it cannot
run with, a port in use or a database it cannot reach end it with one line on
stderr and status 1; SIGTERM and Ctrl-C stop it cleanly.
"""

import argparse
import os
import sys

import plaster

from mediacaster.server import ServerOptionError


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="mediacaster",
        description="Serve mediacaster as the ini file INI describes (as pserve INI does).",
        epilog="Settings and their environment variables: README.md; as a service: docs/production.md.",
    )
    parser.add_argument("config", metavar="INI", help="the ini file, e.g. production.ini")
    args = parser.parse_args(argv)
    if not os.path.isfile(args.config):
        raise SystemExit(f"mediacaster: cannot start: no file {args.config}")
    loader = plaster.get_loader(args.config, protocols=["wsgi"])
    script = {"__script__": "mediacaster"}  # as pserve names itself: the app checks its address
    loader.setup_logging(script)
    server = loader.get_wsgi_server(defaults=script)
    app = loader.get_wsgi_app(defaults=script)  # one line and status 1 when a setting or the address is wrong
    try:
        server(app)  # returns once SIGINT or SIGTERM stopped it
    except ServerOptionError as error:
        raise SystemExit(str(error)) from None
    except KeyboardInterrupt:
        pass  # a stop asked for, not a failure
    return 0


if __name__ == "__main__":
    sys.exit(main())

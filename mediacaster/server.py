"""The ``[server:main]`` runner: waitress, with HOST and PORT from the environment.

``PORT=8080 pserve development.ini`` and ``make run PORT=8080`` both work; the
ini file's ``host`` and ``port`` are the defaults. A bad PORT has already
stopped startup in :func:`mediacaster.settings.load`.
"""

import os

import waitress

from mediacaster.settings import parse_port


def serve(app, global_conf, host="localhost", port="6543", **kwargs):
    host = os.environ.get("HOST") or host
    port = parse_port(os.environ.get("PORT") or port)
    waitress.serve(app, listen=f"{host}:{port}", **kwargs)

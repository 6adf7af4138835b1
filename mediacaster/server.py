"""The ``[server:main]`` runner: waitress, with HOST and PORT from the environment.

``PORT=8080 pserve development.ini`` and ``make run PORT=8080`` both work; the
ini file's ``host`` and ``port`` are the defaults. ``UNIX_SOCKET`` and
``URL_PREFIX`` set waitress's ``unix_socket`` and ``url_prefix`` (docs/nginx.conf). A bad PORT has already
stopped startup in :func:`mediacaster.settings.load`.
"""

import os

import waitress

from mediacaster.settings import parse_port

# Environment variables that override waitress settings of the ini file.
WAITRESS_ENV = {"UNIX_SOCKET": "unix_socket", "URL_PREFIX": "url_prefix"}


def serve(app, global_conf, host="localhost", port="6543", **kwargs):
    host = os.environ.get("HOST") or host
    port = parse_port(os.environ.get("PORT") or port)
    for env, key in WAITRESS_ENV.items():
        if os.environ.get(env):
            kwargs[key] = os.environ[env]
    if kwargs.get("unix_socket"):
        waitress.serve(app, **kwargs)  # a unix socket replaces the TCP listener
    else:
        waitress.serve(app, listen=f"{host}:{port}", **kwargs)

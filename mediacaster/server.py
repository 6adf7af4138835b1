"""The ``[server:main]`` runner: waitress, with HOST and PORT from the environment, and a clean stop.

``PORT=8080 pserve development.ini`` and ``make run PORT=8080`` both work; the
ini file's ``host`` and ``port`` are the defaults. ``UNIX_SOCKET`` and
``URL_PREFIX`` set waitress's ``unix_socket`` and ``url_prefix`` (docs/nginx.conf).
A bad PORT has already stopped startup in :func:`mediacaster.settings.load`.

SIGINT (Ctrl-C) and SIGTERM (systemd, docker, kill) both stop the server the
same way: waitress stops listening, running ffmpeg and ffprobe are stopped
(a request would wait up to their time limit), busy requests get
:data:`GRACE` seconds, then the app's services close (threads, device
connections, the embedded Redis), so the process ends within two seconds and
leaves no process behind.
"""

import logging
import os
import signal

import waitress
from waitress.adjustments import Adjustments
from waitress.task import ThreadedTaskDispatcher

from mediacaster.settings import parse_port

# Environment variables that override waitress settings of the ini file.
WAITRESS_ENV = {"UNIX_SOCKET": "unix_socket", "URL_PREFIX": "url_prefix"}
# Seconds busy requests get to finish once a stop is asked for (waitress's own: 5).
GRACE = 1.0


class _Dispatcher(ThreadedTaskDispatcher):
    """waitress's pool of request threads: when stopping, it first calls ``interrupt``
    (what holds requests for long), then waits :data:`GRACE` seconds at most."""

    def __init__(self, interrupt):
        super().__init__()
        self.interrupt = interrupt

    def shutdown(self, cancel_pending=True, timeout=GRACE):
        self.interrupt()
        return super().shutdown(cancel_pending, timeout)


def serve(app, global_conf, host="localhost", port="6543", **kwargs):
    host = os.environ.get("HOST") or host
    port = parse_port(os.environ.get("PORT") or port)
    for env, key in WAITRESS_ENV.items():
        if os.environ.get(env):
            kwargs[key] = os.environ[env]
    if not kwargs.get("unix_socket"):  # a unix socket replaces the TCP listener
        kwargs["listen"] = f"{host}:{port}"
    services = getattr(getattr(app, "registry", None), "services", None)
    dispatcher = _Dispatcher(services.interrupt if services is not None else lambda: None)
    dispatcher.set_thread_count(Adjustments(**kwargs).threads)
    logging.basicConfig()
    server = waitress.create_server(app, _dispatcher=dispatcher, **kwargs)
    # SIGTERM's default ends the process at once, skipping every clean-up:
    # make it stop the server as Ctrl-C does.
    previous = signal.signal(signal.SIGTERM, _stop)
    try:
        server.print_listen("Serving on http://{}:{}")
        server.run()  # returns once SIGINT or SIGTERM stopped it
    finally:
        signal.signal(signal.SIGTERM, previous)
        if services is not None:
            services.close()


def _stop(signum, frame):
    raise KeyboardInterrupt

"""The ``[server:main]`` runner: waitress, with HOST and PORT from the environment, request
deadlines against slow clients, and a clean stop.

``PORT=8080 pserve development.ini`` and ``make run PORT=8080`` both work; the
ini file's ``host`` and ``port`` are the defaults. ``UNIX_SOCKET`` and
``URL_PREFIX`` set waitress's ``unix_socket`` and ``url_prefix`` (docs/nginx.conf).
A bad PORT has already stopped startup in :func:`mediacaster.settings.load`, and a
port in use or a host name that does not resolve in :func:`check_listen`, before the
app started anything. Once listening, the log names every URL the app is reached
at (:func:`reachable_urls`): on every interface, the host name and each address.

waitress holds at most ``connection_limit`` connections and closes only those
idle for ``channel_timeout``, so clients that send a header byte now and then
are never idle and, that many of them, lock everyone out (slowloris). Two
options of ours in ``[server:main]`` bound a request instead: its line and
headers must arrive within ``header_timeout`` seconds, all of it within
``body_timeout``. Once connections near the limit (:data:`CROWDED`), a request
gets :data:`CROWDED_GRACE` seconds and so does a connection idle between two.
A connection receiving an answer, however slowly (a paused player), has no
deadline, nor has one idle between requests (keep-alive) otherwise.

SIGINT (Ctrl-C) and SIGTERM (systemd, docker, kill) both stop the server the
same way: waitress stops listening, running ffmpeg and ffprobe are stopped
(a request would wait up to their time limit), busy requests get
:data:`GRACE` seconds, then the app's services close (threads, device
connections, the embedded Redis), so the process ends within two seconds and
leaves no process behind.
"""

import errno
import ipaddress
import logging
import math
import os
import resource
import signal
import socket
import sys
import time

import plaster
import waitress
from waitress.adjustments import Adjustments
from waitress.channel import HTTPChannel
from waitress.server import BaseWSGIServer
from waitress.task import ThreadedTaskDispatcher

from mediacaster.hosts import interface_addresses
from mediacaster.settings import parse_port

log = logging.getLogger(__name__)

# The commands that load the app to serve it (pyramid's scripts name themselves in __script__).
SERVING_SCRIPTS = ("pserve", "mediacaster")
# Environment variables that override waitress settings of the ini file.
WAITRESS_ENV = {"UNIX_SOCKET": "unix_socket", "URL_PREFIX": "url_prefix"}
# Seconds busy requests get to finish once a stop is asked for (waitress's own: 5).
GRACE = 1.0
# Our [server:main] options (waitress refuses keys it does not know) and their defaults:
# seconds from a request's start to its last header, and to its last body byte.
DEADLINES = {"header_timeout": 10.0, "body_timeout": 30.0}
# With this share of connection_limit open, a request still arriving after
# CROWDED_GRACE seconds is dropped (a browser sends its headers in one packet),
# and so is a connection idle between requests for that long.
CROWDED = 0.9
CROWDED_GRACE = 1.0
# At most one log line this often about dropped clients: an attack must not flood the log.
LOG_EVERY = 60.0
# File descriptors a connection may hold (socket, a file being sent, a spooled
# body; waitress's docs), and those of the rest of the app (Redis, devices, ffmpeg).
FDS_PER_CONNECTION = 3
FDS_OF_THE_APP = 256


class _Dispatcher(ThreadedTaskDispatcher):
    """waitress's pool of request threads: when stopping, it first calls ``interrupt``
    (what holds requests for long), then waits :data:`GRACE` seconds at most."""

    def __init__(self, interrupt):
        super().__init__()
        self.interrupt = interrupt

    def shutdown(self, cancel_pending=True, timeout=GRACE):
        self.interrupt()
        return super().shutdown(cancel_pending, timeout)


class _Channel(HTTPChannel):
    """A waitress connection whose requests must arrive in time.

    A request's clock starts when the connection is accepted (its first
    request) or at its first byte (later ones) and stops once it is whole. The
    check runs where waitress's loop asks each connection whether to read from
    it, at least once a second (``asyncore_loop_timeout``): no cleanup pass to
    wait for, and no server class to replace (``create_server`` picks it).
    """

    header_timeout = DEADLINES["header_timeout"]
    body_timeout = DEADLINES["body_timeout"]
    began = None  # monotonic start of the request being received; None between requests
    dropped = 0  # clients dropped since the last log line, for every channel
    logged_at = -math.inf

    def __init__(self, server, sock, addr, adj, map=None):
        super().__init__(server, sock, addr, adj, map)
        self.began = time.monotonic()

    def received(self, data):
        result = super().received(data)
        if self.request is None:
            self.began = None
        elif self.began is None:
            self.began = time.monotonic()
        return result

    def readable(self):
        if not (self.will_close or self.close_when_flushed):
            if self.requests or self.total_outbufs_len:
                if self.began is not None:
                    # Still answering: a request pipelined behind waits its turn, its clock stopped.
                    self.began = time.monotonic()
            elif self.began is not None:
                self._check_deadline()
            elif self._crowded() and time.time() - self.last_activity > CROWDED_GRACE:
                # Between requests while others need the slot: nginx too closes
                # idle keep-alive connections when it runs out. Players still
                # owed bytes (paused) have total_outbufs_len and stay.
                self._drop(f"idle for over {CROWDED_GRACE:g} s while crowded")
        return super().readable()

    def _crowded(self):
        return len(self._map) >= CROWDED * self.adj.connection_limit

    def _check_deadline(self):
        headers_done = self.request is not None and self.request.headers_finished
        allowed = self.body_timeout if headers_done else self.header_timeout
        if self._crowded():
            allowed = min(allowed, CROWDED_GRACE)
        if time.monotonic() - self.began > allowed:
            self._drop(f"no whole {'body' if headers_done else 'headers'} within {allowed:g} s")

    def _drop(self, reason):
        self.will_close = True  # closed by the loop on its turn, as waitress's own maintenance does
        _Channel.dropped += 1
        now = time.monotonic()
        if now - _Channel.logged_at >= LOG_EVERY:
            log.warning(
                "closed %d slow or idle connection(s) (at most one line a minute), the last from %s: %s",
                _Channel.dropped,
                self.addr,
                reason,
            )
            _Channel.dropped, _Channel.logged_at = 0, now


class ServerOptionError(ValueError):
    """The server cannot run as ``[server:main]`` and the environment tell it; the message
    is the one line to show."""


def serve(app, global_conf, host="localhost", port="6543", **kwargs):
    services = getattr(getattr(app, "registry", None), "services", None)
    try:
        _serve(app, services, host, port, kwargs)
    except ServerOptionError:
        # pserve turns a SystemExit from here into "Exiting ..." and status 0: this
        # error ends the process with status 1, and its one line instead of a traceback.
        sys.excepthook = _one_line_for(ServerOptionError, sys.excepthook)
        raise
    finally:
        if services is not None:
            services.close()


def _serve(app, services, host, port, kwargs):
    host, port = listen_address(host, port)
    deadlines = {key: _seconds(key, kwargs.pop(key, default)) for key, default in DEADLINES.items()}
    for env, key in WAITRESS_ENV.items():
        if os.environ.get(env):
            kwargs[key] = os.environ[env]
    if not kwargs.get("unix_socket"):  # a unix socket replaces the TCP listener
        kwargs["listen"] = f"{host}:{port}"
    elif kwargs.get("trusted_proxy") in ("127.0.0.1", "::1"):
        # A proxy trusted on loopback (production.ini's nginx) is as much this machine on a
        # unix socket, whose peers waitress names "localhost": its X-Forwarded-* stay believed.
        kwargs["trusted_proxy"] = "localhost"
    adjustments = Adjustments(**kwargs)
    dispatcher = _Dispatcher(services.interrupt if services is not None else lambda: None)
    dispatcher.set_thread_count(adjustments.threads)
    logging.basicConfig()
    _raise_file_limit(adjustments.connection_limit)
    sockets = {}
    try:
        server = waitress.create_server(app, map=sockets, _dispatcher=dispatcher, **kwargs)
    except OSError as error:  # taken since check_listen() looked
        raise ServerOptionError(_cannot_listen(host, port, error)) from None
    channel_class = type("Channel", (_Channel,), deadlines)
    for listener in sockets.values():  # one per address the host has, or the unix socket
        if isinstance(listener, BaseWSGIServer):
            listener.channel_class = channel_class
    # SIGTERM's default ends the process at once, skipping every clean-up:
    # make it stop the server as Ctrl-C does.
    previous = signal.signal(signal.SIGTERM, _stop)
    try:
        server.print_listen("Serving on http://{}:{}")
        for url in reachable_urls(host, sockets.values(), adjustments.url_prefix):
            log.info("reachable at %s", url)
        server.run()  # returns once SIGINT or SIGTERM stopped it
    finally:
        signal.signal(signal.SIGTERM, previous)


def listen_address(host, port):
    """The host and port to listen on: HOST and PORT from the environment, else the ini file's."""
    host = os.environ.get("HOST") or host
    try:
        return host, parse_port(os.environ.get("PORT") or port)
    except ValueError as error:
        raise ServerOptionError(
            f"mediacaster: invalid setting: [server:main] port = {port!r}: {error}"
        ) from None


def check_listen(global_config):
    """Stop with one line, now, when the ini file's server cannot listen where it is told.

    pserve (and ``mediacaster``) build the app before they serve it, and building it
    starts the services and logs the setup token: a host name that does not resolve,
    or a port another program holds, must end startup before that, not after
    "Starting server" with a traceback. Nothing is checked for an app built without
    an ini file or by another script (pshell, prequest: the server may well be running),
    or served on a unix socket or by another server.
    """
    path = global_config.get("__file__")
    if global_config.get("__script__") not in SERVING_SCRIPTS or not path or os.environ.get("UNIX_SOCKET"):
        return
    options = plaster.get_loader(path, protocols=["wsgi"]).get_settings("server:main")
    if not options.get("use", "").startswith("egg:mediacaster") or options.get("unix_socket"):
        return
    host, port = listen_address(options.get("host", "localhost"), options.get("port", "6543"))
    try:
        addresses = Adjustments(listen=f"{host}:{port}").listen
    except ValueError:
        raise ServerOptionError(
            f"mediacaster: cannot start: the host name {host!r} does not resolve to an address: "
            "set HOST to a name or address of this machine, or to 0.0.0.0 for every interface"
        ) from None
    for family, kind, protocol, address in addresses:
        # Bound as waitress binds (its listeners reuse the address, IPv6 ones are IPv6 only), then let go.
        with socket.socket(family, kind, protocol) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                probe.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            try:
                probe.bind(address)
            except OSError as error:
                raise ServerOptionError(_cannot_listen(host, port, error)) from None


def _cannot_listen(host, port, error):
    if error.errno == errno.EADDRINUSE:
        why = (
            f"port {port} is in use by another program (mediacaster already running?): "
            "stop it, or set PORT to another port"
        )
    elif error.errno == errno.EADDRNOTAVAIL:
        why = (
            f"{host} is not an address of this machine: set HOST to one of its addresses, "
            "or to 0.0.0.0 for every interface"
        )
    elif error.errno == errno.EACCES:
        why = f"port {port} is reserved to the system: set PORT to a port above 1023, or put nginx in front"
    else:
        why = f"cannot listen on {host}:{port} ({error.strerror})"
    return f"mediacaster: cannot start: {why}"


def reachable_urls(host, listeners, url_prefix=""):
    """The URLs the app can be opened at: on every interface (0.0.0.0, ::), this machine's
    host name and each of its addresses of the family; otherwise ``host`` itself."""
    names = []
    for listener in listeners:
        if not isinstance(listener, BaseWSGIServer) or listener.family not in (
            socket.AF_INET,
            socket.AF_INET6,
        ):
            continue
        address, port = ipaddress.ip_address(listener.effective_host), listener.effective_port
        if not address.is_unspecified:
            names.append((host, port))
            continue
        names.append((socket.gethostname(), port))
        names += [
            (str(own), port)
            for own in interface_addresses()
            if own.version == address.version and not own.is_link_local
        ]
    urls = [f"http://{f'[{name}]' if ':' in name else name}:{port}{url_prefix}/" for name, port in names]
    return list(dict.fromkeys(urls))


def _seconds(key, value):
    try:
        seconds = float(str(value).strip())
    except ValueError:
        seconds = math.nan
    if not (0 < seconds < math.inf):
        raise ServerOptionError(
            f"mediacaster: invalid setting: [server:main] {key} = {value!r}: "
            "expected a number of seconds above 0"
        )
    return seconds


def _one_line_for(kind, excepthook):
    """An excepthook that prints errors of ``kind`` as their message alone."""

    def hook(error_kind, error, traceback):
        if issubclass(error_kind, kind):
            print(error, file=sys.stderr)
        else:
            excepthook(error_kind, error, traceback)

    return hook


def _raise_file_limit(connection_limit):
    """Raise the soft limit of open files (often 1024) towards the hard one, so that
    ``connection_limit`` connections fit; say so when they cannot."""
    need = FDS_PER_CONNECTION * connection_limit + FDS_OF_THE_APP
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY or soft >= need:
        return
    target = need if hard == resource.RLIM_INFINITY else min(need, hard)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    except (ValueError, OSError):
        target = soft
    if target < need:
        log.warning(
            "the open file limit is %d (hard limit %s): connection_limit = %d may need %d "
            "(raise it: ulimit -n, or LimitNOFILE= for systemd)",
            target,
            "unlimited" if hard == resource.RLIM_INFINITY else hard,
            connection_limit,
            need,
        )


def _stop(signum, frame):
    raise KeyboardInterrupt

"""Slow clients against a real waitress, run by pserve through mediacaster.server.serve.

pserve serves a copy of development.ini whose ``[server:main]`` is the shipped
one but for shorter deadlines (``header_timeout``, ``body_timeout``), so that
the module takes seconds: more slow clients than its ``connection_limit`` lock
no one out, slow clients are dropped at the deadlines, and connections that are
not slow clients (idle keep-alive, a player reading a film slowly, a request
pipelined behind it) are left alone.
"""

import configparser
import contextlib
import http.client
import re
import resource
import socket
import subprocess
import sys
import threading
import time

import psutil
import pytest
from waitress.adjustments import Adjustments

from mediacaster import server as runner
from tests.common.app import REPO, wait_for
from tests.common.pserve import Pserve
from tests.common.servers import free_port

pytestmark = pytest.mark.slow

# What docs/design.md says both ini files set.
SHIPPED = {
    "connection_limit": "1000",
    "asyncore_use_poll": "true",
    "channel_timeout": "600",
    "cleanup_interval": "30",
    "header_timeout": "10",
    "body_timeout": "30",
    "max_request_header_size": "65536",
    "max_request_body_size": "1048576",
}
LIMIT = int(SHIPPED["connection_limit"])
# The test copy's deadlines, in seconds.
HEADER_TIMEOUT = 6
BODY_TIMEOUT = 8
# A dropped connection is seen closed this long after its deadline at most: the
# loop wakes at least once a second, the clients look every tenth of one.
SLACK = 4.0
FILM = 64 * 1024 * 1024
HEALTHZ = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
HEADERS_BEGUN = HEALTHZ.removesuffix(b"\r\n") + b"X-Slow: "
BODY_BEGUN = (
    b"POST /api/cast HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
    b"Content-Length: 1000\r\n\r\n"
)


def server_section(name):
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(REPO / name)
    return dict(parser["server:main"])


@pytest.mark.parametrize("name", ["development.ini", "production.ini"])
def test_both_ini_files_set_the_limits_and_deadlines(name):
    section = server_section(name)
    assert {key: section.get(key) for key in SHIPPED} == SHIPPED
    # The others are waitress's own, under their real names (a misspelt one stops startup).
    Adjustments(**{k: v for k, v in section.items() if k not in {"use", "host", "port", *runner.DEADLINES}})


def development_ini(**values):
    """development.ini with these ``[server:main]`` values, as Pserve takes it."""
    ini = (REPO / "development.ini").read_text()
    for key, value in values.items():
        ini, count = re.subn(rf"^{key} = .*$", f"{key} = {value}", ini, flags=re.M)
        assert count == 1, key
    return ini.replace("{", "{{").replace("}", "}}")


@contextlib.contextmanager
def soft_file_limit(soft):
    """This process's soft limit of open files set to ``soft`` (capped by the hard one)."""
    old = resource.getrlimit(resource.RLIMIT_NOFILE)
    hard = old[1]
    if hard != resource.RLIM_INFINITY and hard < soft:
        if soft > old[0]:
            pytest.fail(f"the test needs {soft} open files; the hard limit is {hard}")
        soft = hard
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, old)


@pytest.fixture(scope="module")
def pserve(tmp_path_factory):
    folder = tmp_path_factory.mktemp("slow-clients")
    films = folder / "video"
    films.mkdir()
    with open(films / "film.mp4", "wb") as film:
        film.truncate(FILM)  # sparse: a film's size without its disk space
    run = folder / "run"
    run.mkdir()
    port = free_port()
    # Started with the usual soft limit of open files, which the server must raise itself.
    with soft_file_limit(1024):
        server = Pserve(
            sys.executable,
            run,
            port,
            development_ini(header_timeout=HEADER_TIMEOUT, body_timeout=BODY_TIMEOUT),
            MEDIACASTER_ROOTS=f"video={films}",
            MEDIACASTER_DISCOVERY="false",
            PORT=str(port),
        )
    try:
        server.wait_until_up()
        yield server
    finally:
        server.stop()


def test_the_server_raises_its_open_file_limit_to_fit_the_connections(pserve):
    need = runner.FDS_PER_CONNECTION * LIMIT + runner.FDS_OF_THE_APP
    soft, hard = psutil.Process(pserve.process.pid).rlimit(psutil.RLIMIT_NOFILE)
    expected = need if hard == resource.RLIM_INFINITY else min(need, hard)
    assert soft == expected
    # A line says so only when the hard limit is too low.
    assert ("the open file limit is" in pserve.log) == (expected < need), pserve.log


def test_a_hard_limit_too_low_for_the_connections_is_said_in_one_line():
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    hard = 2048 if hard == resource.RLIM_INFINITY else min(hard, 2048)
    script = (
        "import logging, resource\n"
        "from mediacaster.server import _raise_file_limit\n"
        "logging.basicConfig(format='%(message)s')\n"
        f"resource.setrlimit(resource.RLIMIT_NOFILE, (256, {hard}))\n"
        "_raise_file_limit(1000)\n"
        "print(*resource.getrlimit(resource.RLIMIT_NOFILE))\n"
    )
    # In a process of its own: a lowered hard limit cannot be raised again.
    command = [sys.executable, "-c", script]
    result = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=60)
    assert result.stdout.split() == [str(hard), str(hard)], result.stderr
    assert result.stderr.strip() == (
        f"the open file limit is {hard} (hard limit {hard}): connection_limit = 1000 may need 3256 "
        "(raise it: ulimit -n, or LimitNOFILE= for systemd)"
    )


def closed_by_server(sock):
    timeout = sock.gettimeout()
    sock.setblocking(False)  # with a timeout, recv would first wait for data
    try:
        return sock.recv(1, socket.MSG_PEEK) == b""
    except BlockingIOError:
        return False
    except ConnectionError:
        return True
    finally:
        sock.settimeout(timeout)


class Dribblers:
    """``count`` clients that begin a request and send one more byte of it every half second."""

    def __init__(self, port, count, begun):
        self.started = time.monotonic()
        self.sockets = []
        for _ in range(count):
            sock = socket.create_connection(("127.0.0.1", port), timeout=10)
            sock.sendall(begun)
            self.sockets.append(sock)
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._dribble, daemon=True)
        self.thread.start()

    def _dribble(self):
        while not self.stopping.wait(0.5):
            for sock in self.sockets:
                with contextlib.suppress(OSError):  # dropped: that is the point
                    sock.send(b"a")

    def open(self):
        return [sock for sock in self.sockets if not closed_by_server(sock)]

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stopping.set()
        self.thread.join(5)
        for sock in self.sockets:
            sock.close()


class FilmReader:
    """A player reading the film slowly (a small receive buffer, 16 KiB a tick),
    with the beginning of another request pipelined behind it, if given."""

    def __init__(self, port, pipelined=b""):
        self.sock = socket.socket()
        self.sock.settimeout(10)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
        self.sock.connect(("127.0.0.1", port))
        self.sock.sendall(b"GET /media/video/film.mp4 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" + pipelined)
        head = b""
        while b"\r\n\r\n" not in head:
            head += self.sock.recv(1)
        assert head.startswith(b"HTTP/1.1 200 "), head
        self.received = 0

    def read_a_little(self):
        data = self.sock.recv(16384)
        assert data, f"the server closed the film after {self.received} bytes"
        self.received += len(data)

    def read_the_rest(self):
        while self.received < FILM:
            self.read_a_little()
        assert self.received == FILM

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.sock.close()


def test_deadlines_drop_slow_clients_but_not_idle_connections_or_slow_readers(pserve):
    with contextlib.ExitStack() as stack:
        keepalive = http.client.HTTPConnection("127.0.0.1", pserve.port, timeout=10)
        stack.callback(keepalive.close)
        keepalive.request("GET", "/healthz")
        assert keepalive.getresponse().read()
        where = keepalive.sock.getsockname()
        reader = stack.enter_context(FilmReader(pserve.port))
        # A request pipelined behind the film, all but its last line.
        pipelined = stack.enter_context(FilmReader(pserve.port, HEALTHZ.removesuffix(b"\r\n")))
        headers = stack.enter_context(Dribblers(pserve.port, 3, HEADERS_BEGUN))
        body = stack.enter_context(Dribblers(pserve.port, 1, BODY_BEGUN))
        closed_after = {}
        while time.monotonic() - body.started < BODY_TIMEOUT + SLACK:
            reader.read_a_little()
            pipelined.read_a_little()
            for name, clients in (("headers", headers), ("body", body)):
                if name not in closed_after and not clients.open():
                    closed_after[name] = time.monotonic() - clients.started
            time.sleep(0.1)

        # Never before their deadline, soon after.
        assert HEADER_TIMEOUT <= closed_after.get("headers", 99) < HEADER_TIMEOUT + SLACK, closed_after
        assert BODY_TIMEOUT <= closed_after.get("body", 99) < BODY_TIMEOUT + SLACK, closed_after
        assert "slow or idle connection(s)" in pserve.log
        # The players were still being sent the film past both deadlines, and read it to the end.
        assert reader.received < FILM // 4
        reader.read_the_rest()
        pipelined.read_the_rest()
        # The request pipelined behind the film had its time once the film was sent.
        pipelined.sock.sendall(b"\r\n")
        assert pipelined.sock.recv(100).startswith(b"HTTP/1.1 200 ")
        # The idle keep-alive connection still serves, the same connection.
        keepalive.request("GET", "/healthz")
        assert keepalive.getresponse().status == 200
        assert keepalive.sock.getsockname() == where


def test_more_slow_clients_than_the_connection_limit_lock_no_one_out(pserve):
    with soft_file_limit(LIMIT + 500), contextlib.ExitStack() as stack:
        # Clients that sent a whole request and now hold their connection, saying nothing.
        silent = [http.client.HTTPConnection("127.0.0.1", pserve.port, timeout=10) for _ in range(50)]
        for connection in silent:
            stack.callback(connection.close)
            connection.request("GET", "/healthz")
            connection.getresponse().read()
        slow = stack.enter_context(Dribblers(pserve.port, LIMIT + 20, HEADERS_BEGUN))

        for path in ("/healthz", "/library/video"):
            status, _, body = pserve.get(path)
            assert status == 200, body
        answered = time.monotonic() - slow.started
        # Before any slow client's header deadline: the crowded server made room.
        assert answered < HEADER_TIMEOUT, f"answered after {answered:.1f} s"

        wait_for(
            lambda: not slow.open() and all(closed_by_server(c.sock) for c in silent),
            HEADER_TIMEOUT + 2 * SLACK,
            "every slow and silent client dropped",
        )
        # Those not dropped to make room had their whole header deadline.
        assert time.monotonic() - slow.started >= HEADER_TIMEOUT
    assert pserve.get("/healthz")[0] == 200
    assert "Traceback" not in pserve.log


def test_an_invalid_header_timeout_stops_startup_with_one_line(tmp_path):
    port = free_port()
    server = Pserve(sys.executable, tmp_path, port, development_ini(header_timeout="soon"), PORT=str(port))
    try:
        server.process.wait(60)
    finally:
        leftovers, _ = server.stop()
    assert server.process.returncode == 1
    assert server.log.strip().splitlines()[-1] == (
        "mediacaster: invalid setting: [server:main] header_timeout = 'soon': "
        "expected a number of seconds above 0"
    )
    assert "Traceback" not in server.log
    assert leftovers == []  # the embedded Redis it had started is stopped too

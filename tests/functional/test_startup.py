"""Startup through pserve and the ``mediacaster`` command: whatever stops it (a bad setting,
a port in use, a folder it cannot use, a database or Redis it cannot reach) stops it with
one clear line on stderr and status 1, no traceback, before anything is started or logged."""

import contextlib
import os
import pwd
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import waitress

from mediacaster.hosts import interface_addresses
from mediacaster.server import reachable_urls
from tests.common.app import REPO
from tests.common.servers import free_port

MEDIACASTER = Path(sys.executable).parent / "mediacaster"
PRODUCTION = {"MEDIACASTER_SECRET": "production-secret-0123456789", "MEDIACASTER_DISCOVERY": "false"}
# Root reads and writes whatever the permissions say: the app is run without that power
# (as a service's own user would be) where a test needs a folder it cannot use.
USER = pwd.getpwuid(os.geteuid()).pw_name
AS_A_USER = ["setpriv", "--bounding-set=-dac_override,-dac_read_search", "--"] if os.geteuid() == 0 else []

pytestmark = pytest.mark.slow


def _pserve(ini, env, command=None, prefix=()):
    command = command or [sys.executable, "-m", "pyramid.scripts.pserve"]
    return subprocess.run(
        [*prefix, *command, ini],
        cwd=REPO,
        env={"PATH": "/usr/bin:/bin", "HOME": str(REPO), **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("env", "line"),
    [
        (
            {"MEDIACASTER_ROOTS": "video=/no/such/folder"},
            "mediacaster: invalid setting: MEDIACASTER_ROOTS (environment) = 'video=/no/such/folder': "
            "folder /no/such/folder of root 'video' does not exist",
        ),
        (
            {"REDIS_URL": "redis://127.0.0.1:1/0"},
            "mediacaster: invalid setting: redis.url = 'redis://127.0.0.1:1/0': cannot connect "
            "(Error 111 connecting to 127.0.0.1:1. Connection refused): start that Redis server, "
            "or leave REDIS_URL empty for the embedded one",
        ),
        (
            {"MEDIACASTER_ALLOWED_HOSTS": "nas.example http://nas"},
            "mediacaster: invalid setting: MEDIACASTER_ALLOWED_HOSTS (environment) = "
            "'nas.example http://nas': 'http://nas' is not a host name, an address or *",
        ),
        (
            {"PORT": "eighty"},
            "mediacaster: invalid setting: PORT (environment) = 'eighty': "
            "expected a port number from 1 to 65535",
        ),
    ],
)
def test_startup_fails_with_one_clear_line(tmp_path, env, line):
    result = _pserve("development.ini", {"MEDIACASTER_DATA_DIR": str(tmp_path), **env})
    assert result.returncode != 0
    assert result.stderr.strip().splitlines()[-1] == line
    assert "Traceback" not in result.stderr


def test_production_refuses_to_run_without_logins_unless_told_explicitly(tmp_path):
    env = {"MEDIACASTER_ROOTS": f"video={tmp_path}", "MEDIACASTER_AUTH": "false"}
    result = _pserve("production.ini", env)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1] == (
        "mediacaster: invalid setting: mediacaster.auth is off, so anyone who reaches the app could "
        "browse every root and use the TVs: turn it on (MEDIACASTER_AUTH=true), or set "
        "MEDIACASTER_ALLOW_AUTH_OFF=true to run without logins on purpose"
    )
    # Told explicitly, it gets past logins to the next thing production needs: its secret.
    result = _pserve("production.ini", {**env, "MEDIACASTER_ALLOW_AUTH_OFF": "true"})
    assert "mediacaster.secret must be" in result.stderr.strip().splitlines()[-1]


def test_production_needs_a_secret(tmp_path):
    result = _pserve("production.ini", {"MEDIACASTER_ROOTS": f"video={tmp_path}"})
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert (
        result.stderr.strip()
        .splitlines()[-1]
        .startswith("mediacaster: invalid setting: mediacaster.secret must be at least 16 characters")
    )


def fails_in_one_line(result, line):
    """Status 1 and ``line`` alone on stderr: no traceback, no "Starting server", no setup token."""
    assert (result.returncode, result.stderr.splitlines(), result.stdout) == (1, [line], "")


@pytest.fixture
def production(tmp_path):
    """production.ini's environment: a library, a secret, the data folder in ``tmp_path``."""
    library = tmp_path / "video"
    library.mkdir()
    (tmp_path / "tmp").mkdir()  # the embedded Redis's own files (TMPDIR)
    return {
        **PRODUCTION,
        "MEDIACASTER_ROOTS": f"video={library}",
        "MEDIACASTER_DATA_DIR": str(tmp_path / "data"),
        "TMPDIR": str(tmp_path / "tmp"),
        "PORT": str(free_port()),
    }


@pytest.mark.parametrize("command", [None, [str(MEDIACASTER)]], ids=["pserve", "mediacaster"])
def test_a_port_in_use_is_said_before_anything_starts(production, command):
    with socket.socket() as taken:
        taken.bind(("0.0.0.0", int(production["PORT"])))
        taken.listen()
        result = _pserve("production.ini", production, command)
    fails_in_one_line(
        result,
        f"mediacaster: cannot start: port {production['PORT']} is in use by another program "
        "(mediacaster already running?): stop it, or set PORT to another port",
    )


def test_a_host_name_that_does_not_resolve(production):
    result = _pserve("production.ini", {**production, "HOST": "nas.invalid"}, [str(MEDIACASTER)])
    fails_in_one_line(
        result,
        "mediacaster: cannot start: the host name 'nas.invalid' does not resolve to an address: "
        "set HOST to a name or address of this machine, or to 0.0.0.0 for every interface",
    )


def test_a_data_folder_that_cannot_be_made_or_written(production, tmp_path):
    (tmp_path / "file").write_text("not a folder")
    result = _pserve(
        "production.ini",
        {**production, "MEDIACASTER_DATA_DIR": str(tmp_path / "file" / "data")},
        [str(MEDIACASTER)],
    )
    user = USER
    advice = "set MEDIACASTER_DATA_DIR (mediacaster.data_dir) to a folder that user can write"
    assert result.stderr.splitlines() == [
        f"mediacaster: invalid setting: data folder {tmp_path / 'file' / 'data'} cannot be created "
        f"(Not a directory) for the user the app runs as ({user}): {advice}"
    ]
    assert result.returncode == 1
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o555)
    result = _pserve(
        "production.ini", {**production, "MEDIACASTER_DATA_DIR": str(locked)}, [str(MEDIACASTER)], AS_A_USER
    )
    fails_in_one_line(
        result,
        f"mediacaster: invalid setting: data folder {locked} is not writable (Permission denied) "
        f"for the user the app runs as ({user}): {advice}",
    )


def test_a_library_root_the_app_cannot_read(production, tmp_path):
    hidden = tmp_path / "hidden"
    hidden.mkdir(mode=0o000)
    user = USER
    env = {**production, "MEDIACASTER_ROOTS": f"video={hidden}"}
    fails_in_one_line(
        _pserve("production.ini", env, [str(MEDIACASTER)], AS_A_USER),
        f"mediacaster: invalid setting: MEDIACASTER_ROOTS (environment) = 'video={hidden}': "
        f"folder {hidden} of root 'video' is not readable by the user the app runs as ({user})",
    )


def test_a_database_without_its_driver_or_out_of_reach(production):
    env = {**production, "DATABASE_URL": "mysql://anna:secret@127.0.0.1/media"}
    fails_in_one_line(
        _pserve("production.ini", env, [str(MEDIACASTER)]),
        "mediacaster: invalid setting: database mysql://anna:***@127.0.0.1/media: its driver is not "
        "installed (No module named 'MySQLdb'): use PostgreSQL (postgresql://user:password@host/name), "
        "or leave DATABASE_URL empty for SQLite in the data folder",
    )
    port = free_port()
    env = {**production, "DATABASE_URL": f"postgresql://anna:secret@127.0.0.1:{port}/media"}
    result = _pserve("production.ini", env, [str(MEDIACASTER)])
    (line,) = result.stderr.splitlines()
    assert result.returncode == 1 and "secret" not in line
    assert line.startswith(
        f"mediacaster: invalid setting: database postgresql+psycopg://anna:***@127.0.0.1:{port}/media: "
        "connection failed:"
    )
    assert line.endswith(
        "Connection refused Is the server running on that host and accepting TCP/IP "
        "connections?: start that database server, or correct DATABASE_URL"
    )


def test_the_mediacaster_command_says_how_it_is_used(tmp_path):
    result = subprocess.run([MEDIACASTER, "--help"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    assert result.stdout.startswith("usage: mediacaster [-h] INI")
    assert "Serve mediacaster as the ini file INI describes" in result.stdout
    result = _pserve(str(tmp_path / "nowhere.ini"), {}, [str(MEDIACASTER)])
    fails_in_one_line(result, f"mediacaster: cannot start: no file {tmp_path / 'nowhere.ini'}")


@contextlib.contextmanager
def listening(listen):
    """waitress's listeners (and its trigger) for ``listen``, and the port they got."""
    sockets = {}
    waitress.create_server(lambda environ, start_response: [], map=sockets, listen=listen)
    try:
        ports = [s.effective_port for s in sockets.values() if hasattr(s, "effective_port")]
        yield list(sockets.values()), ports[0]
    finally:
        for dispatcher in list(sockets.values()):
            dispatcher.close()


@pytest.mark.parametrize(
    ("host", "listen", "prefix", "expected"),
    [
        ("127.0.0.1", "127.0.0.1:0", "", ["http://127.0.0.1:{port}/"]),
        # A name is kept as given, however many addresses it listens on.
        ("localhost", "localhost:0", "/mediacenter", ["http://localhost:{port}/mediacenter/"]),
    ],
)
def test_a_server_on_one_address_names_that_one_url(host, listen, prefix, expected):
    with listening(listen) as (sockets, port):
        assert reachable_urls(host, sockets, prefix) == [url.format(port=port) for url in expected]


def test_a_server_on_every_interface_names_the_host_and_each_address():
    with listening("0.0.0.0:0") as (sockets, port):
        urls = reachable_urls("0.0.0.0", sockets)
    own = [a for a in interface_addresses() if a.version == 4 and not a.is_link_local]
    assert urls == [f"http://{socket.gethostname()}:{port}/"] + [f"http://{a}:{port}/" for a in own]
    assert f"http://127.0.0.1:{port}/" in urls

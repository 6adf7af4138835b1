"""Shared fixtures: a real Redis, a media library on disk, the app, WebTest and waitress."""

import contextlib
import os
import uuid

import pytest
import webtest
from argon2 import PasswordHasher
from zeroconf import Zeroconf

from mediacaster import main
from mediacaster.fakecast import FakeChromecast
from mediacaster.models import Database
from mediacaster.services import accounts
from mediacaster.services.cast import outside_event_loops
from tests.common import openapi_check
from tests.common.app import LOOPBACK, app_settings, make_library
from tests.common.postgres import PostgresServer
from tests.common.servers import LiveServer, RedisServer
from tests.common.shared import made_once


@pytest.fixture(autouse=True)
def api_responses_match_the_spec():
    """Fail the test if any /api/ response it caused is not what the OpenAPI document says."""
    openapi_check.VIOLATIONS.clear()
    yield
    violations, openapi_check.VIOLATIONS[:] = list(openapi_check.VIOLATIONS), []
    assert not violations, "API responses that do not match the OpenAPI document:\n" + "\n".join(violations)


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory):
    server = RedisServer(tmp_path_factory.mktemp("redis")).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def media_library(tmp_path_factory):
    """Real media made by ffmpeg: films, music, a photo, subtitles and broken files."""
    from tests.common.mediafiles import generate

    return made_once(tmp_path_factory, "real-media", generate)


@pytest.fixture(scope="session")
def typical_library(tmp_path_factory):
    """A typical home library made by ffmpeg, once per run: ``{name: Path}``, with its
    ``folder`` (see tests/common/typical_library.py)."""
    from tests.common.typical_library import generate

    return made_once(tmp_path_factory, "typical-library", generate)


@pytest.fixture(scope="session")
def library_roots(tmp_path_factory):
    return make_library(tmp_path_factory.mktemp("library"))


@contextlib.contextmanager
def app_builder(redis_server, library_roots):
    """Build apps from settings; their background threads stop when the block ends."""
    apps = []

    def build(roots=None, **extra):
        extra.setdefault("redis_url", redis_server.url)
        redis_url = extra.pop("redis_url")
        app = main({}, **app_settings(roots or library_roots, redis_url, **extra))
        apps.append(app)
        app.registry.services.search.ready.wait(10)
        return app

    try:
        yield build
    finally:
        for app in apps:
            app.registry.services.close()


@pytest.fixture
def make_app(redis_server, library_roots):
    """Build apps from settings; their background threads stop after the test."""
    with app_builder(redis_server, library_roots) as build:
        yield build


@pytest.fixture(scope="module")
def make_module_app(redis_server, library_roots):
    """:func:`make_app` for an app a module's tests share: for tests that only read from it
    (starting an app costs more than most tests)."""
    with app_builder(redis_server, library_roots) as build:
        yield build


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def testapp(app):
    return webtest.TestApp(app)


@pytest.fixture
def live_server(app):
    with LiveServer(app) as server:
        yield server


# -- fake cast devices, on loopback addresses of their own -------------------------


@pytest.fixture(scope="session")
def device_zeroconf():
    zeroconf = outside_event_loops(lambda: Zeroconf(interfaces=LOOPBACK))
    yield zeroconf
    outside_event_loops(zeroconf.close)


@pytest.fixture(scope="session")
def tv(device_zeroconf):
    device = FakeChromecast("Living Room TV", "Chromecast", "127.0.0.2", port=8009).start(device_zeroconf)
    yield device
    device.stop()


@pytest.fixture(scope="session")
def hidden_tv():
    """mDNS blocked: reachable only as a known host (eureka_info on 8008, cast on 8009)."""
    device = FakeChromecast("Bedroom TV", "Chromecast Ultra", "127.0.0.3", port=8009, eureka=True).start()
    yield device
    device.stop()


@pytest.fixture
def server_for():
    """Serve an app on a real waitress; a WebTest client addresses it as a browser would."""
    servers = []

    def serve(app):
        server = LiveServer(app).__enter__()
        servers.append(server)
        environ = {"HTTP_HOST": f"127.0.0.1:{server.port}", "SERVER_PORT": str(server.port)}
        return webtest.TestApp(app, extra_environ=environ)

    yield serve
    for server in servers:
        server.__exit__(None, None, None)


# -- databases: a real SQLite file and a throwaway PostgreSQL cluster ------------------


@pytest.fixture(scope="session")
def postgres():
    server = PostgresServer().start()
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def url(request, tmp_path):
    """A database URL, once for each kind the app supports."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'mediacaster.sqlite3'}"
    return request.getfixturevalue("postgres").database(f"t_{uuid.uuid4().hex[:12]}")


@pytest.fixture
def database(url):
    database = Database(url)
    yield database
    database.close()


def pytest_configure(config):
    # Argon2id still, at its lowest cost: argon2-cffi's defaults spend about 100 ms of CPU
    # on each hash (on purpose), and the tests make and check hundreds of passwords.
    accounts.HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    accounts.DUMMY_HASH = accounts.HASHER.hash("a password no account has")
    # Parallel workers (make test-fast) each get their own loopback: see tests/common/netns.py.
    if os.environ.get("PYTEST_XDIST_WORKER"):
        from tests.common.netns import isolate

        isolate()

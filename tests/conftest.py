"""Shared fixtures: a real Redis, a media library on disk, the app, WebTest and waitress."""

import os
import time
from pathlib import Path

import pytest
import webtest
from zeroconf import Zeroconf

from mediacaster import main
from mediacaster.services.cast import _outside_event_loops
from tests.fakecast import FakeChromecast
from tests.support import LiveServer, RedisServer

REPO = Path(__file__).resolve().parent.parent
SECRET = "test-secret-0123456789abcdef"


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory):
    server = RedisServer(tmp_path_factory.mktemp("redis")).start()
    yield server
    server.stop()


def make_library(base):
    """A small library with the awkward names real NAS shares have."""
    base = Path(base)
    video, audio, images = base / "video", base / "audio", base / "images"
    for folder in (video / "Series" / "Season 1", audio / "Album", images):
        folder.mkdir(parents=True, exist_ok=True)
    (video / "movie.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 40)
    (video / "Series" / "Season 1" / "Episode 2.mkv").write_bytes(b"e2")
    (video / "Series" / "Season 1" / "Episode 10.mkv").write_bytes(b"e10")
    (video / "odd name #1?%.mp4").write_bytes(b"odd")
    (video / "Café.webm").write_bytes(b"nfc")  # NFC
    (video / "Cafe\u0301 noir.webm").write_bytes(b"nfd")  # NFD, as macOS writes it
    (video / ".hidden.mp4").write_bytes(b"hidden")
    (video / "notes.txt").write_text("notes")
    (audio / "Album" / "01 Song.mp3").write_bytes(b"ID3")
    (audio / "Album" / "cover.jpg").write_bytes(b"\xff\xd8\xff")
    (images / "photo.png").write_bytes(b"\x89PNG")
    outside = base / "outside"
    outside.mkdir(exist_ok=True)
    (outside / "secret.mp4").write_bytes(b"secret")
    os.symlink(outside / "secret.mp4", video / "escape.mp4")
    os.symlink(outside, video / "escape-dir")
    os.symlink(video / "movie.mp4", video / "inside-link.mp4")
    return {"video": video, "audio": audio, "images": images}


@pytest.fixture(scope="session")
def media_library(tmp_path_factory):
    """Real media made by ffmpeg: films, music, a photo, subtitles and broken files."""
    from tests.mediafiles import generate

    return generate(tmp_path_factory.mktemp("real-media"))


@pytest.fixture(scope="session")
def library_roots(tmp_path_factory):
    return make_library(tmp_path_factory.mktemp("library"))


def app_settings(roots, redis_url, **extra):
    settings = {
        "mediacaster.roots": ";".join(f"{name}={path}" for name, path in roots.items()),
        "redis.url": redis_url,
        "mediacaster.secret": SECRET,
        "mediacaster.rescan_interval": "0.2",
        "mediacaster.require_signed_media": "true",
        # Cast discovery is exercised by its own tests, against fake devices on loopback.
        "mediacaster.discovery": "false",
    }
    settings.update(extra)
    return settings


@pytest.fixture
def make_app(redis_server, library_roots):
    """Build apps from settings; their background threads stop after the test."""
    apps = []

    def build(roots=None, **extra):
        extra.setdefault("redis_url", redis_server.url)
        redis_url = extra.pop("redis_url")
        app = main({}, **app_settings(roots or library_roots, redis_url, **extra))
        apps.append(app)
        app.registry.search.ready.wait(10)
        return app

    yield build
    for app in apps:
        app.registry.search.stop()
        app.registry.cast.stop()
        app.registry.probe.stop()


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

LOOPBACK = ["127.0.0.1"]


def wait_for(predicate, timeout=10.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture(scope="session")
def device_zeroconf():
    zeroconf = _outside_event_loops(lambda: Zeroconf(interfaces=LOOPBACK))
    yield zeroconf
    _outside_event_loops(zeroconf.close)


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

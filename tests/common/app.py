"""Building the app for tests: settings, a library with awkward names, waiting."""

import atexit
import functools
import os
import shutil
import tempfile
import time
import uuid
from pathlib import Path

from jinja2 import BytecodeCache

REPO = Path(__file__).resolve().parent.parent.parent
SECRET = "test-secret-0123456789abcdef"
LOOPBACK = ["127.0.0.1"]


@functools.cache
def run_data_dir():
    """The data folder of the run's apps (caches, the SQLite database), never the checkout's
    data/ that ``make run`` uses; removed when the run ends."""
    folder = tempfile.mkdtemp(prefix="mediacaster-tests-")
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


class TemplatesBytecode(BytecodeCache):
    """Jinja2's compiled templates kept in this process, for every app it starts (Jinja2
    checks each against its template's source)."""

    def __init__(self):
        self.codes = {}

    def load_bytecode(self, bucket):
        if bucket.key in self.codes:
            bucket.bytecode_from_string(self.codes[bucket.key])

    def dump_bytecode(self, bucket):
        self.codes[bucket.key] = bucket.bytecode_to_string()


TEMPLATES_BYTECODE = TemplatesBytecode()


@functools.cache
def migrated_database():
    """A SQLite file with the schema at its head, made once: each app's database starts as a
    copy of it, so that the migrations run once, not at every app's start (tests/functional/
    test_database.py and test_first_run.py run them)."""
    from mediacaster.models import Database

    path = Path(run_data_dir()) / "migrated.sqlite3"
    database = Database(f"sqlite:///{path}")
    database.prepare()
    database.close()
    return path


def fresh_database_url():
    """A database of its own for an app: a copy of :func:`migrated_database`."""
    path = Path(run_data_dir()) / f"{uuid.uuid4().hex}.sqlite3"
    shutil.copyfile(migrated_database(), path)
    return f"sqlite:///{path}"


def app_settings(roots, redis_url, **extra):
    settings = {
        "mediacaster.data_dir": run_data_dir(),
        "mediacaster.roots": ";".join(f"{name}={path}" for name, path in roots.items()),
        "redis.url": redis_url,
        "mediacaster.secret": SECRET,
        "mediacaster.rescan_interval": "0.2",
        "mediacaster.require_signed_media": "true",
        # Logins are tested on apps of their own (test_security.py, test_admin.py).
        "mediacaster.auth": "false",
        "mediacaster.allow_auth_off": "true",
        # Cast discovery is exercised by its own tests, against fake devices on loopback.
        "mediacaster.discovery": "false",
        # The catalogue's background scan, for the tests of the catalogue only (they turn it on).
        "mediacaster.catalogue": "false",
        # Every /api/ response is checked against the OpenAPI document.
        "pyramid.includes": "tests.common.openapi_check",
        # The page templates compiled once per process, not at every app's start (the warm-up
        # compiles them all, seconds of CPU each time): each app reads Jinja2's bytecode.
        "jinja2.bytecode_caching": TEMPLATES_BYTECODE,
    }
    settings.update(extra)
    if "mediacaster.database_url" not in extra:
        # A database of its own for each app (what one test plays is not another's history);
        # a test that restarts an app gives the same URL again.
        settings["mediacaster.database_url"] = fresh_database_url()
    return settings


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


def wait_for(predicate, timeout=10.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")

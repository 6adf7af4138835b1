"""Cast benchmark: from a cast call to the LOAD arriving at the (fake) device.

Warm: the service's connection to the device is up. First use: a service that
has discovered the device but never talked to it (TLS, status, app launch,
LOAD). Reference in the same run: what command-line casters do on every
command, a blocking 5-second discovery, then connect, then cast.
"""

import statistics
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import quote

import pychromecast
from pychromecast.controllers.media import STREAM_TYPE_BUFFERED
from zeroconf import Zeroconf

from bench.common import LOGINS_OFF, table
from mediacaster import main as make_app
from mediacaster.fakecast import FakeChromecast
from mediacaster.services.cast import CastMedia, CastService
from tests.common.servers import LiveServer, RedisServer

SECRET = "bench-secret-0123456789abcdef"
LOOPBACK = ["127.0.0.1"]
NAME = "Bench TV"


def wait_for(predicate, timeout):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise RuntimeError("timed out")
        time.sleep(0.01)


def time_to_load(device, call):
    """Milliseconds from ``call()`` to the device receiving its LOAD."""
    before = len(device.loads)
    started = time.monotonic()
    call()
    wait_for(lambda: len(device.loads) > before, 30)
    return (device.loads[before][0] - started) * 1000


def main():
    with tempfile.TemporaryDirectory(prefix="mediacaster-bench-") as tmp:
        folder = Path(tmp) / "media"
        folder.mkdir()
        (folder / "photo.jpg").write_bytes(b"\xff\xd8\xff" + bytes(20_000))
        redis_server = RedisServer(Path(tmp)).start()
        zc_device = Zeroconf(interfaces=LOOPBACK)
        device = FakeChromecast(NAME, "Chromecast", "127.0.0.6", port=8009).start(zc_device)
        app = make_app(
            {},
            **{
                "mediacaster.roots": f"m={folder}",
                "redis.url": redis_server.url,
                "mediacaster.secret": SECRET,
                **LOGINS_OFF,
                "mediacaster.discovery": "false",
            },
        )
        try:
            with LiveServer(app) as server:
                signed = app.registry.services.signer.sign("m", "photo.jpg")
                url = f"{server.url}/media/m/{quote('photo.jpg')}?exp={signed['exp']}&sig={signed['sig']}"
                media = CastMedia(url=url, content_type="image/jpeg", kind="image", title="photo")
                rows = run(device, media)
            table("Cast call to LOAD received by the device (ms)", ("approach", "median", "runs"), rows)
        finally:
            app.registry.services.close()
            device.stop()
            zc_device.close()
            redis_server.stop()


def run(device, media):
    rows = []
    first_use = []
    for _ in range(5):
        service = CastService(interfaces=LOOPBACK).start()
        wait_for(lambda service=service: any(d.name == NAME and d.online for d in service.devices()), 30)
        first_use.append(time_to_load(device, lambda service=service: service.cast(NAME, media)))
        if len(first_use) == 5:
            warm = [
                time_to_load(device, lambda service=service: service.cast(NAME, media)) for _ in range(50)
            ]
        service.close()
    rows.append(("mediacaster, warm connection", f"{statistics.median(warm):.1f}", "50"))
    rows.append(("mediacaster, first use of a device", f"{statistics.median(first_use):.1f}", "5"))
    per_command = [time_to_load(device, lambda: discover_connect_cast(media)) for _ in range(2)]
    rows.append(
        ("discovery per command (5 s scan, connect, cast)", f"{statistics.median(per_command):.0f}", "2")
    )
    return rows


def discover_connect_cast(media):
    zeroconf = Zeroconf(interfaces=LOOPBACK)
    try:
        casts, browser = pychromecast.get_chromecasts(zeroconf_instance=zeroconf)
        cast = next(c for c in casts if c.name == NAME)
        cast.wait(timeout=10)
        done = threading.Event()
        cast.media_controller.play_media(
            media.url,
            media.content_type,
            stream_type=STREAM_TYPE_BUFFERED,
            callback_function=lambda *a: done.set(),
        )
        done.wait(10)
        for c in casts:
            c.disconnect(timeout=2)
        browser.stop_discovery()
    finally:
        zeroconf.close()


if __name__ == "__main__":
    main()

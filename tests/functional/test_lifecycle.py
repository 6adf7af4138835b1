"""Stopping the app: SIGINT and SIGTERM end pserve within 2 s and leave no process behind.

pserve runs development.ini as people run it (embedded Redis, discovery on),
with a connection open to a cast device and a request kept busy by an
ffprobe that would never finish on its own.
"""

import contextlib
import json
import shutil
import signal
import sys
import threading
import urllib.error
import urllib.request

import psutil
import pytest

from mediacaster.fakecast import FakeChromecast
from tests.common.app import wait_for
from tests.common.pserve import Pserve
from tests.common.servers import free_port

pytestmark = pytest.mark.slow


def processes_running(argument):
    """Live processes whose command line holds ``argument``."""
    found = []
    for process in psutil.process_iter(["cmdline", "status"]):
        if argument in (process.info["cmdline"] or []) and process.info["status"] != "zombie":
            found.append(process)
    return found


def stalling_tool(folder, name, pattern, marker):
    """``name`` in ``folder``: the real tool, except that arguments matching the shell
    ``pattern`` make it sleep for ever (as ``sleep <marker>``, for the test to find)."""
    real = shutil.which(name)
    (folder / name).write_text(
        f'#!/bin/sh\ncase "$*" in {pattern}) exec sleep {marker};; esac\nexec {real} "$@"\n'
    )
    (folder / name).chmod(0o755)


TV = "Lifecycle TV"


@pytest.fixture(scope="module")
def tv():
    """Reached as a known host (no mDNS): eureka_info on 8008, cast on 8009."""
    device = FakeChromecast(TV, "Chromecast", "127.0.0.9", port=8009, eureka=True).start()
    yield device
    device.stop()


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_stops_pserve_within_two_seconds_and_leaves_nothing(tmp_path, signum, tv):
    port = free_port()
    marker = str(port * 10 + 7)  # the slow tools' argument, unique to this run
    tools = tmp_path / "tools"
    tools.mkdir()
    for name in ("ffprobe", "ffmpeg"):
        # The real tool, except for the test card, which it reads for ever.
        stalling_tool(tools, name, '*"Test card"*', marker)
    (tmp_path / "run").mkdir()
    pserve = Pserve(
        sys.executable,
        tmp_path / "run",
        port,
        None,
        "development.ini",
        MEDIACASTER_FFMPEG_DIR=str(tools),
        MEDIACASTER_DISCOVERY_INTERFACES="127.0.0.1",
        MEDIACASTER_KNOWN_HOSTS="127.0.0.9",
    )
    try:
        pserve.wait_until_up()
        assert pserve.redis_servers(), pserve.log
        loads = len(tv.loads)
        wait_for(lambda: _cast(pserve, "images/Mandelbrot.jpg"), 30, "a cast to the device")
        assert len(tv.loads) > loads  # a connection to the device is open
        # A picture needs the file's probe first: the request waits on the slow ffprobe.
        busy = threading.Thread(target=_get_quietly, args=(pserve, "/picture/images/Test%20card.png"))
        busy.start()
        wait_for(lambda: processes_running(marker), 10, "the slow ffprobe")

        leftovers, took = pserve.stop(signum, to_group=False)

        assert leftovers == [], f"left running: {leftovers}\n{pserve.log}"
        assert took < 5.0, f"pserve took {took:.2f} s to stop\n{pserve.log}"
        assert pserve.process.returncode == 0, pserve.log
        assert processes_running(marker) == []
        assert "Traceback" not in pserve.log
        busy.join(10)
    finally:
        pserve.stop()
        for process in processes_running(marker):
            process.kill()


def _cast(pserve, path):
    """Cast ``path`` to the test's device; False until the device is discovered."""
    body = json.dumps({"path": path, "device": TV}).encode()
    request = urllib.request.Request(
        f"http://127.0.0.1:{pserve.port}/api/cast", data=body, headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status == 200
    except urllib.error.HTTPError as error:
        if error.code == 404:  # not discovered yet
            return False
        raise


def _get_quietly(pserve, path):
    # The server stops under it: that is the point.
    with contextlib.suppress(OSError, urllib.error.URLError):
        pserve.get(path)


@pytest.mark.ffmpeg
@pytest.mark.parametrize("how", ["SIGTERM", "SIGKILL"])
def test_a_conversion_dies_with_the_app_even_when_the_app_is_killed(tmp_path, typical_library, how):
    """A stop kills the app's ffmpeg jobs; a crash of the app (SIGKILL: no clean-up runs)
    has the kernel kill them (the parent-death signal), so no ffmpeg outlives the app."""
    port = free_port()
    marker = str(port * 10 + 3)
    tools = tmp_path / "tools"
    tools.mkdir()
    # The real ffprobe; an ffmpeg that converts for ever (an HLS job), by a name the test finds.
    (tools / "ffprobe").symlink_to(shutil.which("ffprobe"))
    stalling_tool(tools, "ffmpeg", "*hls*", marker)
    films = tmp_path / "films"
    films.mkdir()
    shutil.copy(typical_library["ac3 5.1.mkv"], films / "film.mkv")
    (tmp_path / "run").mkdir()
    pserve = Pserve(
        sys.executable,
        tmp_path / "run",
        port,
        None,
        "development.ini",
        MEDIACASTER_FFMPEG_DIR=str(tools),
        MEDIACASTER_ROOTS=f"films={films}",
        MEDIACASTER_DISCOVERY="false",
    )
    try:
        pserve.wait_until_up()
        playlist = pserve.get("/playlist/copy.aac.1/films/film.mkv")[2].decode()
        init = playlist.split('#EXT-X-MAP:URI="', 1)[1].split('"', 1)[0]
        waiting = threading.Thread(target=_get_quietly, args=(pserve, init))
        waiting.start()
        job = wait_for(lambda: processes_running(marker), 20, "the conversion job")
        assert job[0].ppid() == pserve.process.pid  # the app's own child
        if how == "SIGKILL":
            pserve.process.kill()
        else:
            pserve.process.terminate()
        pserve.process.wait(20)
        wait_for(lambda: not processes_running(marker), 10, "the conversion job to end with the app")
        waiting.join(10)
    finally:
        pserve.stop()
        for process in processes_running(marker):
            process.kill()

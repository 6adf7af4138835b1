"""The next item without a gap: as a page's player reports that it nears the end of a
file, the start of the file its page offers next is made ready, through a real app on
waitress with real ffmpeg: a converted one has its first segment in the cache before its
player asks (no ffmpeg started by the request), one played as it is has its first bytes
read. A queue on the fake Chromecast: the next converted item's first segment is in the
cache when the device asks for it."""

import shutil
import time
from urllib.parse import quote, urlsplit

import pytest
import requests

from mediacaster.playback import browsers, prefetch
from mediacaster.services.conversion import Variant
from tests.common.app import wait_for
from tests.common.typical_library import CHROMIUM_CAN
from tests.functional.test_cast_converted import TV
from tests.functional.test_cast_history import app_with_users
from tests.functional.test_conversion import count_ffmpeg_starts, serving

pytestmark = [pytest.mark.ffmpeg, pytest.mark.slow]

CONVERTED = "hevc 10-bit eac3.mkv"  # converted for Chromium
DIRECT = "phone.mp4"  # played as it is
TIMEOUT = 60
COOKIE = {browsers.COOKIE: f"{browsers.TAG}:{'-'.join(sorted(CHROMIUM_CAN))}"}


@pytest.fixture
def site(typical_library, redis_server, tmp_path):
    folder = tmp_path / "library"
    for show, name in (("show", CONVERTED), ("clips", DIRECT)):
        (folder / show).mkdir(parents=True)
        for episode in ("e01", "e02"):
            shutil.copy(typical_library[name], folder / show / f"{episode}{name[name.rindex('.') :]}")
    with serving({"typical": folder}, redis_server, tmp_path / "data") as served:
        yield served, tmp_path / "data"


def report(site, path, position, duration, cookies=None, final=False):
    """A page's player says where it is in ``path``."""
    response = requests.put(
        f"{site.url}/api/progress/typical/{quote(path)}",
        json={"position": position, "duration": duration, "final": final},
        cookies=cookies,
        timeout=TIMEOUT,
    )
    assert response.status_code in (200, 202), response.text


def browser_stream(site, path):
    """The converted stream the page of ``path`` plays in Chromium, and its plan."""
    url = f"{site.url}/api/playback/typical/{quote(path)}"
    response = requests.get(url, params={"can": ",".join(sorted(CHROMIUM_CAN))}, timeout=TIMEOUT)
    assert response.status_code == 200, response.text
    plan = response.json()
    token = urlsplit(plan["manifests"]["dash"]).path.split("/")[2]
    entry = site.services.library.entry("typical", path.split("/"))
    return site.services.playback.converted(entry, Variant.parse(token).token), plan


def until(predicate, what, step=None, timeout=TIMEOUT):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"{what} after {timeout} s"
        if step:
            step()
        time.sleep(0.5)


def test_the_next_converted_episode_has_its_first_segment_made_before_it_is_asked(site, monkeypatch):
    site, data = site
    starts = count_ffmpeg_starts(monkeypatch, data)
    stream, plan = browser_stream(site, "show/e02.mkv")
    cache = site.services.conversion.cache
    assert starts == [] and not cache.path(stream.id, "0", ".m4s").exists()
    # Far from the end of a long film: nothing is made ready.
    report(site, "show/e01.mkv", 100.0, 3600.0, COOKIE)
    time.sleep(1)
    assert starts == []
    # Near the end, as a player reports every few seconds: the next episode's start is made.
    until(
        lambda: cache.path(stream.id, "0", ".m4s").exists(),
        "the next episode's first segment is not made",
        step=lambda: report(site, "show/e01.mkv", 15.0, 20.0, COOKIE),
    )
    assert len(starts) == 1 and any("e02.mkv" in str(arg) for arg in starts[0])
    # Its page's player then finds it made: no ffmpeg started for its request.
    before = len(starts)
    mpd = requests.get(plan["manifests"]["dash"], timeout=TIMEOUT)
    assert mpd.status_code == 200
    segment = mpd.text.split('media="')[1].split('"')[0].replace("$Number$", "0").replace("&amp;", "&")
    answer = requests.get(segment, timeout=TIMEOUT)
    assert answer.status_code == 200 and answer.content[4:8] in (b"styp", b"moof")
    assert len(starts) == before


def test_the_next_file_played_as_it_is_has_its_first_bytes_read(site, monkeypatch):
    site, _data = site
    read = []
    real = prefetch.read_ends
    monkeypatch.setattr(prefetch, "read_ends", lambda path: read.append(path) or real(path))
    report(site, "clips/e01.mp4", 1.0, 6000.0)  # far from the end: nothing read
    time.sleep(1)
    assert read == []
    until(
        lambda: read,
        "the next file's start is not read",
        step=lambda: report(site, "clips/e01.mp4", 5990.0, 6000.0),
    )
    assert read[0].endswith("/clips/e02.mp4")
    # Once: later reports do not read it again.
    report(site, "clips/e01.mp4", 5995.0, 6000.0)
    time.sleep(1)
    assert len(read) == 1


def test_a_last_file_and_a_final_report_make_nothing_ready(site, monkeypatch):
    site, data = site
    starts = count_ffmpeg_starts(monkeypatch, data)
    report(site, "show/e02.mkv", 19.0, 20.0, COOKIE)  # the last episode of the folder
    report(site, "show/e01.mkv", 19.0, 20.0, COOKIE, final=True)  # paused, or the page left
    time.sleep(2)
    assert starts == []


@pytest.fixture
def queue_app(make_app, typical_library, tv, tmp_path):
    """The app with the fake TV and a show of two episodes it needs converted."""
    (tmp_path / "library" / "Show").mkdir(parents=True)
    for name in ("e01.mkv", "e02.mkv"):
        shutil.copy(typical_library["hevc 8-bit.mkv"], tmp_path / "library" / "Show" / name)
    return app_with_users(make_app, {"m": tmp_path / "library"}, tmp_path / "db", 10, names=("anna",))


def test_on_the_tv_the_next_converted_item_is_in_the_cache_when_the_device_asks(
    queue_app, server_for, tv, monkeypatch
):
    conversion = queue_app.registry.services.conversion
    asked = []  # (file, segment, whether it was in the cache when asked)
    real = conversion.open

    def spy(stream, name, reader=None):
        if name != "init.mp4":
            cached = conversion.cache.path(stream.id, name.split(".")[0], ".m4s").exists()
            asked.append((stream.source.rsplit("/", 1)[-1], name, cached))
        return real(stream, name, reader)

    monkeypatch.setattr(conversion, "open", spy)
    http = server_for(queue_app)
    http.extra_environ["HTTP_AUTHORIZATION"] = "Bearer anna-token"
    since = len(tv.played)
    http.post_json("/api/queue", {"device": TV, "folder": "m/Show"})
    wait_for(lambda: len(tv.played) - since >= 2, 120, "the second episode to play")
    second = [segment for segment in asked if segment[0] == "e02.mkv"]
    assert second[0] == ("e02.mkv", "0.m4s", True), asked

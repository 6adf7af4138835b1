"""The file page plays at once, in Debian's headless Chromium: once the browser's
checks are remembered (a cookie set on its first file page), the page of a file
the app has read comes with its plan and plays without asking /api/playback; Shaka Player is loaded only for a
manifest; a page whose plan is a conversion has started its job when it is served.
"""

import contextlib
import re
import shutil
import time
from urllib.parse import quote

import pytest
import requests

from mediacaster.playback import browsers
from tests.common.chromium import another, chromium, media_watch
from tests.common.typical_library import CHROMIUM_CAN
from tests.functional.test_browser_player import open_file, plays_from, serving, until

pytestmark = [pytest.mark.browser, pytest.mark.ffmpeg, pytest.mark.slow]

DIRECT_FILES = ("phone.mp4",)
CONVERTED = "hevc 8-bit.mkv"
SHAKA = "shaka-player.compiled.js"
TIMEOUT = 60


@pytest.fixture(scope="module")
def library(typical_library, tmp_path_factory):
    folder = tmp_path_factory.mktemp("instant-library")
    for name in (*DIRECT_FILES, CONVERTED, "ac3 5.1.mkv"):
        shutil.copy(typical_library[name], folder / name)
    return folder


@pytest.fixture(scope="module")
def site(library, redis_server, tmp_path_factory):
    with serving(library, redis_server, tmp_path_factory.mktemp("instant-data")) as server:
        yield server


@pytest.fixture
def fresh(library, redis_server, tmp_path):
    """An app of its own with an empty cache: the app and its data folder."""
    with serving(library, redis_server, tmp_path) as server:
        yield server, tmp_path


@pytest.fixture(scope="module")
def browser():
    with chromium("--autoplay-policy=no-user-gesture-required") as browser:
        yield browser


@contextlib.contextmanager
def visitor(browser):
    """A browser of its own (its own cookies): its page and the URLs it fetched."""
    context = browser.new_context()
    page = context.new_page()
    fetched, errors = [], []
    page.on("request", lambda request: fetched.append(request.url))
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        yield page, fetched
    finally:
        context.close()
    assert not errors


def asked_plans(fetched):
    return [url for url in fetched if "/api/playback/" in url]


def remembered(page):
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    return browsers.remembered(cookies.get(browsers.COOKIE))


def url_of(site, name, query="?play=1"):
    return f"{site.url}/library/typical/{quote(name)}{query}"


def test_the_checks_are_remembered_and_the_next_page_plays_without_asking(browser, site):
    with visitor(browser) as (page, fetched):
        open_file(page, site, DIRECT_FILES[0], "?play=1")
        plays_from(page, 0, 0.5)
        assert len(asked_plans(fetched)) == 1, fetched  # the first page asks
        assert remembered(page) == CHROMIUM_CAN
        fetched.clear()
        open_file(page, site, DIRECT_FILES[0], "?play=1")
        plays_from(page, 0, 0.5)
        assert asked_plans(fetched) == [], fetched
        # Played as it is: the page's own <video>, from the page's src, without Shaka Player.
        assert not any(SHAKA in url for url in fetched), fetched
        assert page.evaluate("window.shaka === undefined")
        assert page.evaluate("document.getElementById('player').getAttribute('src')")


def test_a_converted_file_plays_through_shaka_loaded_for_it(browser, site):
    with visitor(browser) as (page, fetched):
        page.context.add_cookies([remembered_cookie(site, CHROMIUM_CAN)])
        read(site, "ac3 5.1.mkv")
        open_file(page, site, "ac3 5.1.mkv", "?play=1")
        plays_from(page, 0, 0.5)
        assert asked_plans(fetched) == [], fetched
        assert any(SHAKA in url for url in fetched), fetched
        assert page.evaluate("document.getElementById('player-box').dataset.manifest") == "dash"
        # Its own controls come with its first frame; its poster shows while it starts.
        served = served_video(site, "ac3 5.1.mkv", "?play=1")
        assert "data-controls-later" in served and " controls" not in served and "poster=" in served
        assert page.evaluate("document.getElementById('player').controls")


@pytest.mark.parametrize("value", ["nonsense", f"{browsers.TAG}:h264-nothing", "0000:h264", "x" * 2000])
def test_a_bad_cookie_is_ignored_and_replaced(browser, site, value):
    with visitor(browser) as (page, fetched):
        page.context.add_cookies([{**remembered_cookie(site, ()), "value": value}])
        open_file(page, site, DIRECT_FILES[0], "?play=1")
        plays_from(page, 0, 0.5)
        assert len(asked_plans(fetched)) == 1, fetched
        assert remembered(page) == CHROMIUM_CAN


def test_a_converted_page_has_started_its_job_when_served(browser, fresh):
    site, data = fresh
    assert not list(data.rglob("*.m4s"))  # nothing of it converted yet
    with visitor(browser) as (page, _fetched):
        page.context.add_cookies([remembered_cookie(site, CHROMIUM_CAN)])
        read(site, CONVERTED)
        # Only the page itself: its player never asks for a manifest or a segment.
        page.route(
            "**/*",
            lambda route: route.continue_() if route.request.resource_type == "document" else route.abort(),
        )
        page.goto(url_of(site, CONVERTED))
        until(page, "document.readyState === 'complete'")
        deadline = time.monotonic() + TIMEOUT
        while not list(data.rglob("*.m4s")):
            assert time.monotonic() < deadline, "the page's conversion made no segment"
            time.sleep(0.1)


# The page's clock at the frame that showed its video's first picture (the time every
# callback of that frame is given), and when each of its scripts was asked for.
FIRST_FRAME = media_watch("(media) => media.requestVideoFrameCallback((now) => (window.__firstFrame = now))")
ASKED = (
    "(name) => performance.getEntriesByType('resource')"
    ".find((e) => e.name.includes(`/static/${name}`))?.startTime"
)
PAGE_SCRIPTS = ("app.js", "mediasession.js", "herequeue.js", "player.js")


def test_a_page_played_as_it_is_adds_its_scripts_after_the_first_frame(browser, site):
    with visitor(browser) as (page, fetched):
        page.context.add_cookies([remembered_cookie(site, CHROMIUM_CAN)])
        read(site, DIRECT_FILES[0])
        page.add_init_script(FIRST_FRAME)
        open_file(page, site, DIRECT_FILES[0], "?play=1")
        plays_from(page, 0, 0.5)
        shown = page.evaluate("window.__firstFrame")
        assert shown is not None
        for name in PAGE_SCRIPTS:
            assert page.evaluate(ASKED, name) >= shown, name
        assert asked_plans(fetched) == [], fetched
        # The video's own controls come with its first frame; no poster shown before it.
        served = served_video(site, DIRECT_FILES[0], "?play=1")
        assert "data-controls-later" in served and " controls" not in served and "poster=" not in served
        assert page.evaluate("document.getElementById('player').controls")
        # They start as they do on any page: the player follows the file, the cast bar
        # and the device picker are set up.
        until(page, "document.getElementById('player-box').dataset.delivery === 'direct'")
        # It says how the file plays, not that it is still loading (it played before the script).
        until(page, "document.getElementById('player-state').dataset.kind === 'info'")
        assert page.evaluate("document.getElementById('player').paused") is False
        picker = "document.getElementById('device-picker').options[0].textContent"
        until(page, f"{picker} !== 'Looking for devices…'")


@pytest.mark.parametrize("name", [DIRECT_FILES[0], "ac3 5.1.mkv"])
def test_a_video_the_browser_will_not_start_by_itself_gets_its_controls(browser, site, name):
    """A browser that starts no sound without a person's gesture: the page's video, played
    as it is or from a manifest, has its own controls for that person to press play.
    (Chromium lets Shaka Player's start through: its sound is not there yet when it
    plays.)"""
    read(site, name)
    strict = another(browser, "--autoplay-policy=document-user-activation-required")
    with strict as other, visitor(other) as (page, _):
        page.context.add_cookies([remembered_cookie(site, CHROMIUM_CAN)])
        page.goto(url_of(site, name))
        until(page, "document.getElementById('player').controls")
        if page.evaluate("document.getElementById('player').paused"):
            page.click("#player")  # the person's gesture
            page.evaluate("void document.getElementById('player').play()")
        plays_from(page, 0, 0.5)


def test_a_page_not_playing_at_once_adds_its_scripts_once_its_file_is_loaded(browser, site):
    with visitor(browser) as (page, fetched):
        page.context.add_cookies([remembered_cookie(site, CHROMIUM_CAN)])
        read(site, DIRECT_FILES[0])
        open_file(page, site, DIRECT_FILES[0])  # no ?play=1: not played by itself
        assert page.evaluate("document.getElementById('player').readyState") >= 2  # its first frame loaded
        served = served_video(site, DIRECT_FILES[0])
        assert " controls" in served and "poster=" in served and "data-controls-later" not in served
        assert page.evaluate("document.getElementById('player').paused")
        assert asked_plans(fetched) == [], fetched
        page.evaluate("void document.getElementById('player').play()")
        plays_from(page, 0, 0.5)


def served_video(site, name, query=""):
    """The page's <video> tag as served to a browser whose checks are remembered."""
    cookie = remembered_cookie(site, CHROMIUM_CAN)
    page = requests.get(url_of(site, name, query), cookies={cookie["name"]: cookie["value"]}, timeout=TIMEOUT)
    assert page.status_code == 200
    return re.search(r"<video [^>]*>", page.text).group(0)


def read(site, name):
    """Have the app read ``name`` (a page is served before its file is read, and asks later)."""
    response = requests.get(f"{site.url}/api/playback/typical/{quote(name)}", timeout=TIMEOUT)
    assert response.status_code == 200, response.text


def remembered_cookie(site, can):
    return {"name": browsers.COOKIE, "value": f"{browsers.TAG}:{'-'.join(sorted(can))}", "url": site.url}


def test_the_cookie_is_read_strictly():
    tagged = f"{browsers.TAG}:h264-mse_aac"
    assert browsers.remembered(tagged) == {"h264", "mse_aac"}
    assert browsers.remembered(f"{browsers.TAG}:") == set()
    for bad in (
        None,
        "",
        "h264",
        "ffffffff:h264",
        f"{browsers.TAG}:h264-bogus",
        f"{browsers.TAG}:" + "h264-" * 300,
    ):
        assert browsers.remembered(bad) is None, bad

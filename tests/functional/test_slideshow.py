"""Slideshows: a folder's pictures fitted by the server to the screen that shows them, on
the fake Chromecast (moved on by the app every few seconds, paused, stepped, stopped by
another sender) and full screen in Chromium."""

import subprocess
import time

import pytest
from playwright.sync_api import expect

from tests.common.app import wait_for
from tests.common.chromium import chromium
from tests.common.mediafiles import ffmpeg, long_film
from tests.functional.test_cast_audio import another_sender_loads
from tests.functional.test_cast_converted import TV, app_with_the_tv

pytestmark = pytest.mark.slow

PICTURES = ("1 Beach.jpg", "2 Tall.jpg", "3 Forest.png", "4 Small.jpg")


@pytest.fixture(scope="module")
def library(tmp_path_factory):
    """Four pictures: a 12-megapixel photo, a tall one, a PNG, one smaller than any screen."""
    base = tmp_path_factory.mktemp("pictures")
    folder = base / "Pictures"
    folder.mkdir()
    sizes = {
        PICTURES[0]: "4000x3000",
        PICTURES[1]: "1500x3000",
        PICTURES[2]: "2560x1600",
        PICTURES[3]: "640x480",
    }
    for name, size in sizes.items():
        ffmpeg("-f", "lavfi", "-i", f"testsrc2=size={size}:rate=1", "-frames:v", "1", str(folder / name))
    long_film(folder / "clip.mp4", 3)
    return base


@pytest.fixture
def http(make_app, library, tv, server_for):
    return server_for(app_with_the_tv(make_app, {"m": library}))


def picture_url(http, name):
    return http.get(f"/api/library/m/Pictures/{name}").json["picture_url"]


def size_of(body):
    """(width, height) of a picture, as ffprobe reads it."""
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "stream=width,height", "-of", "csv=p=0", "-i", "pipe:0"],
        input=body,
        capture_output=True,
        check=True,
        timeout=30,
    ).stdout
    width, height = out.decode().strip().split(",")
    return int(width), int(height)


@pytest.mark.parametrize(
    ("name", "screen", "size"),
    [
        (PICTURES[0], 1080, (1440, 1080)),  # into 1920x1080, its shape kept
        (PICTURES[1], 1080, (540, 1080)),
        (PICTURES[2], 720, (1152, 720)),
        (PICTURES[0], 2160, (2880, 2160)),
        (PICTURES[3], 1080, (640, 480)),  # never enlarged
    ],
)
def test_pictures_are_fitted_to_the_screen_that_shows_them(http, name, screen, size):
    response = http.get(picture_url(http, name) + f"&screen={screen}")
    assert response.content_type == "image/jpeg" and size_of(response.body) == size


def test_screen_sizes_are_the_servers_own_and_for_pictures_only(http):
    url = picture_url(http, PICTURES[0])
    for screen in ("999", "1080p", "-1"):
        assert "screen-sized picture" in http.get(url + f"&screen={screen}", status=404).text
    clip = http.get("/api/library/m/Pictures/clip.mp4").json["picture_url"]
    http.get(clip + "&screen=1080", status=404)
    http.get(url.split("?")[0] + "?screen=1080", status=403)  # unsigned


def slides(tv, since):
    return [url for _, url in tv.played[since:] if "/picture/" in url]


def names(urls):
    return [url.split("?")[0].rsplit("/", 1)[-1].replace("%20", " ") for url in urls]


def show(http, action="", status=200, **body):
    return http.post_json(f"/api/slideshow{action}", {"device": TV, **body}, status=status).json


def test_a_slideshow_moves_on_by_itself_pauses_steps_and_stops_for_another_sender(http, tv):
    since = len(tv.played)
    started = show(http, folder="m/Pictures", interval=2)["slideshow"]
    assert (started["count"], started["title"], started["state"]) == (4, PICTURES[0], "playing")
    wait_for(lambda: len(slides(tv, since)) >= 3, 30, "three pictures")
    assert names(slides(tv, since))[:3] == list(PICTURES[:3])
    assert all("screen=1080" in url for url in slides(tv, since))
    paused = show(http, "/pause")["slideshow"]
    assert paused["paused"]
    shown = len(slides(tv, since))
    time.sleep(3)
    assert len(slides(tv, since)) == shown
    stepped = show(http, "/previous")["slideshow"]
    assert names(slides(tv, since))[-1] == stepped["title"]
    show(http, "/play")
    wait_for(lambda: len(slides(tv, since)) > shown + 1, 30, "the show moving on again")
    # Another sender takes the TV: the show stops there and does not come back.
    another_sender_loads(tv, http.get("/api/library/m/Pictures/clip.mp4").json["stream_url"], "video/mp4")
    wait_for(
        lambda: http.get("/api/slideshow", {"device": TV}).json["slideshow"]["state"] == "taken_over", 3, "it"
    )
    shown = len(slides(tv, since))
    time.sleep(3)
    assert len(slides(tv, since)) == shown
    assert show(http, "/next", status=409)["detail"] == "the slideshow is taken over: start it again"


def test_what_a_slideshow_cannot_be(http):
    assert show(http, folder="m", status=422)["detail"] == "this folder has no pictures"
    http.post_json("/api/slideshow", {"device": TV, "folder": "m/Pictures", "interval": 1}, status=422)
    http.post_json("/api/slideshow", {"device": TV, "folder": "m/Pictures/clip.mp4"}, status=404)


@pytest.mark.browser
def test_the_browser_slideshow_fits_the_screen_steps_and_moves_on(http):
    with chromium() as browser:
        page = browser.new_context(
            viewport={"width": 1280, "height": 720}, screen={"width": 1280, "height": 720}
        ).new_page()
        page.goto(f"http://{http.extra_environ['HTTP_HOST']}/library/m/Pictures")
        page.get_by_role("link", name="Slideshow").click()
        caption = page.locator("#slide-caption")
        expect(caption).to_have_text(f"{PICTURES[0]} · 1 of 4")
        wait_for(
            lambda: page.evaluate("document.getElementById('slide').naturalWidth") > 0, 10, "the picture"
        )
        assert "screen=720" in page.evaluate("document.getElementById('slide').src")
        assert page.evaluate(
            "[document.getElementById('slide').naturalWidth, document.getElementById('slide').naturalHeight]"
        ) == [960, 720]
        page.get_by_role("button", name="Next picture").click()
        expect(caption).to_have_text(f"{PICTURES[1]} · 2 of 4")
        page.keyboard.press("ArrowLeft")
        expect(caption).to_have_text(f"{PICTURES[0]} · 1 of 4")
        page.keyboard.press("ArrowLeft")
        expect(caption).to_have_text(f"{PICTURES[3]} · 4 of 4")
        page.get_by_label("Every").select_option("3")
        expect(caption).to_have_text(f"{PICTURES[0]} · 1 of 4", timeout=6000)  # moved on by itself
        page.get_by_role("button", name="Pause").click()
        time.sleep(4)
        expect(caption).to_have_text(f"{PICTURES[0]} · 1 of 4")


def test_a_slideshow_stops_when_asked_and_a_cast_ends_it(http, tv):
    show(http, folder="m/Pictures", interval=60)
    assert show(http, "/stop")["slideshow"]["state"] == "stopped"
    assert tv.player_state in ("IDLE", None)
    show(http, folder="m/Pictures", interval=60)
    http.post_json("/api/cast", {"device": TV, "path": "m/Pictures/clip.mp4"})
    assert http.get("/api/slideshow", {"device": TV}).json["slideshow"]["state"] == "stopped"

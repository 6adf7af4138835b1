"""Seek previews on the remote: a film cast to the fake Chromecast, the now-playing bar's
Position slider on a phone shows the picture of the place the finger or pointer is at."""

import pytest
from playwright.sync_api import expect

from tests.common.app import REPO, wait_for
from tests.common.chromium import chromium
from tests.common.mediafiles import ffmpeg
from tests.common.servers import LiveServer

PICTURE = (
    "document.querySelector('.seek-preview[data-for=np-seek] .seek-picture')"  # the picture over the bar
)
pytestmark = [pytest.mark.browser, pytest.mark.ffmpeg, pytest.mark.slow]

TV = "Living Room TV"
WAIT = 60_000  # ms: a loaded machine
ARTIFACTS = REPO / "test-artifacts"


@pytest.fixture
def server(make_app, tmp_path, tv):
    # Ten minutes of a moving test card, a frame a second: made in a few seconds.
    picture = ["-f", "lavfi", "-i", "testsrc2=size=320x180:rate=1:duration=600"]
    ffmpeg(
        *picture,
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-g",
        "10",
        "-pix_fmt",
        "yuv420p",
        tmp_path / "Long film.mp4",
    )
    app = make_app(
        roots={"films": tmp_path},
        **{"mediacaster.discovery": "true", "mediacaster.discovery_interfaces": "127.0.0.1"},
    )
    wait_for(
        lambda: any(d.name == TV and d.online for d in app.registry.services.cast.devices()), 40, "discovery"
    )
    with LiveServer(app) as server:
        yield server


def test_the_remotes_position_slider_shows_the_picture_of_that_place(server):
    with chromium() as browser:
        context = browser.new_context(viewport={"width": 390, "height": 844})
        page = context.new_page()
        errors = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(f"{server.url}/library/films")
        picker = page.locator("#device-picker")
        expect(picker).to_be_enabled(timeout=15000)
        picker.select_option(label=TV)
        page.get_by_role("button", name="Cast Long film.mp4").click()
        expect(page.locator("#np-title")).to_have_text("Long film", timeout=WAIT)
        page.get_by_role("button", name="Open the remote").click()
        seek = page.locator("#np-seek")
        expect(seek).to_be_enabled(timeout=WAIT)
        page.wait_for_function("() => Number(document.getElementById('np-seek').max) > 500", timeout=WAIT)
        box = seek.bounding_box()
        page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] / 2)
        preview = page.locator(".seek-preview[data-for=np-seek]")
        expect(preview).to_be_visible(timeout=WAIT)
        expect(preview.locator(".seek-time")).to_have_text("5:00")
        page.wait_for_function(
            "() => { const p = document.querySelector('.seek-preview[data-for=np-seek] .seek-picture');"
            " return p && !p.hidden && p.style.backgroundImage.includes('/previews/'); }",
            timeout=WAIT,
        )
        # A picture every 10 s: the 31st, the 1st of the 4th row of the first sheet.
        where = page.evaluate(f"{PICTURE}.style.backgroundPosition")
        assert where == "0px -270px"
        url = page.evaluate(f"{PICTURE}.style.backgroundImage.slice(5, -2)")
        loaded = (
            "(url) => new Promise((done) => { const i = new Image();"
            " i.onload = () => done(i.naturalWidth); i.src = url; })"
        )
        assert page.evaluate(loaded, url) == 1600
        shown = preview.bounding_box()
        assert shown["x"] >= 0 and shown["x"] + shown["width"] <= 390 and shown["y"] >= 0
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=ARTIFACTS / "previews-remote-phone.png")
        context.close()
        assert not errors

"""Seek previews in Debian's headless Chromium: the file page's seek bar shows the picture
of the place the pointer is over, on a phone and on a desktop, within the window and
clean for axe-core; and previews that cannot be made leave the player as it was."""

from urllib.parse import quote

import pytest
from playwright.sync_api import expect

from tests.common.app import REPO
from tests.common.chromium import chromium
from tests.functional.test_pages import axe_problems, layout_problems
from tests.functional.test_previews import CONVERTED, DIRECT, failing_site, library, site  # noqa: F401

PICTURE = (
    "document.querySelector('.seek-preview[data-for=seek-bar] .seek-picture')"  # the picture over the bar
)
pytestmark = [pytest.mark.browser, pytest.mark.ffmpeg, pytest.mark.slow]

ARTIFACTS = REPO / "test-artifacts"
ARTIFACTS.mkdir(exist_ok=True)
WAIT = 60_000  # ms: a loaded machine


@pytest.fixture(scope="module")
def browser():
    with chromium() as browser:
        yield browser


@pytest.fixture(params=[390, 1440], ids=["phone", "desktop"])
def page(request, browser):
    width = request.param
    context = browser.new_context(viewport={"width": width, "height": 844 if width < 600 else 900})
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.width = width
    try:
        yield page
    finally:
        context.close()
    assert not errors


def point_at(page, fraction):
    """Move the mouse over the seek bar at ``fraction`` of its length; the preview's box."""
    bar = page.locator("#seek-bar")
    expect(bar).to_be_visible(timeout=WAIT)
    box = bar.bounding_box()
    page.mouse.move(box["x"] + box["width"] * fraction, box["y"] + box["height"] / 2)
    preview = page.locator(".seek-preview[data-for=seek-bar]")
    expect(preview).to_be_visible(timeout=WAIT)
    return preview


def picture_shown(page):
    """The picture over the bar is one of a sheet the browser loaded: its URL."""
    page.wait_for_function(
        "() => { const p = document.querySelector('.seek-preview[data-for=seek-bar] .seek-picture');"
        " return p && !p.hidden && p.style.backgroundImage.includes('.jpg'); }",
        timeout=WAIT,
    )
    url = page.evaluate(f"{PICTURE}.style.backgroundImage.slice(5, -2)")
    size = page.evaluate(
        "(url) => new Promise((done) => { const i = new Image(); i.onload = () => done([i.naturalWidth,"
        " i.naturalHeight]); i.onerror = () => done(null); i.src = url; })",
        url,
    )
    assert size[0] == 1600 and size[1] % 10 == 0, url  # ten by ten pictures 160 px wide
    return url, size[1] // 10


def inside_the_window(page, preview):
    box = preview.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= page.width, box
    assert box["y"] >= 0, box


def test_hovering_the_seek_bar_shows_the_picture_of_that_place(page, site):  # noqa: F811 - the fixture imported above
    page.goto(f"{site.url}/library/v/{quote(DIRECT)}")
    preview = point_at(page, 0.5)
    _, height = picture_shown(page)
    # The phone's 20 s film (upright): a picture a second, the one for 0:10 the 11th of its sheet.
    shown = page.evaluate(
        "(() => { const s = document.querySelector('.seek-preview[data-for=seek-bar] .seek-picture').style;"
        " return [s.height, s.backgroundPosition].join(' ').match(/[-0-9.]+/g).map(Number); })()"
    )
    drawn, x, y = shown
    assert drawn <= 100 and x == 0 and y == pytest.approx(-drawn, abs=0.5)  # an upright picture drawn smaller
    assert height > drawn
    assert preview.locator(".seek-time").text_content() == "0:10"
    inside_the_window(page, preview)
    page.screenshot(path=ARTIFACTS / f"previews-{'phone' if page.width < 600 else 'desktop'}.png")
    assert axe_problems(page) == []
    assert layout_problems(page, page.width < 600) == []
    # At either end, it stays inside the window.
    for end in (0.002, 0.998):
        inside_the_window(page, point_at(page, end))
    # Left, it goes; the keyboard brings it back as it moves the bar.
    page.mouse.move(1, 1)
    expect(preview).to_be_hidden()
    page.locator("#seek-bar").focus()
    page.keyboard.press("ArrowRight")
    expect(preview).to_be_visible()


def test_a_converted_video_shows_them_too_and_offers_them_to_shaka(page, site):  # noqa: F811 - the fixture imported above
    page.goto(f"{site.url}/library/v/{quote(CONVERTED)}")
    expect(page.locator("#player-box[data-manifest='dash']")).to_be_attached(timeout=WAIT)
    point_at(page, 0.25)
    url, _ = picture_shown(page)
    page.screenshot(path=ARTIFACTS / f"previews-converted-{'phone' if page.width < 600 else 'desktop'}.png")
    # Shaka Player plays the MPD, and the picture is the one it found there.
    assert (
        page.evaluate("document.querySelector('.seek-preview[data-for=seek-bar]').dataset.from") == "player"
    )
    assert "/previews/" in url and url.split("?")[0].endswith("-0.jpg")


def test_previews_that_cannot_be_made_leave_the_player_as_it_was(page, failing_site):  # noqa: F811
    page.goto(f"{failing_site.url}/library/v/{quote(CONVERTED)}")
    expect(page.locator("#player-box[data-manifest='dash']")).to_be_attached(timeout=WAIT)
    preview = point_at(page, 0.5)
    expect(preview.locator(".seek-time")).to_have_text("0:10")
    # The sheet fails: the time alone, and the player says nothing of it.
    expect(preview.locator(".seek-picture")).to_be_hidden(timeout=WAIT)
    assert page.evaluate("document.getElementById('player-state').dataset.kind") != "error"
    # Tried and failed: the page offers them no more, and plays.
    page.reload()
    expect(page.locator("#player-box[data-manifest='dash']")).to_be_attached(timeout=WAIT)
    expect(page.locator("#seek-bar")).to_have_count(0)
    page.evaluate("document.getElementById('player').play()")
    page.wait_for_function("() => document.getElementById('player').currentTime > 1", timeout=WAIT)
    assert page.evaluate("document.getElementById('player-state').dataset.kind") != "error"

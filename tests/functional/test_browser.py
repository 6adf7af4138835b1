"""The product in a real browser: Debian's headless Chromium driven by Playwright,
against the app on a real waitress and a fake Chromecast found over mDNS."""

import os
import shutil
import time

import pytest
from playwright.sync_api import expect

from tests.common.app import REPO, wait_for
from tests.common.chromium import chromium
from tests.common.servers import LiveServer

pytestmark = pytest.mark.browser

ARTIFACTS = REPO / "test-artifacts"
TV = "Living Room TV"


@pytest.fixture(scope="module")
def browser():
    with chromium("--autoplay-policy=no-user-gesture-required") as browser:
        yield browser


@pytest.fixture(scope="module")
def library(tmp_path_factory, media_library):
    folder = tmp_path_factory.mktemp("browser-library")
    (folder / "Films").mkdir()
    shutil.copy(media_library["films"] / "hevc.mp4", folder / "Films" / "HEVC film.mp4")
    shutil.copy(media_library["films"] / "broken.mp4", folder / "Films" / "Broken film.mp4")
    shutil.copy(media_library["films"] / "tail index.en.srt", folder / "Films" / "Test pattern.en.srt")
    shutil.copy(
        REPO / "mediacaster" / "demo" / "video" / "Test pattern.mp4", folder / "Films" / "Test pattern.mp4"
    )
    shutil.copy(
        REPO / "mediacaster" / "demo" / "audio" / "Sine in C.mp3", folder / "Films" / "Commentary.mp3"
    )
    # A name written by an old Latin-1 client: its bytes are not UTF-8.
    shutil.copy(folder / "Films" / "Test pattern.mp4", os.fsdecode(bytes(folder / "Films") + b"/Caf\xe9.mp4"))
    return folder


@pytest.fixture
def site(make_app, library, tv):
    def start():
        app = make_app(
            roots={"films": library},
            **{"mediacaster.discovery": "true", "mediacaster.discovery_interfaces": "127.0.0.1"},
        )
        wait_for(
            lambda: any(d.name == TV and d.online for d in app.registry.services.cast.devices()),
            40,
            "discovery",
        )
        return app

    servers = []

    def serve():
        server = LiveServer(start()).__enter__()
        servers.append(server)
        return server

    yield serve
    for server in servers:
        server.__exit__(None, None, None)


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1100, "height": 720})
    page = context.new_page()
    refused = []
    page.on(
        "console", lambda message: "Content Security Policy" in message.text and refused.append(message.text)
    )
    yield page
    context.close()
    assert not refused, f"the page broke its own Content-Security-Policy: {refused}"


def wait_until(page, expression, timeout=10000):
    """Poll ``expression`` in the page until it is true.

    Not ``page.wait_for_function``: it evaluates strings inside the page, which
    the pages' Content-Security-Policy forbids, as it should.
    """
    deadline = time.monotonic() + timeout / 1000
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {expression}")
        page.wait_for_timeout(50)


def open_and_choose_tv(page, url):
    """Open ``url`` and choose the fake TV in the header's device picker."""
    page.goto(url)
    picker = page.locator("#device-picker")
    expect(picker).to_be_enabled(timeout=15000)
    picker.select_option(label=TV)
    expect(page.locator("#cast-message")).to_contain_text(f"Casting to {TV}")
    return picker


def shot(page, name):
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def test_play_a_video_in_the_page_and_seek(site, page):
    server = site()
    page.goto(f"{server.url}/library/films/Films")
    shot(page, "library")
    page.get_by_role("link", name="Test pattern.mp4").click()
    # The page's facts are filled in once the file is read, and its player loads the file.
    expect(page.locator("#entry-facts")).to_have_attribute("data-probe", "done", timeout=20000)
    expect(page.locator("#player-box")).to_have_attribute("data-manifest", "file", timeout=20000)
    video = page.locator("video#player")
    expect(video).to_be_visible()
    # Not awaited: play() settles when playback starts.
    page.evaluate("(() => { const v = document.getElementById('player'); v.muted = true; void v.play(); })()")
    wait_until(page, "document.getElementById('player').currentTime > 0.3", timeout=20000)
    shot(page, "detail")
    duration = page.evaluate("document.getElementById('player').duration")
    assert 5 < duration < 7
    page.evaluate(f"document.getElementById('player').currentTime = {duration / 2}")
    wait_until(page, f"document.getElementById('player').currentTime > {duration / 2 + 0.5}", timeout=20000)
    assert page.evaluate("document.getElementById('player').error") is None


def test_cast_pause_and_the_now_playing_bar(site, page, tv):
    server = site()
    open_and_choose_tv(page, f"{server.url}/library/films/Films")
    expect(page.locator("#now-playing")).to_be_visible()
    loads, fetches = len(tv.loads), len(tv.fetches)
    page.get_by_role("button", name="Cast Test pattern.mp4").click()
    expect(page.locator("#np-title")).to_have_text("Test pattern", timeout=15000)
    expect(page.locator("#np-state")).to_have_text("PLAYING")
    assert len(tv.loads) > loads
    assert tv.loads[-1][1]["media"]["contentType"] == "video/mp4"
    assert tv.fetches[fetches].status == 206 and tv.fetches[fetches].content_type == "video/mp4"
    expect(page.locator("#cast-message")).to_contain_text(f"on {TV}")
    # Paused before the 6 s clip ends, however slow the machine.
    page.get_by_role("button", name="Pause").click()
    expect(page.locator("#np-state")).to_have_text("PAUSED", timeout=5000)
    assert tv.player_state == "PAUSED"
    shot(page, "now-playing")
    page.get_by_role("button", name="Play", exact=True).click()
    expect(page.locator("#np-state")).to_have_text("PLAYING", timeout=5000)
    assert tv.player_state == "PLAYING"


def test_cast_pressed_while_the_chosen_tv_is_being_saved_waits_for_it(site, page, tv):
    server = site()
    page.goto(f"{server.url}/library/films/Films")
    picker = page.locator("#device-picker")
    expect(picker).to_be_enabled(timeout=15000)
    held = []  # the request saving the choice, answered only once Cast was pressed
    page.route("**/api/session/device", lambda route: held.append(route))
    picker.select_option(label=TV)
    deadline = time.monotonic() + 15
    while not held:
        assert time.monotonic() < deadline, "the choice was never sent"
        page.wait_for_timeout(50)
    loads = len(tv.loads)
    page.get_by_role("button", name="Cast Test pattern.mp4").click()
    page.wait_for_timeout(300)  # time for a wrong "Choose a TV first" to show
    held[0].continue_()
    expect(page.locator("#np-title")).to_have_text("Test pattern", timeout=15000)
    assert len(tv.loads) == loads + 1
    assert "Choose a TV" not in page.locator("#cast-message").text_content()


def test_the_session_keeps_the_device_across_reload_and_restart(site, page, tv):
    server = site()
    picker = open_and_choose_tv(page, f"{server.url}/library/films")
    page.reload()
    expect(picker).to_have_value(str(tv.uuid), timeout=15000)
    restarted = site()  # a new app on the same Redis; the cookie stays with 127.0.0.1
    page.goto(f"{restarted.url}/library/films")
    expect(page.locator("#device-picker")).to_have_value(str(tv.uuid), timeout=15000)


def test_a_failed_cast_says_why(site, page, tv):
    server = site()
    open_and_choose_tv(page, f"{server.url}/library/films/Films/Commentary.mp3")
    tv.stop()
    try:
        page.get_by_role("button", name="Cast Commentary.mp3").click()
        expect(page.locator("#cast-message")).to_contain_text("Could not cast Commentary.mp3", timeout=20000)
    finally:
        tv.start(tv._zeroconf)


def test_usable_on_a_phone(site, browser):
    server = site()
    context = browser.new_context(viewport={"width": 390, "height": 800}, is_mobile=True, has_touch=True)
    page = context.new_page()
    try:
        page.goto(f"{server.url}/library/films/Films")
        expect(page.get_by_role("button", name="Cast Test pattern.mp4")).to_be_visible()
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"the page scrolls sideways: {width}px"
        shot(page, "phone")
    finally:
        context.close()


def test_keyboard_reaches_the_cast_controls(site, page):
    server = site()
    page.goto(f"{server.url}/library/films/Films")
    expect(page.locator("#device-picker")).to_be_enabled(timeout=15000)  # the devices are known
    focused = set()
    for _ in range(40):
        page.keyboard.press("Tab")
        focused.add(page.evaluate("document.activeElement.id || document.activeElement.className"))
    assert "device-picker" in focused
    assert "cast-button" in focused


def test_details_fill_in_and_verdicts_guard_the_cast_button(site, page, tv):
    server = site()
    open_and_choose_tv(page, f"{server.url}/library/films/Films")
    row = page.locator('tr[data-path="Films/Test pattern.mp4"]')
    expect(row.locator(".length")).to_have_text("0:06", timeout=20000)
    expect(row.locator(".resolution")).to_have_text(" · 320\u00d7180")
    expect(page.locator('.verdict[data-for="Films/Test pattern.mp4"]')).to_have_text("Plays", timeout=10000)
    broken = page.locator('.verdict[data-for="Films/Broken film.mp4"]')
    expect(broken).to_have_text("Will not play")
    assert "unreadable" in broken.get_attribute("title")
    loads = len(tv.loads)
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.get_by_role("button", name="Cast Broken film.mp4").click()
    page.wait_for_timeout(500)
    assert len(tv.loads) == loads  # declined: nothing sent
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Cast Broken film.mp4").click()
    expect(page.locator("#np-title")).to_have_text("Broken film", timeout=15000)
    assert len(tv.loads) == loads + 1
    # HEVC is converted for this TV: no question asked, the TV gets an HLS stream.
    hevc = page.locator('.verdict[data-for="Films/HEVC film.mp4"]')
    expect(hevc).to_have_text("Plays converted")
    assert "HEVC (H.265) video does not play" in hevc.get_attribute("title")
    page.get_by_role("button", name="Cast HEVC film.mp4").click()
    expect(page.locator("#np-title")).to_have_text("HEVC film", timeout=30000)
    assert tv.loads[-1][1]["media"]["contentType"] == "application/x-mpegurl"


def test_a_converted_file_can_be_cast_as_it_is_from_its_page(site, page, tv):
    server = site()
    open_and_choose_tv(page, f"{server.url}/library/films/Films/HEVC%20film.mp4")
    expect(page.locator("#entry-facts .verdict-reason")).to_contain_text(
        "plays after converting: HEVC (H.265) video does not play", timeout=20000
    )
    page.get_by_role("button", name="Cast HEVC film.mp4 as it is, without converting it").click()
    # The film lasts 2 s: the message stays, where the bar may have moved on to "Nothing playing".
    expect(page.locator("#cast-message")).to_have_text(f"Playing HEVC film.mp4 on {TV}.", timeout=15000)
    assert tv.loads[-1][1]["media"]["contentType"] == "video/mp4"


def test_grid_view_and_detail_page_pictures_and_tracks(site, page):
    server = site()
    page.goto(f"{server.url}/library/films/Films?view=grid")
    card = page.locator('li[data-path="Films/Test pattern.mp4"] img')
    expect(card).to_be_visible()
    wait_until(
        page,
        "[...document.querySelectorAll('.grid img')].every(img => img.complete && img.naturalWidth > 0)",
        timeout=20000,
    )
    shot(page, "grid")
    page.goto(f"{server.url}/library/films/Films/Test%20pattern.mp4")
    tracks = page.locator("video#player track")
    expect(tracks).to_have_count(1)
    assert tracks.get_attribute("label") == "English" and tracks.get_attribute("srclang") == "en"
    wait_until(page, "document.getElementById('player').textTracks.length === 1")
    cues = page.evaluate(
        """async () => {
            const track = document.getElementById('player').textTracks[0];
            track.mode = 'showing';
            for (let i = 0; i < 100 && !(track.cues && track.cues.length); i++) {
                await new Promise(r => setTimeout(r, 50));
            }
            return track.cues ? Array.from(track.cues).map(c => c.text) : [];
        }"""
    )
    assert cues == ["Hello from the subtitles", "Café crème"]


def test_a_name_that_is_not_utf8_is_shown_opened_and_cast(site, page, tv):
    server = site()
    open_and_choose_tv(page, f"{server.url}/library/films/Films")
    link = page.get_by_role("link", name="Caf\\xe9.mp4")
    expect(link).to_be_visible()
    assert link.get_attribute("href").endswith("/library/films/Films/Caf%E9.mp4")
    loads = len(tv.loads)
    page.get_by_role("button", name="Cast Caf\\xe9.mp4").click()
    expect(page.locator("#np-title")).to_have_text("Caf\\xe9", timeout=15000)
    assert len(tv.loads) == loads + 1
    sent = tv.loads[-1][1]["media"]["contentId"]
    assert "/media/films/Films/Caf%E9.mp4?" in sent
    wait_for(lambda: any(f.url == sent and f.status in (200, 206) for f in tv.fetches), 10, "the TV's fetch")
    link.click()
    expect(page.locator("h1")).to_contain_text("Caf\\xe9.mp4")
    wait_until(page, "document.getElementById('player').readyState >= 1")

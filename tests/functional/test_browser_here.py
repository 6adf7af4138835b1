"""Playing here, in Debian's headless Chromium: a folder's, a search's or the ticked rows'
files played one after the other in the page's own player, with previous and next, and
the Media Session that a phone's lock screen and headset read.

The buttons are the ones the folder and search pages carry (data-play-here, and
data-play-here-selection for the ticked rows); the tests put one on the page where the
page has none, as a page script would find it.
"""

import contextlib
import json
import time
from urllib.parse import unquote

import pytest
from playwright.sync_api import Error as PlaywrightError

from mediacaster.fakecast import FakeChromecast
from tests.common.chromium import chromium
from tests.common.mediafiles import ffmpeg
from tests.common.servers import serving

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TIMEOUT = 60
SINE = ["-f", "lavfi", "-i", "sine=frequency=440:duration=1.5"]
# Natural order, which the listing uses: 3 before 10, whatever the bytes say.
ALBUM = ["01 First.mp3", "02 Second.mp3", "3 Third.ogg", "05 Clip.webm", "10 Tenth.mp3"]
LONG = ["A.mp3", "B.mp3", "C.mp3"]


@pytest.fixture(scope="module")
def library(tmp_path_factory):
    base = tmp_path_factory.mktemp("here-library")
    album = base / "Album"
    (album / "Extras").mkdir(parents=True)
    for number, name in enumerate(ALBUM, start=1):
        path = album / name
        if name.endswith(".webm"):
            picture = ["-f", "lavfi", "-i", "testsrc2=size=160x90:rate=15:duration=1.5"]
            ffmpeg(*picture, *SINE, "-c:v", "libvpx-vp9", "-deadline", "realtime", "-b:v", "100k",
                   "-c:a", "libopus", path)  # fmt: skip
        else:
            codec = ["-c:a", "libopus"] if name.endswith(".ogg") else ["-c:a", "libmp3lame"]
            tags = ["-metadata", f"title=Song {number}", "-metadata", "artist=The Oscillators",
                    "-metadata", "album=Test Tones"]  # fmt: skip
            ffmpeg(*SINE, *codec, *tags, path)
    ffmpeg("-f", "lavfi", "-i", "testsrc=size=64x64", "-frames:v", "1", album / "cover.jpg")
    (album / "notes.txt").write_text("not media")
    ffmpeg(*SINE, "-c:a", "libmp3lame", album / "Extras" / "Bonus.mp3")  # below: not in the folder's list
    # Songs long enough to be driven from the lock screen before they end.
    (base / "Long").mkdir()
    hum = ["-f", "lavfi", "-i", "sine=frequency=220:duration=60", "-c:a", "libmp3lame"]
    for name in LONG:
        tags = [f"title=Long {name[0]}", "artist=The Drones", "album=Hum"]
        ffmpeg(*hum, *(arg for tag in tags for arg in ("-metadata", tag)), base / "Long" / name)
    ffmpeg("-f", "lavfi", "-i", "testsrc=size=64x64", "-frames:v", "1", base / "Long" / "folder.jpg")
    return base


@pytest.fixture(scope="module")
def site(library, redis_server, tmp_path_factory):
    with serving({"here": library}, redis_server.url, tmp_path_factory.mktemp("here-data")) as server:
        yield server


@pytest.fixture(scope="module")
def browser():
    with chromium("--autoplay-policy=no-user-gesture-required") as browser:
        yield browser


# Records the Media Session's action handlers as the page sets them, so that a test can
# see which are set and call them as a lock screen would.
RECORD_HANDLERS = """
(() => {
  window.__handlers = {};
  if (!navigator.mediaSession) return;
  const set = navigator.mediaSession.setActionHandler.bind(navigator.mediaSession);
  navigator.mediaSession.setActionHandler = (action, handler) => {
    window.__handlers[action] = handler;
    set(action, handler);
  };
})();
"""


@pytest.fixture
def page(browser, site):
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    context.add_init_script(RECORD_HANDLERS)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    # Shaka Player logs what it thinks of the files' tags as errors: only the policy's count.
    page.on("console", lambda m: "Content Security Policy" in m.text and errors.append(m.text))
    try:
        yield page
    finally:
        context.close()
    assert not errors


def until(page, expression, what, timeout=TIMEOUT):
    """Poll ``expression`` in the page (across page loads) until it is true; its value."""
    deadline = time.monotonic() + timeout
    while True:
        with contextlib.suppress(PlaywrightError):  # the page was between two documents
            value = page.evaluate(expression)
            if value:
                return value
        if time.monotonic() > deadline:
            pytest.fail(f"{what} did not happen in {timeout} s; the page is {page.url}")
        time.sleep(0.1)


def click_injected(page, attributes):
    """Put a button with ``attributes`` on the page, as the folder and search pages carry
    them, and click it."""
    page.evaluate(
        """(attributes) => {
          const button = document.createElement("button");
          button.type = "button";
          button.id = "test-play-here";
          button.textContent = "Play here";
          for (const [name, value] of Object.entries(attributes)) button.setAttribute(name, value);
          document.querySelector("main").prepend(button);
        }""",
        attributes,
    )
    page.click("#test-play-here")


def file_name(page):
    return unquote(page.url.split("?")[0].rsplit("/", 1)[1])


def shown_position(page):
    return until(
        page,
        "(() => { const q = document.getElementById('here-queue');"
        " return q && !q.hidden && document.getElementById('here-position').textContent; })()",
        "the list's position shown",
    )


def on_item(page, name, position):
    """Wait until the page of ``name`` is open and says it is ``position`` of the list."""
    until(page, f"decodeURIComponent(location.pathname).endsWith({json.dumps('/' + name)})", f"{name} opened")
    assert shown_position(page) == position


def queue_of(page):
    return page.evaluate("JSON.parse(sessionStorage.getItem('mediacaster.here'))")


def test_play_all_here_plays_a_folder_through_with_next_and_previous(page, site):
    page.goto(f"{site.url}/library/here/Album")
    click_injected(page, {"data-play-here": json.dumps({"folder": "here/Album"}), "data-title": "Album"})
    on_item(page, ALBUM[0], "1 of 5")
    assert page.evaluate("document.getElementById('here-title').textContent") == "Album"
    assert page.evaluate("document.getElementById('here-previous').disabled")
    assert page.evaluate("(document.getElementById('up-next') || {hidden: true}).hidden")
    # The first one plays to its end, and the next one starts by itself.
    on_item(page, ALBUM[1], "2 of 5")
    until(page, "(() => { const m = document.getElementById('player'); return m && m.currentTime > 0.2; })()",
          "the second file playing")  # fmt: skip
    page.click("#here-next")
    on_item(page, ALBUM[2], "3 of 5")
    page.click("#here-previous")
    on_item(page, ALBUM[1], "2 of 5")
    # The video among the songs plays in the same list; the last one ends the list.
    page.click("#here-next")
    on_item(page, ALBUM[2], "3 of 5")
    page.click("#here-next")
    on_item(page, ALBUM[3], "4 of 5")
    assert page.evaluate("document.getElementById('player').tagName") == "VIDEO"
    page.click("#here-next")
    on_item(page, ALBUM[4], "5 of 5")
    assert page.evaluate("document.getElementById('here-next').disabled")
    said = until(
        page,
        "(() => { const s = document.getElementById('player-state');"
        " return s.textContent.startsWith('That was the last') && s.textContent; })()",
        "the end of the list said",
    )
    assert said == "That was the last of Album."
    assert file_name(page) == ALBUM[4]


def test_shuffle_here_plays_each_file_once(page, site):
    page.goto(f"{site.url}/library/here/Album")
    spec = {"folder": "here/Album", "shuffle": True}
    click_injected(page, {"data-play-here": json.dumps(spec), "data-title": "Album"})
    shown_position(page)
    queue = queue_of(page)
    names = [item["name"] for item in queue["items"]]
    assert sorted(names) == sorted(ALBUM)  # each once, and nothing but the folder's media
    assert file_name(page) == names[0]


def test_a_selection_plays_in_the_listings_order(page, site):
    page.goto(f"{site.url}/library/here/Album")
    # Ticked last first: the list still follows the rows.
    for name in ("10 Tenth.mp3", "3 Third.ogg", "01 First.mp3"):
        page.check(f"input.pick[value={json.dumps(json.dumps('here/Album/' + name))}]")
    click_injected(page, {"data-play-here-selection": ""})
    on_item(page, "01 First.mp3", "1 of 3")
    names = [item["name"] for item in queue_of(page)["items"]]
    assert names == ["01 First.mp3", "3 Third.ogg", "10 Tenth.mp3"]
    assert queue_of(page)["title"] == "3 files"


def test_a_search_plays_here(page, site):
    page.goto(f"{site.url}/search?q=bonus")
    click_injected(page, {"data-play-here": json.dumps({"search": "bonus"}), "data-title": "“bonus”"})
    on_item(page, "Bonus.mp3", "1 of 1")


def test_a_file_outside_the_list_shows_no_list(page, site):
    page.goto(f"{site.url}/library/here/Album")
    click_injected(page, {"data-play-here": json.dumps({"folder": "here/Album"}), "data-title": "Album"})
    shown_position(page)
    page.goto(f"{site.url}/library/here/Album/Extras/Bonus.mp3")
    until(page, "document.getElementById('player-box').dataset.manifest !== undefined", "the player ready")
    assert page.evaluate("document.getElementById('here-queue').hidden")


def test_the_list_fits_a_phone(browser, site):
    context = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True)
    page = context.new_page()
    try:
        page.goto(f"{site.url}/library/here/Long")
        click_injected(page, {"data-play-here": json.dumps({"folder": "here/Long"}), "data-title": "Long"})
        on_item(page, "A.mp3", "1 of 3")
        layout = page.evaluate(
            """(() => {
              const controls = [...document.querySelectorAll('#here-queue button')];
              const box = (c) => c.getBoundingClientRect();
              return {
                overflow: document.documentElement.scrollWidth > innerWidth,
                outside: controls.filter((c) => box(c).right > innerWidth).map((c) => c.id),
                small: controls.filter((c) => box(c).height < 44).map((c) => c.id),
                rows: new Set(controls.map((c) => Math.round(box(c).top))).size,
              };
            })()"""
        )
        assert layout == {"overflow": False, "outside": [], "small": [], "rows": 1}
    finally:
        context.close()


def test_nothing_to_play_is_said_in_words(page, site):
    page.goto(f"{site.url}/library/here/Album/Extras")
    spec = {"folder": "here/Album/Missing"}
    click_injected(page, {"data-play-here": json.dumps(spec), "data-title": "Missing"})
    said = until(
        page,
        "(() => { const b = document.getElementById('cast-message');"
        " return b.dataset.kind === 'error' && b.textContent; })()",
        "an error said",
    )
    assert said.startswith("Could not play Missing here: "), said
    assert page.url.endswith("/library/here/Album/Extras")


# -- the Media Session ------------------------------------------------------------------

METADATA = """(() => {
  const m = navigator.mediaSession.metadata;
  return m && {title: m.title, artist: m.artist, album: m.album, artwork: m.artwork.map((a) => a.src)};
})()"""


def test_the_media_session_names_the_song_and_drives_the_list(page, site):
    page.goto(f"{site.url}/library/here/Long")
    click_injected(page, {"data-play-here": json.dumps({"folder": "here/Long"}), "data-title": "Long"})
    on_item(page, "A.mp3", "1 of 3")
    # Named by the file until it has been read (its page may come first), then by its tags.
    until(page, "(() => { const m = navigator.mediaSession.metadata; return m && m.title === 'Long A'; })()",
          "the song's title in the Media Session")  # fmt: skip
    metadata = page.evaluate(METADATA)
    assert metadata["artist"] == "The Drones"
    assert metadata["album"] == "Hum"
    assert len(metadata["artwork"]) == 1 and "/picture/here/Long/A.mp3?" in metadata["artwork"][0]
    handlers = page.evaluate("Object.entries(window.__handlers).filter(([, h]) => h).map(([a]) => a).sort()")
    assert handlers == ["nexttrack", "pause", "play", "seekbackward", "seekforward", "seekto"]
    # What a lock screen does: pause, seek, then next; and back.
    until(page, "!document.getElementById('player').paused", "playing")
    page.evaluate("window.__handlers.pause()")
    assert page.evaluate("document.getElementById('player').paused")
    assert page.evaluate("navigator.mediaSession.playbackState") == "paused"
    page.evaluate("window.__handlers.seekto({action: 'seekto', seekTime: 20})")
    assert page.evaluate("document.getElementById('player').currentTime") == pytest.approx(20, abs=0.1)
    page.evaluate("window.__handlers.seekbackward({action: 'seekbackward'})")
    assert page.evaluate("document.getElementById('player').currentTime") == pytest.approx(10, abs=0.1)
    page.evaluate("window.__handlers.play()")
    until(page, "navigator.mediaSession.playbackState === 'playing'", "playing again")
    page.evaluate("window.__handlers.nexttrack()")
    on_item(page, "B.mp3", "2 of 3")
    until(page, "(() => { const m = navigator.mediaSession.metadata; return m && m.title === 'Long B'; })()",
          "the second song's metadata")  # fmt: skip
    assert page.evaluate("Boolean(window.__handlers.previoustrack && window.__handlers.nexttrack)")
    page.evaluate("window.__handlers.previoustrack()")
    on_item(page, "A.mp3", "1 of 3")


def test_up_next_gives_the_media_session_a_next_track(page, site):
    page.goto(f"{site.url}/library/here/Long/B.mp3")
    until(page, "(() => { const m = navigator.mediaSession.metadata; return m && m.title === 'Long B'; })()",
          "the Media Session's metadata")  # fmt: skip
    handlers = page.evaluate("Object.entries(window.__handlers).filter(([, h]) => h).map(([a]) => a)")
    assert "nexttrack" in handlers and "previoustrack" not in handlers
    page.evaluate("window.__handlers.nexttrack()")
    until(page, "location.pathname.endsWith('/Long/C.mp3')", "the folder's next song")


# -- the TV remote on the lock screen ----------------------------------------------------

TV = "Kitchen TV"
TV_ADDRESS = "127.0.0.37"  # this module's own device: no other test drives it


@pytest.fixture(scope="module")
def tv():
    device = FakeChromecast(TV, "Chromecast", TV_ADDRESS, port=8009, eureka=True).start()
    yield device
    device.stop()


@pytest.fixture
def site_with_tv(library, redis_server, tv, tmp_path):
    found = {
        "mediacaster.discovery": "true",
        "mediacaster.discovery_interfaces": "127.0.0.1",
        "mediacaster.known_hosts": TV_ADDRESS,
    }
    with serving({"here": library}, redis_server.url, tmp_path, **found) as server:
        yield server


CALL = """async ([method, url, body]) => {
  const session = await (await fetch('/api/session')).json();
  const response = await fetch(url, {method, body: JSON.stringify(body),
    headers: {'Content-Type': 'application/json', 'X-CSRF-Token': session.csrf_token}});
  return [response.status, await response.json()];
}"""


def test_the_media_session_drives_the_tv_when_the_page_plays_nothing(page, site_with_tv, tv):
    page.goto(f"{site_with_tv.url}/library/here/Long")
    # The TV is found (discovery), chosen, and a song cast to it, as the page's buttons do.
    found = "fetch('/api/devices').then((r) => r.json()).then((d) => d.devices.some((x) => x.online))"
    until(page, found, "the TV found")
    assert page.evaluate(CALL, ["PUT", "/api/session/device", {"device": TV}])[0] == 200
    status, _ = page.evaluate(CALL, ["POST", "/api/cast", {"path": "here/Long/B.mp3"}])
    assert status == 200
    page.reload()
    title = until(page, "(() => { const m = navigator.mediaSession.metadata; return m && m.title; })()",
                  "the device's media in the Media Session")  # fmt: skip
    assert title == page.evaluate("document.getElementById('np-title').textContent")
    assert page.evaluate("navigator.mediaSession.metadata.artist") == TV
    handlers = page.evaluate("Object.entries(window.__handlers).filter(([, h]) => h).map(([a]) => a).sort()")
    assert handlers == ["pause", "play", "seekbackward", "seekforward", "seekto", "stop"]
    until(page, "navigator.mediaSession.playbackState === 'playing'", "the TV playing")
    page.evaluate("window.__handlers.pause()")  # the lock screen's pause
    until(page, "navigator.mediaSession.playbackState === 'paused'", "the TV paused")
    assert tv.player_state == "PAUSED"
    page.evaluate("window.__handlers.seekto({action: 'seekto', seekTime: 30})")
    until(page, "Number(document.getElementById('np-seek').value) >= 29", "the TV at 30 s")

"""Resume in Chromium: the file page's player tells the server where the user is while it
plays and when it pauses, and the next day, on another browser, the page offers "Resume at
…" or "Start over", per user."""

import re
import time

import pytest

from mediacaster import main
from mediacaster.services import accounts, history
from mediacaster.templating import duration
from tests.common.app import app_settings
from tests.common.chromium import chromium
from tests.common.mediafiles import ffmpeg, long_film
from tests.common.servers import LiveServer
from tests.functional.test_browser import wait_until
from tests.functional.test_browser_player import current_time, plays_from, seek, until

pytestmark = pytest.mark.browser

FILM = "Heat.mp4"
PASSWORD = "correct horse"


@pytest.fixture(scope="module")
def films(tmp_path_factory):
    folder = tmp_path_factory.mktemp("resume-films")
    long_film(folder / FILM, 600)
    return folder


@pytest.fixture(scope="module")
def shows(tmp_path_factory):
    """Two 2-second episodes, and an album of two 1-second songs."""
    base = tmp_path_factory.mktemp("resume-shows")
    (base / "Show").mkdir()
    (base / "Album").mkdir()
    for name in ("e1.mp4", "e2.mp4"):
        long_film(base / "Show" / name, 2)
    for name in ("1 one.m4a", "2 two.m4a"):
        ffmpeg(
            "-f", "lavfi", "-i", "sine=frequency=440:duration=1", "-c:a", "aac", str(base / "Album" / name)
        )
    return base


@pytest.fixture(scope="module")
def app(films, shows, redis_server, tmp_path_factory):
    data = tmp_path_factory.mktemp("resume-data")
    settings = {
        "mediacaster.data_dir": str(data),
        "mediacaster.auth": "true",
        "mediacaster.database_url": f"sqlite:///{data / 'db'}",
        "mediacaster.progress_interval": "0.5",
    }
    app = main({}, **app_settings({"films": films, "shows": shows}, redis_server.url, **settings))
    with app.registry.services.database.sessions.begin() as session:
        for name in ("anna", "ben"):
            accounts.add_user(session, name, PASSWORD)
    yield app
    app.registry.services.close()


@pytest.fixture(scope="module")
def site(app):
    with LiveServer(app, threads=8) as server:
        yield server


@pytest.fixture(scope="module")
def browser():
    with chromium("--autoplay-policy=no-user-gesture-required") as browser:
        yield browser


def place(app, name="anna"):
    with app.registry.services.database.sessions() as session:
        return history.place(session, accounts.find(session, name).id, "films", FILM)


def open_as(browser, site, name):
    """A new browser (context) logged in as ``name``, on the film's page, its player ready."""
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    page = context.new_page()
    page.goto(f"{site.url}/login?next=/library/films/{FILM}")
    page.fill("#login-name", name)
    page.fill("#login-password", PASSWORD)
    page.click("#login button[type=submit]")
    until(page, "document.getElementById('player-box')?.dataset.manifest === 'file'", what="the player")
    return context, page


def test_where_one_stopped_is_offered_on_another_browser_and_only_to_them(browser, site, app):
    context, page = open_as(browser, site, "anna")
    assert not page.is_visible("#resume-choice")  # nothing to resume yet
    page.evaluate("void document.getElementById('player').play()")
    plays_from(page, 0)
    seek(page, 200)
    plays_from(page, 200)
    # Saved while it plays, not only when it stops: the browser may be closed any time.
    saved = None
    deadline = time.monotonic() + 10
    while not (saved and saved.position > 200):
        assert time.monotonic() < deadline, "no position saved while it played"
        time.sleep(0.1)
        saved = place(app)
    assert not page.evaluate("document.getElementById('player').paused")
    page.evaluate("document.getElementById('player').pause()")
    paused_at = current_time(page)
    deadline = time.monotonic() + 5
    while abs(place(app).position - paused_at) > 0.2:
        assert time.monotonic() < deadline, "the position at the pause was not saved"
        time.sleep(0.1)
    context.close()

    # Another browser, the same user: offered to resume there, the film loaded there.
    context, page = open_as(browser, site, "anna")
    choice = page.locator("#resume-choice")
    assert choice.is_visible()
    assert page.text_content("#resume").strip() == f"Resume at {duration(place(app).resume_at)}"
    assert current_time(page) == pytest.approx(paused_at, abs=1.5)
    page.click("#resume")
    plays_from(page, paused_at - 1)
    assert not choice.is_visible()
    page.reload()
    until(page, "document.getElementById('player-box')?.dataset.manifest === 'file'", what="the player")
    page.click("#start-over")
    until(
        page,
        "(() => { const v = document.getElementById('player'); return !v.paused && v.currentTime > 0.5"
        " && v.currentTime < 30; })()",
        what="playing from the start",
    )
    context.close()

    # Another user: nothing to resume.
    context, page = open_as(browser, site, "ben")
    assert page.locator("#resume-choice").count() == 0
    assert current_time(page) < 1
    context.close()


def test_a_folder_is_marked_watched_from_its_page_and_its_rows_say_so(browser, site, app):
    context, page = open_as(browser, site, "anna")
    page.goto(f"{site.url}/library/films")
    row = page.locator(f"tr[data-path='{FILM}']")
    assert row.locator(".watched").count() == 0
    for label, said, ticks in (
        ("Mark all as watched", "Marked 1 file as watched.", 1),
        ("Mark all as unwatched", "Marked 1 file as unwatched.", 0),
    ):
        page.click("summary[aria-label='More for films']")
        page.click(f"text={label}")
        wait_until(page, f"document.getElementById('cast-message').textContent === {said!r}")
        wait_until(page, f"document.querySelectorAll('tr .watched').length === {ticks}")
        assert place(app).watched == bool(ticks) and place(app).position == 0
    context.close()


def test_the_next_episode_follows_after_a_countdown_and_the_next_song_at_once(browser, site):
    context, page = open_as(browser, site, "anna")
    here = "return location.pathname + location.search"
    # Cancelled: the page stays where it is.
    page.goto(f"{site.url}/library/shows/Show/e1.mp4?play=1")
    wait_until(page, "!document.getElementById('up-next').hidden", timeout=20000)
    assert "e2.mp4" in page.text_content("#up-next") and "in 10 s" in page.text_content("#up-next-count")
    page.click("#cancel-next")
    assert page.locator("#up-next").is_hidden()
    time.sleep(11)
    assert page.evaluate(f"(() => {{ {here} }})()") == "/library/shows/Show/e1.mp4?play=1"
    # Or played at once, and it plays.
    page.evaluate("void document.getElementById('player').play()")
    wait_until(page, "!document.getElementById('up-next').hidden", timeout=20000)
    page.click("#play-next")
    # Waited for outside the page: a script polling in it dies with it as it goes.
    page.wait_for_url(re.compile(r"/library/shows/Show/e2\.mp4\?play=1$"), timeout=20000)
    wait_until(page, "document.getElementById('player')?.currentTime > 0.5", timeout=20000)
    # A song goes on to the next at once.
    page.goto(f"{site.url}/library/shows/Album/1%20one.m4a?play=1")
    page.wait_for_url(re.compile(r"/library/shows/Album/2%20two\.m4a\?play=1$"), timeout=20000)
    wait_until(page, "document.getElementById('player')?.currentTime > 0.3", timeout=20000)
    context.close()

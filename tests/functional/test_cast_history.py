"""What plays on the TV is followed as it plays: its position is saved every few seconds
for the user who cast it (the TV may be switched off: no stop ever comes), at once when it
pauses, as watched when it plays to its end; and when another sender takes over or stops
it, the API says so within a second and the saves stop."""

import time

import pychromecast
import pytest
from playwright.sync_api import expect

from mediacaster.services import accounts, history
from mediacaster.services.accounts import token_hash
from tests.common.app import wait_for
from tests.common.chromium import chromium
from tests.common.mediafiles import long_film
from tests.functional.test_browser import open_and_choose_tv
from tests.functional.test_cast_audio import another_sender_loads
from tests.functional.test_cast_converted import TV, app_with_the_tv

pytestmark = pytest.mark.slow

FILM, CLIP = "Heat.mp4", "Clip.mp4"
LENGTH = 600  # seconds: long enough to be resumed


@pytest.fixture(scope="module")
def films(tmp_path_factory):
    """A 10-minute film at one frame a second (made in a second), and a short clip."""
    folder = tmp_path_factory.mktemp("films")
    for name, seconds in ((FILM, LENGTH), (CLIP, 20)):
        long_film(folder / name, seconds)
    return folder


def app_with_users(make_app, roots, database, interval, names=("anna", "ben")):
    """The app with the TV, logins on and these users (each with the token "<name>-token"),
    positions followed every ``interval`` seconds."""
    app = app_with_the_tv(
        make_app,
        roots,
        **{
            "mediacaster.auth": "true",
            "mediacaster.database_url": f"sqlite:///{database}",
            "mediacaster.progress_interval": str(interval),
        },
    )
    with app.registry.services.database.sessions.begin() as session:
        for name in names:
            user = accounts.add_user(session, name, "correct horse")
            session.add(accounts.ApiToken(user=user, name="script", token_hash=token_hash(f"{name}-token")))
    return app


@pytest.fixture
def app(make_app, films, tv, tmp_path):
    return app_with_users(make_app, {"m": films}, tmp_path / "db", 0.5)


@pytest.fixture
def http(app, server_for):
    client = server_for(app)
    client.extra_environ["HTTP_AUTHORIZATION"] = "Bearer anna-token"
    return client


def place(app, name="anna"):
    with app.registry.services.database.sessions() as session:
        return history.place(session, accounts.find(session, name).id, "m", FILM)


def cast(http, start):
    return http.post_json("/api/cast", {"path": f"m/{FILM}", "device": TV, "start": start}).json


def status(http):
    return http.get("/api/status", {"device": TV}).json


def test_the_position_is_saved_while_it_plays_and_at_once_when_it_pauses(app, http, tv):
    cast(http, 300)
    saved = wait_for(lambda: (p := place(app)) and p.position > 301 and p, 20, "a position saved")
    assert tv.player_state == "PLAYING" and saved.duration == pytest.approx(LENGTH, abs=1)
    assert saved.resume_at == saved.position and not saved.watched
    wait_for(lambda: place(app).position > saved.position + 0.4, 20, "the next save")
    http.post_json("/api/player/pause", {"device": TV})
    paused_at = tv.position()
    wait_for(lambda: abs(place(app).position - paused_at) < 0.3, 5, "the position at the pause")
    assert place(app, "ben") is None  # anna's, not everyone's


def test_playing_to_the_end_counts_as_watched(app, http, tv):
    cast(http, LENGTH - 2)
    wait_for(lambda: tv.player_state == "IDLE", 10, "the end")
    finished = wait_for(lambda: (p := place(app)) and p.watched and p, 5, "watched")
    assert finished.resume_at is None and finished.fraction == 1.0
    assert status(http)["interrupted"] is None  # ended, not interrupted


def test_another_sender_taking_over_is_told_within_a_second_and_the_saves_stop(app, http, tv):
    cast(http, 300)
    wait_for(lambda: place(app) is not None, 10, "a position saved")
    assert status(http)["interrupted"] is None
    clip = http.get(f"/api/library/m/{CLIP}").json["stream_url"]
    another_sender_loads(tv, clip, "video/mp4")
    told = time.monotonic()
    wait_for(lambda: status(http)["interrupted"] == "taken_over", 1.0, "the API saying so")
    assert time.monotonic() - told < 1.0
    # Its last position is saved as it is let go; nothing after that.
    watcher = app.registry.services.cast.watcher
    wait_for(lambda: not watcher.urls(str(tv.uuid)), 5, "the device to be let go")
    stopped_at = place(app).position
    time.sleep(1.5)
    assert place(app).position == stopped_at
    assert status(http)["audio_tracks"] == []


def test_another_sender_closing_the_player_is_told_and_our_own_stop_is_not(app, http, tv):
    cast(http, 300)
    phone = pychromecast.get_chromecast_from_host(
        (tv.address, tv.port, tv.uuid, tv.model, tv.name), timeout=5
    )
    phone.wait(timeout=10)
    try:
        phone.quit_app()
        wait_for(lambda: status(http)["interrupted"] == "stopped", 5.0, "the API saying so")
    finally:
        phone.disconnect(timeout=5)
    cast(http, 300)
    http.post_json("/api/player/stop", {"device": TV})
    assert status(http)["interrupted"] is None


@pytest.mark.browser
def test_casting_again_offers_to_resume_where_the_tv_was(make_app, films, tv, server_for):
    """In Chromium: the Cast button of a film stopped on the TV asks "Resume at …" or "Start over"."""
    http = server_for(app_with_the_tv(make_app, {"m": films}, **{"mediacaster.progress_interval": "0.5"}))
    http.post_json("/api/cast", {"path": f"m/{FILM}", "device": TV, "start": 300})
    http.post_json("/api/player/pause", {"device": TV})
    paused_at = tv.position()
    wait_for(
        lambda: abs((http.get(f"/api/progress/m/{FILM}").json["resume_at"] or 0) - paused_at) < 0.3,
        5,
        "saved",
    )
    with chromium() as browser:
        page = browser.new_context(viewport={"width": 1100, "height": 720}).new_page()
        open_and_choose_tv(page, f"http://{http.extra_environ['HTTP_HOST']}/library/m")
        page.get_by_role("button", name=f"Cast {FILM}").click()
        resume = page.get_by_role("button", name="Resume at 5:0")
        expect(resume).to_be_visible()
        loads = len(tv.loads)
        resume.click()
        expect(page.locator("#cast-message")).to_have_text(f"Playing {FILM} on {TV}.", timeout=15000)
        assert len(tv.loads) == loads + 1 and tv.loads[-1][1]["currentTime"] == pytest.approx(
            paused_at, abs=0.5
        )
        page.get_by_role("button", name=f"Cast {FILM}").click()
        page.get_by_role("button", name="Start over").click()
        expect(page.locator("#cast-message")).to_have_text(f"Playing {FILM} on {TV}.", timeout=15000)
        assert tv.loads[-1][1].get("currentTime") in (None, 0)


@pytest.mark.browser
def test_the_bar_says_when_another_sender_takes_the_tv(make_app, films, tv, server_for):
    http = server_for(app_with_the_tv(make_app, {"m": films}))
    with chromium() as browser:
        page = browser.new_context(viewport={"width": 1100, "height": 720}).new_page()
        open_and_choose_tv(page, f"http://{http.extra_environ['HTTP_HOST']}/library/m")
        page.get_by_role("button", name=f"Cast {FILM}").click()
        expect(page.locator("#cast-message")).to_have_text(f"Playing {FILM} on {TV}.", timeout=15000)
        note = page.locator("#np-note")
        expect(note).to_be_hidden()
        another_sender_loads(tv, http.get(f"/api/library/m/{CLIP}").json["stream_url"], "video/mp4")
        expect(note).to_have_text("Another sender took over", timeout=3000)  # the bar asks every second

"""Queues on the fake Chromecast, end to end: a folder plays through by itself (the next
item queued on the device with QUEUE_INSERT ahead of the end), an item that will not play
is skipped with a note, next/previous/jump, shuffle and repeat, and another sender taking
the device stops the queue without a fight."""

import shutil
import time
from datetime import datetime, timezone

import pytest
from playwright.sync_api import expect

from mediacaster.models.accounts import as_utc
from mediacaster.schemas.requests import QUEUE_ACTIONS
from mediacaster.services import accounts, history, queues
from tests.common.app import wait_for
from tests.common.chromium import chromium
from tests.common.mediafiles import long_film
from tests.functional.test_browser import open_and_choose_tv
from tests.functional.test_cast_audio import another_sender_loads
from tests.functional.test_cast_converted import TV, app_with_the_tv
from tests.functional.test_cast_history import app_with_users

pytestmark = pytest.mark.slow

SHORT = ("01 Intro.mp4", "03 Theme.mp4", "04 Outro.mp4")
BROKEN = "02 Broken.mp4"
FILMS = ("Alien.mp4", "Heat.mp4", "Ran.mp4")


@pytest.fixture(scope="module")
def library(tmp_path_factory):
    """An album of three 3-second clips and a broken file among them; three long films."""
    base = tmp_path_factory.mktemp("queues")
    (base / "Album").mkdir()
    (base / "Films").mkdir()
    for name in SHORT:
        long_film(base / "Album" / name, 3)
    (base / "Album" / BROKEN).write_bytes(b"not a film at all" * 100)
    for name in FILMS:
        long_film(base / "Films" / name, 600)
    return base


@pytest.fixture
def app(make_app, library, tv, tmp_path):
    # The progress interval at its default: the queue moves on by the device's statuses.
    return app_with_users(make_app, {"m": library}, tmp_path / "db", 10, names=("anna",))


@pytest.fixture
def http(app, server_for):
    client = server_for(app)
    client.extra_environ["HTTP_AUTHORIZATION"] = "Bearer anna-token"
    return client


def start(http, **body):
    return http.post_json("/api/queue", {"device": TV, **body}).json["queue"]


def act(http, action, status=200, **body):
    return http.post_json(f"/api/queue/{action}", {"device": TV, **body}, status=status).json


def queue(http):
    return http.get("/api/queue", {"device": TV}).json["queue"]


def played_names(tv, since=0):
    """The files the device started, by name, in order."""
    return [url.split("?")[0].rsplit("/", 1)[-1].replace("%20", " ") for _, url in tv.played[since:]]


def test_a_folder_plays_through_by_itself_skipping_what_will_not_play(app, http, tv):
    since, inserts = len(tv.played), len(tv.inserts)
    started = start(http, folder="m/Album")
    assert [item["name"] for item in started["items"]] == [SHORT[0], BROKEN, *SHORT[1:]]
    assert started["items"][0]["playing"] and started["state"] == "playing"
    ended = wait_for(lambda: (q := queue(http))["state"] == "ended" and q, 30, "the queue to end")
    assert played_names(tv, since) == list(SHORT)
    assert len(tv.inserts) - inserts == 2  # the device was told what comes next, ahead of the end
    broken = ended["items"][1]
    assert broken["skipped"].startswith(f"{BROKEN} will not play on {TV}: unreadable")
    assert any(BROKEN in note for note in ended["notes"])
    # Each played to its end: watched.
    with app.registry.services.database.sessions() as session:
        anna = accounts.find(session, "anna").id
        assert all(history.place(session, anna, "m", f"Album/{name}").watched for name in SHORT)


def test_next_previous_and_jump_move_on_the_device(http, tv):
    start(http, paths=[f"m/Films/{name}" for name in FILMS])
    assert queue(http)["position"] == 0
    since = len(tv.played)
    moved = act(http, "next")["queue"]
    wait_for(lambda: queue(http)["position"] == 1, 10, "the device on the next item")
    assert played_names(tv, since) == [FILMS[1]] and moved["state"] == "playing"
    act(http, "previous")
    wait_for(lambda: queue(http)["position"] == 0, 10, "the previous item")
    act(http, "jump", position=2)
    wait_for(lambda: queue(http)["position"] == 2, 10, "the item jumped to")
    assert played_names(tv, since) == [FILMS[1], FILMS[0], FILMS[2]]
    refused = act(http, "next", status=409)
    assert refused["detail"] == "this is the last item of the queue"
    act(http, "jump", status=409, position=7)


def test_shuffle_and_repeat(http, tv):
    shuffled = start(http, paths=[f"m/Films/{name}" for name in FILMS], start=1, shuffle=True)
    assert shuffled["shuffle"] and shuffled["items"][0]["name"] == FILMS[1]
    assert sorted(item["name"] for item in shuffled["items"]) == sorted(FILMS)
    back = act(http, "shuffle", on=False)["queue"]
    assert [item["name"] for item in back["items"]] == list(FILMS) and back["position"] == 1
    # Repeat one: the device plays the item again by itself.
    since = len(tv.played)
    start(http, paths=[f"m/Album/{SHORT[0]}", f"m/Album/{SHORT[1]}"], repeat="one")
    assert tv.repeat == "REPEAT_SINGLE"
    wait_for(lambda: played_names(tv, since)[:3] == [SHORT[0]] * 3, 15, "the item played again")
    # Repeat all: back to the first after the last.
    act(http, "repeat", mode="all")
    assert tv.repeat == "REPEAT_OFF"
    wait_for(lambda: SHORT[1] in played_names(tv, since), 15, "the second item")
    seen = len(played_names(tv, since))
    wait_for(lambda: played_names(tv, since)[seen : seen + 1] == [SHORT[0]], 15, "the first again")
    assert queue(http)["state"] == "playing"
    act(http, "stop")
    assert queue(http)["state"] == "stopped"


def test_another_sender_taking_the_device_stops_the_queue(http, tv):
    start(http, paths=[f"m/Album/{name}" for name in SHORT])
    clip = http.get(f"/api/library/m/Films/{FILMS[0]}").json["stream_url"]
    another_sender_loads(tv, clip, "video/mp4")
    wait_for(lambda: queue(http)["state"] == "taken_over", 10, "the queue stopping")
    since = len(tv.played)
    time.sleep(4)  # longer than a clip: the queue does not take the device back
    assert tv.played[since:] == []
    assert http.get("/api/status", {"device": TV}).json["interrupted"] == "taken_over"
    assert act(http, "next", status=409)["detail"].startswith(f"the queue on {TV} is taken over")


def test_adding_and_playing_next(http, tv):
    start(http, paths=[f"m/Films/{FILMS[0]}"])
    added = act(http, "add", paths=[f"m/Films/{FILMS[1]}"])["queue"]
    assert [item["name"] for item in added["items"]] == [FILMS[0], FILMS[1]]
    next_up = act(http, "add", paths=[f"m/Films/{FILMS[2]}"], next=True)["queue"]
    assert [item["name"] for item in next_up["items"]] == [FILMS[0], FILMS[2], FILMS[1]]
    act(http, "next")
    wait_for(lambda: queue(http)["items"][1]["playing"], 10, "the item played next")


def test_a_device_that_stops_answering_stops_the_queue_and_says_so(app, http, tv):
    start(http, paths=[f"m/Films/{name}" for name in FILMS])
    services = app.registry.services
    services.cast.load_timeout, saved = 0.5, services.cast.load_timeout
    tv.drop_next_loads = 2  # the LOAD of the next item, and its second try
    try:
        error = act(http, "next", status=504)
    finally:
        tv.drop_next_loads, services.cast.load_timeout = 0, saved
    assert error["error"] == "device_timeout"
    assert queue(http)["state"] == "stopped"  # not left "playing" with nothing following it


def test_what_a_queue_cannot_be(http):
    refused = http.post_json("/api/queue", {"device": TV, "paths": ["m/Album"]}, status=422).json
    assert "nothing to play" in refused["detail"]
    http.post_json("/api/queue", {"device": TV, "folder": "m/nowhere"}, status=404)
    assert (
        http.post_json("/api/queue", {"device": TV}, status=422)
        .json["detail"]
        .startswith("name what to play")
    )
    assert http.get("/api/queue", {"device": TV}).json == {"queue": None}


@pytest.mark.parametrize("action", ["", *(f"/{name}" for name in QUEUE_ACTIONS)])
def test_another_sites_page_cannot_drive_a_queue(http, tv, action):
    loads = len(tv.loads)
    cross = {"Origin": "https://elsewhere.example", "Sec-Fetch-Site": "cross-site"}
    body = {"device": TV, "paths": [f"m/Films/{FILMS[0]}"], "position": 0, "on": True, "mode": "all"}
    refused = http.post_json(f"/api/queue{action}", body, headers=cross, status=403).json
    assert refused["error"] == "cross_site" and len(tv.loads) == loads


@pytest.mark.browser
def test_the_bar_plays_a_folder_shows_its_queue_and_jumps(make_app, library, tv, server_for):
    """In Chromium: Play all on a folder's page, the bar's queue panel, a jump, next."""
    http = server_for(app_with_the_tv(make_app, {"m": library}))
    with chromium() as browser:
        page = browser.new_context(viewport={"width": 1100, "height": 720}).new_page()
        open_and_choose_tv(page, f"http://{http.extra_environ['HTTP_HOST']}/library/m/Films")
        since = len(tv.played)
        page.get_by_role("button", name="Play all on the TV").click()
        expect(page.locator("#cast-message")).to_have_text(f"Playing Films on {TV}: 3 items.", timeout=15000)
        toggle = page.locator("#np-queue-toggle")
        expect(toggle).to_have_text("Queue 1/3")
        toggle.click()
        items = page.locator("#np-queue button")
        expect(items).to_have_text(list(FILMS))
        expect(items.nth(0)).to_have_attribute("aria-current", "true")
        items.nth(2).click()
        expect(toggle).to_have_text("Queue 3/3", timeout=10000)
        page.get_by_role("button", name="Previous").click()
        expect(toggle).to_have_text("Queue 2/3", timeout=10000)
        assert played_names(tv, since) == [FILMS[0], FILMS[2], FILMS[1]]
        # A row's menu: the song plays next.
        page.locator("tr .queue-menu summary").first.click()  # a row's, not the folder's
        page.get_by_role("button", name="Play next").first.click()
        expect(page.locator("#cast-message")).to_have_text(f"{FILMS[0]} plays next.", timeout=10000)
        expect(items).to_have_count(4)
        # The same menu marks a file watched, and its row shows it.
        row = page.locator(f'tr[data-path="Films/{FILMS[1]}"]')
        row.locator(".queue-menu summary").click()
        row.get_by_role("button", name="Mark as watched").click()
        expect(row.locator(".watched")).to_be_visible(timeout=10000)


@pytest.mark.browser
def test_files_picked_in_the_rows_play_together_and_join_the_queue(make_app, library, tv, server_for):
    """In Chromium: tick files, play them on the TV in the listing's order, tick more and
    add them to the end; images and folders have no tick."""
    http = server_for(app_with_the_tv(make_app, {"m": library}))
    with chromium() as browser:
        page = browser.new_context(viewport={"width": 1100, "height": 720}).new_page()
        open_and_choose_tv(page, f"http://{http.extra_environ['HTTP_HOST']}/library/m/Films")
        bar = page.locator("#selection")
        expect(bar).to_be_hidden()
        page.get_by_label(f"Select {FILMS[2]}").check()
        page.get_by_label(f"Select {FILMS[0]}").check()
        expect(page.locator("#selection-count")).to_have_text("2 selected")
        page.locator("#play-selection").click()
        expect(page.locator("#cast-message")).to_have_text(
            f"Playing 2 files on {TV}: 2 items.", timeout=15000
        )
        assert [item["name"] for item in queue(http)["items"]] == [FILMS[0], FILMS[2]]
        page.locator("#clear-selection").click()
        expect(bar).to_be_hidden()
        # A ticked row the filter hides is not played.
        page.get_by_label(f"Select {FILMS[0]}").check()
        page.fill("#filter", FILMS[1][:3])
        expect(bar).to_be_hidden()
        page.fill("#filter", "")
        page.locator("#clear-selection").click()
        page.get_by_label(f"Select {FILMS[1]}").check()
        page.locator("#queue-selection").click()
        expect(page.locator("#cast-message")).to_have_text(
            "1 file is at the end of the queue.", timeout=10000
        )
        assert [item["name"] for item in queue(http)["items"]] == [FILMS[0], FILMS[2], FILMS[1]]
        page.goto(f"http://{http.extra_environ['HTTP_HOST']}/library/m")
        assert page.locator("input.pick").count() == 0  # folders only
        assert page.locator("#selection").count() == 0


@pytest.mark.ffmpeg
def test_another_sound_track_keeps_the_queue_going(
    make_app, tmp_path_factory, typical_library, tv, server_for
):
    folder = tmp_path_factory.mktemp("queue-sound")
    shutil.copy(typical_library["two languages.mkv"], folder / "1 two languages.mkv")
    long_film(folder / "2 next.mp4", 600)
    http = server_for(app_with_the_tv(make_app, {"q": folder}))
    start(http, folder="q")
    http.post_json("/api/player/audio", {"device": TV, "track": 2})
    assert queue(http)["state"] == "playing" and queue(http)["position"] == 0
    since = len(tv.played)
    act(http, "next")
    wait_for(lambda: queue(http)["position"] == 1, 10, "the next item")
    assert played_names(tv, since) == ["2 next.mp4"]


def restarted_while_a_queue_plays(make_app, library, tv, server_for, tmp_path, state="playing"):
    """A film, then two clips, queued; the app stops (an update, say) while the TV plays
    on, and starts again, the queue left in ``state``. The new app, and when it started."""
    settings = {"mediacaster.database_url": f"sqlite:///{tmp_path / 'db'}"}
    first = app_with_the_tv(make_app, {"m": library}, **settings)
    files = [f"m/Films/{FILMS[0]}", f"m/Album/{SHORT[0]}", f"m/Album/{SHORT[1]}"]
    server_for(first).post_json("/api/queue", {"device": TV, "paths": files})
    first.registry.services.close()
    with first.registry.services.database.sessions.begin() as session:
        queues.touch(queues.current(session, None, str(tv.uuid)), state)
    restarted_at = datetime.now(timezone.utc)
    return app_with_the_tv(make_app, {"m": library}, **settings), restarted_at


def test_after_a_restart_the_queue_goes_on_by_itself(make_app, library, tv, server_for, tmp_path):
    since = len(tv.played)
    app, _ = restarted_while_a_queue_plays(make_app, library, tv, server_for, tmp_path)
    http = server_for(app)
    # A new connection learns what plays a moment after it is made, as the bar's polling sees.
    wait_for(lambda: http.get("/api/status", {"device": TV}).json["media"], 10, "the media status")
    assert queue(http)["position"] == 0  # listed, and followed again from here
    http.post_json("/api/player/seek", {"device": TV, "position": 597})
    wait_for(lambda: queue(http)["state"] == "ended", 30, "the queue to play on to its end")
    assert played_names(tv, since) == [FILMS[0], *SHORT[:2]]


@pytest.mark.parametrize("state", ["playing", "waiting"])
def test_after_a_restart_the_queue_goes_on_with_no_page_open(
    make_app, library, tv, server_for, tmp_path, state
):
    """ "waiting": the TV stopped answering before the app stopped, and plays on when it starts again."""
    since = len(tv.played)
    app, restarted_at = restarted_while_a_queue_plays(make_app, library, tv, server_for, tmp_path, state)
    services = app.registry.services

    def queue_row():
        with services.database.sessions() as session:
            return queues.current(session, None, str(tv.uuid))

    # Nobody asks the app anything: it follows the queue again once it finds the device.
    wait_for(lambda: as_utc(queue_row().updated_at) > restarted_at, 15, "the queue to be followed again")
    assert queue_row().state == "playing"
    services.cast.seek(TV, 597)
    wait_for(lambda: queue_row().state == "ended", 30, "the queue to play on to its end")
    assert played_names(tv, since) == [FILMS[0], *SHORT[:2]]

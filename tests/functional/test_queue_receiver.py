"""Queues on a receiver that behaves like Google's Default Media Receiver, as the fake
Chromecast does: a media status only on a change, never on a timer; its own move to the
next item queued there; LOAD_FAILED with the item's itemId, then IDLE/ERROR, for media it
cannot play; IDLE/INTERRUPTED before another sender's media. All at the default progress
interval (10 s), longer than the items."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from mediacaster.services import history, queues
from tests.common.app import wait_for
from tests.common.mediafiles import ffmpeg, long_film
from tests.functional.test_cast_audio import another_sender_loads
from tests.functional.test_cast_converted import TV, app_with_the_tv

pytestmark = [pytest.mark.slow]

ALBUM = ("01 Morning.m4a", "02 Noon.m4a", "03 Night.m4a")
SHOW = ("S01E01.mp4", "S01E02.mp4", "S01E03.mp4")
FILM = "Film.mp4"


@pytest.fixture(scope="module")
def library(tmp_path_factory):
    """An album of three 6-second songs, a show of three 8-second episodes, a 60-second film."""
    base = tmp_path_factory.mktemp("receiver-queues")
    (base / "Album").mkdir()
    (base / "Show").mkdir()
    for name in ALBUM:
        ffmpeg(
            *("-f", "lavfi", "-i", "sine=frequency=440:duration=6"),
            *("-c:a", "aac", "-b:a", "32k", "-metadata", "album=Day", str(base / "Album" / name)),
        )
    for name in SHOW:
        long_film(base / "Show" / name, 8)
    long_film(base / FILM, 60)
    return base


@pytest.fixture
def app(make_app, library, tv, tmp_path):
    """Logins off (one shared history), the progress interval left at its default."""
    return app_with_the_tv(
        make_app, {"m": library}, **{"mediacaster.database_url": f"sqlite:///{tmp_path / 'db'}"}
    )


@pytest.fixture
def http(app, server_for):
    return server_for(app)


@pytest.fixture
def unplayable(tv):
    """Names of the media the TV fetches but cannot decode, for one test."""
    yield tv.unplayable
    tv.unplayable.clear()


def queue_row(app, tv):
    """The queue as the database holds it: looked at without asking the app anything."""
    with app.registry.services.database.sessions() as session:
        return queues.current(session, None, str(tv.uuid))


def watched(app, path):
    with app.registry.services.database.sessions() as session:
        place = history.place(session, None, "m", path)
        return place is not None and place.watched


def played_names(tv, since):
    return [url.split("?")[0].rsplit("/", 1)[-1].replace("%20", " ") for _, url in tv.played[since:]]


def test_an_album_of_short_songs_plays_through_by_itself(app, http, tv):
    since, loads, inserts = len(tv.played), len(tv.loads), len(tv.inserts)
    http.post_json("/api/queue", {"device": TV, "folder": "m/Album"})
    # Nothing more is asked of the app: the queue goes on by the device's statuses alone.
    wait_for(lambda: queue_row(app, tv).state == "ended", 90, "the album to end")
    assert played_names(tv, since) == list(ALBUM)
    assert len(tv.loads) - loads == 1  # the first song; the device moved on to the others by itself
    assert len(tv.inserts) - inserts == 2
    assert all(watched(app, f"Album/{name}") for name in ALBUM)


def test_an_episode_the_tv_cannot_play_is_skipped_with_a_note(app, http, tv, unplayable):
    unplayable.add(SHOW[1])
    since = len(tv.played)
    http.post_json("/api/queue", {"device": TV, "folder": "m/Show"})
    wait_for(lambda: queue_row(app, tv).state == "ended", 90, "the show to end")
    assert played_names(tv, since) == [SHOW[0], SHOW[2]]
    ended = http.get("/api/queue", {"device": TV}).json["queue"]
    skipped = [item["skipped"] for item in ended["items"]]
    assert skipped[0] is None and skipped[2] is None
    assert skipped[1] == f"{SHOW[1]}: {TV} could not play it: the media could not be decoded"
    assert ended["notes"] == [f"Skipped: {skipped[1]}"]
    assert watched(app, f"Show/{SHOW[0]}") and watched(app, f"Show/{SHOW[2]}")
    assert not watched(app, f"Show/{SHOW[1]}")


def test_a_seek_into_the_last_seconds_still_reaches_the_next_item(app, http, tv):
    since = len(tv.played)
    http.post_json("/api/queue", {"device": TV, "paths": [f"m/{FILM}", f"m/Show/{SHOW[0]}"]})
    wait_for(lambda: tv.player_state == "PLAYING", 10, "the film playing")
    http.post_json("/api/player/seek", {"device": TV, "position": 58})
    wait_for(lambda: queue_row(app, tv).state == "ended", 60, "the queue to end")
    assert played_names(tv, since) == [FILM, SHOW[0]]
    assert watched(app, FILM) and watched(app, f"Show/{SHOW[0]}")


def test_a_pause_near_the_end_and_a_resume_still_reach_the_next_item(app, http, tv):
    since, inserts = len(tv.played), len(tv.inserts)
    http.post_json("/api/queue", {"device": TV, "paths": [f"m/{FILM}", f"m/Show/{SHOW[0]}"]})
    wait_for(lambda: tv.player_state == "PLAYING", 10, "the film playing")
    http.post_json("/api/player/seek", {"device": TV, "position": 50})  # a seek resumes play
    http.post_json("/api/player/pause", {"device": TV})
    # Paused in its last seconds: the device is told what comes next all the same.
    wait_for(lambda: len(tv.inserts) > inserts, 20, "the next episode queued on the device")
    assert tv.player_state == "PAUSED"
    http.post_json("/api/player/play", {"device": TV})
    wait_for(lambda: queue_row(app, tv).state == "ended", 60, "the queue to end")
    assert played_names(tv, since) == [FILM, SHOW[0]]
    assert watched(app, FILM) and watched(app, f"Show/{SHOW[0]}")


@pytest.fixture
def held_url():
    """A URL whose answer waits until the test lets it go, then redirects to the real one:
    the TV fetching another sender's media takes as long as the test needs."""
    gate, target = threading.Event(), []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            gate.wait(30)
            self.send_response(302)
            self.send_header("Location", target[0])
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()

    def make(url):
        target.append(url)
        return f"http://127.0.0.1:{server.server_address[1]}/phone.mp4"

    yield make, gate
    gate.set()
    server.shutdown()
    server.server_close()


def test_another_sender_takes_over_from_the_moment_it_interrupts(app, http, tv, held_url):
    make, gate = held_url
    http.post_json("/api/queue", {"device": TV, "paths": [f"m/{FILM}", f"m/Show/{SHOW[0]}"]})
    wait_for(lambda: tv.player_state == "PLAYING", 10, "the film playing")
    ours = tv.media["media"]["contentId"]
    clip = make(http.get(f"/api/library/m/Show/{SHOW[2]}").json["stream_url"])
    phone = threading.Thread(target=another_sender_loads, args=(tv, clip, "video/mp4"), daemon=True)
    phone.start()
    # The receiver tells IDLE/INTERRUPTED as the LOAD arrives, before it has the phone's media.
    wait_for(lambda: tv.player_state == "IDLE", 30, "the film interrupted")
    assert tv.media["idleReason"] == "INTERRUPTED" and tv.media["media"]["contentId"] == ours
    status = lambda: http.get("/api/status", {"device": TV}).json["interrupted"]  # noqa: E731
    state = lambda: http.get("/api/queue", {"device": TV}).json["queue"]["state"]  # noqa: E731
    wait_for(lambda: status() == "taken_over", 10, "the status saying so")
    wait_for(lambda: state() == "taken_over", 10, "the queue saying so")
    assert tv.player_state == "IDLE"  # the phone's media is still on its way
    gate.set()
    phone.join(30)
    wait_for(lambda: tv.player_state == "PLAYING", 10, "the phone's media playing")
    loads, since = len(tv.loads), len(tv.played)
    assert status() == "taken_over" and state() == "taken_over"
    # To the end of the phone's episode: the app takes nothing back.
    wait_for(lambda: tv.player_state == "IDLE", 60, "the phone's episode to end")
    assert len(tv.loads) == loads and tv.played[since:] == []
    assert queue_row(app, tv).state == "taken_over"


def test_a_device_that_stops_answering_stops_the_queue_the_second_time(app, http, tv):
    cast = app.registry.services.cast
    saved = cast.load_timeout, cast.command_timeout
    # The next episode never reaches the device; nor do the LOADs that follow the first
    # episode's end (each sent twice): two items in a row, and the queue stops.
    tv.drop_next_inserts, cast.command_timeout = 1, 0.5
    try:
        since = len(tv.played)
        http.post_json("/api/queue", {"device": TV, "paths": [f"m/Show/{name}" for name in SHOW]})
        tv.drop_next_loads, cast.load_timeout = 4, 0.5
        wait_for(lambda: queue_row(app, tv).state != "playing", 60, "the queue to stop")
    finally:
        tv.drop_next_inserts = tv.drop_next_loads = 0
        cast.load_timeout, cast.command_timeout = saved
    stopped = http.get("/api/queue", {"device": TV}).json["queue"]
    assert stopped["state"] == "stopped" and played_names(tv, since) == [SHOW[0]]
    skipped = [item["skipped"] for item in stopped["items"]]
    unanswered = f"{TV} did not confirm the cast within 0.5 s, twice"
    assert skipped == [None, f"{SHOW[1]}: {unanswered}", f"{SHOW[2]}: {unanswered}; the queue stopped there"]

"""Choosing the sound track of what plays on the TV: a cast with a chosen track, and a
switch while it plays, which casts the file again with the other track where it was.
The fake device receives the LOADs and fetches the HLS streams the app makes."""

import shutil
import threading

import pychromecast
import pytest
from playwright.sync_api import expect

from tests.common.app import wait_for
from tests.common.chromium import chromium
from tests.common.mediafiles import SRT
from tests.functional.test_cast_converted import TV, app_with_the_tv

pytestmark = pytest.mark.ffmpeg

FILM = "m/two languages.mkv"
# Its sound streams: 1, AC-3 5.1, the default; 2, AAC stereo.
DEFAULT, SECOND = 1, 2


@pytest.fixture(scope="module")
def library(tmp_path_factory, typical_library):
    folder = tmp_path_factory.mktemp("sound-tracks")
    for name in ("two languages.mkv", "phone.mp4"):
        shutil.copy(typical_library[name], folder / name)
    (folder / "two languages.en.srt").write_text(SRT, encoding="utf-8")
    return folder


@pytest.fixture
def start_app(make_app, library, tv, server_for):
    """Start the app (again: a restart) once it found the TV; a client of it on a real waitress."""
    return lambda: server_for(app_with_the_tv(make_app, {"m": library}))


@pytest.fixture
def http(start_app):
    return start_app()


def cast(http, **extra):
    return http.post_json("/api/cast", {"path": FILM, "device": TV, **extra}).json


def choose(http, track, status=200):
    return http.post_json("/api/player/audio", {"device": TV, "track": track}, status=status).json


def chosen(status):
    return [t["index"] for t in status["audio_tracks"] if t["chosen"]]


def loaded(tv):
    """The URL of the device's last LOAD, and the LOAD."""
    load = tv.loads[-1][1]
    return load["media"]["contentId"], load


def test_a_film_is_cast_with_the_sound_track_asked_for(http, tv):
    result = cast(http, audio=SECOND)
    url, load = loaded(tv)
    # The other track is not the file's default: the stream is repackaged with it alone.
    assert url == result["media_url"] and "/playlist/copy.copy.2/m/" in url
    assert result["delivery"] == "remux" and load["media"]["contentType"] == "application/x-mpegurl"
    tracks = result["status"]["audio_tracks"]
    assert [(t["index"], t["label"], t["default"]) for t in tracks] == [
        (DEFAULT, "ENG (AC-3 5.1)", True),
        (SECOND, "Commentaire (AAC stereo)", False),
    ]
    assert chosen(result["status"]) == [SECOND]
    status = http.get("/api/status", {"device": TV}).json
    assert status["audio_tracks"] == tracks and status["media"]["player_state"] == "PLAYING"


def test_switching_the_sound_casts_the_file_again_where_it_was_with_its_subtitles(http, tv):
    first = cast(http, start=5)
    assert "/playlist/copy.aac.1/m/" in first["media_url"] and chosen(first["status"]) == [DEFAULT]
    subtitles = first["status"]["media"]["tracks"][0]["id"]
    http.post_json("/api/player/subtitles", {"device": TV, "track": subtitles})
    loads = len(tv.loads)
    status = choose(http, SECOND)
    url, load = loaded(tv)
    assert len(tv.loads) == loads + 1 and "/playlist/copy.copy.2/m/" in url
    assert load["currentTime"] == pytest.approx(5, abs=1.5) and load["autoplay"] is True
    assert tv.player_state == "PLAYING" and tv.position() >= 5
    assert status["media"]["content_id"] == url and status["media"]["active_tracks"] == [subtitles]
    assert chosen(status) == [SECOND] and chosen(http.get("/api/status", {"device": TV}).json) == [SECOND]


def test_a_paused_film_stays_paused_with_the_other_sound(http, tv):
    cast(http, audio=SECOND, start=3)
    http.post_json("/api/player/pause", {"device": TV})
    status = choose(http, DEFAULT)
    url, load = loaded(tv)
    assert "/playlist/copy.aac.1/m/" in url and load["autoplay"] is False
    assert load["currentTime"] == pytest.approx(3, abs=1.5)
    assert tv.player_state == "PAUSED" and status["media"]["player_state"] == "PAUSED"
    assert chosen(status) == [DEFAULT]


def test_the_track_already_playing_is_not_cast_again(http, tv):
    cast(http, audio=SECOND)
    loads = len(tv.loads)
    assert chosen(choose(http, SECOND)) == [SECOND]
    assert len(tv.loads) == loads


def test_a_track_the_file_does_not_have_is_not_found(http, tv):
    cast(http)
    loads = len(tv.loads)
    missing = choose(http, 7, status=404)
    assert missing == {"error": "not_found", "detail": "two languages.mkv has no sound track 7"}
    refused = http.post_json("/api/cast", {"path": FILM, "device": TV, "audio": 7}, status=404).json
    assert refused["detail"] == "two languages.mkv has no sound track 7"
    assert len(tv.loads) == loads


def test_the_file_sent_as_it_is_plays_only_its_default_sound(http, tv):
    body = {"path": FILM, "device": TV, "audio": SECOND, "direct": True}
    refused = http.post_json("/api/cast", body, status=422).json
    assert refused["error"] == "unprocessable_entity"
    assert "plays only its default sound track on Living Room TV" in refused["detail"]
    # Its default one is what it plays that way.
    direct = http.post_json("/api/cast", {**body, "audio": DEFAULT}).json
    assert direct["delivery"] == "direct" and chosen(direct["status"]) == [DEFAULT]


def test_after_a_restart_the_app_no_longer_knows_what_it_cast(http, start_app, tv):
    cast(http)
    restarted = start_app()
    # Its new connection learns what plays a moment after it is made, as the bar's polling sees.
    wait_for(lambda: restarted.get("/api/status", {"device": TV}).json["media"], 10, "the media status")
    refused = restarted.post_json("/api/player/audio", {"device": TV, "track": SECOND}, status=409).json
    assert refused == {"error": "conflict", "detail": f"nothing cast by this app is playing on {TV}"}
    assert restarted.get("/api/status", {"device": TV}).json["audio_tracks"] == []


def test_media_another_sender_loaded_has_no_sound_tracks_to_choose(http, tv):
    cast(http)
    url = http.get("/api/library/m/phone.mp4").json["stream_url"]
    another_sender_loads(tv, url, "video/mp4")
    wait_for(lambda: http.get("/api/status", {"device": TV}).json["media"]["content_id"] == url, 10, "status")
    assert http.get("/api/status", {"device": TV}).json["audio_tracks"] == []
    loads = len(tv.loads)
    refused = choose(http, SECOND, status=409)
    assert refused == {"error": "conflict", "detail": f"nothing cast by this app is playing on {TV}"}
    assert len(tv.loads) == loads


def test_with_nothing_playing_there_is_no_sound_to_change(http, tv):
    cast(http)
    http.post_json("/api/player/stop", {"device": TV})
    assert choose(http, SECOND, status=409)["error"] == "nothing_playing"


def another_sender_loads(tv, url, content_type):
    """Another sender (a phone, say) connects to the TV and has it play ``url``."""
    phone = pychromecast.get_chromecast_from_host(
        (tv.address, tv.port, tv.uuid, tv.model, tv.name), timeout=5
    )
    phone.wait(timeout=10)
    answered = threading.Event()
    try:
        phone.media_controller.play_media(
            url, content_type, stream_type="BUFFERED", callback_function=lambda *_: answered.set()
        )
        assert answered.wait(20), "the TV did not answer the other sender's LOAD"
    finally:
        phone.disconnect(timeout=5)
    assert tv.loads[-1][1]["media"]["contentId"] == url


@pytest.mark.browser
def test_the_now_playing_bar_offers_the_sound_tracks_and_switches(start_app, tv):
    http = start_app()
    with chromium() as browser:
        page = browser.new_context(viewport={"width": 1100, "height": 720}).new_page()
        refused = []
        page.on("console", lambda m: "Content Security Policy" in m.text and refused.append(m.text))
        page.goto(f"http://{http.extra_environ['HTTP_HOST']}/library/m")
        picker = page.locator("#device-picker")
        expect(picker).to_be_enabled(timeout=15000)
        picker.select_option(label=TV)
        page.get_by_role("button", name="Cast two languages.mkv").click()
        sound = page.get_by_role("combobox", name="Sound")
        expect(sound).to_be_visible(timeout=30000)
        expect(sound.locator("option")).to_have_text(["ENG (AC-3 5.1)", "Commentaire (AAC stereo)"])
        expect(sound).to_have_value(str(DEFAULT))
        loads = len(tv.loads)
        sound.select_option(label="Commentaire (AAC stereo)")
        expect(page.locator("#cast-message")).to_have_text("Sound: Commentaire (AAC stereo).", timeout=30000)
        assert len(tv.loads) == loads + 1 and "/playlist/copy.copy.2/m/" in loaded(tv)[0]
        expect(sound).to_have_value(str(SECOND))
        assert not refused, f"the page broke its own Content-Security-Policy: {refused}"

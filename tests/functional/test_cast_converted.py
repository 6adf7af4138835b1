"""Casting files a 1st/2nd generation Chromecast cannot play as they are: the fake device
receives an HLS LOAD with the fields a receiver needs and fetches the playlist and the
segments the app makes on demand, from the start, from a cast's start and after a seek."""

import shutil
from urllib.parse import urlsplit

import pytest
import webtest

from tests.common.app import wait_for
from tests.common.mediafiles import SRT
from tests.common.servers import LiveServer

pytestmark = pytest.mark.ffmpeg

TV = "Living Room TV"


@pytest.fixture(scope="module")
def converted_library(tmp_path_factory, typical_library):
    folder = tmp_path_factory.mktemp("converted")
    for name in ("ac3 5.1.mkv", "hevc 10-bit eac3.mkv", "alac.m4a", "phone.mp4", "dvb.ts"):
        shutil.copy(typical_library[name], folder / name)
    (folder / "ac3 5.1.en.srt").write_text(SRT, encoding="utf-8")
    return folder


def app_with_the_tv(make_app, roots, **settings):
    """The app with discovery on loopback, once it found the TV; ``settings``: others."""
    app = make_app(
        roots=roots,
        **{
            "mediacaster.discovery": "true",
            "mediacaster.discovery_interfaces": "127.0.0.1",
            "mediacaster.max_conversions": "8",  # the jobs of the casts before may still run
            **settings,
        },
    )
    wait_for(
        lambda: any(d.online and d.name == TV for d in app.registry.services.cast.devices()), 40, "discovery"
    )
    return app


@pytest.fixture
def client(make_app, converted_library, tv):
    app = app_with_the_tv(make_app, {"m": converted_library})
    with LiveServer(app) as server:
        yield (
            webtest.TestApp(
                app, extra_environ={"HTTP_HOST": f"127.0.0.1:{server.port}", "SERVER_PORT": str(server.port)}
            ),
            app,
        )
    tv.fetches.clear()


def cast(client, path, **extra):
    return client.post_json("/api/cast", {"path": f"m/{path}", "device": TV, **extra}).json


def fetched(tv, kind):
    """Paths of what the device fetched: the playlist, or segments by name (init.mp4, 0.m4s…)."""
    paths = [urlsplit(f.url).path for f in tv.fetches if f.status == 200]
    if kind == "playlist":
        return [p for p in paths if p.startswith("/playlist/")]
    return [p.rsplit("/", 1)[1] for p in paths if p.startswith("/segment/")]


def test_a_film_with_ac3_sound_is_cast_as_hls_with_the_fields_a_receiver_needs(client, tv):
    http, _ = client
    tv.fetches.clear()
    result = cast(http, "ac3 5.1.mkv")
    assert result["delivery"] == "convert_audio"
    assert result["verdict"]["verdict"] == "plays_converted"
    assert result["verdict"]["reason"].startswith(
        "plays after converting the sound: AC-3 sound is not decoded by a 1st or 2nd generation Chromecast"
    )
    media = tv.loads[-1][1]["media"]
    assert media["contentId"] == result["media_url"] and "/playlist/copy.aac.1/m/" in media["contentId"]
    assert (media["contentType"], media["streamType"]) == ("application/x-mpegurl", "BUFFERED")
    assert (media["hlsSegmentFormat"], media["hlsVideoSegmentFormat"]) == ("fmp4", "fmp4")
    assert media["duration"] == pytest.approx(20.0, abs=0.05)
    # The sidecar subtitles ride along, as with a file played as it is.
    assert [t["language"] for t in media["tracks"]] == ["en"]
    assert fetched(tv, "playlist") and fetched(tv, "segments")[:3] == ["init.mp4", "0.m4s", "1.m4s"]
    assert result["status"]["media"]["player_state"] == "PLAYING"
    assert tv.playlist.duration == pytest.approx(20.0, abs=0.05)


def test_a_cast_with_a_start_begins_at_its_segment(client, tv):
    http, app = client
    tv.fetches.clear()
    cast(http, "hevc 10-bit eac3.mkv", start=13)
    assert tv.loads[-1][1]["currentTime"] == 13
    # Converted video is cut at 2 s, then every 6 s: 13 s is in segment 3 (12 to 18 s),
    # which the job started at.
    assert fetched(tv, "segments") == ["init.mp4", "3.m4s", "4.m4s"]
    jobs = app.registry.services.conversion.jobs
    assert all(job.start_index == 3 for job in jobs.running())


def test_seeking_a_converted_stream_fetches_the_segment_there(client, tv):
    http, _ = client
    cast(http, "hevc 10-bit eac3.mkv")
    tv.fetches.clear()
    http.post_json("/api/player/seek", {"device": TV, "position": 19})
    # 19 s: segment 4 (18 to 20 s).
    assert tv.wait_fetches(lambda fetches: any("/4.m4s?" in f.url and f.status == 200 for f in fetches), 60)
    assert tv.player_state != "IDLE"


def test_music_in_alac_is_cast_converted_to_flac(client, tv):
    http, _ = client
    tv.fetches.clear()
    result = cast(http, "alac.m4a")
    assert (result["delivery"], result["verdict"]["verdict"]) == ("convert_audio", "plays_converted")
    media = tv.loads[-1][1]["media"]
    assert "/playlist/none.flac.0/" in media["contentId"] and media["metadata"]["metadataType"] == 3
    assert fetched(tv, "segments")[:2] == ["init.mp4", "0.m4s"]


def test_a_recording_that_starts_at_11_seconds_is_cast_from_its_start(client, tv):
    http, _ = client
    tv.fetches.clear()
    result = cast(http, "dvb.ts")
    assert result["delivery"] == "convert_all" and "interlaced" in result["verdict"]["reason"]
    assert tv.playlist.duration == pytest.approx(20.0, abs=0.05)
    assert fetched(tv, "segments")[:2] == ["init.mp4", "0.m4s"]


def test_a_file_that_plays_is_cast_as_it_is(client, tv):
    http, _ = client
    result = cast(http, "phone.mp4")
    assert (result["delivery"], result["verdict"]["verdict"]) == ("direct", "plays")
    assert tv.loads[-1][1]["media"]["contentType"] == "video/mp4"
    assert "hlsSegmentFormat" not in tv.loads[-1][1]["media"]

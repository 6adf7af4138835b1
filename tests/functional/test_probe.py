"""Probing real media made by ffmpeg, verdicts per device, and bad files."""

import os
import stat

import pytest
import webtest

from mediacaster.playback.verdicts import NO_SOUND, PLAYS, UNKNOWN, WONT_PLAY, judge
from mediacaster.services.ffmpeg import Tool
from mediacaster.services.probe import TIMEOUT_TTL, ProbeService, cache_key
from tests.common.app import wait_for


@pytest.fixture
def prober(redis_server):
    import redis

    client = redis.Redis.from_url(redis_server.url)
    client.flushdb()
    service = ProbeService(client)
    yield service
    service.close()


def probe(prober, path):
    st = os.stat(path)
    return prober.probe(str(path), st.st_size, st.st_mtime_ns)


def test_probe_fields(prober, media_library):
    films, music = media_library["films"], media_library["music"]
    film = probe(prober, films / "tail index.mp4")
    assert film["ok"] and film["container"] == "mp4" and film["content_type"] == "video/mp4"
    assert film["duration"] == pytest.approx(2.0, abs=0.1)
    assert film["video"] == {
        "index": 0,
        "codec": "h264",
        "profile": "Constrained Baseline",
        "level": 4.0,
        "width": 160,
        "height": 90,
        "fps": 15.0,
        "pix_fmt": "yuv420p",
        "bit_depth": 8,
        "interlaced": False,
        "bit_rate": film["video"]["bit_rate"],
        "start_time": 0.0,
    }
    assert 100_000 < film["video"]["bit_rate"] < 1_000_000
    assert film["audio"][0]["codec"] == "aac" and film["audio"][0]["channels"] == 1
    assert probe(prober, films / "front index.mp4")["video"]["codec"] == "h264"
    assert probe(prober, films / "hevc.mp4")["video"]["codec"] == "hevc"
    webm = probe(prober, films / "vp9.webm")
    assert (webm["container"], webm["video"]["codec"], webm["audio"][0]["codec"]) == ("webm", "vp9", "opus")
    mkv = probe(prober, films / "ac3 with subtitles.mkv")
    assert mkv["container"] == "matroska" and mkv["audio"][0]["codec"] == "ac3"
    assert mkv["subtitles"] == [
        {"index": 2, "codec": "subrip", "language": "eng", "title": "English", "text": True}
    ]
    song = probe(prober, music / "song.mp3")
    assert song["tags"] == {"title": "Sine Song", "artist": "The Oscillators", "album": "Test Tones"}
    assert song["picture"] is True and song["video"] is None
    assert probe(prober, music / "tone.flac")["audio"][0]["codec"] == "flac"
    ts = probe(prober, films / "really ts.mp4")
    assert (ts["container"], ts["content_type"]) == ("mpegts", "video/mp2t")
    photo = probe(prober, media_library["base"] / "photo.jpg")
    assert photo["container"] == "image" and (photo["width"], photo["height"]) == (640, 480)


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("empty.mp4", "the file is empty"),
        ("broken.mp4", "not readable as media (Invalid data found when processing input)"),
        ("truncated.mp4", "not readable as media"),
    ],
)
def test_bad_files_have_a_reason(prober, media_library, name, reason):
    result = probe(prober, media_library["films"] / name)
    assert result["ok"] is False and result["error"].startswith(reason)


def test_results_are_cached_and_refreshed_when_the_file_changes(prober, media_library, tmp_path):
    copy = tmp_path / "copy.mp4"
    copy.write_bytes((media_library["films"] / "tail index.mp4").read_bytes())
    assert probe(prober, copy)["ok"]
    prober.ffprobe = Tool("false")  # from now on only the cache can answer
    assert probe(prober, copy)["ok"]
    os.utime(copy, ns=(1, 1))
    assert probe(prober, copy)["ok"] is False  # a new version: read again


def test_an_overrunning_ffprobe_is_killed(prober, tmp_path):
    slow = tmp_path / "ffprobe"
    slow.write_text("#!/bin/sh\nexec sleep 30\n")
    slow.chmod(slow.stat().st_mode | stat.S_IEXEC)
    prober.ffprobe, prober.timeout = Tool("ffprobe", str(tmp_path)), 0.5
    target = tmp_path / "x.mp4"
    target.write_bytes(b"x")
    result = probe(prober, target)
    assert result == {"ok": False, "error": "reading it took longer than 0.5 s"}
    # Kept for an hour only: the NAS may just have been busy.
    st = os.stat(target)
    assert 0 < prober.redis.ttl(cache_key(str(target), st.st_size, st.st_mtime_ns)) <= TIMEOUT_TTL


def test_a_read_stopped_because_the_app_stops_is_not_kept(prober, tmp_path):
    slow = tmp_path / "ffprobe"
    slow.write_text("#!/bin/sh\nexec sleep 30\n")
    slow.chmod(slow.stat().st_mode | stat.S_IEXEC)
    prober.ffprobe = Tool("ffprobe", str(tmp_path))
    target = tmp_path / "film.mp4"
    target.write_bytes(b"x" * 100)
    st = os.stat(target)
    key = (str(target), st.st_size, st.st_mtime_ns)
    assert prober.schedule(*key)
    wait_for(lambda: prober.ffprobe._running, 10, "ffprobe to start")
    prober.ffprobe.close()  # the app stops
    prober.close()
    assert prober.cached_many([key]) == {}
    assert prober.redis.get(cache_key(*key)) is None  # not "unreadable" for 90 days


def test_background_probing_never_blocks_and_fills_in(prober, media_library):
    path = media_library["films"] / "vp9.webm"
    st = os.stat(path)
    key = (str(path), st.st_size, st.st_mtime_ns)
    assert prober.cached_many([key]) == {}
    assert prober.schedule(*key) is True
    wait_for(lambda: prober.cached_many([key]), 20, "background probe")
    assert prober.state()["pending"] == 0


def test_without_ffprobe_the_app_still_lists_and_says_why(make_app, media_library):
    app = make_app(roots={"films": media_library["films"]}, **{"mediacaster.ffmpeg_dir": "/nonexistent"})
    data = webtest.TestApp(app).get("/api/library/films").json
    assert data["probe"]["available"] is False
    assert "ffprobe is not installed" in data["probe"]["detail"]
    assert {e["probe_state"] for e in data["entries"] if e["kind"] == "video"} == {"unavailable"}


VERDICTS = {
    # file: (1st/2nd gen Chromecast, Chromecast Ultra, Google TV Streamer, Google Home)
    "tail index.mp4": (PLAYS, PLAYS, PLAYS, WONT_PLAY),
    "level 5.1.mp4": (WONT_PLAY, WONT_PLAY, PLAYS, WONT_PLAY),
    "hevc.mp4": (WONT_PLAY, PLAYS, PLAYS, WONT_PLAY),
    "vp9.webm": (WONT_PLAY, PLAYS, PLAYS, WONT_PLAY),
    "ac3 with subtitles.mkv": (NO_SOUND, NO_SOUND, NO_SOUND, WONT_PLAY),
    "broken.mp4": (WONT_PLAY, WONT_PLAY, WONT_PLAY, WONT_PLAY),
}
DEVICES = [
    ("Chromecast", "cast"),
    ("Chromecast Ultra", "cast"),
    ("Google TV Streamer", "cast"),
    ("Google Home", "audio"),
]


@pytest.mark.parametrize("name", sorted(VERDICTS))
def test_verdicts_per_device(prober, media_library, name):
    result = probe(prober, media_library["films"] / name)
    got = tuple(judge(result, "video", model, kind, "video/mp4").verdict for model, kind in DEVICES)
    assert got == VERDICTS[name]


def test_verdict_reasons_in_words(prober, media_library):
    films = media_library["films"]
    assert judge(probe(prober, films / "level 5.1.mp4"), "video", "Chromecast", "cast").reason == (
        "H.264 level 5.1 is above 4.1, the most a 1st or 2nd generation Chromecast decodes"
    )
    assert judge(probe(prober, films / "ac3 with subtitles.mkv"), "video", "Chromecast", "cast").reason == (
        "AC3 sound plays only by HDMI passthrough, usually silent"
    )
    song = probe(prober, media_library["music"] / "song.mp3")
    assert judge(song, "audio", "Google Home", "audio").verdict == PLAYS
    assert judge(song, "audio", "BRAVIA 4K VH2", "cast").verdict == UNKNOWN
    assert judge(None, "video", "Chromecast", "cast").verdict == UNKNOWN

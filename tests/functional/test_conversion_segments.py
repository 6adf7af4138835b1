"""Real ffmpeg writes the segments the timeline announced, from the start and after a seek.

For copied video (cut at the source's keyframes), converted video (a short
first segment, then keyframes forced at multiples of the segment length) and
sound alone, the first packet of each segment is where the playlist puts it, in
a job started at the file's start and in one started later (a seek), and the
streams are what the target plays. Through the app, the HLS playlist and the
DASH MPD of a converted film list its segments' real lengths, and the page and
the TV fetch the same segments.
"""

import json
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import m3u8
import pytest
import requests

from mediacaster.services.conversion.commands import Job, hls_command
from mediacaster.services.conversion.keyframes import read_keyframes
from mediacaster.services.conversion.timeline import FIRST_SECONDS, early_cut, fixed, from_keyframes
from mediacaster.services.ffmpeg import Tool
from tests.functional.test_browser_player import mpd_segments, plan_of
from tests.functional.test_conversion import gen1_token, playlist_url, probe_segment, serving

pytestmark = pytest.mark.ffmpeg

SECONDS = 20
TIMEOUT = 60


def ffmpeg(*args):
    subprocess.run(["ffmpeg", "-v", "error", "-y", *map(str, args)], check=True)


@pytest.fixture(scope="module")
def sources(tmp_path_factory):
    folder = tmp_path_factory.mktemp("conversion-sources")
    picture = ["-f", "lavfi", "-i", f"testsrc2=size=320x180:rate=25:duration={SECONDS}"]
    sound = ["-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:duration={SECONDS}"]
    # Scene-cut keyframes off: groups of pictures of 2 s, and one of 0.4 s in the middle.
    x264 = ["-c:v", "libx264", "-preset", "ultrafast", "-g", "50", "-sc_threshold", "0"]
    x264 += ["-force_key_frames", "9.6"]
    ffmpeg(*picture, *sound, *x264, "-c:a", "ac3", "-ac", "6", folder / "ac3.mkv")
    hevc = [
        "-c:v",
        "libx265",
        "-preset",
        "ultrafast",
        "-pix_fmt",
        "yuv420p10le",
        "-x265-params",
        "log-level=0",
    ]
    ffmpeg(*picture, *sound, *hevc, "-c:a", "eac3", folder / "hevc10.mkv")
    ffmpeg(*sound, "-c:a", "alac", folder / "music.m4a")
    return folder


def run(job, folder):
    folder.mkdir(parents=True, exist_ok=True)
    subprocess.run(["ffmpeg", *hls_command(job, folder)], check=True, timeout=120)


def packets(folder, index):
    """``{stream type: [pts…]}`` of segment ``index`` behind the job's init segment."""
    joined = folder / f"joined-{index}.mp4"
    joined.write_bytes((folder / "init.mp4").read_bytes() + (folder / f"{index}.m4s").read_bytes())
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "packet=codec_type,pts_time:stream=codec_type,codec_name,"
         "profile,pix_fmt", "-of", "json", str(joined)],
        capture_output=True, check=True, text=True,
    ).stdout  # fmt: skip
    data = json.loads(out)
    found = {}
    for packet in data["packets"]:
        found.setdefault(packet["codec_type"], []).append(float(packet["pts_time"]))
    return found, {s["codec_type"]: s for s in data["streams"]}


def check_cuts(timeline, folder, indexes, kind, tolerance):
    for index in indexes:
        found, _ = packets(folder, index)
        assert min(found[kind]) == pytest.approx(timeline.starts[index], abs=tolerance), index


def test_copied_video_is_cut_at_each_keyframe_the_timeline_read(sources, tmp_path):
    source = str(sources / "ac3.mkv")
    keyframes = read_keyframes(Tool("ffprobe"), source, 0)
    timeline = from_keyframes(keyframes, SECONDS)
    assert len(timeline) == 11  # ten groups of 2 s, one split at 9.6 s
    job = Job(source=source, video_index=0, video="copy", audio_index=1, audio="convert", fps=25.0)
    run(job, tmp_path / "from-start")
    assert len(list((tmp_path / "from-start").glob("*.m4s"))) == len(timeline)
    check_cuts(timeline, tmp_path / "from-start", range(len(timeline)), "video", 0.001)
    after_seek = Job(**{**job.__dict__, "start_index": 6, "start_time": timeline.starts[6]})
    run(after_seek, tmp_path / "after-seek")
    check_cuts(timeline, tmp_path / "after-seek", range(6, len(timeline)), "video", 0.001)
    _, streams = packets(tmp_path / "after-seek", 6)
    assert (streams["video"]["codec_name"], streams["audio"]["codec_name"]) == ("h264", "aac")


def test_converted_video_is_cut_short_first_then_at_multiples_of_the_segment_length(sources, tmp_path):
    source = str(sources / "hevc10.mkv")
    timeline = fixed(0.0, SECONDS, fps=25.0, first=FIRST_SECONDS)
    assert timeline.starts[:3] == (0.0, FIRST_SECONDS, 6.0)
    job = Job(
        source=source, video_index=0, video="convert", audio_index=1, audio="convert", fps=25.0,
        early_cut=early_cut(0.0, SECONDS),
    )  # fmt: skip
    run(job, tmp_path / "from-start")
    assert len(list((tmp_path / "from-start").glob("*.m4s"))) == len(timeline)
    check_cuts(timeline, tmp_path / "from-start", range(len(timeline)), "video", 0.041)
    # A seek to the short segment's end, and to the next: the same cuts.
    for index in (1, 2):
        start = timeline.starts[index]  # ffmpeg's clock starts there: the job's origin (streams.py)
        after_seek = Job(**{**job.__dict__, "start_index": index, "start_time": start, "origin": start})
        run(after_seek, tmp_path / f"after-seek-{index}")
        check_cuts(timeline, tmp_path / f"after-seek-{index}", range(index, len(timeline)), "video", 0.041)
    _, streams = packets(tmp_path / "after-seek-2", 2)
    video = streams["video"]
    assert (video["codec_name"], video["profile"], video["pix_fmt"]) == ("h264", "High", "yuv420p")
    assert streams["audio"]["codec_name"] == "aac"


def test_sound_alone_is_cut_every_segment_length(sources, tmp_path):
    source = str(sources / "music.m4a")
    timeline = fixed(0.0, SECONDS)
    job = Job(source=source, video_index=None, video=None, audio_index=0, audio="convert")
    run(job, tmp_path / "from-start")
    check_cuts(timeline, tmp_path / "from-start", range(len(timeline)), "audio", 0.03)
    after_seek = Job(**{**job.__dict__, "start_index": 2, "start_time": timeline.starts[2]})
    run(after_seek, tmp_path / "after-seek")
    check_cuts(timeline, tmp_path / "after-seek", range(2, len(timeline)), "audio", 0.03)
    assert packets(tmp_path / "after-seek", 2)[1]["audio"]["codec_name"] == "aac"
    assert not Path(tmp_path / "after-seek" / "0.m4s").exists()


# -- through the app: the manifests, the real segments, the page and the TV -----------------

FILM = "hevc 10-bit eac3.mkv"  # converted, picture and sound, for Chromium and for the TV alike


@pytest.fixture(scope="module")
def site(typical_library, redis_server, tmp_path_factory):
    roots = {"typical": typical_library.folder}
    with serving(roots, redis_server, tmp_path_factory.mktemp("segments-data")) as served:
        yield served


def media_playlist(plan):
    """The HLS media playlist behind the page's plan (its multivariant playlist's one)."""
    master = m3u8.loads(requests.get(plan["manifests"]["hls"], timeout=TIMEOUT).text)
    return m3u8.loads(requests.get(master.playlists[0].absolute_uri, timeout=TIMEOUT).text)


def path_of(url):
    return urlsplit(url).path


def real_duration(init, segment, folder):
    """Seconds of picture a segment holds, by ffprobe: its first frame to its last one's end."""
    found, _ = probe_segment(init, segment, folder, "real.mp4")
    video = found["video"]
    return max(pts + duration for pts, duration in video) - min(pts for pts, _ in video)


@pytest.mark.slow
def test_the_playlist_and_the_mpd_list_the_real_lengths_of_a_short_first_segment(site, tmp_path):
    plan = plan_of(site, FILM)
    media = media_playlist(plan)
    _, segments, _ = mpd_segments(requests.get(plan["manifests"]["dash"], timeout=TIMEOUT).text)
    durations = [segment.duration for segment in media.segments]
    assert durations[:3] == [pytest.approx(FIRST_SECONDS, abs=0.05), pytest.approx(4, abs=0.05), 6.0]
    assert [d / 1000 for _, d, _ in segments] == pytest.approx(durations, abs=0.001)
    init = requests.get(media.segment_map[0].absolute_uri, timeout=TIMEOUT).content
    for index, segment in enumerate(media.segments):
        body = requests.get(segment.absolute_uri, timeout=TIMEOUT)
        assert body.status_code == 200, body.text[-2000:]
        # Within a frame (25 fps): the last one's duration is the encoder's.
        real = real_duration(init, body.content, tmp_path)
        assert real == pytest.approx(segment.duration, abs=0.041), index


@pytest.mark.slow
def test_the_page_and_the_tv_fetch_the_same_segments_and_a_seek_lands_in_the_right_one(site, tmp_path):
    services = site.services
    page = media_playlist(plan_of(site, FILM))
    token = gen1_token(services, "typical", FILM)
    tv = m3u8.loads(requests.get(playlist_url(site.url, token, "typical", FILM), timeout=TIMEOUT).text)
    assert [path_of(s.absolute_uri) for s in page.segments] == [path_of(s.uri) for s in tv.segments]
    entry = services.library.entry("typical", [FILM])
    # A seek: the segment holding each time is the one the playlist puts it in.
    stream = services.playback.converted(entry, token)
    timeline = services.conversion.timeline(stream)
    starts = [sum(s.duration for s in page.segments[:i]) for i in range(len(page.segments))]
    for seconds in (0.5, FIRST_SECONDS + 0.1, 5.9, 6.1, 13.0):
        index = timeline.index_at(seconds)
        assert starts[index] <= seconds < starts[index] + page.segments[index].duration + 1e-3, seconds

"""Converted files over HTTP: HLS playlists and segments made on demand by ffmpeg.

Through a real waitress, as a Chromecast fetches them: the playlist of each
file of a typical library that a 1st/2nd generation Chromecast needs converted,
its segments from the start and after a seek (probed by ffprobe); the jobs
behind them (restarts on far seeks, waits for near ones, the job limit, idle and
changed-file kills, closing the app); bad input; and the cache of segments.
Error answers of media routes are HTML pages: their status and reason are
checked.
"""

import contextlib
import html
import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, quote, urlencode, urlsplit

import m3u8
import psutil
import pytest
import requests

from mediacaster import main
from mediacaster.playback.decisions import DIRECT, decide
from mediacaster.playback.verdicts import GEN1
from mediacaster.services.conversion import Variant, jobs
from mediacaster.signing import UrlSigner
from tests.common.app import SECRET, app_settings, wait_for
from tests.common.servers import LiveServer
from tests.common.typical_library import EXPECTED_ON_GEN1

pytestmark = pytest.mark.ffmpeg

CONVERTED = sorted(name for name, row in EXPECTED_ON_GEN1.items() if row[0] != DIRECT)
# Signs as the app does (same secret), without asking the app.
SIGNER = UrlSigner(SECRET, 3600)
TIMEOUT = 60  # seconds any request may take: a hang fails instead of blocking the run
LONG_SECONDS = 300


# -- URLs, answers and processes ------------------------------------------------------


def signature(root, path):
    return urlencode(SIGNER.sign(root, path))


def playlist_url(base, token, root, path):
    return f"{base}/playlist/{token}/{root}/{quote(path)}?{signature(root, path)}"


def segment_url(base, token, version, name, root, path, query=None):
    query = signature(root, path) if query is None else query
    return f"{base}/segment/{token}/{version}/{root}/{quote(path)}/{name}?{query}"


def get(url, timeout=TIMEOUT):
    return requests.get(url, timeout=timeout)


class _Response:
    def __init__(self, status_code, content):
        self.status_code, self.content = status_code, content


def get_from(address, url, timeout=TIMEOUT):
    """GET ``url`` from the loopback ``address``, as another player on the network would."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(
        parts.hostname, parts.port, timeout=timeout, source_address=(address, 0)
    )
    try:
        connection.request("GET", f"{parts.path}?{parts.query}")
        response = connection.getresponse()
        return _Response(response.status, response.read())
    finally:
        connection.close()


def assert_error(response, status, code, *words):
    """The error page says ``status``, the error's ``code`` and each of ``words``."""
    assert response.status_code == status, response.text[-2000:]
    match = re.search(r"<h1>(.*?)</h1>\s*<p class=\"error-detail\">(.*?)</p>", response.text, re.S)
    assert match, response.text[-2000:]
    heading, detail = html.unescape(match.group(1)), html.unescape(match.group(2))
    assert f'data-error="{code}"' in response.text and heading
    for word in words:
        assert word in detail, detail
    return detail


def ffmpeg_children(folder):
    """Live ffmpeg processes this test process started that write under ``folder``."""
    found = []
    for child in psutil.Process().children(recursive=True):
        try:
            alive = child.name() == "ffmpeg" and child.status() != psutil.STATUS_ZOMBIE
            if alive and str(folder) in " ".join(child.cmdline()):
                found.append(child)
        except psutil.Error:
            continue
    return found


def zombie_children():
    """Pids of the ffmpeg and ffprobe children that exited and were not waited for."""
    found = []
    for child in psutil.Process().children(recursive=True):
        try:
            if child.status() == psutil.STATUS_ZOMBIE and child.name() in ("ffmpeg", "ffprobe"):
                found.append(child.pid)
        except psutil.Error:
            continue
    return found


def assert_no_zombies(patience=2.0):
    """No ffmpeg or ffprobe stays a zombie. One that just ended is one until its watcher
    polls it (every 20 ms): only one left for ``patience`` seconds counts."""
    seen = {}
    deadline = time.monotonic() + 2 * patience
    while True:
        now = time.monotonic()
        seen = {pid: seen.get(pid, now) for pid in zombie_children()}
        left = [pid for pid, since in seen.items() if now - since >= patience]
        assert not left, f"zombie ffmpeg or ffprobe: {left}"
        if not seen or now > deadline:
            return
        time.sleep(0.05)


@pytest.fixture(autouse=True)
def no_zombies():
    """No zombie after each test, its apps closed."""
    yield
    assert_no_zombies()


def ffprobe_json(path, entries, *extra):
    out = subprocess.run(
        ["ffprobe", "-v", "error", *extra, "-show_entries", entries, "-of", "json", str(path)],
        capture_output=True,
        check=True,
        text=True,
        timeout=60,
    ).stdout
    return json.loads(out)


def probe_segment(init, segment, folder, name="joined.mp4"):
    """``({stream type: [(pts, duration)…]}, {stream type: stream})`` of a segment
    behind its init segment, as a player reads them."""
    joined = Path(folder) / name
    joined.write_bytes(init + segment)
    data = ffprobe_json(
        joined,
        "packet=codec_type,pts_time,duration_time:"
        "stream=codec_type,codec_name,profile,level,pix_fmt,width,height",
    )
    packets = {}
    for packet in data["packets"]:
        duration = float(packet.get("duration_time") or 0)
        packets.setdefault(packet["codec_type"], []).append((float(packet["pts_time"]), duration))
    return packets, {s["codec_type"]: s for s in data["streams"]}


@dataclass(frozen=True)
class Source:
    """What ffprobe says of a source file, for what the playlist must match."""

    duration: float
    start: float  # of the file
    video_start: float | None
    frame: float | None  # seconds per frame
    audio_packet: float  # seconds per packet of its first sound stream

    @classmethod
    def of(cls, path):
        data = ffprobe_json(
            path,
            "format=duration,start_time:stream=codec_type,start_time,avg_frame_rate:"
            "packet=codec_type,duration_time",
            "-read_intervals",
            "%+#50",
        )
        streams = {}
        for stream in data["streams"]:
            streams.setdefault(stream["codec_type"], stream)
        video = streams.get("video")
        frame = None
        if video:
            num, den = map(int, video["avg_frame_rate"].split("/"))
            frame = den / num
        audio = [
            float(p["duration_time"])
            for p in data["packets"]
            if p["codec_type"] == "audio" and p.get("duration_time")
        ]
        return cls(
            duration=float(data["format"]["duration"]),
            start=float(data["format"].get("start_time", 0)),
            video_start=float(video["start_time"]) if video else None,
            frame=frame,
            audio_packet=max(audio),
        )


@dataclass
class Converted:
    """A file's playlist as fetched, and where its segments go in the app's cache."""

    services: object
    stream: object
    playlist: object  # m3u8.M3U8

    @property
    def uris(self):
        return [segment.uri for segment in self.playlist.segments]

    @property
    def init_uri(self):
        return self.playlist.segment_map[0].uri

    @property
    def durations(self):
        return [segment.duration for segment in self.playlist.segments]

    def offset(self, index):
        """Seconds from the stream's first segment to segment ``index``, by the playlist."""
        return sum(self.durations[:index])

    def cached(self, index):
        """Segment ``index`` is in the cache (looked at without touching it)."""
        return self.services.conversion.cache.path(self.stream.id, str(index), ".m4s").exists()

    def running(self):
        return [job for job in self.services.conversion.jobs.running() if job.stream.id == self.stream.id]


def gen1_token(services, root, name):
    """The variant token of what a 1st/2nd generation Chromecast needs of the file."""
    entry = services.library.entry(root, [name])
    return Variant.of(decide(services.playback.read(entry), GEN1)).token


def open_converted(services, base, root, name, token=None):
    token = token or gen1_token(services, root, name)
    response = get(playlist_url(base, token, root, name))
    assert response.status_code == 200, response.text[-2000:]
    assert response.headers["Content-Type"].startswith("application/vnd.apple.mpegurl")
    entry = services.library.entry(root, [name])
    stream = services.playback.converted(entry, token)
    return Converted(services, stream, m3u8.loads(response.text))


def cache_files(services):
    """``{path: size}`` of the files of the segment cache (work in progress excluded)."""
    folder = services.conversion.cache.folder
    found = {}
    for kind in folder.iterdir() if folder.exists() else ():
        if kind.is_dir() and not kind.name.startswith("."):
            found.update({path: path.stat().st_size for path in kind.iterdir()})
    return found


def fetch_all(converted):
    """Init and every segment, one after the other, as a player plays the whole file."""
    init = get(converted.init_uri)
    assert init.status_code == 200, init.text[-2000:]
    bodies = []
    for uri in converted.uris:
        response = get(uri)
        assert response.status_code == 200, response.text[-2000:]
        bodies.append(response.content)
    return init.content, bodies


def count_ffmpeg_starts(monkeypatch, folder):
    """A list that gets a command line each time a conversion's ffmpeg is started for
    ``folder`` (not the seek previews' or a probe's: only conversions are counted)."""
    starts = []
    real = jobs.spawn

    def spy(ffmpeg, args, output):
        command = [ffmpeg, *args]
        if str(folder) in " ".join(map(str, [*command, output])):
            starts.append(command)
        return real(ffmpeg, args, output)

    monkeypatch.setattr(jobs, "spawn", spy)
    return starts


# -- the apps -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def long_films(tmp_path_factory):
    return make_long_films(tmp_path_factory.mktemp("long-films"))


def make_long_films(folder):
    """A 5-minute MPEG-4 Part 2 film with AC-3 sound (converted entirely on a 1st/2nd
    generation Chromecast, at about ten times real time here: a job that runs for a
    while), under two names (hard links) for two jobs of different files."""
    clip = folder.parent / f"{folder.name}-clip.mkv"
    ffmpeg = ["ffmpeg", "-nostdin", "-v", "error", "-y"]
    picture = ["-f", "lavfi", "-i", "testsrc2=size=640x360:rate=25:duration=10"]
    sound = ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=10"]
    codecs = ["-c:v", "mpeg4", "-q:v", "31", "-g", "50", "-c:a", "ac3", "-b:a", "64k"]
    subprocess.run([*ffmpeg, *picture, *sound, *codecs, str(clip)], check=True, timeout=120)
    # Copies of the clip one after the other: long, at no encoding cost.
    loops = str(LONG_SECONDS // 10 - 1)
    subprocess.run(
        [*ffmpeg, "-stream_loop", loops, "-i", str(clip), "-c", "copy", str(folder / "long.mkv")],
        check=True,
        timeout=120,
    )
    os.link(folder / "long.mkv", folder / "long copy.mkv")
    return folder


@pytest.fixture(scope="module")
def odd_files(typical_library, tmp_path_factory):
    """Files for the bad-input tests, each used by one test: copies of typical ones
    that a test changes, and films cut short (an unfinished download), whose header
    still gives the whole length."""
    folder = tmp_path_factory.mktemp("odd-files")
    shutil.copyfile(typical_library["alac.m4a"], folder / "changes.m4a")
    # Music at 44.1 kHz that ends where a segment would start: FLAC in fMP4 then ends
    # with an empty segment past the last.
    sine = "sine=frequency=440:sample_rate=44100:duration=12"
    command = ["ffmpeg", "-nostdin", "-v", "error", "-f", "lavfi", "-i", sine, "-c:a", "alac", "-ac", "2"]
    subprocess.run([*command, str(folder / "on the edge.m4a")], check=True, timeout=60)
    data = typical_library["hevc 8-bit.mkv"].read_bytes()
    for name in ("cut short.mkv", "cut short, seek past its end.mkv"):
        (folder / name).write_bytes(data[: len(data) * 4 // 10])
    return folder


@dataclass
class Served:
    services: object
    url: str


@contextlib.contextmanager
def serving(roots, redis_server, data):
    """An app with its own data folder (its own cache) on a real waitress."""
    # Jobs of earlier tests may still run: the limit has tests of its own.
    settings = {"mediacaster.data_dir": str(data), "mediacaster.max_conversions": "16"}
    app = main({}, **app_settings(roots, redis_server.url, **settings))
    try:
        with LiveServer(app, threads=8) as server:
            yield Served(app.registry.services, server.url)
    finally:
        app.registry.services.close()


@pytest.fixture(scope="module")
def served(typical_library, media_library, odd_files, redis_server, tmp_path_factory):
    """One app for the read-mostly tests."""
    roots = {"typical": typical_library.folder, "media": media_library["base"], "odd": odd_files}
    with serving(roots, redis_server, tmp_path_factory.mktemp("conversion-data")) as served:
        yield served


@pytest.fixture(scope="module")
def seeking(typical_library, redis_server, tmp_path_factory):
    """An app of its own (an empty cache) whose jobs start where a seek lands."""
    with serving(
        {"typical": typical_library.folder}, redis_server, tmp_path_factory.mktemp("seeking")
    ) as served:
        yield served


@pytest.fixture
def serve(make_app, tmp_path):
    """An app of its own (own cache) with ``settings``, on a real waitress."""
    servers = []

    def build(roots, **settings):
        data = tmp_path / f"data-{len(servers)}"
        app = make_app(roots=roots, **{"mediacaster.data_dir": str(data)}, **settings)
        server = LiveServer(app, threads=8).__enter__()
        servers.append(server)
        return Served(app.registry.services, server.url)

    yield build
    for server in servers:
        server.__exit__(None, None, None)


# -- 1. every file a 1st/2nd generation Chromecast needs converted --------------------


@pytest.mark.parametrize("name", CONVERTED)
def test_the_playlist_is_a_complete_vod_playlist_of_signed_absolute_urls(served, typical_library, name):
    token = gen1_token(served.services, "typical", name)
    converted = open_converted(served.services, served.url, "typical", name, token)
    playlist = converted.playlist
    assert not playlist.is_variant
    assert (playlist.playlist_type, playlist.is_endlist, playlist.media_sequence) == ("vod", True, 0)
    assert playlist.segments and len(playlist.segment_map) == 1
    assert all(0 < d <= playlist.target_duration for d in converted.durations)

    source = Source.of(typical_library[name])
    # The whole file, from its first picture (sound may start a packet earlier) to its end.
    tolerance = max(source.frame or 0, source.audio_packet) + 0.001
    assert sum(converted.durations) == pytest.approx(source.duration, abs=tolerance)

    version = converted.stream.version
    base = urlsplit(served.url)
    for index, uri in enumerate([converted.init_uri, *converted.uris]):
        parts = urlsplit(uri)
        assert (parts.scheme, parts.netloc) == (base.scheme, base.netloc), uri
        segment = "init.mp4" if index == 0 else f"{index - 1}.m4s"
        assert parts.path == f"/segment/{token}/{version}/typical/{quote(name)}/{segment}"
        query = parse_qs(parts.query)
        SIGNER.verify("typical", name, query["exp"][0], query["sig"][0])  # raises if not


def seek_index(converted):
    """The segment at 60 % of the stream."""
    index = 0
    while index + 1 < len(converted.uris) and converted.offset(index + 1) <= 0.6 * sum(converted.durations):
        index += 1
    assert index > 0
    return index


def fetch(uri, converted):
    response = get(uri)
    assert response.status_code == 200, response.text[-2000:]
    if "/init.mp4/" not in uri:
        expected = "video/mp4" if converted.stream.variant.video else "audio/mp4"
        assert response.headers["Content-Type"] == expected
    return response.content


def check_plays_on_gen1(converted, source, init, segment, index, folder):
    """Segment ``index`` behind ``init``: streams a 1st/2nd generation Chromecast
    plays, its first picture (or sound) where the playlist puts it."""
    packets, streams = probe_segment(init, segment, folder)
    first = source.video_start if source.video_start is not None else source.start
    expected = first + converted.offset(index)
    variant = converted.stream.variant
    if variant.video:
        video = streams["video"]
        assert (video["codec_name"], video["profile"], video["pix_fmt"]) == ("h264", "High", "yuv420p")
        assert video["level"] <= 41 and video["width"] <= 1920 and video["height"] <= 1080
        pts = min(p for p, _ in packets["video"])
        assert pts == pytest.approx(expected, abs=source.frame + 0.001), f"segment {index}"
    if variant.audio:
        assert streams["audio"]["codec_name"] == ("flac" if variant.audio == "flac" else "aac")
        audio = packets["audio"]
        if not variant.video:
            # A packet either way, and a decoder may hold back a file's first ones (WMA's two).
            tolerance = max(d for _, d in audio) + 2 * source.audio_packet + 0.001
            assert min(p for p, _ in audio) == pytest.approx(expected, abs=tolerance), f"segment {index}"


@pytest.mark.parametrize("name", CONVERTED)
def test_segments_from_the_start_play_on_a_gen1_chromecast(served, typical_library, tmp_path, name):
    converted = open_converted(served.services, served.url, "typical", name)
    source = Source.of(typical_library[name])
    init = fetch(converted.init_uri, converted)
    # The first segment, then the one at 60 %, from the job that starts at the start.
    for index in (0, seek_index(converted)):
        segment = fetch(converted.uris[index], converted)
        check_plays_on_gen1(converted, source, init, segment, index, tmp_path)


@pytest.mark.parametrize("name", CONVERTED)
def test_segments_after_a_seek_play_on_a_gen1_chromecast(seeking, typical_library, tmp_path, name):
    converted = open_converted(seeking.services, seeking.url, "typical", name)
    source = Source.of(typical_library[name])
    index = seek_index(converted)
    # Asked for first: the job starts at that segment, as after a seek.
    segment = fetch(converted.uris[index], converted)
    init = fetch(converted.init_uri, converted)
    check_plays_on_gen1(converted, source, init, segment, index, tmp_path)


@pytest.mark.parametrize("name", ["ac3 5.1.mkv", "hevc 10-bit eac3.mkv", "alac.m4a"])
def test_segments_of_jobs_started_at_different_points_play_behind_the_one_init(
    seeking, typical_library, tmp_path, name
):
    converted = open_converted(seeking.services, seeking.url, "typical", name)
    source = Source.of(typical_library[name])
    index = seek_index(converted)
    after_seek = fetch(converted.uris[index], converted)
    init = fetch(converted.init_uri, converted)
    # The start, asked for next: a job starts there; its segment is read behind the init served.
    start = fetch(converted.uris[0], converted)
    check_plays_on_gen1(converted, source, init, start, 0, tmp_path)
    check_plays_on_gen1(converted, source, init, after_seek, index, tmp_path)


# -- 2. jobs --------------------------------------------------------------------------


def test_a_nearby_segment_waits_for_the_job_and_a_far_one_restarts_it(serve, long_films, tmp_path):
    served = serve({"films": long_films}, **{"mediacaster.max_conversions": "1"})
    converted = open_converted(served.services, served.url, "films", "long.mkv")
    assert get(converted.uris[0]).status_code == 200
    (job,) = converted.running()
    pid = job.process.pid

    # Two segments (12 s) ahead: on the job's way, waited for.
    assert get(converted.uris[2]).status_code == 200

    (still,) = converted.running()
    assert still is job and job.process.pid == pid and job.start_index == 0 and job.stopped is None
    assert all(converted.cached(i) for i in range(3))
    assert len(ffmpeg_children(served.services.conversion.cache.folder)) == 1

    # At 90 %: minutes of film ahead of the job (which, three segments in, knows its
    # speed), so it is restarted there.
    far = len(converted.uris) * 9 // 10
    response = get(converted.uris[far])

    assert response.status_code == 200
    (restarted,) = converted.running()
    assert restarted.start_index == far and job.stopped and not job.running
    assert job.process.returncode == -signal.SIGKILL
    assert_no_zombies()
    # The job from the start never got near: most segments between were not made.
    assert sum(converted.cached(i) for i in range(3, far)) < (far - 3) // 2
    assert len(ffmpeg_children(served.services.conversion.cache.folder)) == 1
    packets, _ = probe_segment(get(converted.init_uri).content, response.content, tmp_path)
    assert packets["video"] and packets["audio"]


def test_a_far_segment_asked_right_after_the_first_is_made_beside_the_job(serve, long_films, tmp_path):
    # Shaka Player reading HLS fetches the first segment, then a middle and the last one,
    # before it plays on from the start: the job from the start goes on.
    served = serve({"films": long_films}, **{"mediacaster.max_conversions": "2"})
    converted = open_converted(served.services, served.url, "films", "long.mkv")
    assert get(converted.uris[0]).status_code == 200
    (job,) = converted.running()
    middle, last = len(converted.uris) // 2, len(converted.uris) - 1

    probed = [get(converted.uris[middle]), get(converted.uris[last])]

    assert [r.status_code for r in probed] == [200, 200]
    # Each probe's job ends once its segment is made.
    wait_for(lambda: converted.running() == [job], timeout=20, what="the probes' jobs to end")
    assert job.stopped is None
    assert converted.cached(middle) and not converted.cached(middle + 1)
    assert get(converted.uris[1]).status_code == 200
    assert converted.running() == [job] and job.start_index == 0
    # The probed segment is whole: its frames from its start to the next one's.
    packets, _ = probe_segment(get(converted.init_uri).content, probed[0].content, tmp_path)
    frames = sorted(pts for pts, _ in packets["video"])
    assert frames[0] == pytest.approx(converted.offset(middle), abs=0.001) and packets["audio"]
    assert converted.offset(middle + 1) - 0.05 < frames[-1] < converted.offset(middle + 1)
    # Reading on from a probed segment is a seek there: a job starts at the next one.
    assert get(converted.uris[middle + 1]).status_code == 200
    (seek,) = converted.running()
    assert seek.start_index == middle + 1 and job.stopped
    assert_no_zombies()


def test_two_players_far_apart_in_one_file_are_both_served(serve, long_films, monkeypatch):
    served = serve({"films": long_films})
    converted = open_converted(served.services, served.url, "films", "long.mkv")
    starts = count_ffmpeg_starts(monkeypatch, served.services.conversion.cache.folder)
    monkeypatch.setattr(jobs, "HOLD_SECONDS", 20.0)  # each segment takes about a second, alone

    # Two players: two addresses (a job is restarted by its own player's seeks only).
    with ThreadPoolExecutor(max_workers=2) as pool:
        responses = list(
            pool.map(get_from, ["127.0.0.5", "127.0.0.6"], [converted.uris[5], converted.uris[40]])
        )

    assert [r.status_code for r in responses] == [200, 200], f"{len(starts)} ffmpeg started"


def test_a_job_is_starting_until_it_has_made_its_first_segments(serve, long_films):
    """What seek previews wait for: a player waits for a job's first segments."""
    served = serve({"films": long_films})
    film = open_converted(served.services, served.url, "films", "long.mkv")
    manager = served.services.conversion.jobs
    assert not manager.starting()
    assert get(film.uris[0]).status_code == 200
    (job,) = film.running()
    wait_for(
        lambda: job.next_index >= job.start_index + jobs.STARTING_SEGMENTS or not job.running,
        what="two segments",
    )
    assert not manager.starting()
    job.next_index = job.start_index  # as a job just started reads
    assert manager.starting()


def test_the_job_limit_refuses_a_second_file_while_the_first_is_read(serve, long_films, monkeypatch):
    served = serve({"films": long_films}, **{"mediacaster.max_conversions": "1"})
    first = open_converted(served.services, served.url, "films", "long.mkv")
    second = open_converted(served.services, served.url, "films", "long copy.mkv")
    assert get(first.uris[0]).status_code == 200
    (job,) = first.running()

    response = get(second.uris[0])

    assert_error(response, 503, "conversion_busy", "mediacaster.max_conversions")
    assert response.headers["Retry-After"] == str(jobs.RETRY_AFTER)
    assert first.running() == [job] and not second.running()
    assert len(ffmpeg_children(served.services.conversion.cache.folder)) == 1

    # Not read from for a while, the first job gives way to the next file.
    monkeypatch.setattr(jobs, "YIELD_AFTER", 0.5)
    wait_for(lambda: time.monotonic() - job.last_read > 1.0, what="the first job to go unread")
    assert get(second.uris[0]).status_code == 200
    assert not job.running and job.stopped == "it gave way to a newer conversion"
    assert_no_zombies()


def test_a_job_waiting_for_room_outlives_the_reaper_forgetting_streams(serve, long_films, monkeypatch):
    # The wait for room releases the lock: the reaper may forget every ended job meanwhile,
    # and the stream with them. The new job is listed, and its ffmpeg watched, all the same.
    served = serve({"films": long_films}, **{"mediacaster.max_conversions": "1"})
    manager = served.services.conversion.jobs
    first = open_converted(served.services, served.url, "films", "long.mkv")
    second = open_converted(served.services, served.url, "films", "long copy.mkv")
    assert get(first.uris[0]).status_code == 200
    (job,) = first.running()
    make_room = manager._make_room

    def make_room_while_the_reaper_runs(*args):
        local = make_room(*args)
        manager._forget_ended(time.monotonic() + jobs.ERRORS_KEPT + 1)
        return local

    monkeypatch.setattr(manager, "_make_room", make_room_while_the_reaper_runs)
    monkeypatch.setattr(jobs, "YIELD_AFTER", 0.3)
    wait_for(lambda: time.monotonic() - job.last_read > 0.5, what="the first job to go unread")

    assert get(second.uris[0]).status_code == 200
    assert len(second.running()) == 1 and not job.running
    assert_no_zombies()


def test_a_burst_of_new_jobs_never_runs_more_ffmpeg_than_the_limit(serve, long_films, monkeypatch):
    served = serve({"films": long_films}, **{"mediacaster.max_conversions": "1"})
    folder = served.services.conversion.cache.folder
    first = open_converted(served.services, served.url, "films", "long.mkv")
    assert get(first.uris[0]).status_code == 200
    monkeypatch.setattr(jobs, "YIELD_AFTER", 0.3)
    time.sleep(0.5)  # the job now gives way to the next one
    # Several variants of the other file at once: each would once stop the same dying job.
    tokens = ["h264.aac.1", "h264.flac.1", "h264.copy.1", "h264.none.x", "none.aac.1", "none.flac.1"]
    conversions = [open_converted(served.services, served.url, "films", "long copy.mkv", t) for t in tokens]
    most, done = [0], []

    def watch():
        while not done:
            most[0] = max(most[0], len(ffmpeg_children(folder)))
            time.sleep(0.01)

    with ThreadPoolExecutor(max_workers=len(tokens) + 1) as pool:
        watcher = pool.submit(watch)
        statuses = [r.status_code for r in pool.map(get, [c.uris[0] for c in conversions])]
        done.append(True)
        watcher.result()
    assert most[0] <= 1, f"{most[0]} ffmpeg at once; answers {statuses}"
    assert set(statuses) <= {200, 503} and 200 in statuses


def test_a_job_far_ahead_of_its_player_pauses_until_the_player_comes_near(serve, long_films, monkeypatch):
    monkeypatch.setattr(jobs, "PACE_AHEAD", 12.0)  # two segments
    served = serve({"films": long_films})
    converted = open_converted(served.services, served.url, "films", "long.mkv")
    assert get(converted.uris[0]).status_code == 200
    (job,) = converted.running()
    wait_for(lambda: job.paused, timeout=20, what="the job to pause")
    # The signal is delivered a moment later.
    process = psutil.Process(job.process.pid)
    wait_for(lambda: process.status() == psutil.STATUS_STOPPED, timeout=5, what="ffmpeg to stop")
    paused_at = job.next_index
    assert paused_at < len(converted.uris) // 2  # not converted on to the end
    # The player reads on: the job goes on.
    assert get(converted.uris[paused_at - 1]).status_code == 200
    wait_for(lambda: job.next_index > paused_at, timeout=20, what="the job to go on")


def test_a_job_nobody_reads_is_killed_after_the_idle_timeout(serve, long_films):
    served = serve({"films": long_films}, **{"mediacaster.conversion_idle_timeout": "1"})
    converted = open_converted(served.services, served.url, "films", "long.mkv")
    assert get(converted.uris[0]).status_code == 200
    jobs_seen = converted.running()
    assert jobs_seen

    wait_for(lambda: not converted.running(), timeout=20, what="the idle job to be killed")

    job = jobs_seen[-1]
    assert job.stopped == "nobody was reading it"
    assert job.ended_at - job.last_read >= 1.0
    assert not ffmpeg_children(served.services.conversion.cache.folder)
    assert_no_zombies()


def test_closing_the_app_kills_its_jobs_at_once(serve, long_films):
    served = serve({"films": long_films})
    converted = open_converted(served.services, served.url, "films", "long.mkv")
    assert get(converted.uris[0]).status_code == 200
    (job,) = converted.running()

    served.services.close()

    # Killed and waited for by the time close() returns.
    assert job.process.returncode == -signal.SIGKILL
    assert not ffmpeg_children(served.services.conversion.cache.folder)
    assert not psutil.pid_exists(job.process.pid)


def test_closing_the_app_leaves_no_work_folder(serve, long_films):
    served = serve({"films": long_films})
    converted = open_converted(served.services, served.url, "films", "long.mkv")
    assert get(converted.uris[0]).status_code == 200
    work = served.services.conversion.cache.folder / ".work"
    assert work.is_dir()

    served.services.close()

    assert not work.exists(), list(work.iterdir())


def test_a_job_whose_file_changes_is_killed(serve, long_films, tmp_path):
    folder = tmp_path / "films"
    folder.mkdir()
    shutil.copyfile(long_films / "long.mkv", folder / "long.mkv")
    served = serve({"films": folder})
    converted = open_converted(served.services, served.url, "films", "long.mkv")
    assert get(converted.uris[0]).status_code == 200
    (job,) = converted.running()

    st = (folder / "long.mkv").stat()
    os.utime(folder / "long.mkv", ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))

    # The reaper looks every second (allowed five here); the idle timeout (60 s) is far.
    wait_for(lambda: not job.running, timeout=5, what="the job of the changed file to be killed")
    assert job.stopped == jobs.FILE_CHANGED
    assert not ffmpeg_children(served.services.conversion.cache.folder)
    assert_no_zombies()
    # Its segments are refused from now on: the player must load the new playlist.
    assert_error(get(converted.uris[1]), 410, "gone", "long.mkv changed")


# -- 3. bad input ---------------------------------------------------------------------


@pytest.mark.parametrize("name", ["broken.mp4", "truncated.mp4", "empty.mp4"])
def test_a_broken_file_is_refused_with_its_reason(served, media_library, name):
    path = f"films/{name}"
    # Each answered at once (a hang fails on the request's timeout).
    playlist = get(playlist_url(served.url, "h264.aac.1", "media", path))
    segment = get(segment_url(served.url, "h264.aac.1", "0" * 12, "0.m4s", "media", path))
    for response in (playlist, segment):
        assert_error(response, 422, "unprocessable_entity", f"{name} cannot be converted")
    assert not ffmpeg_children(media_library["films"] / name)


def test_a_file_cut_short_answers_past_its_real_end_that_it_ends_there(served):
    converted = open_converted(served.services, served.url, "odd", "cut short.mkv")
    assert len(converted.uris) == 5  # by its header: 20 s, cut at 2 s then every 6 s
    assert get(converted.uris[0]).status_code == 200  # its job ends at about 8 s
    for index in (3, 4):
        response = get(converted.uris[index])
        assert_error(response, 422, "conversion_failed", f"the file ends before segment {index}")
    assert not converted.running()


def test_a_seek_past_the_real_end_of_a_file_cut_short_is_refused(served):
    converted = open_converted(served.services, served.url, "odd", "cut short, seek past its end.mkv")
    # Asked for first: the job starts past the end of what the file holds.
    response = get(converted.uris[4])
    assert_error(response, 422, "conversion_failed", "the file ends before segment 4")


def test_music_ending_where_a_segment_would_start_plays_to_its_end_without_a_failure(served, caplog):
    converted = open_converted(served.services, served.url, "odd", "on the edge.m4a")
    assert converted.stream.variant.audio == "flac" and len(converted.uris) == 2
    _, bodies = fetch_all(converted)
    assert all(bodies)
    wait_for(lambda: not converted.running(), 60, "the conversion to end")
    assert "failed" not in caplog.text


def test_a_segment_past_the_end_is_not_found(served):
    converted = open_converted(served.services, served.url, "typical", "alac.m4a")
    uri = converted.uris[0].replace("/0.m4s?", "/10000.m4s?")
    assert_error(get(uri), 404, "no_such_segment", "there is no segment 10000")


@pytest.mark.parametrize("segment", ["x.m4s", "1.ts", "-1.m4s", "12345678.m4s", "1.m4s.tmp", "init.m4s"])
def test_a_malformed_segment_name_is_not_found(served, segment):
    converted = open_converted(served.services, served.url, "typical", "alac.m4a")
    uri = converted.uris[0].replace("/0.m4s?", f"/{quote(segment)}?")
    assert_error(get(uri), 404, "no_such_segment", "is not a segment's name")


@pytest.mark.parametrize(
    ("token", "words"),
    [
        ("vp9.aac.1", "is not a stream of this app"),
        ("h264.opus.1", "is not a stream of this app"),
        ("copy.aac.x", "is not a stream of this app"),
        ("none.none.x", "a stream needs a picture or a sound"),
        ("copy.aac.7", "has no sound track 7"),
    ],
)
def test_an_unknown_variant_is_not_found(served, token, words):
    version = open_converted(served.services, served.url, "typical", "ac3 5.1.mkv").stream.version
    for url in (
        playlist_url(served.url, token, "typical", "ac3 5.1.mkv"),
        segment_url(served.url, token, version, "0.m4s", "typical", "ac3 5.1.mkv"),
    ):
        assert_error(get(url), 404, "not_found", words)


def test_a_picture_is_not_made_of_a_sound_file(served):
    url = playlist_url(served.url, "h264.aac.0", "typical", "alac.m4a")
    assert_error(get(url), 404, "not_found", "this file has no picture")


def test_a_folder_has_no_playlist(served):
    assert_error(get(playlist_url(served.url, "h264.aac.1", "media", "films")), 404, "not_found", "folder")


def test_a_segment_of_a_file_changed_since_its_playlist_is_gone(served):
    path = served.services.library.file_path(served.services.library.entry("odd", ["changes.m4a"]))
    before = open_converted(served.services, served.url, "odd", "changes.m4a")
    assert get(before.uris[0]).status_code == 200

    st = os.stat(path)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))

    assert_error(get(before.uris[1]), 410, "gone", "changes.m4a changed since its playlist was made")
    after = open_converted(served.services, served.url, "odd", "changes.m4a")
    assert after.stream.version != before.stream.version
    assert get(after.uris[1]).status_code == 200


def test_without_ffmpeg_conversions_are_unavailable(serve, typical_library, tmp_path):
    empty = tmp_path / "no-tools"
    empty.mkdir()
    served = serve({"typical": typical_library.folder}, **{"mediacaster.ffmpeg_dir": str(empty)})
    name = "ac3 5.1.mkv"
    for url in (
        playlist_url(served.url, "copy.aac.1", "typical", name),
        segment_url(served.url, "copy.aac.1", "0" * 12, "0.m4s", "typical", name),
    ):
        assert_error(get(url), 503, "conversion_unavailable", "ffmpeg is not installed")


def test_a_full_disk_refuses_new_jobs(serve, typical_library, monkeypatch):
    served = serve({"typical": typical_library.folder})
    converted = open_converted(served.services, served.url, "typical", "ac3 5.1.mkv")
    # A full disk, simulated: no disk has this much free space (test_faults_conversion.py
    # fills a real one).
    monkeypatch.setattr(served.services.conversion.jobs, "_room", lambda: 1 << 62)

    assert_error(get(converted.uris[0]), 507, "cache_full", "full", "free some space")

    assert not converted.running()
    assert not ffmpeg_children(served.services.conversion.cache.folder)


def test_unsigned_or_badly_signed_urls_are_forbidden(served):
    converted = open_converted(served.services, served.url, "typical", "alac.m4a")
    for uri in (
        converted.uris[0],
        converted.init_uri,
        playlist_url(served.url, "none.flac.0", "typical", "alac.m4a"),
    ):
        bare = uri.split("?")[0]
        assert_error(get(bare), 403, "forbidden", "carries no signature")
        forged = re.sub(r"sig=[^&]+", "sig=" + "A" * 24, uri)
        assert_error(get(forged), 403, "forbidden", "does not match")
    # A signature of another file does not open this one.
    other = segment_url(
        served.url,
        "none.flac.0",
        converted.stream.version,
        "0.m4s",
        "typical",
        "alac.m4a",
        query=signature("typical", "flac.flac"),
    )
    assert_error(get(other), 403, "forbidden", "does not match")


# -- 4. the cache of segments ---------------------------------------------------------


def test_a_second_play_is_served_from_the_cache(serve, typical_library, monkeypatch):
    served = serve({"typical": typical_library.folder})
    converted = open_converted(served.services, served.url, "typical", "ac3 5.1.mkv")
    init, bodies = fetch_all(converted)
    wait_for(lambda: not converted.running(), timeout=30, what="the job to end")
    starts = count_ffmpeg_starts(monkeypatch, served.services.conversion.cache.folder)

    again = open_converted(served.services, served.url, "typical", "ac3 5.1.mkv")
    for uri, body in zip([again.init_uri, *again.uris], [init, *bodies], strict=True):
        response = get(uri, timeout=10)  # no job to wait for
        assert response.status_code == 200 and response.content == body
        assert not again.running()
    assert starts == []


def test_the_cache_keeps_to_its_size_budget(serve, typical_library, tmp_path):
    # 1 MiB, the smallest budget; the file's segments make about 2 MiB, none more than 0.3 MiB.
    served = serve({"typical": typical_library.folder}, **{"mediacaster.conversion_cache_mb": "1"})
    converted = open_converted(served.services, served.url, "typical", "ac3 5.1.mkv")
    init, bodies = fetch_all(converted)
    assert sum(map(len, bodies)) > 1024 * 1024
    for index, body in enumerate(bodies):
        packets, _ = probe_segment(init, body, tmp_path)
        assert packets["video"], index
    wait_for(lambda: not converted.running(), timeout=30, what="the job to end")

    assert sum(cache_files(served.services).values()) <= 1024 * 1024
    assert not converted.cached(0)  # the least recently used went first
    assert converted.cached(len(bodies) - 1)
    # Evicted, made again when asked for.
    again = get(converted.uris[0])
    assert again.status_code == 200 and probe_segment(init, again.content, tmp_path)[0]["video"]


def test_the_cache_forgets_what_was_not_used_for_its_max_age(serve, typical_library):
    # conversion_cache_days is a float: two seconds.
    served = serve(
        {"typical": typical_library.folder}, **{"mediacaster.conversion_cache_days": str(2 / 86400)}
    )
    old = open_converted(served.services, served.url, "typical", "alac.m4a")
    fetch_all(old)
    wait_for(lambda: not old.running(), timeout=30, what="the job to end")
    old_files = [path for path in cache_files(served.services) if old.stream.id in str(path)]
    assert old_files
    last_use = max(path.stat().st_atime for path in old_files)
    # Past the age limit (a sweep runs when the cache is next written to).
    wait_for(lambda: time.time() - last_use > 2.5, what="the files to age")

    new = open_converted(served.services, served.url, "typical", "wma.wma")
    assert get(new.uris[0]).status_code == 200

    assert not any(path.exists() for path in old_files)
    assert new.cached(0)


def test_the_cache_never_serves_a_segment_being_written(serve, typical_library, monkeypatch, tmp_path):
    served = serve({"typical": typical_library.folder})
    served_paths = []
    real = served.services.conversion.open

    def spy(*args):
        file = real(*args)
        served_paths.append(Path(file.name))
        return file

    monkeypatch.setattr(served.services.conversion, "open", spy)
    # Interlaced SD converted: the largest segments of the set, long to write.
    converted = open_converted(served.services, served.url, "typical", "dvb.ts")
    responses = [get(converted.init_uri), get(converted.uris[0])]
    # The others at once, while the job writes them (all within its reach: no restart).
    with ThreadPoolExecutor(max_workers=len(converted.uris)) as pool:
        responses += list(pool.map(get, converted.uris[1:]))
    assert len(converted.running()) <= 1 and len(served_paths) == len(responses)

    for response in responses:
        assert response.status_code == 200, response.text[-2000:]
        assert int(response.headers["Content-Length"]) == len(response.content)
    cache = served.services.conversion.cache.folder
    for path in served_paths:
        assert path.parent.parent == cache, path  # in the cache, not a job's folder
        assert not path.name.startswith(".part-") and not path.name.endswith(".tmp"), path
    init = responses[0].content
    for index, response in enumerate(responses[1:]):
        packets, _ = probe_segment(init, response.content, tmp_path)
        video = sorted(packets["video"])
        # Whole: its pictures last as long as the playlist says. (Where they start
        # depends on which job made it: see the init segment's test above.)
        span = video[-1][0] + video[-1][1] - video[0][0]
        assert span == pytest.approx(converted.durations[index], abs=0.041), index


def test_a_segment_evicted_while_its_job_runs_is_made_again(serve, long_films):
    served = serve({"films": long_films})
    converted = open_converted(served.services, served.url, "films", "long.mkv")
    assert get(converted.uris[0]).status_code == 200
    assert get(converted.uris[1]).status_code == 200
    (old,) = converted.running()
    # Removed as an eviction would (a small budget, or a trim on a full disk).
    served.services.conversion.cache.path(converted.stream.id, "0", ".m4s").unlink()

    response = get(converted.uris[0])

    assert response.status_code == 200, response.text[-2000:]
    (job,) = converted.running()
    assert job.start_index == 0 and converted.cached(0)
    assert old.stopped == "a seek restarted the conversion elsewhere"

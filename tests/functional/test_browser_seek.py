"""A seek into a part of a converted film not made yet, through the page's player
(Shaka Player in Debian's headless Chromium, over the DASH MPD and the HLS
playlists): a new ffmpeg starts at the sought segment at once, instead of the
request waiting for the job converting from the start, and the film plays on
from there.

The film is ten minutes of HEVC 10-bit (converted for Chromium); its job from
the start is held about half a minute ahead of the player (pacing), as a film
played for a while is, so the sought part is minutes ahead of it.
"""

import subprocess
from urllib.parse import quote

import pytest

from mediacaster import main
from mediacaster.services.conversion import jobs
from tests.common.app import app_settings
from tests.common.chromium import chromium
from tests.common.servers import LiveServer
from tests.functional.test_browser_player import current_time, plays_from, seek, until

pytestmark = [pytest.mark.browser, pytest.mark.ffmpeg, pytest.mark.slow]

FILM = "film.mkv"
CLIP_SECONDS, LOOPS = 10, 60  # ten minutes, made by copying a short clip
SEEK_AT = 0.7  # of the film


def make_film(folder):
    """A 10 s HEVC 10-bit clip with E-AC-3 sound, then copies of it one after the other:
    long, at the encoding cost of the clip."""
    ffmpeg = ["ffmpeg", "-nostdin", "-v", "error", "-y"]
    clip = folder.parent / f"{folder.name}-clip.mkv"
    picture = ["-f", "lavfi", "-i", f"testsrc2=size=320x180:rate=25:duration={CLIP_SECONDS}"]
    sound = ["-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:duration={CLIP_SECONDS}"]
    codecs = ["-c:v", "libx265", "-preset", "ultrafast", "-pix_fmt", "yuv420p10le"]
    codecs += [
        "-x265-params",
        "keyint=50:min-keyint=50:scenecut=0:log-level=none",
        "-c:a",
        "eac3",
        "-ac",
        "2",
    ]
    subprocess.run([*ffmpeg, *picture, *sound, *codecs, str(clip)], check=True, timeout=120)
    film = folder / FILM
    loops = ["-stream_loop", str(LOOPS - 1), "-i", str(clip), "-c", "copy"]
    subprocess.run([*ffmpeg, *loops, str(film)], check=True, timeout=120)
    return film


@pytest.fixture(scope="module")
def film_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("seek-film")
    make_film(folder)
    return folder


@pytest.fixture
def site(film_folder, redis_server, tmp_path, monkeypatch):
    # The job from the start pauses half a minute ahead of its player, not four minutes.
    monkeypatch.setattr(jobs, "PACE_AHEAD", 30.0)
    app = main(
        {},
        **app_settings({"films": film_folder}, redis_server.url, **{"mediacaster.data_dir": str(tmp_path)}),
    )
    try:
        with LiveServer(app, threads=8) as server:
            yield server, app.registry.services
    finally:
        app.registry.services.close()


@pytest.fixture(scope="module")
def browser():
    with chromium("--autoplay-policy=no-user-gesture-required") as browser:
        yield browser


def ffmpeg_starts(monkeypatch, folder, probes=None):
    """The first segment of each conversion's ffmpeg started for the cache in ``folder``,
    in order; those of jobs for one segment (probes) go to ``probes`` when it is given."""
    starts = []
    spawn = jobs.spawn

    def spy(ffmpeg, args, output):
        if str(folder) in " ".join(map(str, [ffmpeg, *args, output])):
            index = int(args[args.index("-start_number") + 1])
            (probes if probes is not None and "-t" in args else starts).append(index)
        return spawn(ffmpeg, args, output)

    monkeypatch.setattr(jobs, "spawn", spy)
    return starts


@pytest.mark.parametrize("manifest", ["dash", "hls"])
def test_a_seek_far_ahead_starts_a_job_there_and_plays_on_from_there(browser, site, monkeypatch, manifest):
    server, services = site
    probes = []
    starts = ffmpeg_starts(monkeypatch, services.conversion.cache.folder, probes)
    context = browser.new_context()
    page = context.new_page()
    try:
        page.goto(f"{server.url}/library/films/{quote(FILM)}?play=1&manifest={manifest}")
        plays_from(page, 0)
        (job,) = services.conversion.jobs.running()
        # One job from the start: segments Shaka Player fetches ahead of it before it plays
        # (reading HLS, a middle and the last one) are made beside it, by jobs of their own.
        assert job.start_index == 0 and starts == [0]
        assert len(probes) == (2 if manifest == "hls" else 0), probes
        until(page, "document.getElementById('player').duration > 0")
        duration = page.evaluate("document.getElementById('player').duration")
        assert duration == pytest.approx(CLIP_SECONDS * LOOPS, abs=1)
        # Into the middle of a segment far ahead of the job.
        index = job.timeline.index_at(SEEK_AT * duration)
        position = job.timeline.starts[index] + job.timeline.duration(index) / 2
        assert index > job.next_index + 10

        seek(page, position)

        plays_from(page, position)
        assert current_time(page) >= position
        assert starts == [0, index]
        assert job.stopped == "a seek restarted the conversion elsewhere"
        # The job from the start never went on to the sought part.
        assert max(job.next_index, job.asked) < index - 10
    finally:
        context.close()

"""A seek on the TV into a part of a converted film not made yet: the remote's seek
sends the fake Chromecast a media SEEK, the device fetches the segment there, and
a new ffmpeg starts at that segment at once (instead of the request waiting for
the job converting from the start); the device plays on from there."""

from urllib.parse import urlsplit

import pytest
import webtest

from mediacaster.services.conversion import jobs
from tests.common.app import wait_for
from tests.common.servers import LiveServer
from tests.functional.test_browser_seek import FILM, SEEK_AT, ffmpeg_starts, make_film
from tests.functional.test_cast_converted import TV, app_with_the_tv

pytestmark = [pytest.mark.ffmpeg, pytest.mark.slow]


@pytest.fixture(scope="module")
def film(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cast-seek-film")
    return make_film(folder)


@pytest.fixture
def client(make_app, film, tv, monkeypatch):
    # The job from the start pauses half a minute ahead of its player, not four minutes.
    monkeypatch.setattr(jobs, "PACE_AHEAD", 30.0)
    app = app_with_the_tv(make_app, {"m": film.parent})
    with LiveServer(app) as server:
        environ = {"HTTP_HOST": f"127.0.0.1:{server.port}", "SERVER_PORT": str(server.port)}
        yield webtest.TestApp(app, extra_environ=environ), app.registry.services
    tv.fetches.clear()


def segments_fetched(tv):
    """The names of the segments the device got, in order."""
    paths = [urlsplit(f.url).path for f in tv.fetches if f.status == 200]
    return [p.rsplit("/", 1)[1] for p in paths if p.startswith("/segment/")]


def test_a_seek_on_the_tv_far_ahead_starts_a_job_there_and_plays_on(client, tv, monkeypatch):
    http, services = client
    starts = ffmpeg_starts(monkeypatch, services.conversion.cache.folder)
    tv.fetches.clear()
    result = http.post_json("/api/cast", {"path": f"m/{FILM}", "device": TV}).json
    assert result["delivery"] == "convert_all"
    assert segments_fetched(tv)[:3] == ["init.mp4", "0.m4s", "1.m4s"]
    (job,) = services.conversion.jobs.running()
    timeline = job.timeline
    # Into the middle of a segment far ahead of the job.
    index = timeline.index_at(SEEK_AT * (timeline.end - timeline.starts[0]))
    position = timeline.starts[index] + timeline.duration(index) / 2
    assert index > job.next_index + 10

    http.post_json("/api/player/seek", {"device": TV, "position": position})

    wanted = [f"{index}.m4s", f"{index + 1}.m4s"]
    assert tv.wait_fetches(lambda _: segments_fetched(tv)[-2:] == wanted or tv.player_state == "IDLE", 60)
    assert segments_fetched(tv)[-2:] == wanted, [_describe(f) for f in tv.fetches[-3:]]
    assert index in starts, starts
    assert job.stopped == "a seek restarted the conversion elsewhere"
    assert max(job.next_index, job.asked) < index - 10
    # It plays on from there.
    wait_for(lambda: tv.position() > position + 0.5, 20, "the TV to play on")
    assert tv.player_state == "PLAYING"


def _describe(fetch):
    return f"{urlsplit(fetch.url).path.rsplit('/', 1)[1]}: {fetch.status} {fetch.error or ''}"

"""Conversions on worker machines (conversion_backend = celery), with real processes on
loopback: a Redis broker, two ``mediacaster-worker`` processes (names and folders of their
own, the app's folders seen through path mapping), the app with its segment cache
shared with them, and the fake Chromecast playing what they make."""

import logging
import os
import shutil
import subprocess
import time
from urllib.parse import urlsplit

import pytest
import webtest

from mediacaster.services.conversion.cluster import CeleryRun, map_path, unmap_text
from tests.common.app import wait_for
from tests.common.servers import LiveServer, free_port
from tests.common.workers import Worker, live_workers
from tests.functional.test_cast_converted import TV, app_with_the_tv
from tests.functional.test_conversion import assert_error, get, make_long_films, open_converted

pytestmark = [pytest.mark.ffmpeg, pytest.mark.slow]
log = logging.getLogger(__name__)


@pytest.fixture(scope="module")
def films(tmp_path_factory, typical_library):
    folder = make_long_films(tmp_path_factory.mktemp("worker-films"))
    os.link(folder / "long.mkv", folder / "long again.mkv")  # a third long job, of a file of its own
    shutil.copy(typical_library["hevc 10-bit eac3.mkv"], folder / "hevc.mkv")
    return folder


@pytest.fixture
def broker(redis_server):
    """The broker: a database of the test Redis of its own, emptied after each test."""
    url = redis_server.url.rsplit("/", 1)[0] + "/5"
    yield url
    import redis

    redis.Redis.from_url(url).flushdb()


@pytest.fixture
def cluster(make_app, broker, films, tmp_path):
    """``cluster(**settings)``: the app with conversion_backend = celery, its segment
    cache in a folder of the test's, and ``workers(...)`` that see it through path mapping;
    after the test, no ffmpeg is left on any worker, the app closed and its workers stopped."""
    made = {"apps": [], "workers": []}
    data = tmp_path / "nas"

    def build(tv=None, **settings):
        settings = {
            "mediacaster.data_dir": str(data),
            "mediacaster.conversion_backend": "celery",
            "mediacaster.broker_url": broker,
            "mediacaster.conversion_fallback_local": "false",
            **settings,
        }
        roots = {"films": films}
        app = app_with_the_tv(make_app, roots, **settings) if tv else make_app(roots=roots, **settings)
        server = LiveServer(app, threads=8).__enter__()
        made["apps"].append((app, server))
        environ = {"HTTP_HOST": f"127.0.0.1:{server.port}", "SERVER_PORT": str(server.port)}
        return app.registry.services, server.url, webtest.TestApp(app, extra_environ=environ)

    def worker(name, **options):
        paths = {str(films): "films", str(data / "cache" / "hls"): "hls"}
        (data / "cache" / "hls").mkdir(parents=True, exist_ok=True)
        started = Worker(f"{name}@test", broker, tmp_path / name, paths, **options).start()
        made["workers"].append(started)
        return started

    build.worker = worker
    yield build
    for app, server in made["apps"]:
        server.__exit__(None, None, None)
        app.registry.services.close()
    for started in made["workers"]:
        wait_for(lambda started=started: not started.ffmpeg(), 15, f"no ffmpeg left on {started.name}")
    for started in made["workers"]:
        started.stop()
        assert not started.ffmpeg()


def segment_name(fetch):
    return urlsplit(fetch.url).path.rsplit("/", 1)[1]


def remote_jobs(services):
    return [job for job in services.conversion.jobs.running() if isinstance(job.process, CeleryRun)]


def run_on(job, timeout=30):
    """The name of the worker that runs (or ran) ``job``, once it took it."""

    def taken():
        job.process.poll()
        return job.process.worker

    return wait_for(taken, timeout, "a worker to take the job")


# -- a worker converts, the TV plays ----------------------------------------------------


def test_a_file_converted_by_a_worker_plays_through_on_the_tv(cluster, tv):
    alpha = cluster.worker("alpha")
    services, _, http = cluster(tv=True)
    tv.fetches.clear()
    result = http.post_json("/api/cast", {"path": "films/hevc.mkv", "device": TV}).json
    assert result["verdict"]["verdict"] == "plays_converted"
    (job,) = remote_jobs(services)
    assert run_on(job) == alpha.name
    # The film, where the worker sees it.
    assert f"{alpha.folder}/films/hevc.mkv" in job.process.command
    # Played through: the TV gets the init segment and the film's last segment, made on the worker.
    last = len(tv.playlist.segments) - 1
    http.post_json("/api/player/seek", {"device": TV, "position": tv.playlist.segments[last].start + 0.5})
    wanted = {"init.mp4", f"{last}.m4s"}
    assert tv.wait_fetches(
        lambda fetches: wanted <= {segment_name(f) for f in fetches if f.status == 200}, 90
    ), [(f.url, f.status) for f in tv.fetches]
    assert {f.status for f in tv.fetches} <= {200, 503}
    assert services.conversion.cache.path(job.stream.id, str(last), ".m4s").exists()
    tv.fetches.clear()


# -- path mapping ---------------------------------------------------------------------


def test_a_worker_whose_mapped_folder_is_missing_refuses_to_start_with_one_line(broker, tmp_path):
    worker = Worker("gamma@test", broker, tmp_path / "gamma", {"/srv/nowhere": "missing"})
    (tmp_path / "gamma" / "missing").unlink()  # the share is not mounted
    done = subprocess.run(worker.command(), capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("mediacaster-worker: invalid setting: worker.paths: ")
    assert "/srv/nowhere" in lines[0] and "does not exist" in lines[0]


def test_a_worker_with_a_malformed_mapping_or_no_broker_says_so(broker, tmp_path):
    worker = Worker("delta@test", broker, tmp_path / "delta", {})
    done = subprocess.run(
        worker.command(**{"worker.paths": "relative=/x"}), capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 2 and "is not of the form /app/path=/worker/path" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert "delta@test" not in live_workers(broker)


# -- seeks and faults -----------------------------------------------------------------


def test_a_far_seek_stops_the_workers_run_and_starts_one_there(cluster):
    alpha, beta = cluster.worker("alpha"), cluster.worker("beta")
    services, base, _ = cluster()
    converted = open_converted(services, base, "films", "long.mkv")
    assert get(converted.uris[0]).status_code == 200
    (job,) = converted.running()
    first = run_on(job)
    assert get(converted.uris[2]).status_code == 200  # read on: a player, not a probe

    far = len(converted.uris) * 9 // 10
    response = get(converted.uris[far])

    assert response.status_code == 200, response.text
    # The first run ends once its worker says its ffmpeg is gone; the new one may have
    # reached the film's end by then (a few segments from there).
    wait_for(lambda: not job.running, 15, f"the run on {first} to end")
    assert job.stopped and job.process.returncode is not None
    assert not [p for w in (alpha, beta) for p in w.ffmpeg() if job.folder.name in " ".join(p.cmdline())]
    (restarted,) = [
        other for other in services.conversion.jobs._jobs[converted.stream.id] if other is not job
    ]
    assert restarted.start_index == far and isinstance(restarted.process, CeleryRun)
    assert run_on(restarted) in (alpha.name, beta.name)
    assert "-ss" in restarted.process.command


def a_film_a_few_segments_in(cluster, tv):
    """Two workers, and a film cast to the TV that one of them converts, a few segments
    made: ``(services, http, job, its worker, the other)``."""
    workers = {w.name: w for w in (cluster.worker("alpha"), cluster.worker("beta"))}
    services, _, http = cluster(tv=True)
    tv.fetches.clear()
    result = http.post_json("/api/cast", {"path": "films/long.mkv", "device": TV}).json
    assert result["verdict"]["verdict"] == "plays_converted" and tv.player_state == "PLAYING"
    (job,) = remote_jobs(services)
    running = workers.pop(run_on(job))
    (other,) = workers.values()
    wait_for(lambda: job.next_index >= 3, timeout=90, what="the worker to make a few segments")
    return services, http, job, running, other


def test_a_worker_killed_mid_film_has_its_job_sent_to_the_other_and_the_tv_plays_on(cluster, tv):
    services, http, job, dead, other = a_film_a_few_segments_in(cluster, tv)

    killed = time.monotonic()
    dead.kill()  # the machine switched off: the worker and its pool gone at once
    wait_for(lambda: not dead.ffmpeg(), 10, "the dead worker's ffmpeg to die with it")

    # The TV asks for what the dead worker did not make: it comes from the other worker.
    missing = job.next_index
    tv.fetches.clear()
    http.post_json("/api/player/seek", {"device": TV, "position": tv.playlist.segments[missing].start + 0.5})
    got = tv.wait_fetches(
        lambda fetches: f"{missing}.m4s" in [segment_name(f) for f in fetches if f.status == 200], 90
    )
    assert got, [(segment_name(f), f.status) for f in tv.fetches]
    served = time.monotonic() - killed
    log.warning("seconds from the killed worker to the next segment served: %.2f", served)
    assert {f.status for f in tv.fetches} <= {200, 503}  # at most asked again
    assert tv.player_state == "PLAYING"
    assert "stopped answering" in job.error and job.retry
    (restarted,) = remote_jobs(services)
    assert restarted.start_index == missing and run_on(restarted) == other.name
    tv.fetches.clear()


def test_a_worker_cut_off_mid_film_has_its_job_sent_to_the_other_once_its_lease_lapses(cluster, tv):
    services, http, job, gone, other = a_film_a_few_segments_in(cluster, tv)
    cut = time.monotonic()
    gone.freeze()  # its connections stay open: only the lapsed lease tells
    try:
        wait_for(lambda: "stopped answering" in (job.error or ""), 30, "the run to be taken for gone")
        log.warning("seconds from the worker cut off to its run taken for gone: %.2f", time.monotonic() - cut)
        missing = job.next_index
        tv.fetches.clear()
        http.post_json(
            "/api/player/seek", {"device": TV, "position": tv.playlist.segments[missing].start + 0.5}
        )
        got = tv.wait_fetches(
            lambda fetches: f"{missing}.m4s" in [segment_name(f) for f in fetches if f.status == 200], 90
        )
        assert got, [(segment_name(f), f.status) for f in tv.fetches]
        assert {f.status for f in tv.fetches} <= {200, 503} and tv.player_state == "PLAYING"
        (restarted,) = remote_jobs(services)
        assert restarted.start_index == missing and run_on(restarted) == other.name
    finally:
        gone.kill()
    tv.fetches.clear()


def test_a_workers_ffmpeg_error_names_the_apps_paths_not_the_workers(cluster, tmp_path):
    # The worker's library mount is empty: its ffmpeg finds no film there, and says where.
    (tmp_path / "alpha" / "films").mkdir(parents=True)
    alpha = cluster.worker("alpha")
    services, base, _ = cluster()
    converted = open_converted(services, base, "films", "long.mkv")
    response = get(converted.uris[0])
    assert_error(response, 422, "conversion_failed", "long.mkv: No such file or directory")
    assert str(alpha.folder) not in response.text and "/films/" not in response.text


def test_a_workers_paths_are_written_back_as_the_apps():
    pairs = (("/srv/video", "/mnt/nas/video"), ("/var/lib/mediacaster/cache/hls", "/mnt/hls"))
    said = "'/mnt/nas/video/a b.mkv': failed; /mnt/hls/1-ab/3.m4s, /mnt/nas/video2/c.mkv, /mnt/hls"
    assert unmap_text(said, pairs) == (
        "'/srv/video/a b.mkv': failed; /var/lib/mediacaster/cache/hls/1-ab/3.m4s, "
        "/mnt/nas/video2/c.mkv, /var/lib/mediacaster/cache/hls"
    )
    assert map_path("/srv/video/a b.mkv", pairs) == "/mnt/nas/video/a b.mkv"
    assert map_path("/srv/video2/c.mkv", pairs) == "/srv/video2/c.mkv"


# -- encoders, capacity, no worker ---------------------------------------------------


def test_a_job_wanting_a_hardware_encoder_goes_only_to_a_worker_that_has_it(cluster):
    software, nvenc = cluster.worker("alpha"), cluster.worker("beta", encoder="nvenc")
    services, base, _ = cluster(**{"mediacaster.video_encoder": "nvenc"})
    converted = open_converted(services, base, "films", "long.mkv")
    for _ in range(2):
        get(converted.uris[0])  # this machine has no NVIDIA card: its ffmpeg fails, the job with it
        (job, *_) = services.conversion.jobs._jobs[converted.stream.id]
        assert run_on(job) == nvenc.name
        assert "h264_nvenc" in job.process.command and "libx264" not in job.process.command
    assert not software.ffmpeg()


def said_by_workers(http):
    """``{name: (slots, running, free)}`` of the workers /api/conversions lists."""
    workers = http.get("/api/conversions").json["workers"]
    return {w["name"]: (w["slots"], w["running"], w["free"]) for w in workers}


def test_the_job_limit_is_the_free_slots_the_live_workers_say_they_have(cluster):
    alpha, beta = cluster.worker("alpha", slots=1), cluster.worker("beta", slots=2)
    services, base, http = cluster()
    opened = {}
    for name in ("long.mkv", "long copy.mkv", "long again.mkv"):
        converted = open_converted(services, base, "films", name)
        assert get(converted.uris[0]).status_code == 200
        opened[converted.stream.id] = converted
    jobs = remote_jobs(services)
    assert sorted(run_on(job) for job in jobs) == [alpha.name, beta.name, beta.name]
    # Each worker's own word: all its slots taken.
    full = {alpha.name: (1, 1, 0), beta.name: (2, 2, 0)}
    wait_for(lambda: said_by_workers(http) == full, 15, "the workers to say their slots are taken")
    page = http.get("/admin/users").html
    rows = page.select("table.conversion-workers tbody tr")
    cells = {row["data-worker"]: [cell.text for cell in row.select("td.num")] for row in rows}
    assert cells[beta.name][:3] == ["2", "2", "0"]

    fourth = open_converted(services, base, "films", "hevc.mkv")
    for converted in opened.values():
        assert get(converted.uris[0]).status_code == 200  # read again: no job is idle enough to give way
    response = get(fourth.uris[0])
    assert_error(response, 503, "conversion_busy", "the conversion workers make at once")
    assert int(response.headers["Retry-After"]) > 0

    # A worker gone takes its slots out of the count at once, its jobs with them.
    beta.kill()
    wait_for(lambda: set(said_by_workers(http)) == {alpha.name}, 15, "the dead worker to leave the list")
    wait_for(lambda: len(remote_jobs(services)) == 1, 15, "the dead worker's jobs to end")
    (left,) = remote_jobs(services)
    assert get(opened[left.stream.id].uris[0]).status_code == 200
    response = get(fourth.uris[0])
    assert_error(response, 503, "conversion_busy", "the conversion workers make at once")
    # Its slot freed, the fourth film goes to the worker left.
    with services.conversion.jobs._cond:
        services.conversion.jobs._stop(left, "stopped by the test")
    assert get(fourth.uris[0]).status_code == 200
    wait_for(lambda: said_by_workers(http) == {alpha.name: (1, 1, 0)}, 15, "the worker left to take it")


def test_a_worker_busy_for_another_app_counts_as_busy(cluster, tmp_path):
    """Two apps on one broker share the workers: a slot one of them took is taken for the other."""
    alpha = cluster.worker("alpha")
    first, first_base, _ = cluster()
    assert get(open_converted(first, first_base, "films", "long.mkv").uris[0]).status_code == 200
    run_on(*remote_jobs(first))
    # The other app's folders are the same paths on the worker (no mapping needed).
    other, other_base, http = cluster(**{"mediacaster.data_dir": str(tmp_path / "other")})
    wait_for(lambda: said_by_workers(http) == {alpha.name: (1, 1, 0)}, 15, "the worker to say it is busy")
    response = get(open_converted(other, other_base, "films", "long copy.mkv").uris[0])
    assert_error(response, 503, "conversion_busy", "the conversion workers make at once")
    assert not remote_jobs(other)


def test_with_no_worker_a_conversion_is_refused_or_made_here(cluster):
    services, base, _ = cluster()
    converted = open_converted(services, base, "films", "hevc.mkv")
    response = get(converted.uris[0])
    assert_error(response, 503, "conversion_unavailable", "no conversion worker")
    assert int(response.headers["Retry-After"]) > 0

    here, base, _ = cluster(**{"mediacaster.conversion_fallback_local": "true"})
    converted = open_converted(here, base, "films", "hevc.mkv")
    assert get(converted.uris[0]).status_code == 200
    (job,) = converted.running()
    assert not isinstance(job.process, CeleryRun) and job.process.pid


# -- what administrators see ----------------------------------------------------------


def test_the_conversions_api_and_healthz_show_the_workers_and_what_they_run(cluster):
    alpha = cluster.worker("alpha", slots=2)
    services, base, http = cluster()
    health = http.get("/healthz").json["conversion"]
    assert health == {"backend": "celery", "broker": {"reachable": True}, "workers": 1}
    converted = open_converted(services, base, "films", "long.mkv")
    assert get(converted.uris[0]).status_code == 200
    (job,) = remote_jobs(services)
    run_on(job)
    wait_for(lambda: job.speed, 60, "the job's speed")  # two segments made

    # Checked against the OpenAPI document, as every /api/ answer of these apps is.
    overview = http.get("/api/conversions").json
    assert overview["backend"] == "celery"
    (worker,) = overview["workers"]
    assert worker["name"] == alpha.name and worker["encoders"] == ["software"] and worker["slots"] == 2
    assert worker["running"] == 1 and worker["speed"] > 0
    (running,) = overview["conversions"]
    assert running["file"] == "long.mkv" and running["worker"] == alpha.name and running["segment"] >= 2
    # The administrators' page shows the same.
    page = http.get("/admin/users").html
    (row,) = page.select("table.conversion-workers tbody tr")
    assert row["data-worker"] == alpha.name and "software" in row.text and "1 running" in page.text


def test_a_broker_that_is_down_is_reported_on_healthz(cluster):
    _, _, http = cluster(**{"mediacaster.broker_url": f"redis://127.0.0.1:{free_port()}/0"})
    health = http.get("/healthz", status=503).json
    assert health["down"] == ["broker"]
    assert health["conversion"] == {"backend": "celery", "broker": {"reachable": False}, "workers": 0}


def test_a_stopped_worker_kills_its_ffmpeg_and_its_job_goes_to_the_other(cluster):
    workers = {w.name: w for w in (cluster.worker("alpha"), cluster.worker("beta"))}
    services, base, _ = cluster()
    converted = open_converted(services, base, "films", "long.mkv")
    assert get(converted.uris[0]).status_code == 200
    (job,) = remote_jobs(services)
    stopped = workers.pop(run_on(job))
    (other,) = workers.values()

    stopped.stop()  # SIGTERM, as systemctl stop: at once, not at the end of the film

    assert not stopped.ffmpeg()
    wait_for(lambda: not job.running, 15, "the job to end with its worker")
    assert "is stopping" in job.error and job.retry
    # Sent again from the first missing segment before its player asks for it.
    (restarted,) = wait_for(lambda: remote_jobs(services), 15, "the job to be sent again")
    assert restarted.start_index == job.next_index and run_on(restarted) == other.name
    response = get(converted.uris[job.next_index])
    assert response.status_code == 200, response.text[-2000:]
    assert remote_jobs(services) == [restarted]

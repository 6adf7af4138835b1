"""Bad days for conversion, with real processes: ffmpeg killed (as by the kernel's
out-of-memory killer) or stopped in the middle of a film, killed again after its
restart, and the segment cache's disk filling up (a small tmpfs mounted as the
cache). Each test asserts what the player or the TV sees during the fault and that
all is back to normal after it, without a restart, and no ffmpeg left over."""

import contextlib
import html
import os
import signal
import subprocess
import threading
import time
from urllib.parse import urlsplit

import psutil
import pytest
import webtest

from mediacaster.services.conversion import jobs
from mediacaster.services.conversion.fmp4 import init_complete, segment_complete
from tests.common.app import wait_for
from tests.common.servers import LiveServer
from tests.functional.test_cast_converted import TV, app_with_the_tv
from tests.functional.test_conversion import (
    assert_error,
    assert_no_zombies,
    ffmpeg_children,
    get,
    make_long_films,
    open_converted,
)

pytestmark = [pytest.mark.ffmpeg, pytest.mark.slow]

ON_CI = os.environ.get("CI") == "true"
TMPFS_BYTES = 4 * 1024 * 1024


@pytest.fixture(scope="module")
def films(tmp_path_factory):
    return make_long_films(tmp_path_factory.mktemp("fault-films"))


@pytest.fixture
def serve(make_app, tmp_path):
    """``serve(roots)``: an app of its own (its own cache) on a real waitress, closed
    after the test, which then asserts that none of its ffmpeg is left."""
    made = []

    def build(roots, **settings):
        data = tmp_path / f"data-{len(made)}"
        app = make_app(roots=roots, **{"mediacaster.data_dir": str(data)}, **settings)
        server = LiveServer(app, threads=8).__enter__()
        made.append((app.registry.services, server))
        return app.registry.services, server.url

    yield build
    for services, server in made:
        server.__exit__(None, None, None)
        services.close()
        assert not ffmpeg_children(services.conversion.cache.folder)
    assert_no_zombies()


def settled(job):
    """Wait until the stopped or killed ``job`` made its last segment (its watcher polls
    every 20 ms): its ``next_index`` for good."""
    last, since = job.next_index, time.monotonic()
    while time.monotonic() - since < 1.0:
        time.sleep(0.1)
        if job.next_index != last:
            last, since = job.next_index, time.monotonic()
    return last


def kill(job):
    """Kill the job's ffmpeg as the kernel's out-of-memory killer would, and wait for it to be seen."""
    os.kill(job.process.pid, signal.SIGKILL)
    wait_for(lambda: not job.running, timeout=30, what="the killed ffmpeg's job to end")


def ask_until(url, ok, deadline=120):
    """GET ``url`` as a player does, again after each 503's Retry-After, until
    ``ok(response)``; the answers, in order."""
    answers = []
    end = time.monotonic() + deadline
    while True:
        response = get(url)
        answers.append(response)
        if ok(response) or time.monotonic() > end:
            return answers
        assert response.status_code == 503, response.text[-2000:]
        time.sleep(float(response.headers.get("Retry-After", "1")))


# -- ffmpeg killed or stopped ---------------------------------------------------------


def test_ffmpeg_killed_mid_film_is_restarted_and_the_tv_plays_on(make_app, films, tv):
    app = app_with_the_tv(make_app, {"films": films})
    services = app.registry.services
    with LiveServer(app) as server:
        environ = {"HTTP_HOST": f"127.0.0.1:{server.port}", "SERVER_PORT": str(server.port)}
        http = webtest.TestApp(app, extra_environ=environ)
        tv.fetches.clear()
        result = http.post_json("/api/cast", {"path": "films/long.mkv", "device": TV}).json
        assert result["verdict"]["verdict"] == "plays_converted" and tv.player_state == "PLAYING"
        (job,) = services.conversion.jobs.running()
        wait_for(lambda: job.next_index >= 3, timeout=60, what="the job to make a few segments")

        kill(job)

        assert "SIGKILL" in job.error and job.retry
        missing = settled(job)
        assert not services.conversion.cache.path(job.stream.id, str(missing), ".m4s").exists()
        # The TV moves on to what the killed ffmpeg did not make (a seek there, as the
        # remote sends): it gets it from a new ffmpeg, never an error.
        start = tv.playlist.segments[missing].start
        tv.fetches.clear()
        http.post_json("/api/player/seek", {"device": TV, "position": start + 0.5})
        wanted = [f"{missing}.m4s", f"{missing + 1}.m4s"]
        got = tv.wait_fetches(lambda fetches: [name(f) for f in fetches if f.status == 200] == wanted, 60)
        assert got, [(name(f), f.status) for f in tv.fetches]
        assert tv.player_state == "PLAYING"
        # At most held, or asked again after a 503 (as a receiver does): never refused.
        assert {f.status for f in tv.fetches} <= {200, 503}
        (restarted,) = services.conversion.jobs.running()
        assert restarted.start_index == missing and restarted.process.pid != job.process.pid
        tv.fetches.clear()
    services.close()
    assert not ffmpeg_children(services.conversion.cache.folder)
    assert_no_zombies()


def name(fetch):
    return urlsplit(fetch.url).path.rsplit("/", 1)[1]


def test_a_stopped_ffmpeg_answers_within_the_hold_then_gives_way_to_a_new_one(serve, films):
    services, url = serve({"films": films})
    converted = open_converted(services, url, "films", "long.mkv")
    assert get(converted.uris[0]).status_code == 200
    (job,) = converted.running()
    process = psutil.Process(job.process.pid)
    os.kill(job.process.pid, signal.SIGSTOP)  # kill -STOP: alive, and making nothing
    try:
        wait_for(lambda: process.status() == psutil.STATUS_STOPPED, timeout=10, what="ffmpeg to stop")
        made = settled(job)
        assert made >= 1
        # The last segment made is read; the next one, waited for, never comes.
        assert get(converted.uris[made - 1]).status_code == 200
        started = time.monotonic()

        held = get(converted.uris[made], timeout=jobs.HOLD_SECONDS + 30)

        assert time.monotonic() - started < jobs.HOLD_SECONDS + 30  # answered, not hung
        assert_error(held, 503, "conversion_slow", f"segment {made} is still being made")
        assert held.headers["Retry-After"] == str(jobs.HOLD_RETRY_AFTER)
        # Asked again, as a player does: the job that made no progress is killed and a
        # new ffmpeg makes the segment.
        answers = ask_until(converted.uris[made], lambda response: response.status_code == 200)
        assert answers[-1].status_code == 200, answers[-1].text[-2000:]
        assert "no progress" in job.error and job.process.returncode == -signal.SIGKILL
        (restarted,) = converted.running()
        assert restarted.start_index == made
        assert get(converted.uris[made + 1]).status_code == 200
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(job.process.pid, signal.SIGCONT)


def test_a_second_crash_in_a_row_is_answered_then_tried_again(serve, films, monkeypatch):
    # A crashed job's answer is kept for 10 s here, not 30: the test's wait for a new try.
    monkeypatch.setattr(jobs, "ERRORS_KEPT", 10.0)
    services, url = serve({"films": films})
    converted = open_converted(services, url, "films", "long.mkv")
    assert get(converted.uris[0]).status_code == 200
    (first,) = converted.running()
    kill(first)
    restart_at = settled(first)
    assert get(converted.uris[restart_at]).status_code == 200  # restarted, once
    (second,) = converted.running()
    assert second.start_index == restart_at

    kill(second)

    missing = settled(second)
    response = get(converted.uris[missing])
    assert_error(response, 503, "conversion_crashed", "ffmpeg failed twice in a row", "SIGKILL")
    assert 1 <= int(response.headers["Retry-After"]) <= 10
    assert not converted.running()
    # After its Retry-After, a new ffmpeg is tried: it makes the segment.
    answers = ask_until(converted.uris[missing], lambda response: response.status_code == 200)
    assert answers[-1].status_code == 200, answers[-1].text[-2000:]
    assert {r.status_code for r in answers[:-1]} <= {503}


# -- a full disk ----------------------------------------------------------------------


@pytest.fixture
def small_disk(tmp_path):
    """A 4 MiB tmpfs mounted where an app's segment cache goes (``data/cache/hls``)."""
    data = tmp_path / "data"
    folder = data / "cache" / "hls"
    folder.mkdir(parents=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={TMPFS_BYTES},mode=0700", "tmpfs", str(folder)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        reason = f"a tmpfs cannot be mounted here: {mounted.stderr.strip()}"
        if ON_CI:
            pytest.fail(f"{reason} (CI=true: the full-disk test must run)")
        pytest.skip(reason)
    try:
        yield data, folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=True)


def fill(path, leave):
    """Grow the filler file ``path`` until its disk has at most ``leave`` bytes free."""
    with open(path, "ab") as file:
        while True:
            free = os.statvfs(path).f_bavail * os.statvfs(path).f_frsize
            if free <= leave:
                return
            try:
                file.write(b"\0" * min(64 * 1024, free - leave))
                file.flush()
            except OSError:
                return


@contextlib.contextmanager
def filling(path):
    """Meanwhile, a program that grows ``path`` whenever its disk has room."""
    done = threading.Event()

    def grow():
        while not done.is_set():
            fill(path, 0)
            done.wait(0.02)

    writer = threading.Thread(target=grow, name="filler")
    writer.start()
    try:
        yield
    finally:
        done.set()
        writer.join()


def whole_files_only(folder):
    """Every file of the cache is whole: no partial file, nothing of a job left."""
    work = folder / ".work"
    assert not work.exists() or not list(work.rglob("*")), list(work.rglob("*"))
    for path in folder.rglob("*"):
        if path.is_file() and path.name != "filler":
            assert not path.name.startswith(".part-"), path
            if path.suffix == ".m4s":
                assert segment_complete(path), path
            elif path.suffix == ".mp4":
                assert init_complete(path), path


def test_a_full_disk_evicts_the_least_recently_used_then_refuses_in_words(
    make_app, small_disk, typical_library, films, monkeypatch
):
    # Segments read in the last second, not the last minute, are spared by the eviction
    # that keeps room while a job runs: the test plays one file after the other.
    monkeypatch.setattr(jobs, "SPARE_SECONDS", 1.0)
    data, folder = small_disk
    app = make_app(
        roots={"typical": typical_library.folder, "films": films}, **{"mediacaster.data_dir": str(data)}
    )
    services = app.registry.services
    room = TMPFS_BYTES // 4  # what jobs keep free on a disk this small
    filler = folder / "filler"
    with LiveServer(app, threads=8) as server:
        first = open_converted(services, server.url, "typical", "ac3 5.1.mkv")
        for uri in [first.init_uri, *first.uris]:
            assert get(uri).status_code == 200
        wait_for(lambda: not first.running(), timeout=30, what="the first file's job to end")
        assert first.cached(0)
        time.sleep(1.5)  # older than what the eviction spares
        # Little room beside the cache: the next file needs the space of the first.
        fill(filler, room + 256 * 1024)

        second = open_converted(services, server.url, "typical", "hevc 10-bit eac3.mkv")
        for uri in [second.init_uri, *second.uris]:
            response = get(uri)
            assert response.status_code == 200, response.text[-2000:]

        assert not first.cached(0)  # the least recently used gave way
        wait_for(lambda: not second.running(), timeout=30, what="the second file's job to end")
        whole_files_only(folder)

        # Another program takes every byte that is freed: a long film plays on from what
        # the cache gives way, until it has nothing left to give.
        film = open_converted(services, server.url, "films", "long.mkv")
        with filling(filler):
            answers = []
            for uri in film.uris:
                answers += ask_until(uri, lambda response: response.status_code in (200, 507))
                if answers[-1].status_code != 200:
                    break
        refused = answers[-1]
        assert_error(refused, 507, "cache_full", "disk", "full", "free some space")
        assert "The server's disk is full" in html.unescape(refused.text)
        wait_for(lambda: not film.running(), timeout=30, what="the film's job to end")
        whole_files_only(folder)
        assert not ffmpeg_children(folder)

        # Room again: the same segment plays, the app untouched.
        filler.unlink()
        again = ask_until(refused.url, lambda response: response.status_code == 200)
        assert again[-1].status_code == 200, again[-1].text[-2000:]
    services.close()
    assert not ffmpeg_children(folder)
    whole_files_only(folder)

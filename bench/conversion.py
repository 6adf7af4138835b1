"""Conversion benchmark: the app's HLS conversion beside bare ffmpeg in the same run.

The app runs in this process under a real waitress on loopback, with a data
folder of its own for every measurement that needs a cold cache; a small
Python client plays the player (one keep-alive connection, as a Cast device
keeps). The reference is the ffmpeg command line the app itself runs for the
same segment (``hls_command`` of the same job), timed from its start to the
segment's file appearing (ffmpeg renames each finished segment into place).
The app and the reference never run at once: each app is closed, its ffmpeg
killed and waited for, before the next run starts.

1. Seek: a 1080p HEVC 10-bit film with E-AC-3 5.1 sound, converted to H.264
   and AAC (what a 1st/2nd generation Chromecast needs). The player loads the
   playlist and the init segment (which starts a job at the film's start, as
   playing from the start does), then asks for the segment at 60 %: timed from
   that request to its last byte.
2. Reading on: the next segments, asked for in order as fast as they come:
   seconds of media delivered per wall second, against ffmpeg making the same
   segments in the same run as in 1.
3. First segment of a remux (H.264 copied, AC-3 5.1 converted to AAC) and of
   music (ALAC to FLAC): a fresh cache, the playlist loaded first (not timed),
   then the init segment and segment 0 asked for at once; timed: segment 0.
4. Second play: every segment of the remux, already in the cache, read in
   order by curl on one connection through the app, against nginx serving the
   same files (the streaming benchmark's reference); and the same files copied
   into a library folder, through the app's range view (what segments should be
   served at) and through nginx.

Other work on the machine (a test suite beside) skews such timings: every
timed run measures the share of the CPUs other processes took meanwhile, waits
for a quiet machine first and runs again when disturbed, while a time budget
lasts; the table shows the worst share among the runs kept.

With ``--backend celery`` (``python -m bench conversion --backend celery``), the
same run also measures conversions through two workers (``mediacaster-worker``
on this machine, the bench's Redis as broker) against the local backend: the
seek and reading on of 1 and 2, the first segment of the remux of 3, and the
seconds from a worker's ``kill -9`` mid-film to the next segment served.

The media are made once into ``data/bench-media`` (about 4 minutes: x265 at
1080p is slow) and reused.
"""

import argparse
import http.client
import os
import re
import resource
import shutil
import statistics
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import quote, urlsplit

import psutil

from bench.common import LOGINS_OFF, markdown_table
from mediacaster import main as make_app
from mediacaster.playback.decisions import decide
from mediacaster.playback.verdicts import GEN1
from mediacaster.services.conversion import Variant
from mediacaster.services.conversion.commands import hls_command
from tests.common.servers import LiveServer, Nginx, RedisServer
from tests.common.typical_library import X264_HIGH

SECRET = "bench-secret-0123456789abcdef"
MEDIA = Path("data") / "bench-media"  # git-ignored; kept between runs
REPEAT = 3
THROUGHPUT_REPEAT = 5
# A timed run during which other processes took more than this share of the CPUs
# (a test suite running beside) is run again, while the budget lasts.
DISTURBED = 0.05
RETRIES = 1
QUIET_WAIT_SECONDS = 5
BUDGET_SECONDS = 200  # no more waiting or running again past this
HELPERS = []  # pids of the servers this benchmark runs besides the app
READ_ON = 5  # segments read after the seek
SEEK_AT = 0.6  # of the film's length
MiB = 1024**2


def _lavfi(seconds, size, rate):
    picture = ["-f", "lavfi", "-i", f"testsrc2=size={size}:rate={rate}:duration={seconds}"]
    return [*picture, "-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:duration={seconds}"]


SOURCES = {
    # 90 s: the seek lands on segment 9 of 15 and leaves 5 segments to read on.
    "film-hevc10-eac3.mkv": [
        *_lavfi(90, "1920x1080", 24),
        *("-c:v", "libx265", "-preset", "fast", "-pix_fmt", "yuv420p10le"),
        *("-x265-params", "keyint=48:min-keyint=24:log-level=none", "-c:a", "eac3", "-ac", "6"),
    ],
    "film-h264-ac3.mkv": [
        *_lavfi(60, "1920x1080", 25),
        *(*X264_HIGH, "-level:v", "4.1", "-c:a", "ac3", "-ac", "6"),
    ],
    "music-alac.m4a": [
        *("-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100:duration=240"),
        *("-c:a", "alac", "-ac", "2"),
    ],
}
FILM, REMUX, MUSIC = SOURCES


def make_media(folder):
    folder.mkdir(parents=True, exist_ok=True)
    for name, args in SOURCES.items():
        if (folder / name).exists():
            continue
        print(f"making {folder / name} once (kept for later runs) ...", flush=True)
        partial = folder / f".part-{name}"  # an interrupted run leaves no half file to reuse
        command = [shutil.which("ffmpeg") or "ffmpeg", "-nostdin", "-loglevel", "error", "-y"]
        subprocess.run([*command, *args, str(partial)], check=True)
        partial.rename(folder / name)
    for name in SOURCES:  # read from the page cache in every run, not the disk
        with open(folder / name, "rb") as f:
            while f.read(8 * MiB):
                pass


def settled(services, timeout=120):
    """Once a new app's start-up work has ended: the catalogue's first scan of the bench's
    folders and the search index (about 3 s of CPU), which would otherwise share the
    machine with what is timed. A cold cache is an empty data folder, not an app starting."""
    if services.catalogue is not None:
        services.catalogue.scanner.hashed.wait(timeout)
    services.search.ready.wait(timeout)


class App:
    """A fresh app with a data folder of its own (a cold conversion cache) under waitress;
    ``celery``: its jobs go to the bench's workers; ``settings``: the app's, over the bench's."""

    def __init__(self, bench, celery=False, **settings):
        self.data = Path(tempfile.mkdtemp(prefix="data-", dir=bench.tmp))
        self.app = make_app(
            {},
            **{
                "mediacaster.roots": f"m={bench.media};s={bench.scratch}",
                "redis.url": bench.redis_url,  # probes stay in Redis from one app to the next
                "mediacaster.secret": SECRET,
                **LOGINS_OFF,
                "mediacaster.data_dir": str(self.data),
                "mediacaster.max_conversions": "8",
                "mediacaster.rescan_interval": "3600",
                "mediacaster.discovery": "false",
                **(
                    {
                        "mediacaster.conversion_backend": "celery",
                        "mediacaster.broker_url": bench.broker_url,
                        "mediacaster.conversion_fallback_local": "false",
                    }
                    if celery
                    else {}
                ),
                **settings,
            },
        )
        self.services = self.app.registry.services
        self.server = LiveServer(self.app, threads=4)

    def __enter__(self):
        self.server.__enter__()
        settled(self.services)
        return self

    def __exit__(self, *exc):
        self.server.__exit__(*exc)
        self.services.close()  # kills and waits for its ffmpeg jobs
        shutil.rmtree(self.data, ignore_errors=True)

    def signed(self, route, root, name):
        signed = self.services.signer.sign(root, name)
        return f"{self.server.url}/{route}/{root}/{quote(name)}?exp={signed['exp']}&sig={signed['sig']}"

    def stream(self, name, token):
        """The Stream the app makes for ``name`` as ``token``, and its timeline."""
        entry = self.services.library.entry("m", [name])
        stream = self.services.playback.converted(entry, token)
        return stream, self.services.conversion.timeline(stream)

    def wait_idle(self, timeout=120):
        deadline = time.monotonic() + timeout
        while self.services.conversion.jobs.running():
            if time.monotonic() > deadline:
                raise RuntimeError("a conversion did not end")
            time.sleep(0.05)


class Client:
    """One keep-alive connection, as a player keeps."""

    def __init__(self, base):
        parts = urlsplit(base)
        self.conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=120)

    def get(self, url):
        """The body of ``url``; a 503 with ``Retry-After`` (a segment still being made
        after the app's hold, on a loaded machine) is asked again after it, as a player does."""
        parts = urlsplit(url)
        while True:
            self.conn.request("GET", f"{parts.path}?{parts.query}" if parts.query else parts.path)
            response = self.conn.getresponse()
            body = response.read()
            later = response.getheader("Retry-After", "")
            if response.status == 503 and later.isdigit() and int(later) <= 2:
                time.sleep(int(later))
                continue
            if response.status != 200:
                raise RuntimeError(f"{parts.path}: {response.status} {body[:300]!r}")
            return body

    def close(self):
        self.conn.close()


class Playlist:
    """The init segment's URL and the segments' URLs, as a player reads them."""

    def __init__(self, text):
        self.init = re.search(r'#EXT-X-MAP:URI="([^"]+)"', text).group(1)
        self.segments = [line for line in text.splitlines() if line and not line.startswith("#")]


class Bench:
    def __init__(self, media, scratch, tmp, redis_url):
        self.media, self.scratch, self.tmp, self.redis_url = media, scratch, tmp, redis_url
        self.disturbed = {}  # {measurement: [share of the machine other processes took, per run]}
        self.deadline = time.monotonic() + BUDGET_SECONDS
        with self.app() as app:
            self.ffmpeg_path = app.services.ffmpeg.path
            self.tokens, self.streams = {}, {}
            for name in SOURCES:
                path = self.media / name
                st = path.stat()
                probe = app.services.probe.probe(str(path), st.st_size, st.st_mtime_ns)
                # What the app picks for a 1st/2nd generation Chromecast.
                self.tokens[name] = token = Variant.of(decide(probe, GEN1)).token
                self.streams[name] = app.stream(name, token)

    @property
    def broker_url(self):
        return self.redis_url.rsplit("/", 1)[0] + "/5"

    def app(self, celery=False, **settings):
        return App(self, celery, **settings)

    def open(self, app, name):
        client = Client(app.server.url)
        url = app.signed("playlist/" + self.tokens[name], "m", name)
        return client, Playlist(client.get(url).decode())

    def timed(self, key, run):
        """``run()`` once the machine is quiet, again if other processes took a share of
        it meanwhile (tests running beside) and there is time left; the least disturbed."""
        tries = []
        while True:
            if time.monotonic() < self.deadline:
                _wait_quiet(QUIET_WAIT_SECONDS)
            with CpuShare() as share:
                result = run()
            tries.append((share.others, result))
            if share.others <= DISTURBED or len(tries) > RETRIES or time.monotonic() > self.deadline:
                break
        others, result = min(tries, key=lambda t: t[0])
        self.disturbed.setdefault(key, []).append(others)
        return result

    # -- bare ffmpeg ---------------------------------------------------------

    def ffmpeg(self, name, index, last):
        """Seconds from starting the app's own command for segment ``index`` to that
        segment's file, then on to segment ``last``'s."""
        stream, timeline = self.streams[name]
        folder = Path(tempfile.mkdtemp(prefix="ffmpeg-", dir=self.tmp))
        # As JobManager._start: no seek for a job at the very start.
        start = timeline.starts[index] if index > 0 or timeline.starts[0] > stream.start + 1e-6 else None
        args = hls_command(stream.job(index, start), str(folder))
        try:
            with open(folder / "ffmpeg.log", "wb") as log:
                started = time.perf_counter()
                process = subprocess.Popen(
                    [self.ffmpeg_path, *args], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log
                )
                try:
                    first = _appears(folder / f"{index}.m4s", process) - started
                    following = _appears(folder / f"{last}.m4s", process) - started - first
                finally:
                    process.kill()
                    process.wait()
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return first, following

    # -- the measurements ------------------------------------------------------

    def seek_positions(self):
        _, timeline = self.streams[FILM]
        index = timeline.index_at(SEEK_AT * (timeline.end - timeline.starts[0]))
        return index, min(index + READ_ON, len(timeline) - 1)

    def app_seek(self, celery=False):
        index, last = self.seek_positions()
        with self.app(celery) as app:
            client, playlist = self.open(app, FILM)
            # The init segment comes with the first segment of a job at the start:
            # the seek then interrupts a running job, as it does during play.
            client.get(playlist.init)
            started = time.perf_counter()
            client.get(playlist.segments[index])
            seek = time.perf_counter() - started
            started = time.perf_counter()
            for n in range(index + 1, last + 1):
                client.get(playlist.segments[n])
            reading = time.perf_counter() - started
            client.close()
        return seek, reading

    def seek(self):
        """Measurements 1 and 2: in turn, a fresh app and bare ffmpeg."""
        index, last = self.seek_positions()
        app_runs, ffmpeg_runs = [], []
        for _ in range(REPEAT):
            app_runs.append(self.timed(FILM, self.app_seek))
            ffmpeg_runs.append(self.timed(FILM, lambda: self.ffmpeg(FILM, index, last)))
        _, timeline = self.streams[FILM]
        media_seconds = sum(timeline.duration(n) for n in range(index + 1, last + 1))
        return {
            "index": index,
            "last": last,
            "at": timeline.starts[index],
            "media": media_seconds,
            "app": statistics.median(r[0] for r in app_runs),
            "ffmpeg": statistics.median(r[0] for r in ffmpeg_runs),
            "app_speed": statistics.median(media_seconds / r[1] for r in app_runs),
            "ffmpeg_speed": statistics.median(media_seconds / r[1] for r in ffmpeg_runs),
        }

    def app_first_segment(self, name, celery=False):
        with self.app(celery) as app:
            client, playlist = self.open(app, name)
            init = _Fetch(Client(app.server.url), playlist.init)
            started = time.perf_counter()
            init.start()
            client.get(playlist.segments[0])
            first = time.perf_counter() - started
            init.join()
            ready = time.perf_counter() - started
            init.check()
            client.close()
        return first, ready

    def first_segment(self, name):
        """Measurement 3: segment 0 from a cold cache, the init asked for at the same time."""
        app_runs, ffmpeg_runs = [], []
        for _ in range(REPEAT):
            app_runs.append(self.timed(name, lambda: self.app_first_segment(name)))
            ffmpeg_runs.append(self.timed(name, lambda: self.ffmpeg(name, 0, 0)[0]))
        return {
            "app": statistics.median(r[0] for r in app_runs),
            "ready": statistics.median(r[1] for r in app_runs),
            "ffmpeg": statistics.median(ffmpeg_runs),
        }

    def second_play(self):
        """Measurement 4: every segment of the remux, from the cache, app against nginx."""
        stream, _ = self.streams[REMUX]
        with self.app() as app:
            client, playlist = self.open(app, REMUX)
            for url in [playlist.init, *playlist.segments]:  # converts it all, once
                client.get(url)
            client.close()
            app.wait_idle()
            cache = app.services.conversion.jobs.cache
            names = [cache.path(stream.id, "init", ".mp4")]
            names += [cache.path(stream.id, str(n), ".m4s") for n in range(len(playlist.segments))]
            total = sum(p.stat().st_size for p in names)
            # The same files in a library folder: what the range view serves them at.
            parts = self.scratch / "parts"
            shutil.rmtree(parts, ignore_errors=True)
            parts.mkdir()
            copies = [f"parts/{number}.mp4" for number in range(len(names))]
            for source, copy in zip(names, copies, strict=True):
                shutil.copyfile(source, self.scratch / copy)
            hls = cache.folder
            conf = f"server {{ listen 127.0.0.1:{{port}}; location /hls/ {{ alias {hls}/; }}"
            conf += f" location /s/ {{ alias {self.scratch}/; }} }}"
            with Nginx(conf) as nginx:
                HELPERS.append(nginx.process.pid)
                nginx_urls = [f"{nginx.url}/hls/{p.relative_to(hls)}" for p in names]
                readers = {
                    "app": [playlist.init, *playlist.segments],
                    "nginx": nginx_urls,
                    "app_file": [app.signed("media", "s", copy) for copy in copies],
                    "nginx_file": [f"{nginx.url}/s/{copy}" for copy in copies],
                }
                for urls in readers.values():
                    _read_all(urls, total)  # warm
                speeds = {key: [] for key in readers}
                for _ in range(THROUGHPUT_REPEAT):  # interleaved, so that drift spreads over all
                    for key, urls in readers.items():
                        speeds[key].append(self.timed("play", lambda urls=urls: _read_all(urls, total)))
                HELPERS.remove(nginx.process.pid)
        result = {key: statistics.median(values) for key, values in speeds.items()}
        result.update(bytes=total, segments=len(playlist.segments))
        return result

    # -- through workers (--backend celery) -----------------------------------------

    def celery(self):
        """Seek, reading on and a remux's first segment through a worker against the local
        backend, in turn; then a worker killed mid-film."""
        from tests.common.workers import Worker

        workers = [Worker(f"{name}@bench", self.broker_url, self.tmp / name, {}, slots=2) for name in "ab"]
        for worker in workers:
            worker.start()
            HELPERS.append(-worker.process.pid)  # its whole process group: pool and ffmpeg
        try:
            local, remote, first = [], [], []
            for _ in range(REPEAT):
                local.append(self.timed("celery", self.app_seek))
                remote.append(self.timed("celery", lambda: self.app_seek(celery=True)))
                first.append(self.timed("celery", lambda: self.app_first_segment(REMUX, celery=True)[0]))
            index, last = self.seek_positions()
            _, timeline = self.streams[FILM]
            media = sum(timeline.duration(n) for n in range(index + 1, last + 1))
            return {
                "seek": statistics.median(r[0] for r in remote),
                "seek_local": statistics.median(r[0] for r in local),
                "speed": statistics.median(media / r[1] for r in remote),
                "speed_local": statistics.median(media / r[1] for r in local),
                "first": statistics.median(first),
                "killed": self.killed_worker({w.name: w for w in workers}),
            }
        finally:
            for worker in workers:
                HELPERS.remove(-worker.process.pid)
                worker.stop()

    def killed_worker(self, workers):
        """Seconds from ``kill -9`` of the worker converting the film, 3 segments in, to
        the next segment served (asked again after each 503, as a player does); the
        median of ``REPEAT`` kills, the killed worker started again after each."""
        served = []
        for _ in range(REPEAT):
            with self.app(celery=True) as app:
                client, playlist = self.open(app, FILM)
                for url in [playlist.init, *playlist.segments[:3]]:
                    client.get(url)
                (job,) = app.services.conversion.jobs.running()
                dead = workers[job.process.worker]
                killed = time.perf_counter()
                dead.kill()
                client.get(playlist.segments[3])
                served.append(time.perf_counter() - killed)
                client.close()
            HELPERS.remove(-dead.process.pid)
            dead.start()
            HELPERS.append(-dead.process.pid)
        print(f"  killed worker to next segment: {', '.join(f'{s:.2f}' for s in served)} s", flush=True)
        return statistics.median(served)


class CpuShare:
    """The share of the machine's CPU time that processes other than this one and
    its children (the app's ffmpeg jobs, bare ffmpeg) took meanwhile."""

    def __enter__(self):
        self.start = _machine_ticks(), _own_ticks()
        return self

    def __exit__(self, *exc):
        (busy0, total0), own0 = self.start
        busy, total = _machine_ticks()
        own = _own_ticks() - own0
        self.others = max(0.0, (busy - busy0) - own) / max(1, total - total0)


def _machine_ticks():
    """(busy, all) clock ticks of every CPU since boot."""
    with open("/proc/stat") as f:
        ticks = [int(x) for x in f.readline().split()[1:9]]  # guest time is within user time
    return sum(ticks) - ticks[3] - ticks[4], sum(ticks)  # idle and iowait are not busy


def _own_ticks():
    """Clock ticks this process, its children once waited for, and the running
    helpers (redis-server, nginx) ran."""
    me, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    seconds = me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime
    helpers = 0
    for pid in _helper_pids():
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            # utime and stime, and the children's it waited for (a worker's ffmpeg)
            helpers += sum(int(field) for field in fields[11:15])
        except (OSError, IndexError, ValueError):
            pass
    return seconds * os.sysconf("SC_CLK_TCK") + helpers


def _helper_pids():
    """The helpers' pids; a negative one stands for every process descending from it (a
    worker: its pool and their ffmpeg)."""
    pids = []
    for pid in HELPERS:
        if pid > 0:
            pids.append(pid)
            continue
        try:
            root = psutil.Process(-pid)
            pids += [root.pid, *(child.pid for child in root.children(recursive=True))]
        except psutil.Error:
            pass
    return pids


def _wait_quiet(limit):
    """Wait, at most ``limit`` seconds, for other processes to leave the CPUs alone."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        with CpuShare() as share:
            time.sleep(0.3)
        if share.others <= DISTURBED / 2:
            return


class _Fetch(threading.Thread):
    """A request on a connection of its own, alongside another."""

    def __init__(self, client, url):
        super().__init__()
        self.client, self.url, self.error = client, url, None

    def run(self):
        try:
            self.client.get(self.url)
        except Exception as error:  # raised again by check(), in the caller's thread
            self.error = error
        finally:
            self.client.close()

    def check(self):
        if self.error is not None:
            raise self.error


def _read_all(urls, total):
    """MB/s of curl reading ``urls`` in order on one connection, by curl's own clock: as
    in the streaming benchmark, curl plays the player (a Python client is the bottleneck)."""
    args = ["curl", "-s", "--fail", "-w", "%{size_download} %{time_total} %{num_connects}\n"]
    for url in urls:
        args += ["-o", "/dev/null", url]
    output = subprocess.run(args, check=True, capture_output=True, text=True).stdout
    transfers = [line.split() for line in output.splitlines()]
    size = sum(int(t[0]) for t in transfers)
    assert size == total and sum(int(t[2]) for t in transfers) == 1, output
    return size / MiB / sum(float(t[1]) for t in transfers)


def _appears(path, process, timeout=300):
    """When ``path`` appears; ffmpeg renames a segment into place once it is complete."""
    deadline = time.monotonic() + timeout
    while not os.path.exists(path):
        if process.poll() is not None and not os.path.exists(path):
            raise RuntimeError(f"ffmpeg ended ({process.returncode}) without making {path.name}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"ffmpeg did not make {path.name}")
        time.sleep(0.002)
    return time.perf_counter()


def report_celery(bench, result):
    def seconds(value):
        return f"{value:.2f} s" if value >= 1 else f"{value * 1000:.0f} ms"

    load = f"{max(bench.disturbed['celery']):.0%}"
    rows = [
        (
            "seek into a part not converted yet (as above), through a worker",
            seconds(result["seek"]),
            f"local: {seconds(result['seek_local'])}",
            f"{result['seek'] / result['seek_local']:.2f}x",
            "≤ 1.1",
            load,
        ),
        (
            "reading on (as above), media seconds per second",
            f"{result['speed']:.2f}",
            f"local: {result['speed_local']:.2f}",
            f"{result['speed'] / result['speed_local']:.2f}x",
            "≥ 0.95",
            load,
        ),
        (
            "first segment of the remux (as above), through a worker",
            seconds(result["first"]),
            "",
            "",
            "< 0.5 s",
            load,
        ),
        (
            "from a worker's kill -9, 3 segments into the film, to the next segment served",
            seconds(result["killed"]),
            "",
            "",
            "< 5 s",
            "",
        ),
    ]
    markdown_table(
        f"Conversion through Celery workers (two mediacaster-worker on this machine, 2 slots each; "
        f"median of {REPEAT} runs)",
        ("measure", "celery", "reference", "ratio", "wanted", "other load"),
        rows,
    )


def report(bench, seek, remux, music, play):
    tokens = bench.tokens

    def seconds(value):
        return f"{value:.2f} s" if value >= 1 else f"{value * 1000:.0f} ms"

    def load(key):
        return f"{max(bench.disturbed[key]):.0%}"

    rows = [
        (
            f"seek: segment {seek['index']} (at {seek['at']:.0f} s) of a 90 s 1080p HEVC 10-bit film with "
            f"E-AC-3 5.1 (`{tokens[FILM]}`), request to last byte",
            seconds(seek["app"]),
            f"ffmpeg: {seconds(seek['ffmpeg'])}",
            f"{seek['app'] / seek['ffmpeg']:.2f}x",
            "≤ 1.2",
            load(FILM),
        ),
        (
            f"reading on: segments {seek['index'] + 1} to {seek['last']} ({seek['media']:.0f} s), "
            "media seconds per second",
            f"{seek['app_speed']:.2f}",
            f"ffmpeg: {seek['ffmpeg_speed']:.2f}",
            f"{seek['app_speed'] / seek['ffmpeg_speed']:.2f}x",
            "≥ 0.95",
            load(FILM),
        ),
    ]
    for label, result, name in [
        ("first segment of a 60 s 1080p H.264 + AC-3 5.1 MKV", remux, REMUX),
        ("first segment of 4 min of ALAC music", music, MUSIC),
    ]:
        rows.append(
            (
                f"{label} (`{tokens[name]}`), cold cache, init asked for at once "
                f"(both done: {seconds(result['ready'])})",
                seconds(result["app"]),
                f"ffmpeg: {seconds(result['ffmpeg'])}",
                f"{result['app'] / result['ffmpeg']:.2f}x",
                "< 0.5 s",
                load(name),
            )
        )
    rows.append(
        (
            f"second play: init and {play['segments']} segments of the MKV from the cache "
            f"({play['bytes'] / MiB:.0f} MiB, one connection), MB/s",
            f"{play['app']:.0f}",
            f"nginx: {play['nginx']:.0f}",
            f"{play['app'] / play['nginx']:.2f}x",
            f"as the range view: {play['app'] / play['app_file']:.2f}x",
            load("play"),
        )
    )
    rows.append(
        (
            "the same files from a library folder through the range view (`/media/...`), MB/s",
            f"{play['app_file']:.0f}",
            f"nginx: {play['nginx_file']:.0f}",
            f"{play['app_file'] / play['nginx_file']:.2f}x",
            "",
            load("play"),
        )
    )
    markdown_table(
        f"Conversion (median of {REPEAT} runs, throughput of {THROUGHPUT_REPEAT}; reference: the app's "
        "own ffmpeg command run bare, or nginx; other load: the most of the CPUs other processes took "
        "during a kept run)",
        ("measure", "mediacaster", "reference", "ratio", "wanted", "other load"),
        rows,
    )


def main(options=()):
    parser = argparse.ArgumentParser(prog="python -m bench conversion")
    parser.add_argument("--backend", choices=("local", "celery"), default="local")
    celery = parser.parse_args(options).backend == "celery"
    media = MEDIA.absolute()
    make_media(media)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="mediacaster-bench-") as tmp:
        tmp = Path(tmp)
        scratch = tmp / "scratch"
        scratch.mkdir()
        redis_server = RedisServer(tmp).start()
        try:
            bench = Bench(media, scratch, tmp, redis_server.url)
            HELPERS.append(redis_server.process.pid)
            print("seek and read on (1080p HEVC 10-bit) ...", flush=True)
            seek = bench.seek()
            print("first segments ...", flush=True)
            remux = bench.first_segment(REMUX)
            music = bench.first_segment(MUSIC)
            print("second play from the cache ...", flush=True)
            play = bench.second_play()
            report(bench, seek, remux, music, play)
            if celery:
                print("through workers ...", flush=True)
                report_celery(bench, bench.celery())
        finally:
            HELPERS.clear()
            redis_server.stop()
    print(f"\n({time.monotonic() - started:.0f} s)")


if __name__ == "__main__":
    main()

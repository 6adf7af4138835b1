"""Streaming benchmark: mediacaster beside nginx and stock Pyramid FileResponse.

Each server runs in a process of its own on loopback; curl and a small Python
client play the players. Figures are ratios to nginx in the same run.
"""

import http.client
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

from bench.common import table
from bench.serve import SECRET, TOKEN, USER_ID
from tests.common.servers import Nginx, RedisServer, free_port

GiB = 1024**3
MiB = 1024**2


def make_files(folder):
    with open(folder / "huge.mp4", "wb") as f:  # 2 GiB, sparse: its tail is what matters
        f.truncate(2 * GiB)
    with open(folder / "small.mp4", "wb") as f:
        f.truncate(64 * MiB)
    block = random.Random(1).randbytes(MiB)
    with open(folder / "big.mp4", "wb") as f:  # real bytes for throughput
        for _ in range(512):
            f.write(block)


class Server:
    def __init__(self, name, base, query=""):
        self.name, self.base, self.query = name, base, query
        self.host, self.port = "127.0.0.1", int(base.rsplit(":", 1)[1])

    def url(self, name):
        return f"{self.base}/media/m/{name}{self.query.get(name, '') if self.query else ''}"

    def path(self, name):
        return self.url(name)[len(self.base) :]


def start_app(kind, folder, redis_url):
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.serve", kind, str(port), str(folder), redis_url],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process, port
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{kind} did not start")


def request(server, path, headers=None, timeout=30):
    conn = http.client.HTTPConnection(server.host, server.port, timeout=timeout)
    conn.request("GET", path, headers=headers or {})
    response = conn.getresponse()
    body = response.read()
    conn.close()
    return response.status, body


def tail_latency(server, name, size):
    times = []
    for _ in range(15):
        started = time.perf_counter()
        status, body = request(server, server.path(name), {"Range": "bytes=-65536"})
        times.append((time.perf_counter() - started) * 1000)
        assert status == 206 and len(body) == 65536, (server.name, status, len(body))
    return statistics.median(times)


def curl_speed(urls):
    """Aggregate MB/s of curl processes downloading ``urls`` at once."""
    started = time.perf_counter()
    procs = [
        subprocess.Popen(
            ["curl", "-s", "-o", "/dev/null", "-w", "%{size_download}", url], stdout=subprocess.PIPE
        )
        for url in urls
    ]
    total = sum(int(p.communicate()[0] or 0) for p in procs)
    return total / MiB / (time.perf_counter() - started)


def small_ranges_per_second(server, name, seconds=3.0, clients=4):
    count = [0] * clients
    deadline = time.monotonic() + seconds

    def run(slot):
        rng = random.Random(slot)
        conn = http.client.HTTPConnection(server.host, server.port, timeout=30)
        while time.monotonic() < deadline:
            first = rng.randrange(0, 60 * MiB)
            conn.request("GET", server.path(name), headers={"Range": f"bytes={first}-{first + 4095}"})
            response = conn.getresponse()
            response.read()
            count[slot] += 1
        conn.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(count) / seconds


def api_latency_with_stalled_players(server, players=64):
    stalled = []
    try:
        for _ in range(players):
            sock = socket.create_connection((server.host, server.port), timeout=5)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            sock.sendall(
                f"GET {server.path('huge.mp4')} HTTP/1.1\r\nHost: x\r\nRange: bytes=0-\r\n\r\n".encode()
            )
            stalled.append(sock)
        time.sleep(0.5)
        times = []
        for _ in range(10):
            started = time.perf_counter()
            try:
                request(server, "/api/library/m", {"Authorization": f"Bearer {TOKEN}"}, timeout=5)
            except (TimeoutError, OSError):
                return None
            times.append((time.perf_counter() - started) * 1000)
        return statistics.median(times)
    finally:
        for sock in stalled:
            sock.close()


def main():
    with tempfile.TemporaryDirectory(prefix="mediacaster-bench-") as tmp:
        folder = Path(tmp) / "media"
        folder.mkdir()
        print("writing a 512 MiB file, a sparse 2 GiB file and a sparse 64 MiB file ...")
        make_files(folder)
        redis_server = RedisServer(Path(tmp)).start()
        processes = []
        try:
            app_process, app_port = start_app("mediacaster", folder, redis_server.url)
            ref_process, ref_port = start_app("fileresponse", folder, redis_server.url)
            floor_process, floor_port = start_app("floor", folder, redis_server.url)
            processes += [app_process, ref_process, floor_process]
            nginx_conf = f"server {{ listen 127.0.0.1:{{port}}; location /media/m/ {{ alias {folder}/; }}"
            nginx_conf += " location /api/ { return 200 '{}'; } }"
            with Nginx(nginx_conf) as nginx:
                signer_query = _signed_queries(folder)
                servers = [
                    Server("nginx", nginx.url),
                    Server("mediacaster", f"http://127.0.0.1:{app_port}", signer_query),
                    Server("FileResponse", f"http://127.0.0.1:{ref_port}"),
                ]
                results = {s.name: {} for s in servers}
                for s in servers:
                    r = results[s.name]
                    r["tail64"] = tail_latency(s, "small.mp4", 64 * MiB)
                    r["tail2g"] = tail_latency(s, "huge.mp4", 2 * GiB)
                    curl_speed([s.url("big.mp4")])  # warm the page cache
                    r["full"] = statistics.median(curl_speed([s.url("big.mp4")]) for _ in range(3))
                    r["x16"] = curl_speed([s.url("small.mp4")] * 16)
                    r["small"] = small_ranges_per_second(s, "small.mp4")
                    r["api"] = None if s.name == "nginx" else api_latency_with_stalled_players(s)
                floor = Server("waitress floor", f"http://127.0.0.1:{floor_port}")
                report(results, tail_latency(floor, "huge.mp4", 0))
        finally:
            for p in processes:
                p.terminate()
                p.wait(10)
            redis_server.stop()


def _signed_queries(folder):
    from mediacaster.signing import UrlSigner

    signer = UrlSigner(SECRET, 86400)
    queries = {}
    for name in os.listdir(folder):
        queries[name] = "?" + urlencode(signer.sign("m", name, user=USER_ID))
    return queries


def report(results, floor_ms):
    ref = results["nginx"]

    def cell(name, key, fmt, lower_is_better=True):
        value = results[name][key]
        if name == "nginx" and key == "api":
            return "n/a (no app)"
        if value is None:
            return "blocked (>5 s)"
        ratio = value / ref[key] if ref.get(key) else None
        text = fmt.format(value)
        return f"{text} ({ratio:.2f}x)" if ratio is not None else text

    rows = []
    for label, key, fmt in [
        ("tail 64 KiB of a 64 MiB file, ms", "tail64", "{:.2f}"),
        ("tail 64 KiB of a 2 GiB file, ms", "tail2g", "{:.2f}"),
        ("whole 512 MiB file, MB/s", "full", "{:.0f}"),
        ("16 concurrent 64 MiB streams, MB/s total", "x16", "{:.0f}"),
        ("4 KiB ranges, requests/s (4 clients)", "small", "{:.0f}"),
        ("API request with 64 stalled players, ms", "api", "{:.1f}"),
    ]:
        rows.append((label, *(cell(name, key, fmt) for name in ("nginx", "mediacaster", "FileResponse"))))
    table(
        "Streaming (median; in brackets: ratio to nginx)",
        ("measure", "nginx", "mediacaster", "FileResponse"),
        rows,
    )
    print(
        f"\nwaitress floor (64 KiB from memory, no framework): {floor_ms:.2f} ms a request, "
        f"{floor_ms / ref['tail2g']:.2f}x nginx"
    )


if __name__ == "__main__":
    main()

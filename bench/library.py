"""Library benchmark: list a 10,000-file folder and search a 100,000-file tree.

References in the same run: nginx's ``autoindex`` (JSON) listing the same folder,
and ``find -iname`` walking the same tree, which is what a search without an
index costs.

The folder holds real media: 10,000 hard links to one 2-second H.264/AAC clip
made by ffmpeg. Its ffprobe result is put in Redis for every file, as for a
library the app has already read (probing 10,000 files would take minutes and
measure ffprobe). Listings are measured warm (the app has listed the folder
before) and after a start: apps started again on the same Redis and data
folder, each answering its first listing, once its start's warm-up is over and
at once after the start. Every request names the same host, as a browser
reaching a server at a fixed address does: the listing's URLs, and so its rows,
are the same from one start to the next.
"""

import json
import os
import shutil
import statistics
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

from bench.common import LOGINS_OFF, table, timed
from mediacaster import main as make_app
from mediacaster.services.library import natural_key
from mediacaster.services.probe import CACHE_TTL, cache_key
from tests.common.servers import LiveServer, Nginx, RedisServer

SECRET = "bench-secret-0123456789abcdef"
LISTINGS = {"/api/library/big": "JSON", "/library/big": "HTML, first page of 500"}
HOST = "127.0.0.1:8080"  # the address the app is reached at, whatever port it listens on here


def fetch(url):
    request = urllib.request.Request(url, headers={"Host": HOST})
    with urllib.request.urlopen(request, timeout=60) as response:
        return response.read()


def build_tree(base):
    clip = base / "clip.mp4"
    subprocess.run(
        [
            *(shutil.which("ffmpeg") or "ffmpeg", "-loglevel", "error", "-y"),
            *("-f", "lavfi", "-i", "testsrc2=size=320x180:rate=25:duration=2"),
            *("-f", "lavfi", "-i", "sine=frequency=440:duration=2"),
            *("-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", str(clip)),
        ],
        check=True,
    )
    big = base / "big"
    big.mkdir()
    for n in range(10_000):
        os.link(clip, big / f"Clip {n:05d} holiday.mp4")
    tree = base / "tree"
    for show in range(100):
        for season in range(10):
            folder = tree / f"Show {show:03d}" / f"Season {season:02d}"
            folder.mkdir(parents=True)
            for episode in range(100):
                (folder / f"Show {show:03d} S{season:02d}E{episode:02d}.mkv").touch()
    return big, tree


def seed_probes(app, folder):
    """Put the clip's real ffprobe result in Redis for every file of ``folder``."""
    services = app.registry.services
    clip = next(folder.iterdir())
    result = services.probe.run(str(clip), clip.stat().st_size)
    assert result["ok"], result
    pipe = services.redis.pipeline(transaction=False)
    for path in folder.iterdir():
        st = path.stat()
        pipe.set(cache_key(str(path), st.st_size, st.st_mtime_ns), json.dumps(result), ex=CACHE_TTL)
    pipe.execute()


def first_listings(settings, path, warmed, runs=5):
    """Times of the first listing of apps started again (``warmed``: once the start's
    warm-up is over), of their warm-ups, and the most rows one of them built again."""
    times, warm_ups, built = [], [], 0
    for _ in range(runs):
        natural_key.cache_clear()  # module-wide: a new process starts without it
        started = time.perf_counter()
        app = make_app({}, **settings)
        services = app.registry.services
        try:
            if warmed:
                services.search.ready.wait(120)
                services.warm.wait(120)
                warm_ups.append((time.perf_counter() - started) * 1000)
            with LiveServer(app, threads=4) as server:
                started = time.perf_counter()
                body = fetch(server.url + path)
                times.append((time.perf_counter() - started) * 1000)
                if path.startswith("/api/"):
                    assert json.loads(body)["probe"]["pending_here"] == 0
                built = max(built, services.rows.built)  # 0 unless the hour turned meanwhile
        finally:
            services.close()
    return times, warm_ups, built


def main():
    with tempfile.TemporaryDirectory(prefix="mediacaster-bench-") as tmp:
        base = Path(tmp)
        print("building a 10,000-file folder and a 100,000-file tree ...")
        big, tree = build_tree(base)
        (base / "data").mkdir()
        redis_server = RedisServer(base / "data").start()
        try:
            settings = {
                "mediacaster.roots": f"big={big};tree={tree}",
                "redis.url": redis_server.url,
                "mediacaster.secret": SECRET,
                **LOGINS_OFF,
                "mediacaster.rescan_interval": "3600",
                "mediacaster.data_dir": str(base / "data"),
                "mediacaster.database_url": f"sqlite:///{base / 'data' / 'bench.sqlite3'}",
            }
            app = make_app({}, **settings)
            seed_probes(app, big)
            search = app.registry.services.search
            search.ready.wait(120)
            first_scan = search.scan_seconds
            rescan_ms, _ = timed(search.scan, 3)
            nginx_conf = f"server {{ listen 127.0.0.1:{{port}}; root {base};"
            nginx_conf += " location / { autoindex on; autoindex_format json; } }"
            with LiveServer(app, threads=4) as server, Nginx(nginx_conf) as nginx:
                rows = []
                ref_ms, _ = timed(lambda: fetch(f"{nginx.url}/big/"), 10)
                rows.append(("nginx autoindex JSON (reference)", f"{ref_ms:.1f}", "1.00x"))
                size = len(fetch(server.url + "/api/library/big"))  # and now the app has listed it
                for label, path in [
                    ("GET /api/library/big (JSON, all 10,000)", "/api/library/big"),
                    ("GET /library/big (HTML, first page of 500)", "/library/big"),
                    ("GET /library/big?q=00042 (HTML, filtered)", "/library/big?q=00042"),
                ]:
                    ms, _ = timed(lambda path=path: fetch(server.url + path), 10)
                    rows.append((label, f"{ms:.1f}", f"{ms / ref_ms:.2f}x"))
                table(
                    f"List a folder of 10,000 files (median of 10; the JSON is {size / 1e6:.1f} MB)",
                    ("request", "ms", "vs nginx"),
                    rows,
                )

                rows = []
                find_ms, _ = timed(
                    lambda: subprocess.run(
                        ["find", str(tree), "-iname", "*s05e42*"], check=True, capture_output=True
                    ),
                    3,
                )
                rows.append(("find -iname '*s05e42*' (no index, reference)", f"{find_ms:.1f}", "1.00x"))
                for label, query in [
                    ("one word, 100 hits", "s05e42"),
                    ("two words, 1 hit", "show 042 s05e42"),
                    ("no hit", "zzzz"),
                    ("matches everything, best 50 of 101,100", "show"),
                ]:
                    ms, _ = timed(lambda q=query: search.query(q, limit=50), 10)
                    rows.append((f"index query: {label}", f"{ms:.1f}", f"{ms / find_ms:.3f}x"))
                ms, _ = timed(lambda: fetch(server.url + "/api/search?q=s05e42&limit=50"), 10)
                rows.append(("GET /api/search?q=s05e42&limit=50", f"{ms:.1f}", f"{ms / find_ms:.3f}x"))
                table(
                    f"Search a tree of {search.state()['items']:,} entries (median)",
                    ("query", "ms", "vs find"),
                    rows,
                )
                table(
                    "Keeping the index fresh",
                    ("step", "ms"),
                    [
                        ("first scan (cold index)", f"{first_scan * 1000:.0f}"),
                        ("rescan, nothing changed (stat 1,101 folders)", f"{rescan_ms:.0f}"),
                    ],
                )
                warm = {path: timed(lambda p=path: fetch(server.url + p), 10)[0] for path in LISTINGS}
            app.registry.services.close()
            rows = []
            for path, what in LISTINGS.items():
                warmed, warm_ups, built_warmed = first_listings(settings, path, warmed=True)
                at_once, _, built_at_once = first_listings(settings, path, warmed=False)
                built = what == "JSON"  # pages are made from templates, without the row cache
                rows.append(
                    (f"{path} ({what}) warm: listed before (median of 10)", f"{warm[path]:.1f}", "1.00x", "-")
                )
                for label, times, count in [
                    ("first after a start, warm-up over (median of 5)", warmed, built_warmed),
                    ("first at once after a start (median of 5)", at_once, built_at_once),
                ]:
                    ms = statistics.median(times)
                    rows.append(
                        (f"{path} {label}", f"{ms:.1f}", f"{ms / warm[path]:.2f}x", count if built else "-")
                    )
            table(
                "Listings after a start: probes in Redis, rows in the disk cache (wanted <= 2x warm)",
                ("listing", "ms", "vs warm", "rows built again"),
                rows,
            )
            print(f"a start, its warm-up included: median {statistics.median(warm_ups):.0f} ms")
        finally:
            redis_server.stop()


if __name__ == "__main__":
    main()

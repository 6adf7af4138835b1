"""Library benchmark: list a 10,000-file folder and search a 100,000-file tree.

References in the same run: nginx's ``autoindex`` (JSON) listing the same folder,
and ``find -iname`` walking the same tree, which is what a search without an
index costs.
"""

import json
import subprocess
import tempfile
import time
from pathlib import Path

from bench.common import fetch, table, timed
from mediacaster import main as make_app
from tests.common.servers import LiveServer, Nginx, RedisServer

SECRET = "bench-secret-0123456789abcdef"


def build_tree(base):
    big = base / "big"
    big.mkdir()
    for n in range(10_000):
        (big / f"Clip {n:05d} holiday.mp4").touch()
    tree = base / "tree"
    for show in range(100):
        for season in range(10):
            folder = tree / f"Show {show:03d}" / f"Season {season:02d}"
            folder.mkdir(parents=True)
            for episode in range(100):
                (folder / f"Show {show:03d} S{season:02d}E{episode:02d}.mkv").touch()
    return big, tree


def settle(url, timeout=300):
    """Wait until the folder at ``url`` has no probe pending."""
    deadline = time.monotonic() + timeout
    while json.loads(fetch(url))["probe"]["pending_here"]:
        if time.monotonic() > deadline:
            raise RuntimeError("the probes of the folder did not finish")
        time.sleep(0.5)


def main():
    with tempfile.TemporaryDirectory(prefix="mediacaster-bench-") as tmp:
        base = Path(tmp)
        print("building a 10,000-file folder and a 100,000-file tree ...")
        big, tree = build_tree(base)
        (base / "data").mkdir()
        redis_server = RedisServer(base / "data").start()
        try:
            app = make_app(
                {},
                **{
                    "mediacaster.roots": f"big={big};tree={tree}",
                    "redis.url": redis_server.url,
                    "mediacaster.secret": SECRET,
                    "mediacaster.rescan_interval": "3600",
                },
            )
            search = app.registry.services.search
            search.ready.wait(120)
            first_scan = search.scan_seconds
            rescan_ms, _ = timed(search.scan, 3)
            nginx_conf = f"server {{ listen 127.0.0.1:{{port}}; root {base};"
            nginx_conf += " location / { autoindex on; autoindex_format json; } }"
            with LiveServer(app, threads=4) as server, Nginx(nginx_conf) as nginx:
                # The first listing queues a probe of each of the 10,000 files;
                # measure listings once they are read, as every later visit is.
                settle(server.url + "/api/library/big")
                rows = []
                ref_ms, _ = timed(lambda: fetch(f"{nginx.url}/big/"), 10)
                rows.append(("nginx autoindex JSON (reference)", f"{ref_ms:.1f}", "1.00x"))
                for label, path in [
                    ("GET /api/library/big (JSON, all 10,000)", "/api/library/big"),
                    ("GET /library/big (HTML, first page of 500)", "/library/big"),
                    ("GET /library/big?q=00042 (HTML, filtered)", "/library/big?q=00042"),
                ]:
                    ms, _ = timed(lambda path=path: fetch(server.url + path), 10)
                    rows.append((label, f"{ms:.1f}", f"{ms / ref_ms:.2f}x"))
                table("List a folder of 10,000 files (median of 10)", ("request", "ms", "vs nginx"), rows)

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
            app.registry.services.close()
        finally:
            redis_server.stop()


if __name__ == "__main__":
    main()

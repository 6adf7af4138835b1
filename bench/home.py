"""Home page benchmark: a user with 10,000 history rows, and what a player's reports cost.

The library holds 10,000 files (empty: the home page reads no media) in 100 folders.
Anna played every one of them, a third of them far enough to be resumed, so her
home page's "Continue watching" picks its 12 among 10,000 rows of hers (and 10,000
of another user's). The home page is timed on SQLite (the default) and on
PostgreSQL (production), beside the reference in the same run: the same app's
``/healthz``, a page that reads no history, and stock Pyramid's smallest page
under the same waitress.

A player reports its position every few seconds; the app keeps one write per file
and user every 5 s at most. The second table times a report, and counts the writes
100 reports in a row made.
"""

import random
import statistics
import tempfile
import time
import urllib.request
from datetime import datetime, timedelta, timezone
from pathlib import Path

from pyramid.config import Configurator
from sqlalchemy import func, select

from bench.common import markdown_table
from mediacaster import main as make_app
from mediacaster.models.accounts import ApiToken
from mediacaster.models.history import Progress
from mediacaster.services import accounts
from tests.common.postgres import PostgresServer
from tests.common.servers import LiveServer, RedisServer

SECRET = "bench-secret-0123456789abcdef"
TOKEN = "mc_bench-home-token"
ROWS = 10_000
RUNS = 50


def build_library(base):
    names = []
    for folder in range(100):
        path = base / f"Show {folder:03d}"
        path.mkdir(parents=True)
        for episode in range(ROWS // 100):
            name = f"Show {folder:03d} E{episode:02d}.mkv"
            (path / name).touch()
            names.append(f"Show {folder:03d}/{name}")
    return names


def seed(app, names):
    """Anna and Ben, each with a history row for every file; Anna's latest are resumable."""
    rng = random.Random(1)
    now = datetime.now(timezone.utc)
    with app.registry.services.database.sessions.begin() as session:
        anna = accounts.add_user(session, "anna", "bench password")
        ben = accounts.add_user(session, "ben", "bench password")
        session.add(ApiToken(user=anna, name="bench", token_hash=accounts.token_hash(TOKEN)))
        session.flush()
        rows = []
        for user in (anna, ben):
            for n, path in enumerate(names):
                duration = 2400.0
                position = duration * (0.5 if n % 3 == 0 else rng.choice((0.01, 0.95)))
                folder = path.rpartition("/")[0]
                rows.append(
                    {
                        "user_id": user.id,
                        "root": "tv",
                        "path": path.encode(),
                        "folder": folder.encode(),
                        "position": position,
                        "duration": duration,
                        "watched": position >= 0.9 * duration,
                        "updated_at": now - timedelta(minutes=rng.randrange(500_000)),
                    }
                )
        session.execute(Progress.__table__.insert(), rows)


def timed_get(url, headers, runs=RUNS):
    times = []
    for _ in range(runs):
        request = urllib.request.Request(url, headers=headers)
        started = time.perf_counter()
        with urllib.request.urlopen(request, timeout=30) as response:
            body = response.read()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), body


def stock_pyramid():
    with Configurator() as config:
        config.add_route("home", "/")
        config.add_view(
            lambda request: "<!doctype html><title>Home</title>", route_name="home", renderer="string"
        )
    return config.make_wsgi_app()


def measure(base, names, redis_url, database_url, label):
    settings = {
        "mediacaster.roots": f"tv={base / 'tv'}",
        "redis.url": redis_url,
        "mediacaster.secret": SECRET,
        "mediacaster.data_dir": str(base / f"data-{label}"),
        "mediacaster.database_url": database_url,
        "mediacaster.discovery": "false",
        "mediacaster.rescan_interval": "3600",
    }
    app = make_app({}, **settings)
    try:
        app.registry.services.search.ready.wait(120)
        seed(app, names)
        bearer = {"Authorization": f"Bearer {TOKEN}"}
        with LiveServer(app, threads=4) as server:
            timed_get(server.url + "/", bearer, 5)  # warm
            home, body = timed_get(server.url + "/", bearer)
            assert b'id="continue"' in body and body.count(b'class="played"') == 12, "no continue watching"
            health, _ = timed_get(server.url + "/healthz", bearer)
            url = f"{server.url}/api/progress/tv/{names[0].replace(' ', '%20')}"
            report_ms, writes = reports(url, bearer, app, names[0])
        return home, health, report_ms, writes
    finally:
        app.registry.services.close()


def reports(url, headers, app, path, count=100):
    """Time ``count`` reports a second apart in media time, sent back to back; count the writes."""
    last, writes = written(app, path), 0
    times = []
    for n in range(count):
        body = f'{{"position": {600 + n}, "duration": 2400}}'.encode()
        request = urllib.request.Request(
            url, data=body, method="PUT", headers={**headers, "Content-Type": "application/json"}
        )
        started = time.perf_counter()
        with urllib.request.urlopen(request, timeout=30) as response:
            response.read()
        times.append((time.perf_counter() - started) * 1000)
        now = written(app, path)
        writes, last = writes + (now != last), now
    return statistics.median(times), writes


def sum_seconds(median_ms, count=100):
    return median_ms * count / 1000


def written(app, path):
    with app.registry.services.database.sessions() as session:
        return session.scalar(select(func.max(Progress.updated_at)).where(Progress.path == path.encode()))


def main():
    with tempfile.TemporaryDirectory(prefix="mediacaster-bench-") as tmp:
        base = Path(tmp)
        print(f"making {ROWS:,} files and {2 * ROWS:,} history rows ...")
        names = build_library(base / "tv")
        redis_server = RedisServer(base).start()
        postgres = PostgresServer().start()
        try:
            results = {
                "SQLite": measure(
                    base, names, redis_server.url, f"sqlite:///{base / 'home.sqlite3'}", "sqlite"
                ),
                "PostgreSQL": measure(base, names, redis_server.url, postgres.database("bench_home"), "pg"),
            }
            with LiveServer(stock_pyramid(), threads=4) as server:
                stock, _ = timed_get(server.url + "/", {})
        finally:
            postgres.stop()
            redis_server.stop()
    rows = []
    for name, (home, health, _report, _written) in results.items():
        rows.append(
            (
                name,
                f"{home:.1f} ms",
                f"{health:.1f} ms ({home / health:.1f}x)",
                f"{stock:.2f} ms ({home / stock:.0f}x)",
            )
        )
    markdown_table(
        f"Home page of a user with {ROWS:,} history rows (median of {RUNS})",
        ("database", "mediacaster /", "its /healthz", "stock Pyramid page"),
        rows,
    )
    markdown_table(
        "A player's position report (PUT /api/progress), 100 back to back",
        ("database", "median", "rows written"),
        [(name, f"{r[2]:.1f} ms", f"{r[3]} in {sum_seconds(r[2]):.1f} s") for name, r in results.items()],
    )


if __name__ == "__main__":
    main()

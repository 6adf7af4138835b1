"""Catalogue benchmark: a household library of 50,000 files read as films, shows, music and
photos, on SQLite or PostgreSQL.

``python -m bench catalogue [--backend sqlite|postgresql] [--scale 1.0]``

The library: 300 shows of 100 episodes (10 seasons of 10) in the layout media managers
write, 2,000 films, 1,500 albums (13,000 songs) by 500 artists and 5,000 photos, with a
poster per show and film and a cover per album. Videos are copies of one tiny real MKV or
MP4 made once by ffmpeg, each made unique by an element their formats skip (an EBML Void,
an MP4 ``free`` box), as a household's files are unique; songs are copies of one real MP3,
each with its own ID3 tags; photos are tiny JPEGs, each with its EXIF date.

Each figure beside its reference, in the same run:

- the first scan (the app's own scanner, in its thread) beside a bare walk of the same
  roots that reads the same tags (mutagen) and photo headers (Pillow) and nothing else,
  then the files' content hashes, which the scan leaves for after;
- a file added to a show: in the catalogue through watchdog, against the 5 s wanted;
- the catalogue's queries, as its pages and API ask them (a page of each list, one show,
  one album, a month of photos, a search, Next up of a user who has watched part of every
  show), median of several runs, against the 100 ms wanted, and a bare ``SELECT 1``;
- the pages and API answers themselves (Films, Shows, a show, a season, the home page with
  its Next up, Music, an album, Photos, ``/api/films``, ``/api/shows``, ``/api/next-up``,
  ``/api/albums/{id}``), asked of the whole app in-process through WebTest by the same user
  (a logged-in member, by her API token), median of several runs, beside their query's time;
- the app's memory (resident set) once it holds the catalogue and follows the changes,
  beside the same process before the app was made.

``--scale`` makes a smaller library (0.002: one show, a few films, albums and photos),
for a quick run.
"""

import argparse
import io
import multiprocessing
import os
import random
import shutil
import statistics
import struct
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from bench.common import markdown_table

SHOWS, EPISODES, SEASONS = 300, 100, 10
FILMS, ALBUMS, ARTISTS, PHOTOS = 2000, 1500, 500, 5000
RUNS = 20
WANTED_MS, WANTED_ADDED_S = 100, 5.0


def counts(scale):
    """``(shows, films, albums, photos)`` at ``scale``: at least one of each."""
    return tuple(max(1, round(n * scale)) for n in (SHOWS, FILMS, ALBUMS, PHOTOS))


def tracks_of(album):
    """Songs on album ``album``: 9 on two thirds of them, 8 on the others (13,000 in all)."""
    return 9 if album % 3 else 8


# -- the library -----------------------------------------------------------------------------


def sources(folder):
    """One tiny real MKV, MP4 and MP3, made by ffmpeg."""
    from tests.common.mediafiles import ffmpeg

    folder.mkdir(parents=True, exist_ok=True)
    picture = ["-f", "lavfi", "-i", "testsrc2=size=64x36:rate=5:duration=0.4"]
    sound = ["-f", "lavfi", "-i", "sine=frequency=440:duration=0.4"]
    video = ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest"]
    made = {}
    for name, codecs in (("source.mkv", video), ("source.mp4", [*video, "-movflags", "+faststart"])):
        made[name] = folder / name
        ffmpeg(*picture, *sound, *codecs, made[name])
    made["source.mp3"] = folder / "source.mp3"
    ffmpeg(*sound, "-c:a", "libmp3lame", "-b:a", "32k", made["source.mp3"])
    return {name: path.read_bytes() for name, path in made.items()}


def unique_mkv(data, mark):
    """``data`` with an EBML Void element at its end: skipped by every reader, unique."""
    payload = mark.encode()[:120]
    return data + b"\xec" + bytes([0x80 | len(payload)]) + payload


def unique_mp4(data, mark):
    payload = mark.encode()
    return data + struct.pack(">I", 8 + len(payload)) + b"free" + payload


def jpeg(taken=None):
    from PIL import Image

    out = io.BytesIO()
    exif = Image.Exif()
    if taken is not None:
        exif.get_ifd(0x8769)[36867] = taken.strftime("%Y:%m:%d %H:%M:%S")
    Image.new("RGB", (8, 8), (200, 40, 40)).save(out, "JPEG", exif=exif)
    return out.getvalue()


def write(path, data):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def episode_path(show, season, episode):
    name = f"Show {show:03d}"
    folder = f"Shows/{name} ({1990 + show % 30})/Season {season:02d}"
    return f"{folder}/{name} - S{season:02d}E{episode:02d} - Episode {episode}.mkv"


def generate(base, scale):
    """Make the library under ``base``: ``{"video": …, "music": …, "photos": …}``."""
    from mutagen.easyid3 import EasyID3

    shows, films, albums, photos = counts(scale)
    media = sources(base / "sources")
    roots = {name: base / name for name in ("video", "music", "photos")}
    poster = jpeg()
    for show in range(shows):
        for number in range(EPISODES):
            season, episode = divmod(number, SEASONS)
            path = episode_path(show, season + 1, episode + 1)
            write(roots["video"] / path, unique_mkv(media["source.mkv"], path))
        write(roots["video"] / Path(path).parent.parent / "poster.jpg", poster)
    for film in range(films):
        name = f"Film {film:04d} ({1950 + film % 70})"
        write(roots["video"] / f"Films/{name}/{name}.mp4", unique_mp4(media["source.mp4"], name))
        write(roots["video"] / f"Films/{name}/poster.jpg", poster)
    for album in range(albums):
        artist, year = f"Artist {album % ARTISTS:03d}", 1960 + album % 60
        folder = roots["music"] / artist / f"Album {album:04d} ({year})"
        for number in range(1, tracks_of(album) + 1):
            path = folder / f"{number:02d} Song {number}.mp3"
            write(path, media["source.mp3"])
            tags = EasyID3()
            tags.update(
                {
                    "title": f"Song {number} of album {album}",
                    "artist": artist,
                    "albumartist": artist,
                    "album": f"Album {album:04d}",
                    "date": str(year),
                    "tracknumber": f"{number}/{tracks_of(album)}",
                }
            )
            tags.save(path)
        write(folder / "cover.jpg", poster)
    start = datetime(2019, 1, 1, 9, 0, 0)
    for photo in range(photos):
        taken = start + timedelta(hours=7 * photo)
        write(roots["photos"] / f"{taken:%Y}/{taken:%m}/IMG_{photo:05d}.jpg", jpeg(taken))
    return roots


# -- the reference: a bare walk --------------------------------------------------------------


def bare_walk(roots):
    """Walk the roots and read every media file's tags (mutagen) or photo header (Pillow), as
    the scanner does, and nothing else; ``(files, seconds, CPU seconds)``."""
    from mediacaster.mediatypes import MEDIA_KINDS, classify
    from mediacaster.services.catalogue import photos, tags

    started, cpu, files = time.perf_counter(), time.process_time(), 0
    for base in roots.values():
        for folder, folders, names in os.walk(base):
            folders[:] = sorted(name for name in folders if not name.startswith("."))
            for name in sorted(names):
                kind = classify(name)[1]
                if name.startswith(".") or kind not in MEDIA_KINDS:
                    continue
                path = os.path.join(folder, name)
                os.stat(path)
                if kind == "image":
                    photos.read(path)
                else:
                    tags.read(path)
                files += 1
    return files, time.perf_counter() - started, time.process_time() - cpu


def _in_child(target, *args):
    """``target(*args)`` in a child process (the bench's own memory stays the app's)."""
    context = multiprocessing.get_context("fork")
    with context.Pool(1) as pool:
        return pool.apply(target, args)


# -- the app ---------------------------------------------------------------------------------


def _children_cpu():
    times = os.times()
    return times.children_user + times.children_system


def resident_mib():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def seed(database, shows, rng):
    """``(Anna's id, her API token, her Next up)``: Anna, a member, who watched the first part
    of every show (a few episodes to all of them), and is halfway through the next one of every
    third; her Next up is each show's next episode."""
    from mediacaster.models.history import Progress
    from mediacaster.services import accounts

    now = datetime.now(timezone.utc)
    expected, rows = {}, []
    with database.sessions.begin() as session:
        user = accounts.add_user(session, "anna", "bench password", role="member")
        anna, token = user.id, accounts.create_token(session, user, "bench")[1]
        for show in range(shows):
            watched = rng.randrange(1, EPISODES + 1)
            played = now - timedelta(minutes=rng.randrange(100_000))
            for number in range(watched + (show % 3 == 0 and watched < EPISODES)):
                season, episode = divmod(number, SEASONS)
                path = episode_path(show, season + 1, episode + 1)
                done = number < watched
                rows.append(
                    {
                        "user_id": anna,
                        "root": "video",
                        "path": path.encode(),
                        "folder": path.rpartition("/")[0].encode(),
                        "position": 1500.0 if done else 600.0,
                        "duration": 1500.0,
                        "watched": done,
                        "updated_at": played - timedelta(minutes=EPISODES - number),
                    }
                )
            if watched < EPISODES:
                season, episode = divmod(watched, SEASONS)
                # Shows come in the order they were last played: their latest row.
                expected[episode_path(show, season + 1, episode + 1)] = rows[-1]["updated_at"]
        session.execute(Progress.__table__.insert(), rows)
    return anna, token, [path for path, _ in sorted(expected.items(), key=lambda item: item[1], reverse=True)]


def timed(database, ask, runs=RUNS):
    """``((median ms, median CPU ms of this thread), answer)`` of ``ask(session)``, each in a
    session of its own as a request has. The CPU time holds SQLite's work, not PostgreSQL's."""
    times, cpu = [], []
    for _ in range(runs):
        started, used = time.perf_counter(), time.thread_time()
        with database.sessions() as session:
            answer = ask(session)
        times.append((time.perf_counter() - started) * 1000)
        cpu.append((time.thread_time() - used) * 1000)
    return (statistics.median(times), statistics.median(cpu)), answer


def query_times(database, anna, next_up):
    """``([(what, milliseconds)], {what: ask}, {"show": id, "album": id})``: what the pages and
    the API ask, each ask, and the show and album they ask about."""
    from sqlalchemy import text

    from mediacaster.services.catalogue import queries

    roots = ("video", "music", "photos")
    ms, first = timed(database, lambda s: queries.next_up(s, roots, anna))
    got = [e["file"]["path"] for e in first["items"]]
    right = got == next_up[: len(got)] and first["total"] == len(next_up)
    found = [("Next up (home page, /api/next-up)" + ("" if right else ": WRONG ANSWER"), ms)]
    show_id = timed(database, lambda s: queries.shows(s, roots, anna), 1)[1]["items"][0]["id"]
    season_id = timed(database, lambda s: queries.show(s, roots, anna, show_id), 1)[1]["seasons"][0]["id"]
    album_id = timed(database, lambda s: queries.albums(s, roots), 1)[1]["items"][0]["id"]
    month = timed(database, lambda s: queries.photo_months(s, roots), 1)[1][0]["month"]
    asks = [
        ("Films by title (/api/films)", lambda s: queries.films(s, roots, anna)),
        ("Films by date added", lambda s: queries.films(s, roots, anna, sort="added", descending=True)),
        ("Films unwatched by year", lambda s: queries.films(s, roots, anna, sort="year", unwatched=True)),
        ("Shows (/api/shows)", lambda s: queries.shows(s, roots, anna)),
        ("A show with its seasons (/api/shows/{id})", lambda s: queries.show(s, roots, anna, show_id)),
        ("A season's episodes", lambda s: queries.episodes(s, roots, anna, season_id)),
        ("Artists (/api/artists)", lambda s: queries.artists(s, roots)),
        ("Albums", lambda s: queries.albums(s, roots)),
        ("An album (/api/albums/{id})", lambda s: queries.album(s, roots, album_id)),
        ("Photo months", lambda s: queries.photo_months(s, roots)),
        ("A month of photos", lambda s: queries.photos(s, roots, month)),
        (
            "Photos, newest first, with the months",
            lambda s: (queries.photos(s, roots), queries.photo_months(s, roots)),
        ),
        ("Search", lambda s: queries.search(s, roots, "show 01")),
        ("reference: SELECT 1", lambda s: s.execute(text("SELECT 1")).scalar()),
    ]
    found += [(what, timed(database, ask)[0]) for what, ask in asks]
    asks.append(("Next up (home page, /api/next-up)", lambda s: queries.next_up(s, roots, anna)))
    return found, dict(asks), {"show": show_id, "album": album_id}


# Each page or API answer: (what, path, the query it asks, as query_times names it).
PAGES = (
    ("Films", "/films", "Films by title (/api/films)"),
    ("Shows", "/shows", "Shows (/api/shows)"),
    ("A show", "/shows/{show}", "A show with its seasons (/api/shows/{id})"),
    ("A season", "/shows/{show}/seasons/1", "A season's episodes"),
    ("Home page, with Next up", "/", "Next up (home page, /api/next-up)"),
    ("Music", "/music", "Artists (/api/artists)"),
    ("An album", "/music/albums/{album}", "An album (/api/albums/{id})"),
    ("Photos", "/photos", "Photos, newest first, with the months"),
    ("/api/films", "/api/films", "Films by title (/api/films)"),
    ("/api/shows", "/api/shows", "Shows (/api/shows)"),
    ("/api/next-up", "/api/next-up", "Next up (home page, /api/next-up)"),
    ("/api/albums/{id}", "/api/albums/{album}", "An album (/api/albums/{id})"),
)


def page_times(app, token, asks, ids, runs=RUNS):
    """``[(what, median ms, its query's median ms)]`` of each of PAGES asked of the whole app
    in-process (WebTest): routing, the security policy (the API token), the view, its queries
    and the template; its query function is timed in the same runs, one after the other, so
    that both meet the same load."""
    import webtest

    database = app.registry.services.database
    client = webtest.TestApp(app, extra_environ={"HTTP_AUTHORIZATION": f"Bearer {token}"})
    found = []
    for what, path, query in PAGES:
        url = path.format(**ids)
        first = client.get(url, status=200)  # the first answer warms the templates
        if path.startswith("/api/") and not (first.json.get("items") or first.json.get("tracks")):
            raise AssertionError(f"{url} answered nothing: {first.text[:200]}")
        print(f"  {url}: {len(first.body):,} bytes", flush=True)
        times, own = [], []
        for _ in range(runs):
            started = time.perf_counter()
            client.get(url, status=200)
            times.append((time.perf_counter() - started) * 1000)
            own.append(timed(database, asks[query], 1)[0][0])
        found.append((what, statistics.median(times), statistics.median(own)))
    return found


def added_file(app, roots, media):
    """Seconds from a new episode's copy to its item in the catalogue (through watchdog)."""
    from mediacaster.services.catalogue.items import item_of

    path = episode_path(0, SEASONS, EPISODES + 1)
    target = roots["video"] / path
    partial = target.with_name(".part-" + target.name)  # written, then moved in, as copies go
    partial.write_bytes(unique_mkv(media, path))
    started = time.perf_counter()
    partial.rename(target)
    database = app.registry.services.database
    while time.perf_counter() - started < 60:
        with database.sessions() as session:
            if item_of(session, "video", path) is not None:
                return time.perf_counter() - started
        time.sleep(0.02)
    raise AssertionError("the added file did not appear in the catalogue within 60 s")


def measure(base, roots, backend, database_url, redis_url, shows):
    from mediacaster import main as make_app

    before = resident_mib()
    settings = {
        "mediacaster.roots": ";".join(f"{name}={path}" for name, path in roots.items()),
        "redis.url": redis_url,
        "mediacaster.secret": "bench-secret-0123456789abcdef",
        "mediacaster.data_dir": str(base / f"data-{backend}"),
        "mediacaster.database_url": database_url,
        "mediacaster.discovery": "false",
        "mediacaster.auth": "true",
        "mediacaster.rescan_interval": "3600",
        "mediacaster.catalogue": "true",
        "mediacaster.catalogue_rescan_interval": "86400",
    }
    children = _children_cpu()
    app = make_app({}, **settings)
    try:
        scanner = app.registry.services.catalogue.scanner
        if not scanner.scanned.wait(6 * 3600):
            raise AssertionError("the first scan did not end")
        progress = scanner.progress()
        scan = progress["finished"] - progress["started"]
        # The scanner's thread, and the process that read the files for it (ended with the scan).
        scan_cpu = time.clock_gettime(time.pthread_getcpuclockid(scanner._thread.ident))
        scan_cpu += _children_cpu() - children
        load = os.getloadavg()[0]
        # Then the files' content hashes, which the catalogue does not wait for.
        if not scanner.hashed.wait(6 * 3600):
            raise AssertionError("the first scan's hashing did not end")
        hashing = scanner.hashing["finished"] - scanner.hashing["started"]
        database = app.registry.services.database
        anna, token, next_up = seed(database, shows, random.Random(1))
        queries, asks, ids = query_times(database, anna, next_up)
        pages = page_times(app, token, asks, ids)
        added = added_file(app, roots, (base / "library" / "sources" / "source.mkv").read_bytes())
        return {
            "files": progress["total"],
            "scan": scan,
            "scan_cpu": scan_cpu,
            "load": load,
            "hashing": (hashing, scanner.hashing["files"]),
            "queries": queries,
            "pages": pages,
            "added": added,
            "memory": (resident_mib(), before),
        }
    finally:
        app.registry.services.close()


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench catalogue", description=__doc__.split("\n")[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), action="append")
    parser.add_argument("--scale", type=float, default=1.0, help="of the 50,000 files (default 1)")
    args = parser.parse_args(argv)
    backends = args.backend or ["sqlite", "postgresql"]
    from tests.common.servers import RedisServer

    with tempfile.TemporaryDirectory(prefix="mediacaster-bench-catalogue-") as tmp:
        base = Path(tmp)
        shows = counts(args.scale)[0]
        print(f"making the library (scale {args.scale:g}) ...", flush=True)
        started = time.perf_counter()
        roots = _in_child(generate, base / "library", args.scale)
        print(f"made in {time.perf_counter() - started:.0f} s", flush=True)
        redis_server = RedisServer(base).start()
        results = {}
        try:
            for backend in backends:
                walked, walk, walk_cpu = _in_child(bare_walk, roots)
                print(f"{backend}: bare walk of {walked:,} files in {walk:.1f} s; scanning ...", flush=True)
                results[backend] = {"walk": walk, "walk_cpu": walk_cpu, "walked": walked}
                if backend == "sqlite":
                    url = f"sqlite:///{base / 'catalogue.sqlite3'}"
                    results[backend].update(measure(base, roots, backend, url, redis_server.url, shows))
                else:
                    from tests.common.postgres import PostgresServer

                    postgres = PostgresServer().start()
                    try:
                        url = postgres.database("bench_catalogue")
                        results[backend].update(measure(base, roots, backend, url, redis_server.url, shows))
                    finally:
                        postgres.stop()
                _undo_added(roots)
        finally:
            redis_server.stop()
            shutil.rmtree(base / "library", ignore_errors=True)
    report(results)
    return results


def _undo_added(roots):
    """The next backend starts from the same library."""
    (roots["video"] / episode_path(0, SEASONS, EPISODES + 1)).unlink(missing_ok=True)


NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


def _ms(wall, cpu):
    return f"{wall:.1f} ms (CPU {cpu:.1f})"


def report(results):
    markdown_table(
        "First scan, beside a bare walk that reads the same tags and photo headers (CPU: the"
        " scanner's thread and its reading process, the walk's process)",
        (
            "database",
            "files",
            "first scan",
            "bare walk",
            "ratio (wanted within 2x)",
            "load average",
            "then, the content hashes",
        ),
        [
            (
                NAMES[b],
                f"{r['files']:,}",
                f"{r['scan']:.1f} s (CPU {r['scan_cpu']:.1f} s)",
                f"{r['walk']:.1f} s (CPU {r['walk_cpu']:.1f} s)",
                f"{r['scan'] / r['walk']:.1f}x (CPU {r['scan_cpu'] / r['walk_cpu']:.1f}x)",
                f"{r['load']:.1f}",
                f"{r['hashing'][0]:.1f} s ({r['hashing'][1]:,} files)",
            )
            for b, r in results.items()
        ],
    )
    markdown_table(
        "A file added to a show: in the catalogue through watchdog",
        ("database", "seconds", "wanted"),
        [(NAMES[b], f"{r['added']:.2f} s", f"under {WANTED_ADDED_S:g} s") for b, r in results.items()],
    )
    backends = list(results)
    rows = []
    for index, (what, _) in enumerate(results[backends[0]]["queries"]):
        rows.append((what, *(_ms(*results[b]["queries"][index][1]) for b in backends)))
    markdown_table(
        f"What the pages and the API ask, median of {RUNS} (wanted under {WANTED_MS} ms each;"
        " CPU: the asking thread's, SQLite's work included)",
        ("query", *(NAMES[b] for b in backends)),
        rows,
    )
    rows = []
    for index, (what, _, query) in enumerate(PAGES):
        cells = (
            f"{results[b]['pages'][index][1]:.1f} ms ({results[b]['pages'][index][2]:.1f})" for b in backends
        )
        rows.append((what, query.split(" (")[0], *cells))
    markdown_table(
        f"The pages and API answers through the app (WebTest in-process, a member by API token),"
        f" median of {RUNS}, and in brackets their query function's, timed in the same runs"
        f" (wanted under {WANTED_MS} ms each)",
        ("page", "its query", *(NAMES[b] for b in backends)),
        rows,
    )
    markdown_table(
        "The app's memory (resident set), the catalogue held and followed",
        ("database", "with the app", "the process before the app"),
        [(NAMES[b], f"{r['memory'][0]:.0f} MiB", f"{r['memory'][1]:.0f} MiB") for b, r in results.items()],
    )


if __name__ == "__main__":
    main()

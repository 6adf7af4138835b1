"""Player benchmark: time from opening a file's page to its first frame, in Chromium.

Debian's headless Chromium (Playwright) opens each file's page with ``?play=1``
against the app as production runs it (docs/nginx.conf): under a real waitress behind
nginx, which sends the media files itself (X-Accel-Redirect); each page is opened in a
new browser context (nothing of it in the browser's cache, the browser's checks
remembered by an earlier visit). The time is the page's own clock, from
the navigation's start to the first frame shown (``requestVideoFrameCallback``)
or, for music, to the first moment the position moves. Files:

- direct: a 1080p H.264/AAC MP4 (the range view sends the file);
- converted: a 1080p HEVC 10-bit film with E-AC-3 (``convert_all``), a 1080p
  H.264 film with AC-3 (``convert_audio``), ALAC music (to FLAC); each opened
  with a cold conversion cache (a new app with an empty data folder), then
  again (segments from the cache).

The reference, in the same run: the same direct MP4 in a bare ``<video src
autoplay>`` page served by nginx, the browser alone; and for converted files,
the app's own ffmpeg command line run bare until its first segment is written
(what no player of a converted stream can beat).

Seek: a 125 s 720p HEVC 10-bit film with E-AC-3 (converted for Chromium) is
opened with an empty cache and played; once it plays, the page's player is
sought to 70 % (a part not converted yet), timed from the seek to the first
frame shown there. The reference, in the same run: the app's own ffmpeg command
line for the segment there, started at it (``-ss`` before ``-i``), run bare until
that segment is written.

Gap between two queue items: two 15 s clips in a folder, converted (720p HEVC
10-bit with E-AC-3) or played as they are (720p H.264/AAC MP4). In the page: the
first clip's page plays it through (its player reporting where it is every second,
so the next one is made ready near its end), then the next clip's page is opened
(what Up next does after its countdown), timed from that navigation to its first
frame, beside the direct file's start. On the fake Chromecast: a queue of the two
clips; the gap is the time from the first clip's end (the device's own clock) to
the second one playing (the device has fetched its playlist and first segments, or
the file's head), beside the same gap between two clips played as they are.
"""

import contextlib
import functools
import json
import os
import shutil
import statistics
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import quote, urlsplit

import mediacaster
from bench import conversion
from bench.common import markdown_table
from mediacaster.fakecast import FakeChromecast
from mediacaster.playback.decisions import DIRECT as DIRECT_DELIVERY
from mediacaster.playback.decisions import decide
from mediacaster.playback.verdicts import GEN1
from mediacaster.services.conversion import Variant
from tests.common.chromium import chromium, media_watch
from tests.common.servers import Nginx, RedisServer

REPEAT = 3
QUICK_REPEAT = 9  # the direct file and its bare page: a second or so each, and the noisiest
DIRECT = "film-h264-aac.mp4"
SOURCES = {
    DIRECT: [
        *conversion._lavfi(60, "1920x1080", 25),
        *(*conversion.X264_HIGH, "-level:v", "4.1", "-c:a", "aac", "-ac", "2", "-movflags", "+faststart"),
    ],
}
SEEK_FILM = "film-hevc10-720p.mkv"
SOURCES[SEEK_FILM] = [
    *conversion._lavfi(125, "1280x720", 24),
    *("-c:v", "libx265", "-preset", "veryfast", "-pix_fmt", "yuv420p10le"),
    *("-x265-params", "keyint=48:min-keyint=24:log-level=none", "-c:a", "eac3", "-ac", "6"),
]
SEEK_AT = 0.7  # of the film's length
GAP_CLIPS = {"converted": "clip-hevc10-720p.mkv", "direct": "clip-h264-720p.mp4"}
WARM_PAGE = GAP_CLIPS["direct"]  # the file page a returning browser has opened before
SOURCES[GAP_CLIPS["converted"]] = [
    *conversion._lavfi(15, "1280x720", 24),
    *("-c:v", "libx265", "-preset", "veryfast", "-pix_fmt", "yuv420p10le"),
    *("-x265-params", "keyint=48:min-keyint=24:log-level=none", "-c:a", "eac3", "-ac", "6"),
]
SOURCES[GAP_CLIPS["direct"]] = [
    *conversion._lavfi(15, "1280x720", 24),
    *(*conversion.X264_HIGH, "-level:v", "4.1", "-c:a", "aac", "-ac", "2", "-movflags", "+faststart"),
]
TV_NAME, TV_ADDRESS = "Bench TV", "127.0.0.7"
PLAYED_BEFORE_SEEK = 1.0  # seconds of the film played before the seek
CONVERTED = (conversion.FILM, conversion.REMUX, conversion.MUSIC)
# Recorded by the page as it plays, from the moment its media element is made.
WATCH = media_watch("""(media) => {
  if (media.requestVideoFrameCallback) {
    media.requestVideoFrameCallback(() => (window.__firstFrame = performance.now()));
  }
  media.addEventListener("timeupdate", () => {
    if (media.currentTime > 0 && !window.__moved) window.__moved = performance.now();
  });
}""")
NGINX_SERVER = """
server {{
    listen 127.0.0.1:{{port}};
    root {root};
    types {{ text/html html; video/mp4 mp4; }}
    location / {{ }}
}}
"""

# The app as production runs it (docs/nginx.conf): nginx in front, and the app answering
# each media request with X-Accel-Redirect, nginx then sending the file itself.
ACCEL = "/_mediacaster"
FRONT_SERVER = """
server {{
    listen 127.0.0.1:{{port}};
    location / {{
        proxy_pass {app};
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_set_header Host $http_host;
        proxy_read_timeout 300s;
    }}
    location {accel}/m/ {{ internal; alias {media}/; include {snippet}; }}
    location {accel}/s/ {{ internal; alias {scratch}/; include {snippet}; }}
}}
"""
SNIPPET = Path(mediacaster.__file__).parent.parent / "docs" / "mediacaster-media.conf"

SHAKA = Path(mediacaster.__file__).parent / "static" / "vendor" / "shaka-player" / "shaka-player.compiled.js"
# Nothing but Shaka Player playing a manifest, as the page's player sets it up (player.js).
SHAKA_PAGE = """<!doctype html><script src="shaka.js"></script><{tag} autoplay></{tag}>
<script>
const media = document.querySelector("{tag}");
shaka.polyfill.installAll();
const player = new shaka.Player();
player.attach(media).then(() => player.load("{manifest}", null, "application/dash+xml"));
</script>"""
SHAKA_SERVER = """
server {{
    listen 127.0.0.1:{{port}};
    location = /index.html {{ root {root}; types {{ text/html html; }} }}
    location = /shaka.js {{ root {root}; types {{ text/javascript js; }} }}
    location / {{ proxy_pass {app}; proxy_set_header Host $http_host; proxy_buffering off; }}
}}
"""

# Set on a seek: the page's clock when the first frame at the sought position is shown.
SEEK = """(position) => {
  const video = document.querySelector("video");
  window.__resumed = null;
  const frame = (now, metadata) => {
    if (metadata.mediaTime >= position - 0.1) window.__resumed = performance.now();
    else video.requestVideoFrameCallback(frame);
  };
  video.requestVideoFrameCallback(frame);
  const started = performance.now();
  video.currentTime = position;
  return started;
}"""

# When the page had received the segment whose name ends so, asked for after ``started``.
SERVED = """([started, ending]) => {
  const entry = performance.getEntriesByType("resource")
    .find((e) => e.startTime >= started && new URL(e.name).pathname.endsWith(ending));
  return entry ? entry.responseEnd : NaN;
}"""


@contextlib.contextmanager
def production(bench):
    """A fresh app as production runs it, nginx in front (``app.url``: nginx's)."""
    with bench.app(**{"mediacaster.accel_redirect": ACCEL}) as app:
        conf = FRONT_SERVER.format(
            app=app.server.url, accel=ACCEL, media=bench.media, scratch=bench.scratch, snippet=SNIPPET
        )
        with Nginx(conf) as nginx:
            app.url = nginx.url
            yield app


# A value the page sets on ``window``, waited for in the page itself (asking for it every few
# milliseconds through the browser's debugging protocol would take a share of the CPUs).
SET = """([key, limit]) => new Promise((resolve) => {
  const until = performance.now() + limit;
  const check = () =>
    window[key] != null || performance.now() > until ? resolve(window[key] ?? null) : setTimeout(check, 5);
  check();
})"""


def wait_set(page, key, what, timeout=120):
    """The value the page sets as ``window[key]``, once it is set."""
    deadline = time.monotonic() + timeout
    while (value := page.evaluate(SET, [key, 1000])) is None:
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not happen in {timeout} s")
    return value


def first_frame(browser, url, video, timeout=120, visitor=None):
    """Milliseconds from navigating to ``url`` to its first frame (or first move of sound),
    in a new browser context: ``visitor``'s (a ``Returning``), else an empty one."""
    context = visitor.context(browser) if visitor else browser.new_context()
    page = context.new_page()
    page.add_init_script(WATCH)
    try:
        page.goto(url)
        return wait_set(page, "__firstFrame" if video else "__moved", f"{url}: the first frame", timeout)
    finally:
        context.close()


WHAT = {
    conversion.FILM: "converted: 1080p HEVC 10-bit + E-AC-3, to H.264 + AAC",
    conversion.REMUX: "converted: 1080p H.264 + AC-3, sound to AAC",
    conversion.MUSIC: "converted: ALAC music to FLAC (first move)",
}


def page_url(app, name):
    return f"{app.url}/library/m/{quote(name)}?play=1"


class Returning:
    """A browser that has used the app before: its checks remembered (the cookie its first
    file page set) and, unless ``cached`` is false, the app's styles and scripts in its
    cache, Shaka Player's too, from another file's page (never the file timed); ``also``:
    more URLs it has fetched."""

    def __init__(self, cookies, app, cached=True, also=()):
        self.cookies, self.app, self.cached, self.also = cookies, app, cached, also

    def context(self, browser):
        context = browser.new_context()
        context.add_cookies(self.cookies)
        if self.cached:
            page = context.new_page()
            page.goto(f"{self.app.url}/library/m/{quote(WARM_PAGE)}")
            poll(page, "window.hereQueue && window.seekPreviews", "the page's scripts")
            page.add_script_tag(url=page.eval_on_selector("#player-box", "box => box.dataset.shaka"))
            for url in self.also:
                page.goto(url)
            page.close()
        return context

    def uncached(self):
        return Returning(self.cookies, self.app, cached=False)


def remembered_checks(browser, app):
    """A ``Returning`` browser: one that has opened a file page before."""
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(page_url(app, DIRECT))
        poll(page, "document.cookie.includes('mediacaster_can=')", "the checks remembered")
        return Returning(context.cookies(), app)
    finally:
        context.close()


def read_file(app, name):
    """Have the app read ``name`` (as its folder's listing does) without converting it."""
    with urllib.request.urlopen(f"{app.server.url}/api/playback/m/{quote(name)}", timeout=120) as answer:
        answer.read()


def converted_rows(bench, browser, name, page):
    """The page of ``name`` opened with an empty cache, then again, by a browser whose
    checks are remembered; beside the bare page (``page`` ms) and bare ffmpeg."""
    video = name != conversion.MUSIC
    cold, warm, floor = [], [], []
    for _ in range(REPEAT):
        with production(bench) as app:  # an empty cache
            visitor = remembered_checks(browser, app)
            read_file(app, name)
            opened = functools.partial(first_frame, browser, page_url(app, name), video, visitor=visitor)
            cold.append(bench.timed(name, opened))
            app.wait_idle()
            warm.append(bench.timed(name, opened))
            floor.append(bench.timed(name, functools.partial(bare_shaka, browser, app, name, video, visitor)))
    bare = median(bench, name, lambda: bench.ffmpeg(name, 0, 0)[0] * 1000)
    cold, warm, floor = statistics.median(cold), statistics.median(warm), statistics.median(floor)
    return [
        (
            f"{WHAT[name]}, empty cache",
            f"{cold:.0f} ms",
            f"bare page {page:.0f} ms + bare ffmpeg's first segment {bare:.0f} ms",
            f"{cold / (page + bare):.2f}x",
        ),
        (
            f"{WHAT[name]}, from the cache",
            f"{warm:.0f} ms",
            f"bare page {page:.0f} ms",
            f"{warm / page:.2f}x",
        ),
        (
            f"{WHAT[name]}, from the cache, beside a bare Shaka Player page on the same stream",
            f"{warm:.0f} ms",
            f"bare Shaka Player page {floor:.0f} ms",
            f"{warm / floor:.2f}x",
        ),
    ]


def bare_shaka(browser, app, name, video, visitor):
    """Milliseconds to the first frame (or move) of ``name``'s manifest, from the cache,
    in a bare page from nginx that does nothing but play it with Shaka Player (nginx
    passing the manifest's and segments' requests to the app): what any page that
    plays a manifest in Chromium costs (it has no DASH or HLS of its own)."""
    context = visitor.uncached().context(browser)
    try:
        page = context.new_page()
        page.goto(page_url(app, name).replace("?play=1", ""))
        manifest = json.loads(page.eval_on_selector("#player-plan", "plan => plan.textContent"))["manifests"][
            "dash"
        ]
    finally:
        context.close()
    folder = Path(tempfile.mkdtemp(prefix="shaka-page-"))
    try:
        shutil.copy(SHAKA, folder / "shaka.js")
        tag = "video" if video else "audio"
        (folder / "index.html").write_text(
            SHAKA_PAGE.format(tag=tag, manifest=urlsplit(manifest).path + "?" + urlsplit(manifest).query)
        )
        with Nginx(SHAKA_SERVER.format(root=folder, app=app.server.url)) as nginx:
            # Its Shaka Player in the browser's cache too, as the app's is.
            bare = Returning(visitor.cookies, app, also=[f"{nginx.url}/shaka.js"])
            return first_frame(browser, f"{nginx.url}/index.html", video, visitor=bare)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def poll(page, expression, what, timeout=120):
    deadline = time.monotonic() + timeout
    while not (value := page.evaluate(expression)):
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not happen in {timeout} s")
        time.sleep(0.01)
    return value


def page_seek(bench, browser):
    """A fresh app (an empty cache): the film's page plays, then is sought to ``SEEK_AT``.
    Milliseconds from the seek to the first frame there, the segment asked for, whether
    a job was started at it, and the job's stream and timeline (for the reference)."""
    with production(bench) as app:
        context = browser.new_context()
        page = context.new_page()
        page.add_init_script(WATCH)
        try:
            page.goto(page_url(app, SEEK_FILM))
            wait_set(page, "__firstFrame", "the first frame")
            poll(page, f"document.querySelector('video').currentTime > {PLAYED_BEFORE_SEEK}", "playing")
            (job,) = app.services.conversion.jobs.running()
            stream, timeline = job.stream, job.timeline
            position = SEEK_AT * page.evaluate("document.querySelector('video').duration")
            index = timeline.index_at(position)
            page.evaluate("performance.setResourceTimingBufferSize(10000)")
            started = page.evaluate(SEEK, position)
            resumed = wait_set(page, "__resumed", "the first frame after the seek")
            started_there = any(j.start_index == index for j in app.services.conversion.jobs.running())
            served = page.evaluate(SERVED, [started, f"/{index}.m4s"])
        finally:
            context.close()
    return resumed - started, index, started_there, (stream, timeline), served - started


def bare_segment(bench, stream, timeline, index):
    """Milliseconds from starting the app's own command for segment ``index`` (started
    there, -ss before -i) to that segment's file."""
    folder = Path(tempfile.mkdtemp(prefix="ffmpeg-", dir=bench.tmp))
    args = conversion.hls_command(stream.job(index, timeline.starts[index]), str(folder))
    try:
        started = time.perf_counter()
        process = subprocess.Popen(
            [bench.ffmpeg_path, *args], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL
        )
        try:
            return (conversion._appears(folder / f"{index}.m4s", process) - started) * 1000
        finally:
            process.kill()
            process.wait()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def seek_row(bench, browser):
    """The seek in the page and bare ffmpeg, in turn, ``REPEAT`` times."""
    ours, bare, fresh, served = [], [], [], []
    for _ in range(REPEAT):
        took, index, started_there, made, answered = bench.timed(SEEK_FILM, lambda: page_seek(bench, browser))
        ours.append(took)
        fresh.append(started_there)
        served.append(answered)
        bare.append(bench.timed(SEEK_FILM, functools.partial(bare_segment, bench, *made, index)))
    ours, bare, served = statistics.median(ours), statistics.median(bare), statistics.median(served)
    how = "a job started there" if all(fresh) else "waited for the job from the start"
    others = max(bench.disturbed[SEEK_FILM])
    print(f"seek: {ours:.0f} ms, bare ffmpeg {bare:.0f} ms; others took up to {others:.0%} of the CPUs")
    return [
        (
            f"seek to {SEEK_AT:.0%} of a 125 s 720p HEVC 10-bit film, empty cache ({how})",
            f"{ours:.0f} ms",
            f"bare ffmpeg making that segment from that point {bare:.0f} ms",
            f"{ours / bare:.2f}x",
        ),
        (
            "the same seek, to the segment sought received by the page (the rest is the"
            " browser decoding from the segment's keyframe to the point sought)",
            f"{served:.0f} ms",
            f"bare ffmpeg {bare:.0f} ms",
            f"{served / bare:.2f}x",
        ),
    ]


def gap_folder(bench, kind):
    """A folder of two copies of the ``kind`` clip in the scratch root: ``(e01, e02)`` paths."""
    name = GAP_CLIPS[kind]
    folder = bench.scratch / f"gap-{kind}"
    folder.mkdir(exist_ok=True)
    suffix = name[name.rindex(".") :]
    paths = []
    for episode in ("e01", "e02"):
        if not (folder / f"{episode}{suffix}").exists():
            shutil.copyfile(bench.media / name, folder / f"{episode}{suffix}")
        paths.append(f"gap-{kind}/{episode}{suffix}")
    return paths


@contextlib.contextmanager
def settings_from_env(**values):
    """The app's settings overridden through their environment variables, for one app."""
    before = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in before.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def page_gap(bench, browser, kind):
    """A fresh app: the first clip's page plays it to its end, then the next clip's page
    is opened; milliseconds from that navigation to its first frame."""
    first, second = gap_folder(bench, kind)
    with settings_from_env(MEDIACASTER_PROGRESS_INTERVAL="1"), production(bench) as app:
        visitor = remembered_checks(browser, app)
        for name in (first, second):
            with urllib.request.urlopen(f"{app.server.url}/api/playback/s/{quote(name)}", timeout=120) as r:
                r.read()
        context = visitor.context(browser)
        page = context.new_page()
        try:
            page.goto(f"{app.url}/library/s/{quote(first)}?play=1")
            poll(page, "document.querySelector('video')?.ended", "the first clip's end", timeout=180)
        finally:
            context.close()
        return first_frame(browser, f"{app.url}/library/s/{quote(second)}?play=1", True, visitor=visitor)


def poll_until(predicate, what, timeout=60):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not happen in {timeout} s")
        time.sleep(0.05)


def warm_for_the_tv(app, name, segments=2):
    """Have the app make the start of ``name`` as the TV plays it (its first segments, if
    converted), so that the device's LOAD of it is answered in time on a loaded machine."""
    entry = app.services.library.entry("s", name.split("/"))
    decision = decide(app.services.playback.read(entry), GEN1)
    if decision is None or decision.delivery == DIRECT_DELIVERY:
        return
    client = conversion.Client(app.server.url)
    try:
        playlist = conversion.Playlist(
            client.get(app.signed(f"playlist/{Variant.of(decision).token}", "s", name)).decode()
        )
        for url in [playlist.init, *playlist.segments[:segments]]:
            for _ in range(10):  # a request held past its limit is answered 503: asked again
                try:
                    client.get(url)
                    break
                except RuntimeError:
                    client.close()
                    client = conversion.Client(app.server.url)
    finally:
        client.close()


def tv_gap(bench, device, kind):
    """A fresh app finds the fake TV and plays the two clips there as a queue; milliseconds
    from the first clip's end (by the device's clock) to the second one playing."""
    first, second = gap_folder(bench, kind)
    tv = {
        "MEDIACASTER_DISCOVERY": "true",
        "MEDIACASTER_DISCOVERY_INTERFACES": "127.0.0.1",
        "MEDIACASTER_KNOWN_HOSTS": TV_ADDRESS,
    }
    with settings_from_env(**tv), bench.app() as app:
        poll_until(
            lambda: any(d.online and d.name == TV_NAME for d in app.services.cast.devices()), "the TV found"
        )
        target = app.services.cast.find(TV_NAME)
        warm_for_the_tv(app, first)  # the first clip's cold start is not the gap
        since = len(device.played)
        app.services.queue_player.start(None, target, [("s", first), ("s", second)], app.server.url)

        def played(name):
            return [when for when, url in device.played[since:] if f"/{quote(name)}" in url.split("?")[0]]

        poll_until(lambda: played(second), "the second clip playing on the TV", 180)
        following = played(second)[0]
        # The first clip's last start before it (a LOAD unanswered in time is sent again).
        started = max(when for when in played(first) if when < following)
        duration = device.queue[0]["media"].get("duration") or 15.0
        app.services.queue_player.stop(None, target)
    return (following - started - duration) * 1000


def gap_rows(bench, browser, direct_start):
    """The gap between two queue items, in the page and on the fake TV, beside a direct start."""
    rows = []
    for kind in ("converted", "direct"):
        ours = median(bench, f"gap {kind}", lambda kind=kind: page_gap(bench, browser, kind))
        print(f"page gap, {kind}: {ours:.0f} ms (direct start {direct_start:.0f} ms)", flush=True)
        rows.append(
            (
                f"gap between two queue items in the page ({kind} 15 s clips): next page to first frame",
                f"{ours:.0f} ms",
                f"the direct file's start {direct_start:.0f} ms",
                f"{ours / direct_start:.2f}x",
            )
        )
    # A known host (no mDNS): zeroconf's registration times out on a loaded machine.
    device = FakeChromecast(TV_NAME, "Chromecast", TV_ADDRESS, port=8009, eureka=True).start()
    try:
        gaps = {
            kind: median(bench, f"tv gap {kind}", lambda kind=kind: tv_gap(bench, device, kind))
            for kind in GAP_CLIPS
        }
    finally:
        device.stop()
    print(f"TV gap: {gaps}", flush=True)
    rows.append(
        (
            "gap between two queue items on the fake Chromecast (converted 15 s clips): end to next playing",
            f"{gaps['converted']:.0f} ms",
            f"the same between two clips played as they are {gaps['direct']:.0f} ms",
            f"{gaps['converted'] / max(gaps['direct'], 1):.2f}x",
        )
    )
    return rows


def printed(rows):
    """``rows``, each printed as soon as it is measured (a later failure keeps them)."""
    for row in rows:
        print("| " + " | ".join(row) + " |", flush=True)
    return rows


def median(bench, key, run, times=REPEAT):
    return statistics.median(bench.timed(key, run) for _ in range(times))


class SeekBench(conversion.Bench):
    """The conversion benchmark's apps and timing, without its films: the seek has its own."""

    def __init__(self, media, scratch, tmp, redis_url):
        self.media, self.scratch, self.tmp, self.redis_url = media, scratch, tmp, redis_url
        self.disturbed = {}
        self.deadline = time.monotonic() + conversion.BUDGET_SECONDS
        self.ffmpeg_path = shutil.which("ffmpeg") or "ffmpeg"


def make_media(media, names):
    media.mkdir(parents=True, exist_ok=True)
    for name in names:
        if not (media / name).exists():
            print(f"making {media / name} once (kept for later runs) ...", flush=True)
            command = [shutil.which("ffmpeg") or "ffmpeg", "-nostdin", "-loglevel", "error", "-y"]
            subprocess.run([*command, *SOURCES[name], str(media / f".part-{name}")], check=True)
            (media / f".part-{name}").rename(media / name)


def main(rows=("direct", "converted", "seek", "gap")):
    """``rows``: which measurements to make (``python -m bench player`` makes all)."""
    media = conversion.MEDIA
    if "converted" in rows:
        conversion.make_media(media)
    make_media(media, [DIRECT, WARM_PAGE, *([SEEK_FILM] if "seek" in rows else [])])
    make_media(media, list(GAP_CLIPS.values()) if "gap" in rows else [])
    tmp = Path(tempfile.mkdtemp(prefix="bench-player-"))
    scratch = tmp / "scratch"
    scratch.mkdir()
    (tmp / "ref").mkdir()
    (tmp / "redis").mkdir()
    shutil.copy(media / DIRECT, tmp / "ref" / DIRECT)
    (tmp / "ref" / "index.html").write_text(f'<!doctype html><video src="{DIRECT}" autoplay></video>')
    redis = RedisServer(tmp / "redis").start()
    table = []
    try:
        kind = conversion.Bench if "converted" in rows else SeekBench
        bench = kind(media.resolve(), scratch, tmp, redis.url)
        with (
            chromium("--autoplay-policy=no-user-gesture-required") as browser,
            Nginx(NGINX_SERVER.format(root=tmp / "ref")) as nginx,
        ):
            bare = functools.partial(first_frame, browser, f"{nginx.url}/", True)
            if "direct" in rows or "gap" in rows:
                with production(bench) as app:
                    visitor = remembered_checks(browser, app)
                    # In turn, so that what else the machine does weighs on each alike.
                    times = {"bare": [], "ours": [], "uncached": []}
                    for _ in range(QUICK_REPEAT):
                        times["bare"].append(bench.timed("reference", bare))
                        times["ours"].append(
                            bench.timed(
                                DIRECT,
                                lambda: first_frame(browser, page_url(app, DIRECT), True, visitor=visitor),
                            )
                        )
                        times["uncached"].append(
                            bench.timed(
                                DIRECT,
                                lambda: first_frame(
                                    browser, page_url(app, DIRECT), True, visitor=visitor.uncached()
                                ),
                            )
                        )
                    reference, ours, uncached = (
                        statistics.median(times[key]) for key in ("bare", "ours", "uncached")
                    )
            else:
                reference = median(bench, "reference", bare, QUICK_REPEAT)
            if "direct" in rows:
                table += printed(
                    [
                        (
                            "direct: 1080p H.264/AAC MP4",
                            f"{ours:.0f} ms",
                            f"bare <video> from nginx {reference:.0f} ms",
                            f"{ours / reference:.2f}x",
                        ),
                        (
                            "the same, the page's styles and scripts not in the browser's cache",
                            f"{uncached:.0f} ms",
                            f"bare <video> from nginx {reference:.0f} ms",
                            f"{uncached / reference:.2f}x",
                        ),
                    ]
                )
            if "converted" in rows:
                for name in CONVERTED:
                    table += printed(converted_rows(bench, browser, name, reference))
            if "seek" in rows:
                table += printed(seek_row(bench, browser))
            if "gap" in rows:
                table += printed(gap_rows(bench, browser, ours))
    finally:
        redis.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"load average (1, 5, 15 min) at the end: {os.getloadavg()}")
    markdown_table(
        "Opening a file's page to its first frame (Chromium, median of 3; the direct row: of 9)",
        ("file", "mediacaster", "reference", "ratio"),
        table,
    )

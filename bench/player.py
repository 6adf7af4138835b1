"""Player benchmark: time from opening a file's page to its first frame, in Chromium.

Debian's headless Chromium (Playwright) opens each file's page with ``?play=1``
against the app under a real waitress; the time is the page's own clock, from
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
"""

import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

from bench import conversion
from bench.common import markdown_table
from tests.common.chromium import chromium
from tests.common.servers import Nginx, RedisServer

REPEAT = 3
DIRECT = "film-h264-aac.mp4"
SOURCES = {
    DIRECT: [
        *conversion._lavfi(60, "1920x1080", 25),
        *(*conversion.X264_HIGH, "-level:v", "4.1", "-c:a", "aac", "-ac", "2", "-movflags", "+faststart"),
    ],
}
CONVERTED = (conversion.FILM, conversion.REMUX, conversion.MUSIC)
# Recorded by the page as it plays; an init script runs before the page's own.
WATCH = """document.addEventListener("DOMContentLoaded", () => {
  const media = document.querySelector("video, audio");
  if (!media) return;
  if (media.requestVideoFrameCallback) {
    media.requestVideoFrameCallback(() => (window.__firstFrame = performance.now()));
  }
  media.addEventListener("timeupdate", () => {
    if (media.currentTime > 0 && !window.__moved) window.__moved = performance.now();
  });
});"""
NGINX_SERVER = """
server {{
    listen 127.0.0.1:{{port}};
    root {root};
    types {{ text/html html; video/mp4 mp4; }}
    location / {{ }}
}}
"""


def first_frame(browser, url, video, timeout=120):
    """Milliseconds from navigating to ``url`` to its first frame (or first move of sound)."""
    context = browser.new_context()
    page = context.new_page()
    page.add_init_script(WATCH)
    try:
        page.goto(url)
        key = "__firstFrame" if video else "__moved"
        deadline = time.monotonic() + timeout
        while (value := page.evaluate(f"window.{key}")) is None:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{url}: no first frame in {timeout} s")
            time.sleep(0.01)
        return value
    finally:
        context.close()


WHAT = {
    conversion.FILM: "converted: 1080p HEVC 10-bit + E-AC-3, to H.264 + AAC",
    conversion.REMUX: "converted: 1080p H.264 + AC-3, sound to AAC",
    conversion.MUSIC: "converted: ALAC music to FLAC (first move)",
}


def page_url(app, name):
    return f"{app.server.url}/library/m/{quote(name)}?play=1"


def converted_row(bench, browser, name):
    """The page of ``name`` opened with an empty cache, then again; beside bare ffmpeg."""
    video = name != conversion.MUSIC
    cold, warm = [], []
    for _ in range(REPEAT):
        with bench.app() as app:  # an empty cache
            cold.append(bench.timed(name, lambda: first_frame(browser, page_url(app, name), video)))
            app.wait_idle()
            warm.append(bench.timed(name, lambda: first_frame(browser, page_url(app, name), video)))
    bare = median(bench, name, lambda: bench.ffmpeg(name, 0, 0)[0] * 1000)
    cold, warm = statistics.median(cold), statistics.median(warm)
    return (
        WHAT[name],
        f"{cold:.0f} ms (again: {warm:.0f} ms)",
        f"bare ffmpeg, first segment {bare:.0f} ms",
        f"{cold / bare:.2f}x",
    )


def median(bench, key, run):
    return statistics.median(bench.timed(key, run) for _ in range(REPEAT))


def main():
    media = conversion.MEDIA
    conversion.make_media(media)
    for name, args in SOURCES.items():
        if not (media / name).exists():
            print(f"making {media / name} once (kept for later runs) ...", flush=True)
            command = [shutil.which("ffmpeg") or "ffmpeg", "-nostdin", "-loglevel", "error", "-y"]
            subprocess.run([*command, *args, str(media / f".part-{name}")], check=True)
            (media / f".part-{name}").rename(media / name)
    tmp = Path(tempfile.mkdtemp(prefix="bench-player-"))
    scratch = tmp / "scratch"
    scratch.mkdir()
    (tmp / "ref").mkdir()
    (tmp / "redis").mkdir()
    shutil.copy(media / DIRECT, tmp / "ref" / DIRECT)
    (tmp / "ref" / "index.html").write_text(f'<!doctype html><video src="{DIRECT}" autoplay></video>')
    redis = RedisServer(tmp / "redis").start()
    rows = []
    try:
        bench = conversion.Bench(media.resolve(), scratch, tmp, redis.url)
        with (
            chromium("--autoplay-policy=no-user-gesture-required") as browser,
            Nginx(NGINX_SERVER.format(root=tmp / "ref")) as nginx,
        ):
            with bench.app() as app:
                first_frame(browser, page_url(app, DIRECT), True)  # the browser's caches warmed once
                ours = median(bench, DIRECT, lambda: first_frame(browser, page_url(app, DIRECT), True))
            reference = median(bench, "reference", lambda: first_frame(browser, f"{nginx.url}/", True))
            rows.append(
                (
                    "direct: 1080p H.264/AAC MP4",
                    f"{ours:.0f} ms",
                    f"bare <video> from nginx {reference:.0f} ms",
                    f"{ours / reference:.2f}x",
                )
            )
            rows += [converted_row(bench, browser, name) for name in CONVERTED]
    finally:
        redis.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    markdown_table(
        "Opening a file's page to its first frame (Chromium, median of 3)",
        ("file", "mediacaster", "reference", "ratio"),
        rows,
    )

"""``python -m bench previews``: the CPU time of a film's seek previews.

The app's own :class:`~mediacaster.services.previews.PreviewService` makes the previews
of ten-minute 1080p films (H.264, and HEVC 10-bit), with a keyframe every 2 s (the
costly end: most films have one every 2 to 10 s), into an empty cache. The CPU time is
ffmpeg's, user and system, read from ``resource.getrusage(RUSAGE_CHILDREN)`` around the
run (this process starts no other child meanwhile). Wanted: at most the film's length
/ 100 (0.6 s of CPU a minute of film).
"""

import os
import resource
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from bench.common import markdown_table
from mediacaster.services.diskcache import DiskCache
from mediacaster.services.ffmpeg import Tool
from mediacaster.services.previews import PreviewService
from mediacaster.services.probe import ProbeService

MEDIA = Path("data") / "bench-media"  # git-ignored; kept between runs
CLIP_SECONDS, LOOPS = 10, 60  # ten minutes, made by copying a short clip
REPEAT = 3
CLIPS = {
    "film-1080p-h264.mp4": ["-c:v", "libx264", "-preset", "ultrafast", "-g", "48", "-pix_fmt", "yuv420p"],
    "film-1080p-hevc10.mkv": [
        *("-c:v", "libx265", "-preset", "ultrafast", "-pix_fmt", "yuv420p10le"),
        *("-x265-params", "keyint=48:min-keyint=48:scenecut=0:log-level=none"),
    ],
}


def make_films(folder):
    """Each film once, kept for later runs: a 10 s clip, then copies of it one after another."""
    folder.mkdir(parents=True, exist_ok=True)
    ffmpeg = [shutil.which("ffmpeg") or "ffmpeg", "-nostdin", "-loglevel", "error", "-y"]
    for name, codec in CLIPS.items():
        film = folder / name
        if film.exists():
            continue
        print(f"making {film} once (kept for later runs) ...", flush=True)
        clip = folder / f".clip-{name}"
        picture = ["-f", "lavfi", "-i", f"testsrc2=size=1920x1080:rate=24:duration={CLIP_SECONDS}"]
        subprocess.run([*ffmpeg, *picture, *codec, str(clip)], check=True)
        partial = folder / f".part-{name}"
        subprocess.run(
            [*ffmpeg, "-stream_loop", str(LOOPS - 1), "-i", str(clip), "-c", "copy", str(partial)], check=True
        )
        partial.rename(film)
        clip.unlink()


def children_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measure(path, probe, scratch):
    """(CPU seconds, wall seconds) of one run making the film's previews into an empty cache."""
    cache = DiskCache(Path(tempfile.mkdtemp(dir=scratch)), 10**10)
    service = PreviewService(cache, Tool("ffmpeg"))
    previews = service.find(str(path), probe)
    cpu, wall = children_cpu(), time.perf_counter()
    service.make(previews)
    return children_cpu() - cpu, time.perf_counter() - wall


def main():
    media = MEDIA.absolute()
    make_films(media)
    prober = ProbeService(None, Tool("ffprobe"))  # its ffprobe run alone: no Redis
    rows = []
    loads = [os.getloadavg()[0]]
    with tempfile.TemporaryDirectory(prefix="mediacaster-bench-") as scratch:
        for name in CLIPS:
            path = media / name
            probe = prober.run(str(path), path.stat().st_size)
            runs = sorted(measure(path, probe, scratch) for _ in range(REPEAT))
            loads.append(os.getloadavg()[0])
            cpu, wall = runs[len(runs) // 2]
            duration = probe["duration"]
            budget = duration / 100
            rows.append(
                [
                    name,
                    f"{duration:.0f} s",
                    f"{cpu:.2f} s",
                    f"{cpu / (duration / 60):.3f} s",
                    f"{budget:.2f} s",
                    f"{cpu / budget:.2f}x",
                    f"{wall:.1f} s",
                ]
            )
    prober.close()
    header = [
        "film",
        "length",
        "ffmpeg CPU",
        "CPU a minute of film",
        "wanted (length / 100)",
        "ratio",
        "wall",
    ]
    markdown_table(
        f"seek previews, median of {REPEAT} (load average {min(loads):.1f}-{max(loads):.1f})", header, rows
    )


if __name__ == "__main__":
    main()

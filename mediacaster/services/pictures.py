"""Pictures of the media: video posters, audio cover art, image previews.

A poster is a frame at about 10% of the video; cover art is the picture
embedded in an audio file, else ``cover.jpg`` or ``folder.jpg`` beside it; an
image gets a smaller preview. Each is made once with ffmpeg (time-limited and
killed when it overruns) and cached on disk as JPEG by the file's version.
"""

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

WIDTH = 480
FOLDER_COVERS = ("cover.jpg", "cover.png", "folder.jpg", "folder.png", "front.jpg")


class PictureError(Exception):
    """No picture can be made for the file; the message says why."""


class PictureService:
    def __init__(self, cache_dir, timeout=20.0, ffmpeg="ffmpeg"):
        self.cache_dir = Path(cache_dir)
        self.timeout = timeout
        self.ffmpeg = shutil.which(ffmpeg) if ffmpeg else None

    def picture(self, path, kind, probe, folder_names=()):
        """Path of the cached JPEG for the file, made if needed."""
        if self.ffmpeg is None:
            raise PictureError("ffmpeg is not installed: no pictures")
        source, inputs = self._source(path, kind, probe, folder_names)
        version = f"{source}\0{os.stat(source).st_size}\0{os.stat(source).st_mtime_ns}\0{kind}\0{WIDTH}"
        cached = self.cache_dir / f"{hashlib.sha1(version.encode()).hexdigest()}.jpg"
        if not cached.exists():
            self.cache_dir.mkdir(parents=True, exist_ok=True)
            partial = cached.with_suffix(f".{os.getpid()}.part.jpg")
            self._run(
                [*inputs, "-frames:v", "1", "-vf", f"scale='min({WIDTH},iw)':-2", "-q:v", "4", str(partial)]
            )
            partial.replace(cached)
        return str(cached)

    def _source(self, path, kind, probe, folder_names):
        if probe is not None and not probe.get("ok"):
            raise PictureError(f"unreadable: {probe.get('error')}")
        if kind == "video":
            duration = (probe or {}).get("duration") or 0
            return path, ["-ss", f"{duration * 0.1:.3f}", "-i", path, "-map", "0:v:0"]
        if kind == "audio":
            if (probe or {}).get("picture"):
                return path, ["-i", path, "-map", "0:v:0"]
            lowered = {name.lower(): name for name in folder_names}
            for candidate in FOLDER_COVERS:
                if candidate in lowered:
                    cover = os.path.join(os.path.dirname(path), lowered[candidate])
                    return cover, ["-i", cover]
            raise PictureError("no cover art: none embedded, and no cover.jpg or folder.jpg beside it")
        if kind == "image":
            return path, ["-i", path]
        raise PictureError("only video, audio and pictures have pictures")

    def _run(self, args):
        command = [self.ffmpeg, "-nostdin", "-loglevel", "error", "-y", *args]
        try:
            done = subprocess.run(command, capture_output=True, timeout=self.timeout, check=False)
        except subprocess.TimeoutExpired:
            raise PictureError(f"making the picture took longer than {self.timeout:g} s") from None
        if done.returncode != 0:
            lines = done.stderr.decode(errors="replace").strip().splitlines()
            raise PictureError(f"no picture could be made ({lines[-1] if lines else 'ffmpeg failed'})")

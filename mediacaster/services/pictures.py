"""Pictures of the media: video posters, audio cover art, image previews.

A poster is a frame at about 10% of the video; cover art is the picture
embedded in an audio file, else ``cover.jpg`` or ``folder.jpg`` beside it; an
image gets a smaller preview, or for a slideshow a picture the size of the screen
that shows it (one of :data:`SCREENS`, never larger than the image). Each is made
once with ffmpeg (time-limited and killed when it overruns) and cached on disk as
JPEG by the file's version and size.
"""

import os
import stat

from mediacaster.errors import NotFound
from mediacaster.services.ffmpeg import ToolFailed, ToolTimeout

WIDTH = 480
# A video's poster is made while its page starts the video, often beside the conversion
# of its first segment: at a lower priority, so that the two cores go to what the person
# waits for (the previews' ffmpeg runs so too).
POSTER_NICENESS = 10
# And it decodes the keyframe at or before its time only, not every frame from there to
# it: a third of the CPU on a 1080p HEVC film (0.12 against 0.39 s), which a cold
# conversion's first segment was slowed by. A stream with no frame marked as a keyframe
# (intra refresh) gives nothing so: it is then made the usual way. The keyframe is kept
# however early it is (a clip's only one, before its 10 %): no frame rate to hold to.
KEYFRAME_ONLY = ("-skip_frame", "nokey", "-noaccurate_seek")
ANY_TIME = ("-fps_mode", "passthrough")
# Screens a slideshow fits its pictures into: (width, height). A few sizes, so that the
# cache holds a few pictures of each image at most.
SCREENS = {720: (1280, 720), 1080: (1920, 1080), 1440: (2560, 1440), 2160: (3840, 2160)}
FOLDER_COVERS = ("cover.jpg", "cover.png", "folder.jpg", "folder.png", "front.jpg")


class PictureError(NotFound):
    """No picture can be made for the file; the message says why."""


class PictureService:
    def __init__(self, cache, ffmpeg, timeout=20.0):
        self.cache = cache  # a DiskCache
        self.ffmpeg = ffmpeg  # a Tool
        self.timeout = timeout

    def picture(self, path, kind, probe, folder_names=(), screen=None):
        """Path of the cached JPEG for the file, made if needed; ``screen``: a key of
        :data:`SCREENS`, for an image fitted into that screen rather than a preview."""
        if not self.ffmpeg.available:
            raise PictureError("ffmpeg is not installed: no pictures")
        source, inputs = self._source(path, kind, probe, folder_names)
        try:
            st = os.stat(source)
        except OSError:
            raise PictureError("the file is gone") from None
        if not stat.S_ISREG(st.st_mode):  # ffmpeg would wait on a FIFO until its time limit
            raise PictureError("not a regular file")
        size = f"{WIDTH}" if screen is None else "x".join(map(str, SCREENS[screen]))
        version = f"{source}\0{st.st_size}\0{st.st_mtime_ns}\0{kind}\0{size}"
        cached = self.cache.get("pictures", version, ".jpg")
        if cached is None:
            if screen is None:
                fit = f"scale='min({WIDTH},iw)':-2"
            else:  # into the screen, keeping its shape, never enlarged
                width, height = SCREENS[screen]
                fit = f"scale='min({width},iw)':'min({height},ih)':force_original_aspect_ratio=decrease"
            scale = ["-frames:v", "1", "-vf", fit, "-q:v", "3" if screen else "4"]
            if kind == "video":
                cached = self.cache.put(
                    "pictures", version, ".jpg", lambda partial: self._poster(inputs, scale, partial)
                )
            else:
                cached = self.cache.put(
                    "pictures", version, ".jpg", lambda partial: self._run([*inputs, *scale, partial])
                )
        return str(cached)

    def _poster(self, inputs, scale, partial):
        self._run([*KEYFRAME_ONLY, *inputs, *ANY_TIME, *scale, partial], POSTER_NICENESS)
        if os.path.getsize(partial) == 0:
            self._run([*inputs, *scale, partial], POSTER_NICENESS)

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

    def _run(self, args, niceness=0):
        try:
            self.ffmpeg.run(["-nostdin", "-loglevel", "error", "-y", *args], self.timeout, niceness=niceness)
        except ToolTimeout:
            raise PictureError(f"making the picture took longer than {self.timeout:g} s") from None
        except ToolFailed as failure:
            raise PictureError(f"no picture could be made ({failure.reason})") from None

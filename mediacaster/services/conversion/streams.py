"""A converted stream: which file, which of its streams, and what is done to each.

A :class:`Variant` is what the playback layer decided (video copied, converted
or absent; sound copied, converted to AAC or FLAC, or absent; which sound
track), spelt as a short token that travels in URLs. A :class:`Stream` is a
variant of one version of one file: its ``id`` names its segments in the cache,
so a changed file, variant or encoder never reads another's segments.
"""

import hashlib
import re
from dataclasses import dataclass

from mediacaster.errors import NotFound, Unprocessable
from mediacaster.services.conversion.commands import Job
from mediacaster.services.conversion.timeline import early_cut

# Bumped when the segments made for a variant change (command lines, cuts).
FORMAT_VERSION = 4
# Containers with no index, where a seek may land past its point (it lands this far before).
UNINDEXED = {"mpegts": 3.0, "mpeg": 3.0}
TOKEN = re.compile(r"^(copy|h264|none)\.(copy|aac|flac|none)\.(\d{1,4}|x)(?:\.s(\d{1,4}))?$")
# Subtitles made of pictures (DVD, Blu-ray, DVB, DivX): drawn into converted video.
IMAGE_SUBTITLES = {"dvd_subtitle", "hdmv_pgs_subtitle", "dvb_subtitle", "xsub"}
VIDEO_WORDS = {"copy": "copy", "convert": "h264", None: "none"}
AUDIO_WORDS = {"copy": "copy", "aac": "aac", "flac": "flac", None: "none"}


@dataclass(frozen=True)
class Variant:
    video: str | None  # "copy", "convert" or None (no picture)
    audio: str | None  # "copy", "aac", "flac" or None (no sound)
    audio_index: int | None
    burn_index: int | None = None  # image subtitles drawn into converted video

    @classmethod
    def of(cls, decision):
        """The variant a playback decision (``playback.decisions.Decision``) asks for."""
        audio = decision.audio_codec if decision.audio == "convert" else decision.audio
        return cls(decision.video, audio, decision.audio_index if audio else None, decision.burn_index)

    @classmethod
    def parse(cls, token):
        match = TOKEN.match(token or "")
        if match is None:
            raise NotFound(f"{token!r} is not a stream of this app")
        video, audio, index, burn = match.groups()
        video = {"copy": "copy", "h264": "convert", "none": None}[video]
        audio = None if audio == "none" else audio
        if video is None and audio is None:
            raise NotFound("a stream needs a picture or a sound")
        if (audio is None) != (index == "x") or (burn is not None and video != "convert"):
            raise NotFound(f"{token!r} is not a stream of this app")
        return cls(video, audio, None if index == "x" else int(index), None if burn is None else int(burn))

    @property
    def token(self):
        index = "x" if self.audio_index is None else str(self.audio_index)
        burn = "" if self.burn_index is None else f".s{self.burn_index}"
        return f"{VIDEO_WORDS[self.video]}.{AUDIO_WORDS[self.audio]}.{index}{burn}"


@dataclass(frozen=True)
class Stream:
    source: str  # the file's path
    size: int
    mtime_ns: int
    variant: Variant
    encoder: str
    video_index: int | None
    fps: float | None
    interlaced: bool
    bit_rate: int | None
    start: float  # the file's first timestamp
    end: float  # and its last, from its duration
    video_start: float  # the first frame's timestamp
    seek_margin: float = 0.0
    burn_index: int | None = None

    @classmethod
    def of(cls, path, size, mtime_ns, probe, variant, encoder):
        """The stream of ``variant`` of a file, from its probe; refuses what it cannot make."""
        video = probe.get("video")
        if variant.video and not video:
            raise NotFound("this file has no picture")
        if variant.audio and variant.audio_index not in {s.get("index") for s in probe.get("audio") or []}:
            raise NotFound(f"this file has no sound track {variant.audio_index}")
        if variant.burn_index is not None and variant.burn_index not in image_subtitles(probe):
            raise NotFound(f"this file has no image subtitles {variant.burn_index}")
        if not probe.get("duration"):
            raise Unprocessable("the length of this file is unknown: it cannot be cut into segments")
        start = probe.get("start_time") or 0.0
        return cls(
            source=path,
            size=size,
            mtime_ns=mtime_ns,
            variant=variant,
            encoder=encoder,
            video_index=video.get("index") if variant.video else None,
            fps=video.get("fps") if variant.video else None,
            interlaced=bool(video.get("interlaced")) if variant.video else False,
            bit_rate=(video or {}).get("bit_rate") or probe.get("bit_rate"),
            start=start,
            end=start + probe["duration"],
            video_start=(video or {}).get("start_time") or start,
            seek_margin=UNINDEXED.get(probe.get("container"), 0.0),
            burn_index=variant.burn_index,
        )

    @property
    def id(self):
        key = f"{FORMAT_VERSION}\0{self.source}\0{self.size}\0{self.mtime_ns}\0{self.variant.token}"
        key += f"\0{self.encoder if self.variant.video == 'convert' else ''}"
        return hashlib.sha1(key.encode("utf-8", "surrogateescape")).hexdigest()

    @property
    def version(self):
        """A short name of :attr:`id` that segment URLs carry: a changed file is told apart."""
        return self.id[:12]

    def job(self, start_index, start_time, length=None):
        return Job(
            source=self.source,
            video_index=self.video_index,
            video=self.variant.video,
            audio_index=self.variant.audio_index,
            audio=None
            if self.variant.audio is None
            else ("copy" if self.variant.audio == "copy" else "convert"),
            audio_codec=self.variant.audio if self.variant.audio in ("aac", "flac") else "aac",
            start_index=start_index,
            start_time=start_time,
            file_start=self.start,
            origin=self.video_start if start_time is None else start_time,
            seek_margin=self.seek_margin,
            fps=self.fps,
            interlaced=self.interlaced,
            bit_rate=self.bit_rate,
            encoder=self.encoder,
            burn_index=self.burn_index,
            length=length,
            # The short first segment of converted video (its keyframe forced by any job that crosses it).
            early_cut=early_cut(self.video_start, self.end) if self.variant.video == "convert" else None,
        )


def image_subtitles(probe):
    """Stream indexes of the file's subtitles made of pictures."""
    return [s["index"] for s in (probe or {}).get("subtitles") or [] if s.get("codec") in IMAGE_SUBTITLES]

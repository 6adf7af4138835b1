"""What a browser plays, from what it says it decodes.

The page asks its own browser with ``canPlayType`` (a file as it is, in a
``<video>``) and ``MediaSource.isTypeSupported`` (segments, through Shaka
Player), for the types in :data:`CHECKS`, and sends the names of those it
answered yes to. :func:`profile` turns them into the same ``Profile`` a Cast
model has, so one decision (``playback.decisions.decide``) serves both: Chrome
on Windows says no to AC-3 where Debian's Chromium says yes, and each gets
what it plays. The checks live here, not in the page, so the server knows what
each name meant.
"""

import hashlib
import json

from mediacaster.playback.verdicts import Profile

ELEMENT, MSE = "element", "mse"
# name: (how the page asks, the type it asks about)
CHECKS = {
    # Video codecs, as a file played as it is.
    "h264": (ELEMENT, 'video/mp4; codecs="avc1.640029"'),  # High, level 4.1
    "h264_5.2": (ELEMENT, 'video/mp4; codecs="avc1.640034"'),
    "h264_high10": (ELEMENT, 'video/mp4; codecs="avc1.6e0029"'),
    "hevc": (ELEMENT, 'video/mp4; codecs="hvc1.1.6.L120.B0"'),
    "hevc_10": (ELEMENT, 'video/mp4; codecs="hvc1.2.4.L120.B0"'),
    "vp8": (ELEMENT, 'video/webm; codecs="vp8"'),
    "vp9": (ELEMENT, 'video/mp4; codecs="vp09.00.40.08"'),
    "vp9_10": (ELEMENT, 'video/mp4; codecs="vp09.02.40.10"'),
    "av1": (ELEMENT, 'video/mp4; codecs="av01.0.08M.08"'),
    "av1_10": (ELEMENT, 'video/mp4; codecs="av01.0.08M.10"'),
    # Sound codecs.
    "aac": (ELEMENT, 'audio/mp4; codecs="mp4a.40.2"'),
    "mp3": (ELEMENT, "audio/mpeg"),
    "opus": (ELEMENT, 'audio/ogg; codecs="opus"'),
    "vorbis": (ELEMENT, 'audio/ogg; codecs="vorbis"'),
    "flac": (ELEMENT, "audio/flac"),
    "pcm": (ELEMENT, 'audio/wav; codecs="1"'),
    "ac3": (ELEMENT, 'audio/mp4; codecs="ac-3"'),
    "eac3": (ELEMENT, 'audio/mp4; codecs="ec-3"'),
    "dts": (ELEMENT, 'audio/mp4; codecs="dtsc"'),
    # Containers read as files.
    "mp4": (ELEMENT, "video/mp4"),
    "mov": (ELEMENT, "video/quicktime"),
    "webm": (ELEMENT, "video/webm"),
    "matroska": (ELEMENT, "video/x-matroska"),
    "mpegts": (ELEMENT, "video/mp2t"),
    "ogg": (ELEMENT, "audio/ogg"),
    "wav": (ELEMENT, "audio/wav"),
    "aac_file": (ELEMENT, "audio/aac"),
    # Segments (fMP4 through MediaSource): what a converted stream carries.
    "mse_h264": (MSE, 'video/mp4; codecs="avc1.640029"'),
    "mse_aac": (MSE, 'audio/mp4; codecs="mp4a.40.2"'),
    "mse_flac": (MSE, 'audio/mp4; codecs="flac"'),
}
VIDEO = {"hevc": "hevc", "vp8": "vp8", "vp9": "vp9", "av1": "av1"}
AUDIO = {"aac", "mp3", "opus", "vorbis", "flac", "pcm", "ac3", "eac3", "dts"}
# Probe container names, by check; flac, mp3 and aac files are their codec's check.
CONTAINERS = {
    "mp4": "mp4",
    "mov": "mov",
    "webm": "webm",
    "matroska": "matroska",
    "mpegts": "mpegts",
    "ogg": "ogg",
    "wav": "wav",
    "flac": "flac",
    "mp3": "mp3",
    "aac_file": "aac",
}
NAME = "this browser"


def profile(can):
    """The Profile of a browser that answered yes to the checks named in ``can``."""
    can = set(can) & CHECKS.keys()
    return Profile(
        NAME,
        h264_level=5.2 if "h264_5.2" in can else 4.1 if "h264" in can else 0,
        codecs=frozenset(codec for check, codec in VIDEO.items() if check in can),
        # Browsers scale what they show: no limit but the decoder's.
        max_width=8192,
        max_height=4320,
        max_bit_depth=10 if can & {"hevc_10", "vp9_10", "av1_10"} else 8,
        containers=frozenset(container for check, container in CONTAINERS.items() if check in can),
        audio=frozenset(AUDIO & can),
        h264_high10="h264_high10" in can,
        segments={"mse_h264", "mse_aac"} <= can,
        segment_flac="mse_flac" in can,
    )


def names(text):
    """The check names of a comma-separated ``can`` parameter, unknown ones left out."""
    return {name for name in (text or "").split(",") if name in CHECKS}


# The checks a browser passed, remembered in a cookie after its first file page so
# the next page is served with its plan. The tag changes with CHECKS: a cookie
# written for other checks is ignored and the page asks again.
COOKIE = "mediacaster_can"
TAG = hashlib.sha256(json.dumps(CHECKS, sort_keys=True).encode()).hexdigest()[:8]
COOKIE_LIMIT = 1024  # far more than every check's name


def remembered(value):
    """The check names a ``tag:name-name`` cookie remembers, or None where it is
    missing, malformed, too long, for other checks or names an unknown check."""
    if not value or len(value) > COOKIE_LIMIT:
        return None
    tag, _, listed = value.partition(":")
    if tag != TAG:
        return None
    can = set(listed.split("-")) - {""}
    return can if can <= CHECKS.keys() else None

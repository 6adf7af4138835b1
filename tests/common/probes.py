"""Probes as ``mediacaster.services.probe.parse`` returns them, made by hand for unit tests.

``tests/unit/playback/test_playback.py`` checks that their shape is the one parse gives.
"""

from mediacaster.services.probe import CONTAINER_TYPES


def probed(
    container,
    video=None,
    level=None,
    audio=(),
    subtitles=(),
    picture=False,
    tags=None,
    channels=2,
    width=1920,
    height=1080,
    **video_fields,
):
    """A probe of a file of ``container`` with a ``video`` codec and ``audio`` codecs;
    ``video_fields`` override the video stream's (profile, bit_depth, interlaced…)."""
    stream = {
        "index": 0,
        "codec": video,
        "profile": None,
        "level": level,
        "width": width,
        "height": height,
        "fps": 25.0,
        "pix_fmt": "yuv420p",
        "bit_depth": 8,
        "interlaced": False,
        "bit_rate": None,
        "start_time": 0.0,
        **video_fields,
    }
    return {
        "ok": True,
        "container": container,
        "content_type": CONTAINER_TYPES.get(container),
        "duration": 60.0,
        "start_time": 0.0,
        "bit_rate": 4_000_000,
        "video": stream if video else None,
        "audio": [
            {
                "index": number + 1,
                "codec": codec,
                "profile": None,
                "channels": channels,
                "sample_rate": 48000,
                "language": None,
                "title": None,
                "default": number == 0,
            }
            for number, codec in enumerate(audio)
        ],
        "subtitles": list(subtitles),
        "picture": picture,
        "width": width if video else None,
        "height": height if video else None,
        "tags": dict(tags or {}),
    }

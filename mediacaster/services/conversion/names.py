"""The file names of a converted stream's segments, for ffmpeg, the cache and URLs alike.

``init.mp4`` holds the codecs and their settings; ``0.m4s``, ``1.m4s``… the
media, numbered from the stream's first segment. ffmpeg writes them under these
names, the segment URLs end with them (players guess a segment's format from
its URL's extension), and a requested name is read back here.
"""

import re

INIT_NAME = "init.mp4"
SEGMENT_SUFFIX = ".m4s"
FFMPEG_PATTERN = f"%d{SEGMENT_SUFFIX}"  # ffmpeg's -hls_segment_filename
# Seven digits: more segments than any film has (ten million of 6 s), and no huge number to parse.
_SEGMENT = re.compile(rf"([0-9]{{1,7}}){re.escape(SEGMENT_SUFFIX)}")


def segment_name(index):
    return f"{index}{SEGMENT_SUFFIX}"


def segment_index(name):
    """The index the segment's file name gives, or None when it names no segment."""
    match = _SEGMENT.fullmatch(name)
    return None if match is None else int(match.group(1))


def cache_key(index):
    """``(version, suffix)`` of segment ``index`` (None: the init segment) in the segment cache."""
    return ("init", ".mp4") if index is None else (str(index), SEGMENT_SUFFIX)

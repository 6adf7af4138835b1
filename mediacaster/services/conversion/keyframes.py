"""The keyframes of a file's video, where copied video can be cut.

Read from the packets' flags (no decoding): a two-hour film takes ffprobe a
second or two, once; the caller caches the list with the file's probe.
"""

from mediacaster.services.ffmpeg import ToolFailed

KEYFRAMES_TIMEOUT = 120.0


def read_keyframes(ffprobe, path, stream_index, timeout=KEYFRAMES_TIMEOUT):
    """Sorted presentation times, in seconds, of the keyframes of stream ``stream_index``."""
    args = [
        "-v",
        "error",
        "-select_streams",
        str(stream_index),
        "-show_entries",
        "packet=pts_time,flags",
        "-of",
        "csv=p=0",
        path,
    ]
    output = ffprobe.run(args, timeout)
    times = set()
    for line in output.decode("ascii", "replace").splitlines():
        pts, _, flags = line.partition(",")
        if flags.startswith("K") and pts not in ("", "N/A"):
            times.add(float(pts))
    if not times:
        raise ToolFailed("no keyframe found in the video")
    return sorted(times)

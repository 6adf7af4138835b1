"""The keyframes of a file's video, where copied video can be cut.

Matroska files list them in their index (the Cues), read in milliseconds
however large the file. Otherwise they are read from the packets' flags (no
decoding): ffprobe demuxes the whole file, a minute for a large film on a NAS,
once; the conversion service keeps the list (per file) in its cache.
"""

from mediacaster.services.conversion.cues import matroska_keyframes
from mediacaster.services.ffmpeg import ToolFailed

KEYFRAMES_TIMEOUT = 120.0


def read_keyframes(ffprobe, path, stream_index, timeout=KEYFRAMES_TIMEOUT):
    """Sorted presentation times, in seconds, of the keyframes of stream ``stream_index``."""
    try:
        times = matroska_keyframes(path, stream_index)
    except (OSError, ValueError):  # a position past what Python can seek to: corrupt
        times = None  # ffprobe reports why the file cannot be read
    if times:
        return times
    return scan_keyframes(ffprobe, path, stream_index, timeout)


def scan_keyframes(ffprobe, path, stream_index, timeout=KEYFRAMES_TIMEOUT):
    """The keyframe times of ``read_keyframes``, from every packet of the stream."""
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

"""Where a converted stream's segments start and end, known before ffmpeg runs.

A VOD playlist is complete up front, so its cuts must be the ones ffmpeg will
make, from whatever point a job starts (a seek restarts ffmpeg at a segment).
ffmpeg's HLS muxer cuts at a keyframe once ``hls_time * n`` has passed since
the job's first packet, which depends on where the job started; with an
``hls_time`` of a microsecond it cuts at every keyframe instead, wherever it
starts. So:

- video copied: one segment per group of pictures, from the source's
  keyframes (read once by ffprobe);
- video converted: keyframes forced where the frame time crosses a multiple
  of the segment length, and no others, so segments are that long; the first
  is cut short (``FIRST_SECONDS`` after the first frame, a keyframe forced
  there too), so a start waits for less encoded video;
- sound only: every packet is a keyframe, so ffmpeg cuts on ``hls_time`` and
  segments are that long (within one packet).
"""

import bisect
import math
from dataclasses import dataclass

# Seconds per segment of a converted stream (Apple's recommendation for VOD).
SEGMENT_SECONDS = 6.0
# The first segment of converted video ends this long after its first frame (the rest
# stay on the SEGMENT_SECONDS grid): a player starts once ffmpeg encoded that much, a
# third of a whole segment (docs/instant.md has the measures).
FIRST_SECONDS = 2.0
# hls_time that makes ffmpeg cut at every keyframe (see above).
EVERY_KEYFRAME = "0.000001"


@dataclass(frozen=True)
class Timeline:
    """Segment ``i`` covers ``starts[i]`` to ``starts[i + 1]`` (``end`` for the last), in
    the source's own timestamps: jobs keep them (``-copyts``)."""

    starts: tuple
    end: float

    def __len__(self):
        return len(self.starts)

    def duration(self, index):
        following = self.starts[index + 1] if index + 1 < len(self.starts) else self.end
        return following - self.starts[index]

    @property
    def target_duration(self):
        return max(math.ceil(self.duration(i) - 1e-6) for i in range(len(self))) if self.starts else 0

    def index_at(self, seconds):
        """The segment holding ``seconds`` from the start of the file."""
        position = self.starts[0] + max(0.0, seconds)
        return max(0, bisect.bisect_right(self.starts, position) - 1)

    def playlist(self, init_uri, segment_uri):
        """The HLS media playlist: VOD, fMP4 (``EXT-X-MAP``), complete."""
        lines = [
            "#EXTM3U",
            "#EXT-X-VERSION:7",
            f"#EXT-X-TARGETDURATION:{self.target_duration}",
            "#EXT-X-MEDIA-SEQUENCE:0",
            "#EXT-X-PLAYLIST-TYPE:VOD",
            "#EXT-X-INDEPENDENT-SEGMENTS",
            f'#EXT-X-MAP:URI="{init_uri}"',
        ]
        for index in range(len(self.starts)):
            lines.append(f"#EXTINF:{self.duration(index):.6f},")
            lines.append(segment_uri(index))
        lines.append("#EXT-X-ENDLIST")
        return "\n".join(lines) + "\n"


def from_keyframes(keyframes, end):
    """Segments of copied video: one per keyframe, from the first (what precedes it
    cannot be decoded) to the file's ``end``."""
    starts = []
    for keyframe in sorted(keyframes):
        if keyframe < end and (not starts or keyframe > starts[-1]):
            starts.append(keyframe)
    return Timeline(tuple(starts), end)


def early_cut(start, end, seconds=SEGMENT_SECONDS, first=FIRST_SECONDS):
    """Where the short first segment of a stream from ``start`` to ``end`` ends, in the
    source's clock, or None when the first multiple of ``seconds`` or the end comes
    about as soon (within a second of it): then that one ends the first segment."""
    if not first:
        return None
    cut = start + first
    return cut if cut < min((math.floor(start / seconds) + 1) * seconds, end) - 1.0 else None


def fixed(start, end, fps=None, seconds=SEGMENT_SECONDS, first=None):
    """Segments of converted video or of sound: cut at each multiple of ``seconds`` of
    the source's clock after ``start`` and, with ``first``, at :func:`early_cut`. With
    the frame rate known, each cut sits on the first frame at or after it, as forced
    keyframes do."""
    starts = [start]
    if early_cut(start, end, seconds, first) is not None:  # on the first frame at or after it
        starts.append(round(start + math.ceil(round(first * fps, 6)) / fps if fps else start + first, 6))
    number = math.floor(start / seconds) + 1
    # The last cut must have a frame (or a packet of sound) after it, and the first
    # must come a frame after the start: a file whose sound starts a little before
    # its picture starts (Opus in MKV) has its first keyframe forced at the picture's.
    last = end - (1 / fps if fps else 0) + 1e-6
    earliest = start + (1 / fps if fps else 0.1)
    while number * seconds < end - 1e-3:
        cut = number * seconds
        if fps:  # the first frame at or after it: frames come every 1 / fps from the start
            cut = start + math.ceil(round((cut - start) * fps, 6)) / fps
        if earliest <= cut <= last and cut > starts[-1]:
            starts.append(round(cut, 6))
        number += 1
    return Timeline(tuple(starts), end)


def force_keyframes_expression(origin, seconds=SEGMENT_SECONDS, early=None):
    """ffmpeg's ``-force_key_frames`` for :func:`fixed` cuts, from any starting point:
    the first frame of a job, then each frame that crosses a multiple of ``seconds``
    of the source's clock, or the ``early`` cut (:func:`early_cut`; None: none).
    ffmpeg's ``t`` counts from the job's first frame, whose time in the source is
    ``origin``."""
    step = f"{seconds:g}"
    at = f"(t+{origin:.6f}+0.0005)"  # half a millisecond: a frame exactly on the cut is on it
    previous = f"(prev_forced_t+{origin:.6f}+0.0005)"
    crosses = f"gte(floor({at}/{step}),floor({previous}/{step})+1)"
    if early is not None:
        crosses = f"max({crosses},gte({at},{early:.6f})*lt({previous},{early:.6f}))"
    return f"expr:if(eq(n,0),1,{crosses})"

"""The playback layer: how a file reaches a target (the browser or a cast device).

:mod:`.plans` answers with one plan per file and target, :mod:`.decisions` and
:mod:`.verdicts` hold the rules it applies, :mod:`.casting`, :mod:`.queue` and
:mod:`.slideshow` what happens on a device over time.
"""

from mediacaster.playback.decisions import CONVERT_ALL, CONVERT_AUDIO, DIRECT, REMUX
from mediacaster.playback.plans import HLS_TYPE, Plan, Playback, SubtitleTrack, Target, WillNotPlay

__all__ = [
    "CONVERT_ALL",
    "CONVERT_AUDIO",
    "DIRECT",
    "HLS_TYPE",
    "REMUX",
    "Plan",
    "Playback",
    "SubtitleTrack",
    "Target",
    "WillNotPlay",
]

"""Plain data the cast service takes and returns: devices, media to load, status."""

from dataclasses import dataclass
from typing import Literal

from pychromecast.const import CAST_TYPE_AUDIO, CAST_TYPE_CHROMECAST, CAST_TYPE_GROUP, CAST_TYPES

TYPES = {CAST_TYPE_CHROMECAST: "cast", CAST_TYPE_AUDIO: "audio", CAST_TYPE_GROUP: "group"}


@dataclass(frozen=True)
class Device:
    id: str
    name: str
    model: str
    type: Literal["cast", "audio", "group"]
    host: str
    port: int
    last_seen: float
    online: bool
    problem: str | None = None  # why it cannot be used now, in words


@dataclass(frozen=True)
class Track:
    """A text track of the media: what a LOAD carries and what a status reports."""

    id: int
    url: str | None
    language: str | None
    name: str | None


@dataclass(frozen=True)
class CastMedia:
    url: str
    content_type: str
    kind: Literal["video", "audio", "image"]
    title: str
    thumb: str | None = None
    artist: str | None = None
    album: str | None = None
    start: float = 0.0
    tracks: tuple[Track, ...] = ()
    duration: float | None = None
    segments: str | None = None  # "fmp4" for an HLS stream of fMP4 segments
    autoplay: bool = True  # False: loaded paused
    subtitle: int | None = None  # the id of the text track shown from the start
    # What the catalogue knows of it (services/catalogue/items.py: a film, an episode or
    # a song), with "image": the URL of its art or None; None: a plain file.
    item: dict | None = None


@dataclass(frozen=True)
class ReceiverStatus:
    id: str
    name: str
    volume: float | None
    muted: bool | None
    app: str | None
    app_id: str | None


@dataclass(frozen=True)
class MediaStatus:
    player_state: str
    current_time: float | None
    duration: float | None
    title: str | None
    content_id: str | None
    content_type: str | None
    idle_reason: str | None
    tracks: tuple[Track, ...]
    active_tracks: tuple[int, ...]  # ids of the tracks shown


@dataclass(frozen=True)
class PlayerStatus:
    device: ReceiverStatus
    media: MediaStatus | None  # None when no media session is open


def device_type(model, port, discovered_type):
    """cast, audio or group: by model name first (a group's model is
    "Google Cast Group"), pychromecast's guess from the port only otherwise."""
    known = CAST_TYPES.get((model or "").lower())
    if known:
        return TYPES.get(known[0], "cast")
    return TYPES.get(discovered_type, "group" if port != 8009 else "cast")

"""What the API answers: what :mod:`mediacaster.presenters` builds, which the test
suite checks every API response against."""

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from mediacaster.mediatypes import KINDS
from mediacaster.schemas.requests import ROOTS, Repeat, Role


class Reply(BaseModel):
    """A response: fields the description does not name are refused, so drift fails a test."""

    model_config = ConfigDict(extra="forbid")


class Error(Reply):
    error: str = Field(description="a stable code, such as not_found or will_not_play")
    detail: str = Field(description="what went wrong, in words")


class Verdict(Reply):
    verdict: Literal["plays", "plays_converted", "plays_without_sound", "will_not_play", "unknown"]
    label: str
    reason: str
    delivery: Literal["direct", "remux", "convert_audio", "convert_all"] = Field(
        description="how the file reaches the device: as it is, or as HLS segments with its streams "
        "copied (remux), its sound converted, or all converted"
    )


class VideoStream(Reply):
    index: int | None
    codec: str | None
    profile: str | None
    level: float | None
    width: int | None
    height: int | None
    fps: float | None
    pix_fmt: str | None
    bit_depth: int = Field(description="bits per sample: 8, 10, 12")
    interlaced: bool
    bit_rate: int | None = Field(description="bits per second, when the container says")
    start_time: float | None = Field(None, description="the first frame's time, in seconds")


class AudioStream(Reply):
    index: int | None
    codec: str | None
    profile: str | None
    channels: int | None
    sample_rate: int | None
    language: str | None
    title: str | None
    default: bool


class SubtitleStream(Reply):
    index: int | None
    codec: str | None
    language: str | None
    title: str | None
    text: bool


class Probe(Reply):
    """What ffprobe read of the file; ``ok`` false with the reason when it could not."""

    ok: bool
    error: str | None = None
    container: str | None = None
    content_type: str | None = None
    duration: float | None = None
    start_time: float | None = None
    bit_rate: int | None = None
    video: VideoStream | None = None
    audio: list[AudioStream] | None = None
    subtitles: list[SubtitleStream] | None = None
    picture: bool | None = None
    width: int | None = None
    height: int | None = None
    tags: dict[str, str] | None = None


class SubtitleTrack(Reply):
    id: int
    label: str
    language: str | None
    url: str


class AudioTrack(Reply):
    index: int = Field(description="the stream index, as audio takes it")
    label: str
    language: str | None
    codec: str
    channels: int | None
    default: bool = Field(description="the track a player takes from the file as it is")
    chosen: bool = Field(description="the track this plan plays")


class ImageSubtitles(Reply):
    index: int = Field(description="the stream index, as burn takes it")
    label: str
    language: str | None
    chosen: bool = Field(description="drawn into the picture of this plan")


class Manifests(Reply):
    dash: str = Field(description="DASH MPD (static, SegmentTimeline), signed")
    hls: str = Field(description="HLS multivariant playlist, signed")


class BrowserPlan(Reply):
    path: str
    name: str
    kind: Literal[KINDS]
    verdict: Verdict
    delivery: Literal["direct", "remux", "convert_audio", "convert_all"]
    url: str = Field(description="what to play: the file, or the HLS playlist of the converted stream")
    content_type: str
    file_url: str = Field(description="the file as it is, signed")
    manifests: Manifests | None = Field(description="converted streams: the same segments, two manifests")
    duration: float | None
    audio: list[AudioTrack]
    subtitles: list[SubtitleTrack]
    image_subtitles: list[ImageSubtitles] = Field(description="DVD, Blu-ray or DVB subtitles: burn takes one")
    picture_url: str | None


class Token(Reply):
    id: int
    name: str
    created_at: str = Field(json_schema_extra={"format": "date-time"})
    last_used_at: str | None = Field(json_schema_extra={"format": "date-time"})


class NewToken(Token):
    token: str = Field(description="send it as Authorization: Bearer <token>; shown this once only")


class Tokens(Reply):
    tokens: list[Token]


class RevokedToken(Reply):
    revoked: int


class User(Reply):
    id: int
    name: str
    role: Role
    roots: list[str] | None = Field(description=ROOTS)
    tokens: int = Field(description="how many API tokens they have")
    created_at: str = Field(json_schema_extra={"format": "date-time"})


class Users(Reply):
    users: list[User]


class RemovedUser(Reply):
    removed: int


class MarkedFolder(Reply):
    """A folder's video and audio files, marked."""

    watched: bool = Field(description="as asked: watched, or not")
    files: int = Field(description="how many files the folder and the folders below it hold, all marked")


class Place(Reply):
    """Where the user asking is in a file."""

    position: float = Field(description="seconds from the start, where they stopped")
    duration: float | None
    watched: bool = Field(description="played to 90 % at least, or marked so")
    resume_at: float | None = Field(
        description="where to offer to resume: between 5 % and 90 % of a file of 5 minutes or more; "
        "else null, and it starts over"
    )
    fraction: float = Field(description="how much was played, for a progress bar; 1 once watched")
    updated_at: str | None = Field(json_schema_extra={"format": "date-time"})


class Entry(Reply):
    name: str
    root: str
    path: str = Field(description="below the root; empty for the root itself")
    kind: Literal[KINDS]
    size: int
    mtime: str = Field(json_schema_extra={"format": "date-time"})
    content_type: str | None
    url: str = Field(description="the page of the entry")
    api_url: str
    stream_url: str | None = Field(None, description="files only: the bytes, signed")
    download_url: str | None = Field(None, description="files only: as an attachment, signed")
    picture_url: str | None = Field(None, description="video, audio and pictures: a JPEG, signed")
    probe_state: Literal["done", "pending", "unavailable"] | None = None
    probe: Probe | None = None
    verdict: Verdict | None = Field(None, description="with ?device=: whether it plays there")
    subtitles: list[SubtitleTrack] | None = Field(None, description="a file's own entry: its tracks")
    progress: Place | None = Field(None, description="video and audio the user played: where they are")


class ProbeProgress(Reply):
    available: bool
    detail: str | None
    pending: int = Field(description="files being read, in the whole library")
    pending_here: int = Field(description="entries of this page still being read")


class Folder(Reply):
    root: str
    path: str
    parent: str | None = Field(description="the parent folder's path; null for a root")
    parent_url: str | None
    sort: Literal["name", "date", "size"]
    order: Literal["asc", "desc"]
    total: int = Field(description="entries in the folder (after q), of which this page is a part")
    entries: list[Entry]
    probe: ProbeProgress


class Roots(Reply):
    roots: list[Entry]


class SearchResult(Reply):
    query: str
    total: int
    entries: list[Entry]
    index_ready: bool


class Device(Reply):
    id: str
    name: str
    model: str
    type: Literal["cast", "audio", "group"]
    online: bool = Field(description="false: gone from the network, or this app lost touch with it")
    problem: str | None = Field(
        description='why it cannot be used now, in words: "Living Room TV is not answering: …"'
    )
    host: str
    last_seen: float


class DiscoveryState(Reply):
    running: bool
    devices: int
    online: int
    known_hosts: list[str]


class Devices(Reply):
    devices: list[Device]
    discovery: DiscoveryState


class SessionDevice(Reply):
    id: str
    name: str


class SessionDeviceResult(Reply):
    device: SessionDevice | None


class ChosenDevice(Reply):
    device: Device


class RecentCast(Reply):
    time: float
    title: str
    path: str
    kind: str
    device: str


class Session(Reply):
    device: SessionDevice | None
    recent: list[RecentCast]
    csrf_token: str


class ClearedSession(Reply):
    device: None
    recent: list[RecentCast] = Field(max_length=0)


class ReceiverStatus(Reply):
    id: str
    name: str
    volume: float | None
    muted: bool | None
    app: str | None
    app_id: str | None


class StatusTrack(Reply):
    id: int | None
    name: str | None
    language: str | None


class MediaStatus(Reply):
    player_state: str
    current_time: float | None
    duration: float | None
    title: str | None
    content_id: str | None
    content_type: str | None
    idle_reason: str | None
    tracks: list[StatusTrack]
    active_tracks: list[int]


class Status(Reply):
    interrupted: Literal["taken_over", "stopped"] | None = Field(
        description="what this app cast on the device was interrupted by another sender (a phone): "
        "taken_over when it plays something else, stopped when it stopped it; null otherwise"
    )
    device: ReceiverStatus
    media: MediaStatus | None = Field(description="null when nothing is loaded")
    audio_tracks: list[AudioTrack] = Field(
        description="the sound tracks of the file this app cast, the one playing chosen; empty when "
        "the media is not one this app cast (or cast before it restarted)"
    )


class QueueItem(Reply):
    position: int = Field(description="its place in the order it plays")
    root: str
    path: str
    name: str
    kind: Literal[KINDS]
    url: str = Field(description="its page")
    playing: bool
    skipped: str | None = Field(
        description="why it was skipped: it will not play there even converted, or the device turned it down"
    )


class QueueState(Reply):
    device: str = Field(description="the device's name")
    state: Literal["playing", "waiting", "ended", "stopped", "taken_over"] = Field(
        description="waiting: the device is not answering, and the queue goes on where it was once it is "
        "back; taken_over: another sender (or another queue) took the device; stopped: another sender "
        "stopped it, or the device stopped answering as the queue moved on"
    )
    position: int
    shuffle: bool
    repeat: Repeat
    items: list[QueueItem] = Field(description="in the order they play")
    notes: list[str] = Field(description="what happened lately: the items skipped, and why")


class SlideshowState(Reply):
    device: str = Field(description="the device's name")
    folder: str = Field(description='"<root>/<path below the root>"')
    position: int
    count: int
    title: str = Field(description="the picture shown")
    interval: float
    paused: bool
    state: Literal["playing", "stopped", "taken_over"] = Field(
        description="taken_over and stopped: another sender took the device or stopped it, or it was stopped"
    )


class SlideshowReply(Reply):
    slideshow: SlideshowState | None = Field(description="null: no slideshow on this device")


class QueueReply(Reply):
    queue: QueueState | None = Field(description="null: no queue on this device")


class CastResult(Reply):
    device: Device
    media_url: str = Field(description="what the device was told to fetch")
    delivery: Literal["direct", "remux", "convert_audio", "convert_all"] = Field(
        description="direct: the file as it is; the others: an HLS stream (see Verdict.delivery)"
    )
    status: Status
    verdict: Verdict

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


class ConversionWorker(Reply):
    name: str = Field(description="the worker's Celery name (name@host), or this server")
    encoders: list[str] = Field(description="software, vaapi, qsv or nvenc")
    slots: int = Field(description="conversions it runs at once")
    running: int = Field(description="conversions it runs now, by its own word (for any app)")
    free: int = Field(description="slots it has free now: the job limit is the live workers' free slots")
    speed: float = Field(description="seconds of media it makes per second, all its conversions together")


class RunningConversion(Reply):
    file: str = Field(description="the file's name")
    variant: str = Field(description="what is converted, as the segment URLs say (copy.aac.1…)")
    segment: int = Field(description="the next segment it makes")
    worker: str = Field(description="the worker that runs it")


class Conversions(Reply):
    backend: Literal["local", "celery"]
    workers: list[ConversionWorker]
    conversions: list[RunningConversion]


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


# -- the catalogue ------------------------------------------------------------------------

DATE_TIME = {"format": "date-time"}


class CatalogueFile(Reply):
    """The file an item stands on, with the URLs of its entry."""

    id: int
    root: str
    path: str = Field(description="below the root")
    kind: Literal["video", "audio", "image"]
    size: int
    added_at: str | None = Field(description="when it arrived in the library", json_schema_extra=DATE_TIME)
    url: str = Field(description="its page")
    api_url: str = Field(description="its entry in the library API")
    stream_url: str = Field(description="the bytes, signed")
    picture_url: str = Field(description="a JPEG of it (a frame, a cover, the picture), signed")


class Paged(Reply):
    total: int = Field(description="items in all, of which this page is a part")
    offset: int
    limit: int


class Film(Reply):
    id: int
    title: str
    year: int | None
    edition: str | None = Field(description="Director's Cut, Extended…")
    poster_url: str = Field(description="its poster, or a frame of the film, as a signed JPEG")
    fanart_url: str | None
    file: CatalogueFile
    progress: Place | None = Field(description="null: never played")


class Films(Paged):
    sort: Literal["title", "year", "added"]
    order: Literal["asc", "desc"]
    unwatched: bool
    items: list[Film]


class Linked(Reply):
    url: str = Field(description="its page")
    api_url: str = Field(description="its API answer")


class ShowSummary(Linked):
    id: int
    title: str
    year: int | None
    poster_url: str | None
    fanart_url: str | None
    seasons: int = Field(description="seasons with an episode the user sees (0 in search results)")
    episodes: int
    watched: int = Field(description="episodes the user has watched")


class Shows(Paged):
    sort: Literal["title", "year"]
    order: Literal["asc", "desc"]
    items: list[ShowSummary]


class SeasonSummary(Linked):
    id: int
    number: int = Field(description="0: specials; a year for a show named by date")
    name: str = Field(description="Season 1, Specials, 2024")
    poster_url: str | None = Field(description="the season's poster, else the show's")
    episodes: int | None
    watched: int | None


class EpisodeShow(Reply):
    id: int
    title: str
    poster_url: str | None
    url: str


class Episode(Reply):
    id: int
    show_id: int
    season: int
    number: int | None = Field(description="null for a show named by date")
    last_number: int | None = Field(description="the last episode a file of several holds (S01E01E02: 2)")
    absolute_number: int | None
    aired: str | None = Field(json_schema_extra={"format": "date"})
    title: str | None
    label: str | None = Field(description="S01E02, S01E01-E02, or the date a show named by date aired")
    name: str = Field(description="its title, else Episode 4 (or the date it aired)")
    file: CatalogueFile
    progress: Place | None
    show: EpisodeShow | None = Field(None, description="in Next up: the show it is of")


class Episodes(Paged):
    items: list[Episode]


class Show(Reply):
    show: ShowSummary
    seasons: list[SeasonSummary] = Field(description="in order, specials last")
    next_up: Episode | None = Field(description="the next unwatched episode after the last one watched")
    play: Episode = Field(description="what Play plays: Next up, else the first episode")


class Season(Reply):
    show: ShowSummary
    season: SeasonSummary
    episodes: Episodes
    play: list[str] = Field(description='every episode, in order, as "<root>/<path>": what Play queues')


class ArtistSummary(Linked):
    id: int
    name: str
    albums: int | None = Field(description="albums with a track the user sees (null in search results)")


class Artists(Paged):
    order: Literal["asc", "desc"]
    items: list[ArtistSummary]


class AlbumSummary(Linked):
    id: int
    title: str
    year: int | None
    artist_id: int
    artist: str = Field(description="the album artist: Various Artists for a compilation")
    compilation: bool
    cover_url: str | None
    tracks: int | None = Field(description="tracks the user sees (null in search results)")


class Albums(Paged):
    sort: Literal["year", "title"]
    order: Literal["asc", "desc"]
    items: list[AlbumSummary]


class Artist(Reply):
    artist: ArtistSummary
    albums: Albums


class Track(Reply):
    id: int
    title: str
    artist_id: int
    artist: str = Field(description="who plays it: on a compilation, not the album artist")
    disc: int | None
    number: int | None
    file: CatalogueFile


class Album(Reply):
    album: AlbumSummary
    tracks: list[Track] = Field(description="in disc and track order")
    play: list[str] = Field(description='the tracks as "<root>/<path>": what Play queues')


class PhotoMonth(Reply):
    month: str = Field(description="YYYY-MM")
    name: str = Field(description="as people say it: July 2023")
    photos: int


class Photo(Reply):
    id: int
    month: str
    taken_at: str = Field(description="as the camera's clock said it (no zone)")
    taken_from_exif: bool = Field(description="false: the file's modification time")
    width: int | None
    height: int | None
    file: CatalogueFile


class Photos(Paged):
    month: str | None
    order: Literal["asc", "desc"]
    months: list[PhotoMonth] = Field(description="every month with photos, the latest first")
    items: list[Photo]


class ScanProgress(Reply):
    enabled: bool = Field(description="false: the catalogue is off (mediacaster.catalogue)")
    running: bool
    first: bool = Field(description="no full scan has finished since the app started")
    root: str | None = Field(description="the root being walked")
    seen: int = Field(description="files walked past")
    total: int = Field(description="files found so far")
    read: int = Field(description="files read: new or changed")
    started: float | None = Field(description="epoch seconds")
    finished: float | None = Field(description="epoch seconds")
    watching: bool = Field(description="changes are followed as they happen (inotify)")

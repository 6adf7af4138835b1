"""The JSON API, described once: pydantic models from which the OpenAPI document is made.

Views parse every query string and body through the request models here
(:mod:`mediacaster.views.inputs`), so what the document says is what the
server accepts; the response models describe what :mod:`mediacaster.presenters`
builds, and the test suite checks every API response against the document.
OpenAPI path parameters cannot hold ``/``: ``/api/library/{path}`` takes the
root and the path below it as one parameter, sent as it is (``video/Films``) or
with ``%2F`` for each ``/``, which the server reads the same way.

Why pydantic and not pyramid_openapi3 (a YAML document validated by
openapi-core on every request): the models are Python the views use directly,
typed, with one definition for the parser and the document; pydantic's parser
costs microseconds where openapi-core's request validation costs about a
millisecond, on an API a page polls every second; our ``/{root}*path`` routes
cannot be matched to a document path by pyramid_openapi3's route mapping; and
errors come out in the API's own ``{"error", "detail"}`` shape with a sentence
per field. openapi-core still has a role: the test suite validates responses
with it, independently of the code that wrote the document.
"""

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainValidator, WithJsonSchema
from pydantic.json_schema import models_json_schema
from pydantic_core import PydanticCustomError

from mediacaster.mediatypes import KINDS

LISTING_MAX = 10_000_000
SEARCH_DEFAULT_LIMIT, SEARCH_MAX_LIMIT = 50, 1000
DEVICE = "a device id or friendly name; default: the one chosen in this session"

# -- requests -------------------------------------------------------------------


def _library_path(value):
    """Any text, lone surrogates included: pydantic's ``str`` refuses them, but a
    library name that is not UTF-8 comes back from a listing that way
    (mediacaster.bytenames)."""
    if not isinstance(value, str):
        raise PydanticCustomError("string_type", "Input should be a valid string")
    if not value.strip():
        raise PydanticCustomError("string_too_short", "String should have at least 1 character")
    return value


LibraryPath = Annotated[
    Any, PlainValidator(_library_path), WithJsonSchema({"type": "string", "minLength": 1, "pattern": r"\S"})
]


def _whole_number(value):
    """2.0 as 2: JSON Schema's integer is any whole number, written with a point or not,
    where a strict int takes only the latter."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


WholeNumber = Annotated[int, BeforeValidator(_whole_number)]


class Body(BaseModel):
    """A JSON body: values of the wrong type are refused, not converted."""

    model_config = ConfigDict(strict=True, allow_inf_nan=False, extra="ignore")


class Query(BaseModel):
    """A query string: text converted to the field's type."""

    model_config = ConfigDict(allow_inf_nan=False, extra="ignore", str_strip_whitespace=True)


class ChooseDevice(Body):
    device: str = Field(min_length=1, description="a device id or name")


class CastRequest(Body):
    path: LibraryPath = Field(description='the file, as "<root>/<path below the root>"')
    device: str | None = Field(None, description=DEVICE)
    start: float = Field(0, ge=0, description="seconds from the start")
    force: bool = Field(False, description="cast even a file that will not play on the device")
    direct: bool = Field(
        False,
        description="send the file as it is, even where the device needs it converted, "
        "and even when it will not play that way (to try it)",
    )
    audio: WholeNumber | None = Field(
        None,
        ge=0,
        description="the sound track to play, by its stream index in the file's probe; default: the "
        "file's default track (another one is sent converted)",
    )


class PlayerCommand(Body):
    device: str | None = Field(None, description=DEVICE)


class Seek(PlayerCommand):
    position: float = Field(ge=0, description="seconds from the start")


class Volume(PlayerCommand):
    level: float = Field(ge=0, le=1, description="from 0 (silent) to 1")


class Mute(PlayerCommand):
    muted: bool = Field(True, description="true to mute, false to unmute")


class Subtitles(PlayerCommand):
    track: int | None = Field(None, description="a subtitle track id, or null for none")


class AudioChoice(PlayerCommand):
    track: WholeNumber = Field(
        ge=0,
        description="the sound track, by its stream index (Status.audio_tracks); the file is cast "
        "again with it, at the same position, playing or paused as it was",
    )


PLAYER_ACTIONS = {
    "play": PlayerCommand,
    "pause": PlayerCommand,
    "stop": PlayerCommand,
    "seek": Seek,
    "volume": Volume,
    "mute": Mute,
    "subtitles": Subtitles,
    "audio": AudioChoice,
}


QUEUE_MAX = 1000
MARK_MAX = 5000  # files a folder's mark reaches: a show, not a whole library
MARK_FOLDERS_MAX = 2000  # and the folders it walks through to find them
Repeat = Literal["off", "all", "one"]


class QueueRequest(Body):
    """What to play one after the other: files, a folder's, or a search's (video and audio)."""

    device: str | None = Field(None, description=DEVICE)
    paths: list[LibraryPath] | None = Field(
        None, min_length=1, max_length=QUEUE_MAX, description='files, as "<root>/<path below the root>"'
    )
    folder: LibraryPath | None = Field(None, description="the video and audio files of this folder, by name")
    search: str | None = Field(None, min_length=1, max_length=200, description="the files a search finds")
    start: WholeNumber = Field(0, ge=0, description="the file to start with, by its place in the list")
    shuffle: bool = False
    repeat: Repeat = "off"


class QueueControl(Body):
    device: str | None = Field(None, description=DEVICE)


class QueueJump(QueueControl):
    position: WholeNumber = Field(ge=0, description="the item's place in the queue's order")


class QueueShuffle(QueueControl):
    on: bool


class QueueRepeat(QueueControl):
    mode: Repeat


class QueueAdd(QueueControl):
    paths: list[LibraryPath] = Field(min_length=1, max_length=QUEUE_MAX)
    next: bool = Field(False, description="right after the item playing, rather than at the end")


QUEUE_ACTIONS = {
    "next": QueueControl,
    "previous": QueueControl,
    "jump": QueueJump,
    "shuffle": QueueShuffle,
    "repeat": QueueRepeat,
    "add": QueueAdd,
    "stop": QueueControl,
}


class SlideshowRequest(Body):
    device: str | None = Field(None, description=DEVICE)
    folder: LibraryPath = Field(description="the folder whose pictures are shown, by name")
    interval: float = Field(5, ge=2, le=3600, description="seconds each picture stays")
    start: WholeNumber = Field(0, ge=0, description="the picture to start with, by its place")


class SlideshowInterval(QueueControl):
    seconds: float = Field(ge=2, le=3600)


SLIDESHOW_ACTIONS = {
    "next": QueueControl,
    "previous": QueueControl,
    "pause": QueueControl,
    "play": QueueControl,
    "stop": QueueControl,
    "interval": SlideshowInterval,
}


class ListingQuery(Query):
    sort: Literal["name", "date", "size"] = "name"
    order: Literal["asc", "desc"] | None = Field(None, description="default: desc by date, else asc")
    q: str = Field("", description="only names holding every word")
    offset: int = Field(0, ge=0, le=LISTING_MAX, description="first entry of the page")
    limit: int = Field(LISTING_MAX, ge=1, le=LISTING_MAX, description="entries in the page")
    device: str | None = Field(None, description="add a will-it-play verdict for this device to each entry")

    @property
    def direction(self):
        return self.order or ("desc" if self.sort == "date" else "asc")


class SearchQuery(Query):
    # pattern: words, not only spaces (the query is stripped before it is read)
    q: str = Field(min_length=1, pattern=r"\S", description="the words to search for")
    limit: int = Field(SEARCH_DEFAULT_LIMIT, ge=1, le=SEARCH_MAX_LIMIT)


class SearchPageQuery(Query):
    """The search page: no words yet is a page that asks for them."""

    q: str = ""


class PlaybackQuery(Query):
    can: str = Field(
        "",
        description="what the browser decodes: comma-separated names of the checks it passed "
        "(mediacaster.playback.browsers); without them the file is played as it is",
    )
    audio: int | None = Field(
        None, ge=0, description="the sound track (its stream index); default: the file's"
    )
    direct: bool = Field(False, description="the file as it is, even where the browser needs it converted")
    burn: int | None = Field(
        None, ge=0, description="subtitles made of pictures (a stream index) to draw into the video"
    )


class ProgressReport(Body):
    position: float = Field(ge=0, le=1e7, description="seconds from the start")
    duration: float | None = Field(None, gt=0, le=1e7, description="the file's length in seconds, if known")
    final: bool = Field(False, description="the player paused or is leaving: saved whatever the last save")


class WatchedMark(Body):
    watched: bool = Field(description="watched, or not: either way it starts over next time")


class TokenRequest(Body):
    name: str = Field(min_length=1, max_length=100, description="what the token is for: a script, a machine")


Role = Literal["admin", "member"]
ROOTS = "the library roots a member sees, by name; null: every root (an administrator sees every root)"


class NewUser(Body):
    # pattern: a name, not only spaces (it is stripped before it is read)
    name: str = Field(min_length=1, max_length=64, pattern=r"\S", description="unique whatever its case")
    password: str = Field(min_length=8, description="at least 8 characters")
    role: Role = "member"
    roots: list[str] | None = Field(None, description=ROOTS)


class UserChange(Body):
    """Only what is given changes."""

    role: Role | None = Field(None, description="null: unchanged")
    roots: list[str] | None = Field(None, description=ROOTS + "; left out: unchanged")
    password: str | None = Field(
        None, min_length=8, description="a new password: their browser sessions are logged out"
    )
    revoke_tokens: bool = Field(False, description="with password: their API tokens are revoked too")


class StatusQuery(Query):
    device: str | None = Field(None, description=DEVICE)


# -- responses ------------------------------------------------------------------


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
    online: bool
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
    state: Literal["playing", "ended", "stopped", "taken_over"] = Field(
        description="taken_over: another sender (or another queue) took the device; stopped: another sender "
        "stopped it, or the device stopped answering"
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


# -- the document -----------------------------------------------------------------

CONTROL_ERRORS = {
    400: "malformed JSON or a value of the wrong type",
    403: "the session cookie was sent without its CSRF token",
    404: "unknown device",
    409: "no device chosen, or nothing playing",
    422: "a value out of range",
    503: "device offline or unreachable",
    504: "device did not answer in time",
}

CAST_ERRORS = {
    **CONTROL_ERRORS,
    404: "unknown device or path, or no such sound track",
    415: "not video, audio or an image",
    422: "a value out of range, a file that will not play there (will_not_play) without force, "
    "one that cannot be converted (conversion_failed), or a sound track that needs converting "
    "where the file is sent as it is",
    502: "the device could not load the media (LOAD_FAILED)",
    503: "device offline or unreachable, or the most conversions at once are running "
    "(conversion_busy, with Retry-After)",
    507: "the disk of the conversion cache is full (cache_full)",
}
# The actions whose errors are not only CONTROL_ERRORS.
PLAYER_ERRORS = {
    "audio": {
        **CAST_ERRORS,
        404: "unknown device, no such sound track, or the file is gone",
        409: "no device chosen, nothing playing (nothing_playing), or what plays was not cast by this app "
        "since it started (conflict)",
    },
}

# (route name, path, method, summary, query model, body model(s), response model, errors)
ACCOUNT_ERRORS = {
    401: "no login and no token",
    403: CONTROL_ERRORS[403],
    409: "logins are off (mediacaster.auth = false): tokens belong to accounts",
}
ADMIN_ERRORS = {
    401: "no login and no token",
    403: "not an administrator, or the session cookie was sent without its CSRF token",
}
PROGRESS_ERRORS = {
    401: "no login and no token",
    403: CONTROL_ERRORS[403],
    404: "no such root or file, or a folder",
    415: "not a video or audio file",
}
OPERATIONS = [
    ("api.library.roots", "/api/library", "get", "The library roots", None, None, Roots, {}),
    (
        "api.library",
        "/api/library/{path}",
        "get",
        "A folder's entries, or one file's entry",
        ListingQuery,
        None,
        (Folder, Entry),
        {400: "a bad parameter", 404: "no such root, folder or file, or unknown device"},
    ),
    (
        "api.search",
        "/api/search",
        "get",
        "Files and folders by name across all roots",
        SearchQuery,
        None,
        SearchResult,
        {400: "no query or a bad limit"},
    ),
    (
        "api.playback",
        "/api/playback/{path}",
        "get",
        "How a file plays in this browser: as it is or converted, with its tracks",
        PlaybackQuery,
        None,
        BrowserPlan,
        {
            400: "a bad parameter",
            404: "no such file, a folder, or no such sound track",
            415: "not video, audio or an image",
            422: "a file that cannot be read",
        },
    ),
    (
        "api.tokens",
        "/api/tokens",
        "get",
        "The API tokens of the user asking",
        None,
        None,
        Tokens,
        ACCOUNT_ERRORS,
    ),
    (
        "api.tokens",
        "/api/tokens",
        "post",
        "Make an API token (answered once, stored hashed)",
        None,
        TokenRequest,
        NewToken,
        {**ACCOUNT_ERRORS, 400: "malformed JSON, or no name", 422: "a name too long"},
    ),
    (
        "api.token",
        "/api/tokens/{id}",
        "delete",
        "Revoke an API token",
        None,
        None,
        RevokedToken,
        {**ACCOUNT_ERRORS, 404: "no such token of this user"},
    ),
    (
        "api.users",
        "/api/users",
        "get",
        "Every account (administrators only)",
        None,
        None,
        Users,
        ADMIN_ERRORS,
    ),
    (
        "api.users",
        "/api/users",
        "post",
        "Make an account",
        None,
        NewUser,
        User,
        {
            **ADMIN_ERRORS,
            400: "malformed JSON, no name, or a password too short",
            409: "an account of this name exists",
            422: "a name that is not printable text, a root that does not exist, or no root at all",
        },
    ),
    (
        "api.user",
        "/api/users/{id}",
        "get",
        "One account",
        None,
        None,
        User,
        {**ADMIN_ERRORS, 404: "no such user"},
    ),
    (
        "api.user",
        "/api/users/{id}",
        "patch",
        "Change an account's role, roots or password",
        None,
        UserChange,
        User,
        {
            **ADMIN_ERRORS,
            400: "malformed JSON, or a password too short",
            404: "no such user",
            409: "the last administrator, or the administrator asking, made a member",
            422: "a root that does not exist, or no root at all",
        },
    ),
    (
        "api.user",
        "/api/users/{id}",
        "delete",
        "Remove an account and its API tokens",
        None,
        None,
        RemovedUser,
        {**ADMIN_ERRORS, 404: "no such user", 409: "the last administrator, or the administrator asking"},
    ),
    (
        "api.progress",
        "/api/progress/{path}",
        "get",
        "Where the user asking is in a video or audio file",
        None,
        None,
        Place,
        PROGRESS_ERRORS,
    ),
    (
        "api.progress",
        "/api/progress/{path}",
        "put",
        "A player's report of where it is (saved every few seconds at most, unless final)",
        None,
        ProgressReport,
        Place,
        {**PROGRESS_ERRORS, 400: "malformed JSON or a value out of range"},
    ),
    (
        "api.watched",
        "/api/watched/{path}",
        "put",
        "Mark a video or audio file watched or unwatched, or every one in a folder and below it",
        None,
        WatchedMark,
        (Place, MarkedFolder),
        {
            **PROGRESS_ERRORS,
            400: "malformed JSON",
            404: "no such root, file or folder",
            422: f"a folder holding more than {MARK_MAX:,} video and audio files, its folders included, "
            f"or more than {MARK_FOLDERS_MAX:,} folders",
        },
    ),
    (
        "api.queue",
        "/api/queue",
        "get",
        "The user's queue on a device",
        StatusQuery,
        None,
        QueueReply,
        CONTROL_ERRORS,
    ),
    (
        "api.queue",
        "/api/queue",
        "post",
        "Play files one after the other on a device: a list, a folder's or a search's",
        None,
        QueueRequest,
        QueueReply,
        {
            **CAST_ERRORS,
            404: "unknown device, or no such file or folder",
            422: "nothing to play (no video or audio file), nothing that plays there, or a value "
            "out of range",
        },
    ),
    *(
        (
            "api.queue.action",
            f"/api/queue/{action}",
            "post",
            f"Queue: {action}",
            None,
            model,
            QueueReply,
            {
                **CAST_ERRORS,
                404: "unknown device, no queue there, or no such file",
                409: "the queue is over (ended, stopped, or taken over), or at its first or last item",
            },
        )
        for action, model in QUEUE_ACTIONS.items()
    ),
    (
        "api.slideshow",
        "/api/slideshow",
        "get",
        "The slideshow on a device",
        StatusQuery,
        None,
        SlideshowReply,
        CONTROL_ERRORS,
    ),
    (
        "api.slideshow",
        "/api/slideshow",
        "post",
        "Show a folder's pictures on a device, one after the other, fitted to its screen",
        None,
        SlideshowRequest,
        SlideshowReply,
        {
            **CAST_ERRORS,
            404: "unknown device, or no such folder",
            422: "no pictures, or a value out of range",
        },
    ),
    *(
        (
            "api.slideshow.action",
            f"/api/slideshow/{action}",
            "post",
            f"Slideshow: {action}",
            None,
            model,
            SlideshowReply,
            {**CAST_ERRORS, 409: "no slideshow playing on this device"},
        )
        for action, model in SLIDESHOW_ACTIONS.items()
    ),
    ("api.devices", "/api/devices", "get", "Cast devices found on the network", None, None, Devices, {}),
    (
        "api.session",
        "/api/session",
        "get",
        "What this session holds, and its CSRF token",
        None,
        None,
        Session,
        {503: "Redis unreachable"},
    ),
    (
        "api.session",
        "/api/session",
        "delete",
        "Clear this session",
        None,
        None,
        ClearedSession,
        {403: CONTROL_ERRORS[403], 503: "Redis unreachable"},
    ),
    (
        "api.session.device",
        "/api/session/device",
        "get",
        "The device chosen in this session",
        None,
        None,
        SessionDeviceResult,
        {503: "Redis unreachable"},
    ),
    (
        "api.session.device",
        "/api/session/device",
        "put",
        "Choose this session's device",
        None,
        ChooseDevice,
        ChosenDevice,
        CONTROL_ERRORS,
    ),
    (
        "api.cast",
        "/api/cast",
        "post",
        "Cast a file; answers once the device confirmed the LOAD",
        None,
        CastRequest,
        CastResult,
        CAST_ERRORS,
    ),
    (
        "api.status",
        "/api/status",
        "get",
        "Device and media status",
        StatusQuery,
        None,
        Status,
        CONTROL_ERRORS,
    ),
    # One path per action (the route is /api/player/{action}), each with its own body.
    *(
        (
            "api.player",
            f"/api/player/{action}",
            "post",
            f"Player: {action}",
            None,
            model,
            Status,
            PLAYER_ERRORS.get(action, CONTROL_ERRORS),
        )
        for action, model in PLAYER_ACTIONS.items()
    ),
    ("api.openapi", "/api/openapi.json", "get", "This document", None, None, None, {}),
]

LIBRARY_PATH = {
    "name": "path",
    "in": "path",
    "required": True,
    "schema": {"type": "string"},
    "description": "the root's name, then the path below it; '/' as it is or as %2F",
}
ID = {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}
PATH_PARAMETERS = {
    "/api/library/{path}": LIBRARY_PATH,
    "/api/playback/{path}": LIBRARY_PATH,
    "/api/progress/{path}": LIBRARY_PATH,
    "/api/watched/{path}": LIBRARY_PATH,
    "/api/tokens/{id}": ID,
    "/api/users/{id}": ID,
}


def _ref(model):
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def _json(schema, description):
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _models(models):
    return models if isinstance(models, tuple) else (models,)


def _schema(models):
    if isinstance(models, tuple):
        return {"anyOf": [_ref(m) for m in models]} if len(models) > 1 else _ref(models[0])
    return _ref(models)


def _query_parameters(model):
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    required = set(schema.get("required", ()))
    parameters = []
    for name, field in schema["properties"].items():
        parameter = {"name": name, "in": "query", "required": name in required, "schema": field}
        if "description" in field:
            parameter["description"] = field["description"]
        parameters.append(parameter)
    return parameters


PUBLIC_ROUTES = {"api.session", "api.openapi"}
SECURITY_SCHEMES = {
    "bearerAuth": {
        "type": "http",
        "scheme": "bearer",
        "description": "an API token (POST /api/tokens), for scripts: no CSRF token needed",
    },
    "sessionCookie": {
        "type": "apiKey",
        "in": "cookie",
        "name": "mediacaster_session",
        "description": "the browser's session after logging in at /login; requests that change "
        "state also send its CSRF token in X-CSRF-Token",
    },
}


def build():
    """The OpenAPI 3.1 document of the API."""
    models = {Error}
    paths = {}
    for route, path, method, summary, query, body, reply, errors in OPERATIONS:
        operation = {"summary": summary}
        if route in PUBLIC_ROUTES:
            operation["security"] = [{}]  # no login needed: the browser's own session, this document
        parameters = [PATH_PARAMETERS[path]] if path in PATH_PARAMETERS else []
        if query is not None:
            parameters += _query_parameters(query)
        if parameters:
            operation["parameters"] = parameters
        if body is not None:
            models.update(body if isinstance(body, tuple) else (body,))
            operation["requestBody"] = {
                # Required when its model has required fields: an empty body is {}.
                "required": any(m.model_json_schema().get("required") for m in _models(body)),
                "content": {"application/json": {"schema": _schema(body)}},
            }
        if reply is None:
            ok = {
                "description": "OpenAPI 3.1",
                "content": {"application/json": {"schema": {"type": "object"}}},
            }
        else:
            models.update(reply if isinstance(reply, tuple) else (reply,))
            ok = _json(_schema(reply), "OK")
        responses = {"200": ok}
        for status, description in sorted(errors.items()):
            responses[str(status)] = _json(_ref(Error), description)
        responses["default"] = _json(_ref(Error), "any other error, such as 405 or 500")
        operation["responses"] = responses
        paths.setdefault(path, {})[method] = operation
    _, schemas = models_json_schema(
        [(m, "validation") for m in sorted(models, key=lambda m: m.__name__)],
        ref_template="#/components/schemas/{model}",
    )
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "mediacaster",
            "version": "1",
            "description": "Browse the media library and cast it.",
        },
        "paths": paths,
        # With mediacaster.auth = true; with logins off no credentials are needed.
        "security": [{"bearerAuth": []}, {"sessionCookie": []}],
        "components": {"schemas": schemas["$defs"], "securitySchemes": SECURITY_SCHEMES},
    }


SPEC = build()

"""What the API accepts: the query strings and JSON bodies the views parse
(:mod:`mediacaster.views.inputs`), and the actions of the player, queues and slideshows."""

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainValidator, WithJsonSchema
from pydantic_core import PydanticCustomError

LISTING_MAX = 10_000_000
SEARCH_DEFAULT_LIMIT, SEARCH_MAX_LIMIT = 50, 1000
DEVICE = "a device id or friendly name; default: the one chosen in this session"


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


# -- the catalogue ------------------------------------------------------------------------

CATALOGUE_MAX = 500  # items in one page (mediacaster.services.catalogue.queries.MAX_LIMIT)
Order = Literal["asc", "desc"]


class CataloguePage(Query):
    offset: int = Field(0, ge=0, le=LISTING_MAX, description="first item of the page")
    limit: int = Field(50, ge=1, le=CATALOGUE_MAX, description="items in the page")


class FilmsQuery(CataloguePage):
    sort: Literal["title", "year", "added"] = Field("title", description="added: the date the file arrived")
    order: Order | None = Field(None, description="default: desc by date added, else asc")
    unwatched: bool = Field(False, description="only the films the user has not watched")


class ShowsQuery(CataloguePage):
    sort: Literal["title", "year"] = "title"
    order: Order = "asc"


class EpisodesQuery(CataloguePage):
    limit: int = Field(100, ge=1, le=CATALOGUE_MAX, description="episodes in the page")


class ArtistsQuery(CataloguePage):
    limit: int = Field(100, ge=1, le=CATALOGUE_MAX, description="artists in the page")
    order: Order = Field("asc", description="by name")


class AlbumsQuery(CataloguePage):
    limit: int = Field(100, ge=1, le=CATALOGUE_MAX, description="albums in the page")
    sort: Literal["year", "title"] = "year"
    order: Order = "asc"


class PhotosQuery(CataloguePage):
    limit: int = Field(100, ge=1, le=CATALOGUE_MAX, description="photos in the page")
    month: str | None = Field(
        None,
        pattern=r"^[1-9]\d{3}-(0[1-9]|1[0-2])$",
        description="only the photos taken in this month: YYYY-MM",
    )
    order: Order = Field("desc", description="by date taken: desc, the latest first")


class NextUpQuery(CataloguePage):
    limit: int = Field(20, ge=1, le=CATALOGUE_MAX, description="episodes in the page")

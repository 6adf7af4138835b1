"""The OpenAPI 3.1 document of the API, served at /api/openapi.json.

Each :class:`Operation` names its route, and its path is that route's pattern in
:mod:`mediacaster.routes`, so a route and its documentation cannot disagree.
OpenAPI path parameters cannot hold ``/``: ``/api/library/{path}`` takes the
root and the path below it as one parameter, sent as it is (``video/Films``) or
with ``%2F`` for each ``/``, which the server reads the same way.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field

from pydantic.json_schema import models_json_schema
from pyramid.security import NO_PERMISSION_REQUIRED

from mediacaster.routes import ROUTES
from mediacaster.schemas.replies import (
    Album,
    Artist,
    Artists,
    BrowserPlan,
    CastResult,
    ChosenDevice,
    ClearedSession,
    Conversions,
    Devices,
    Entry,
    Episodes,
    Error,
    Films,
    Folder,
    MarkedFolder,
    NewToken,
    Photos,
    Place,
    QueueReply,
    RemovedUser,
    Reply,
    RevokedToken,
    Roots,
    ScanProgress,
    SearchResult,
    Season,
    Session,
    SessionDeviceResult,
    Show,
    Shows,
    SlideshowReply,
    Status,
    Tokens,
    User,
    Users,
)
from mediacaster.schemas.requests import (
    MARK_FOLDERS_MAX,
    MARK_MAX,
    PLAYER_ACTIONS,
    QUEUE_ACTIONS,
    SLIDESHOW_ACTIONS,
    AlbumsQuery,
    ArtistsQuery,
    Body,
    CastRequest,
    ChooseDevice,
    EpisodesQuery,
    FilmsQuery,
    ListingQuery,
    NewUser,
    NextUpQuery,
    PhotosQuery,
    PlaybackQuery,
    ProgressReport,
    Query,
    QueueRequest,
    SearchQuery,
    ShowsQuery,
    SlideshowRequest,
    StatusQuery,
    TokenRequest,
    UserChange,
    WatchedMark,
)
from mediacaster.security import ACCOUNT, ADMINISTER, CAST, LIBRARY

# OpenAPI's names for what a route pattern holds.
LIBRARY_PATH = {
    "name": "path",
    "in": "path",
    "required": True,
    "schema": {"type": "string"},
    "description": "the root's name, then the path below it; '/' as it is or as %2F",
}
ID = {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}
SEASON_NUMBER = {
    **ID,
    "name": "number",
    "description": "the season's: 0 for specials, a year for a show by date",
}
PATH_PARAMETERS = {"{root}*path": LIBRARY_PATH, "{id}": ID, "{number}": SEASON_NUMBER}


@dataclass(frozen=True, kw_only=True)
class Operation:
    """One method of one API route, as the document describes it."""

    route: str  # a route name of mediacaster.routes
    method: str  # in lower case, as OpenAPI writes it
    summary: str
    permission: str  # the view's: one of mediacaster.security.PERMISSIONS, or NO_PERMISSION_REQUIRED
    query: type[Query] | None = None
    body: type[Body] | None = None
    reply: type[Reply] | tuple[type[Reply], ...] | None = None  # None: this document
    errors: Mapping[int, str] = field(default_factory=dict)
    accepted: str | None = None  # when the reply may come as 202 Accepted, what that means
    # Fills the route's {action}: each action has a path, and a body, of its own.
    action: str | None = None

    @property
    def pattern(self):
        return ROUTES[self.route]

    @property
    def path(self):
        path = self.pattern.replace("{root}*path", "{path}")
        return path if self.action is None else path.replace("{action}", self.action)


def each_action(*, route, summary, actions, reply, errors, errors_of=None):
    """The operations of an {action} route: one per action, each at a path of its own and
    with its own body; ``errors_of`` holds, by action, the errors of those that answer other
    errors than ``errors``."""
    return [
        Operation(
            route=route,
            action=action,
            method="post",
            summary=f"{summary}: {action}",
            permission=CAST,
            body=model,
            reply=reply,
            errors=(errors_of or {}).get(action, errors),
        )
        for action, model in actions.items()
    ]


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
QUEUE_ACTION_ERRORS = {
    **CAST_ERRORS,
    404: "unknown device, no queue there, or no such file",
    409: "the queue is over (ended, stopped, or taken over), or at its first or last item",
}
SLIDESHOW_ACTION_ERRORS = {**CAST_ERRORS, 409: "no slideshow playing on this device"}

CATALOGUE_ERRORS = {400: "a bad parameter"}


def catalogue_get(route, summary, reply, query, what=None):
    """A GET of the catalogue; ``what``: of one item by id, which is not found (404) when
    the user does not see it."""
    errors = CATALOGUE_ERRORS
    if what is not None:
        errors = {**errors, 404: f"no such {what}, or one of roots the user does not see"}
    return Operation(
        route=route,
        method="get",
        summary=summary,
        permission=LIBRARY,
        query=query,
        reply=reply,
        errors=errors,
    )


CATALOGUE = [
    catalogue_get("api.films", "Films, with their posters, files and progress", Films, FilmsQuery),
    catalogue_get("api.shows", "Shows, with how many episodes the user has watched", Shows, ShowsQuery),
    catalogue_get("api.show", "A show: its seasons, its Next up and what Play plays", Show, None, "show"),
    catalogue_get(
        "api.season", "A season's episodes in order, and what Play queues", Season, EpisodesQuery, "season"
    ),
    catalogue_get("api.next_up", "Next up across shows, the show watched last first", Episodes, NextUpQuery),
    catalogue_get("api.artists", "Album artists by name", Artists, ArtistsQuery),
    catalogue_get("api.artist", "An album artist and their albums", Artist, AlbumsQuery, "artist"),
    catalogue_get(
        "api.album", "An album's tracks in disc and track order, and what Play queues", Album, None, "album"
    ),
    catalogue_get("api.photos", "Photos by date taken, and the months that have any", Photos, PhotosQuery),
    Operation(
        route="api.scan",
        method="get",
        summary="The catalogue's scan of the library: how far it is",
        permission=LIBRARY,
        reply=ScanProgress,
    ),
]

OPERATIONS = [
    Operation(
        route="api.library.roots", method="get", summary="The library roots", permission=LIBRARY, reply=Roots
    ),
    Operation(
        route="api.library",
        method="get",
        summary="A folder's entries, or one file's entry",
        permission=LIBRARY,
        query=ListingQuery,
        reply=(Folder, Entry),
        errors={400: "a bad parameter", 404: "no such root, folder or file, or unknown device"},
    ),
    Operation(
        route="api.search",
        method="get",
        summary="Files and folders by name across all roots",
        permission=LIBRARY,
        query=SearchQuery,
        reply=SearchResult,
        errors={400: "no query or a bad limit"},
    ),
    Operation(
        route="api.playback",
        method="get",
        summary="How a file plays in this browser: as it is or converted, with its tracks",
        permission=LIBRARY,
        query=PlaybackQuery,
        reply=BrowserPlan,
        errors={
            400: "a bad parameter",
            404: "no such file, a folder, or no such sound track",
            415: "not video, audio or an image",
            422: "a file that cannot be read",
        },
    ),
    Operation(
        route="api.tokens",
        method="get",
        summary="The API tokens of the user asking",
        permission=ACCOUNT,
        reply=Tokens,
        errors=ACCOUNT_ERRORS,
    ),
    Operation(
        route="api.tokens",
        method="post",
        summary="Make an API token (answered once, stored hashed)",
        permission=ACCOUNT,
        body=TokenRequest,
        reply=NewToken,
        errors={**ACCOUNT_ERRORS, 400: "malformed JSON, or no name", 422: "a name too long"},
    ),
    Operation(
        route="api.token",
        method="delete",
        summary="Revoke an API token",
        permission=ACCOUNT,
        reply=RevokedToken,
        errors={**ACCOUNT_ERRORS, 404: "no such token of this user"},
    ),
    Operation(
        route="api.conversions",
        method="get",
        summary="The conversion workers and the conversions running (administrators only)",
        permission=ADMINISTER,
        reply=Conversions,
        errors=ADMIN_ERRORS,
    ),
    Operation(
        route="api.users",
        method="get",
        summary="Every account (administrators only)",
        permission=ADMINISTER,
        reply=Users,
        errors=ADMIN_ERRORS,
    ),
    Operation(
        route="api.users",
        method="post",
        summary="Make an account",
        permission=ADMINISTER,
        body=NewUser,
        reply=User,
        errors={
            **ADMIN_ERRORS,
            400: "malformed JSON, no name, or a password too short",
            409: "an account of this name exists",
            422: "a name that is not printable text, a root that does not exist, or no root at all",
        },
    ),
    Operation(
        route="api.user",
        method="get",
        summary="One account",
        permission=ADMINISTER,
        reply=User,
        errors={**ADMIN_ERRORS, 404: "no such user"},
    ),
    Operation(
        route="api.user",
        method="patch",
        summary="Change an account's role, roots or password",
        permission=ADMINISTER,
        body=UserChange,
        reply=User,
        errors={
            **ADMIN_ERRORS,
            400: "malformed JSON, or a password too short",
            404: "no such user",
            409: "the last administrator, or the administrator asking, made a member",
            422: "a root that does not exist, or no root at all",
        },
    ),
    Operation(
        route="api.user",
        method="delete",
        summary="Remove an account and its API tokens",
        permission=ADMINISTER,
        reply=RemovedUser,
        errors={
            **ADMIN_ERRORS,
            404: "no such user",
            409: "the last administrator, or the administrator asking",
        },
    ),
    Operation(
        route="api.progress",
        method="get",
        summary="Where the user asking is in a video or audio file",
        permission=LIBRARY,
        reply=Place,
        errors=PROGRESS_ERRORS,
    ),
    Operation(
        route="api.progress",
        method="put",
        summary="A player's report of where it is (saved every few seconds at most, unless final)",
        permission=LIBRARY,
        body=ProgressReport,
        reply=Place,
        accepted="the database is away: the report is kept and saved once it is back",
        errors={**PROGRESS_ERRORS, 400: "malformed JSON or a value out of range"},
    ),
    Operation(
        route="api.watched",
        method="put",
        summary="Mark a video or audio file watched or unwatched, or every one in a folder and below it",
        permission=LIBRARY,
        body=WatchedMark,
        reply=(Place, MarkedFolder),
        errors={
            **PROGRESS_ERRORS,
            400: "malformed JSON",
            404: "no such root, file or folder",
            422: f"a folder holding more than {MARK_MAX:,} video and audio files, its folders included, "
            f"or more than {MARK_FOLDERS_MAX:,} folders",
        },
    ),
    Operation(
        route="api.queue",
        method="get",
        summary="The user's queue on a device",
        permission=CAST,
        query=StatusQuery,
        reply=QueueReply,
        errors=CONTROL_ERRORS,
    ),
    Operation(
        route="api.queue",
        method="post",
        summary="Play files one after the other on a device: a list, a folder's or a search's",
        permission=CAST,
        body=QueueRequest,
        reply=QueueReply,
        errors={
            **CAST_ERRORS,
            404: "unknown device, or no such file or folder",
            422: "nothing to play (no video or audio file), nothing that plays there, or a value "
            "out of range",
        },
    ),
    *each_action(
        route="api.queue.action",
        summary="Queue",
        actions=QUEUE_ACTIONS,
        reply=QueueReply,
        errors=QUEUE_ACTION_ERRORS,
    ),
    Operation(
        route="api.slideshow",
        method="get",
        summary="The slideshow on a device",
        permission=CAST,
        query=StatusQuery,
        reply=SlideshowReply,
        errors=CONTROL_ERRORS,
    ),
    Operation(
        route="api.slideshow",
        method="post",
        summary="Show a folder's pictures on a device, one after the other, fitted to its screen",
        permission=CAST,
        body=SlideshowRequest,
        reply=SlideshowReply,
        errors={
            **CAST_ERRORS,
            404: "unknown device, or no such folder",
            422: "no pictures, or a value out of range",
        },
    ),
    *each_action(
        route="api.slideshow.action",
        summary="Slideshow",
        actions=SLIDESHOW_ACTIONS,
        reply=SlideshowReply,
        errors=SLIDESHOW_ACTION_ERRORS,
    ),
    Operation(
        route="api.devices",
        method="get",
        summary="Cast devices found on the network",
        permission=CAST,
        reply=Devices,
    ),
    Operation(
        route="api.session",
        method="get",
        summary="What this session holds, and its CSRF token",
        permission=NO_PERMISSION_REQUIRED,
        reply=Session,
        errors={503: "Redis unreachable"},
    ),
    Operation(
        route="api.session",
        method="delete",
        summary="Clear this session",
        permission=NO_PERMISSION_REQUIRED,
        reply=ClearedSession,
        errors={403: CONTROL_ERRORS[403], 503: "Redis unreachable"},
    ),
    Operation(
        route="api.session.device",
        method="get",
        summary="The device chosen in this session",
        permission=CAST,
        reply=SessionDeviceResult,
        errors={503: "Redis unreachable"},
    ),
    Operation(
        route="api.session.device",
        method="put",
        summary="Choose this session's device",
        permission=CAST,
        body=ChooseDevice,
        reply=ChosenDevice,
        errors=CONTROL_ERRORS,
    ),
    Operation(
        route="api.cast",
        method="post",
        summary="Cast a file; answers once the device confirmed the LOAD",
        permission=CAST,
        body=CastRequest,
        reply=CastResult,
        errors=CAST_ERRORS,
    ),
    Operation(
        route="api.status",
        method="get",
        summary="Device and media status",
        permission=CAST,
        query=StatusQuery,
        reply=Status,
        errors=CONTROL_ERRORS,
    ),
    *each_action(
        route="api.player",
        summary="Player",
        actions=PLAYER_ACTIONS,
        reply=Status,
        errors=CONTROL_ERRORS,
        errors_of=PLAYER_ERRORS,
    ),
    *CATALOGUE,
    Operation(route="api.openapi", method="get", summary="This document", permission=NO_PERMISSION_REQUIRED),
]

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


def _ref(model):
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def _json(schema, description):
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _query_parameters(model):
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    required = set(schema.get("required", ()))
    parameters = []
    for name, field_schema in schema["properties"].items():
        parameter = {"name": name, "in": "query", "required": name in required, "schema": field_schema}
        if "description" in field_schema:
            parameter["description"] = field_schema["description"]
        parameters.append(parameter)
    return parameters


def _describe(operation, models):
    """The document's entry for one operation; adds the models it names to ``models``."""
    described = {"summary": operation.summary}
    if operation.permission == NO_PERMISSION_REQUIRED:
        described["security"] = [{}]  # no login needed: the browser's own session, this document
    parameters = [parameter for part, parameter in PATH_PARAMETERS.items() if part in operation.pattern]
    if operation.query is not None:
        parameters += _query_parameters(operation.query)
    if parameters:
        described["parameters"] = parameters
    if operation.body is not None:
        models.add(operation.body)
        described["requestBody"] = {
            # Required when its model has required fields: an empty body is {}.
            "required": bool(operation.body.model_json_schema().get("required")),
            "content": {"application/json": {"schema": _ref(operation.body)}},
        }
    if operation.reply is None:
        ok = {"description": "OpenAPI 3.1", "content": {"application/json": {"schema": {"type": "object"}}}}
    elif isinstance(operation.reply, tuple):
        models.update(operation.reply)
        ok = _json({"anyOf": [_ref(model) for model in operation.reply]}, "OK")
    else:
        models.add(operation.reply)
        ok = _json(_ref(operation.reply), "OK")
    responses = {"200": ok}
    if operation.accepted:
        responses["202"] = {**ok, "description": operation.accepted}
    for status, description in sorted(operation.errors.items()):
        responses[str(status)] = _json(_ref(Error), description)
    responses["default"] = _json(_ref(Error), "any other error, such as 405 or 500")
    described["responses"] = responses
    return described


def build():
    """The OpenAPI 3.1 document of the API."""
    models = {Error}
    paths = {}
    for operation in OPERATIONS:
        paths.setdefault(operation.path, {})[operation.method] = _describe(operation, models)
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

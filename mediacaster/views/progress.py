"""Where each user is in each video and audio file: players report it as they play,
pages and scripts read it and mark files watched. The rules live in
:mod:`mediacaster.services.history`."""

from pyramid.view import view_config

from mediacaster import presenters
from mediacaster.bytenames import shown
from mediacaster.errors import NotFound, UnsupportedMedia
from mediacaster.lifecycle import services_of
from mediacaster.playback import Target, browsers
from mediacaster.schemas.requests import MARK_FOLDERS_MAX, MARK_MAX, ProgressReport, WatchedMark
from mediacaster.security import LIBRARY, library_entry, visible_roots
from mediacaster.services import history
from mediacaster.services.history import PLAYED_KINDS
from mediacaster.views.inputs import entry_path, parse_body


def played_entry(request):
    """The video or audio file the URL names, among the roots the user sees."""
    return played(library_entry(request, *entry_path(request)))


def played(entry):
    if entry.is_dir:
        raise NotFound(f"{shown(entry.path)} is a folder, not a file")
    if entry.kind not in PLAYED_KINDS:
        raise UnsupportedMedia(f"{shown(entry.name)} is not a video or audio file: it has no position")
    return entry


def user_id(request):
    return request.identity.user_id  # None with logins off: everyone's history


@view_config(route_name="api.progress", permission=LIBRARY, request_method="GET", renderer="json")
def show(request):
    entry = played_entry(request)
    return presenters.place_json(history.place(request.dbsession(), user_id(request), entry.root, entry.path))


@view_config(route_name="api.progress", permission=LIBRARY, request_method="PUT", renderer="json")
def report(request):
    body = parse_body(request, ProgressReport)
    entry = played_entry(request)
    # A transaction of its own: while the database is away the report is kept for later,
    # and the answer says so with 202 Accepted.
    place, saved = services_of(request).history.record(
        user_id(request), entry.root, entry.path, body.position, body.duration, body.final
    )
    if not saved:
        request.response.status_int = 202
    if not body.final:  # near the end, what the page offers next is made ready
        can = browsers.remembered(request.cookies.get(browsers.COOKIE))
        services_of(request).browsing.played_to(
            entry, body.position, body.duration, Target.browser(can), request.entry_urls(),
            request.dbsession(), visible_roots(request), request.client_addr,
        )  # fmt: skip
    return presenters.place_json(place)


@view_config(route_name="api.watched", permission=LIBRARY, request_method="PUT", renderer="json")
def watched(request):
    """A file, or every video and audio file in a folder and below it (a season, a show)."""
    body = parse_body(request, WatchedMark)
    entry = library_entry(request, *entry_path(request))
    if not entry.is_dir:
        played(entry)
        place = history.mark(request.dbsession(), user_id(request), entry.root, entry.path, body.watched)
        return presenters.place_json(place)
    library = services_of(request).library
    paths = library.files_below(entry, PLAYED_KINDS, MARK_MAX, MARK_FOLDERS_MAX)
    history.mark_all(request.dbsession(), user_id(request), entry.root, paths, body.watched)
    return {"watched": body.watched, "files": len(paths)}

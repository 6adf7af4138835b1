"""The JSON API for scripts: the library, search and the API's own description."""

from pyramid.response import Response
from pyramid.security import NO_PERMISSION_REQUIRED
from pyramid.view import view_config

from mediacaster import presenters
from mediacaster.lifecycle import services_of
from mediacaster.playback import Target
from mediacaster.schemas.openapi import SPEC
from mediacaster.schemas.requests import ListingQuery, SearchQuery
from mediacaster.security import LIBRARY, library_entry, visible_roots
from mediacaster.services.library import natural_key
from mediacaster.views.inputs import entry_path, parse_query


@view_config(route_name="api.library.roots", permission=LIBRARY, request_method="GET", renderer="json")
def roots(request):
    library, urls = services_of(request).library, request.entry_urls()
    names = sorted(visible_roots(request), key=natural_key)
    return {"roots": [presenters.entry_json(library.entry(name, ()), urls) for name in names]}


@view_config(route_name="api.library", permission=LIBRARY, request_method="GET", renderer="json")
def library(request):
    services, urls = services_of(request), request.entry_urls()
    query = parse_query(request, ListingQuery)
    target = Target.device(services.cast.find(query.device)) if query.device else None
    entry = library_entry(request, *entry_path(request))
    user_id = request.identity.user_id
    if not entry.is_dir:
        seen = services.browsing.file(entry, urls, target, request.dbsession(), user_id)
        plan = seen.plan
        details = (plan.probe_state, plan.probe) if entry.is_media else None
        data = presenters.entry_json(entry, urls, details, seen.verdict, seen.place)
        data["subtitles"] = presenters.tracks_json(plan.tracks)
        return data
    seen = services.browsing.folder(
        entry,
        lambda count: slice(query.offset, query.offset + query.limit),
        target,
        request.dbsession(),
        user_id,
        sort=query.sort,
        descending=query.direction == "desc",
        query=query.q,
    )
    total = len(seen.entries)
    head = presenters.folder_head(seen.folder, query, total, seen.probe_state, seen.pending, urls)
    body = presenters.folder_json(
        head, seen.shown, urls, seen.details, seen.verdicts, services.rows, seen.places
    )
    return Response(body=body, content_type="application/json", charset=None)


@view_config(route_name="api.search", permission=LIBRARY, request_method="GET", renderer="json")
def search(request):
    query = parse_query(request, SearchQuery)
    services, urls = services_of(request), request.entry_urls()
    entries, total = services.library.search(services.search, query.q, query.limit, visible_roots(request))
    return {
        "query": query.q,
        "total": total,
        "entries": [presenters.entry_json(e, urls) for e in entries],
        "index_ready": services.search.ready.is_set(),
    }


@view_config(
    route_name="api.openapi", permission=NO_PERMISSION_REQUIRED, request_method="GET", renderer="json"
)
def openapi(request):
    return SPEC

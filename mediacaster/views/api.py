"""The JSON API for scripts: the library, search and the API's own description."""

from pyramid.response import Response
from pyramid.view import view_config

from mediacaster import apispec, presenters
from mediacaster.playback import Target
from mediacaster.services.library import natural_key
from mediacaster.views.inputs import entry_path, parse_query


@view_config(route_name="api.library.roots", request_method="GET", renderer="json")
def roots(request):
    library, urls = request.registry.services.library, request.entry_urls()
    names = sorted(library.roots, key=natural_key)
    return {"roots": [presenters.entry_json(library.entry(name, ()), urls) for name in names]}


@view_config(route_name="api.library", request_method="GET", renderer="json")
def library(request):
    services, urls = request.registry.services, request.entry_urls()
    query = parse_query(request, apispec.ListingQuery)
    target = Target.device(services.cast.find(query.device)) if query.device else None
    entry = services.library.entry(*entry_path(request))
    if not entry.is_dir:
        plan = services.playback.plan(entry, target or Target.browser(), urls, wait=False)
        data = presenters.entry_json(
            entry, urls, (plan.probe_state, plan.probe) if entry.is_media else None, target and plan.verdict
        )
        data["subtitles"] = presenters.tracks_json(plan.tracks)
        return data
    folder, entries = services.library.listing(
        entry.root, entry.segments, sort=query.sort, descending=query.direction == "desc", query=query.q
    )
    page = entries[query.offset : query.offset + query.limit]
    details = services.playback.details(page)
    verdict = (lambda entry, probe: services.playback.verdict(entry, probe, target)) if target else None
    parent = folder.parent
    head = {
        "root": folder.root,
        "path": folder.path,
        "parent": None if parent is None else "/".join(parent),
        "parent_url": None if parent is None else urls.url("api.library", folder.root, "/".join(parent)),
        "sort": query.sort,
        "order": query.direction,
        "total": len(entries),
        "probe": {
            **services.probe.state(),
            "pending_here": sum(state == "pending" for state, _ in details.values()),
        },
    }
    body = presenters.folder_json(head, page, urls, details, verdict)
    return Response(body=body, content_type="application/json", charset=None)


@view_config(route_name="api.search", request_method="GET", renderer="json")
def search(request):
    query = parse_query(request, apispec.SearchQuery)
    services, urls = request.registry.services, request.entry_urls()
    entries, total = services.library.search(services.search, query.q, query.limit)
    return {
        "query": query.q,
        "total": total,
        "entries": [presenters.entry_json(e, urls) for e in entries],
        "index_ready": services.search.ready.is_set(),
    }


@view_config(route_name="api.openapi", request_method="GET", renderer="json")
def openapi(request):
    return apispec.SPEC

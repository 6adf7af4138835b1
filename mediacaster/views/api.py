"""The JSON API for scripts: library and search."""

from pyramid.httpexceptions import HTTPBadRequest
from pyramid.view import view_config

from mediacaster.openapi import SPEC
from mediacaster.views.entries import (
    entry_json,
    load_entry,
    load_listing,
    matched_entry_path,
    probe_details,
    requested_device,
    search_hits,
    sorted_roots,
    subtitles_json,
)

SEARCH_DEFAULT_LIMIT = 50
SEARCH_MAX_LIMIT = 1000
LISTING_MAX = 10_000_000


@view_config(route_name="api.library.roots", request_method="GET", renderer="json")
def roots(request):
    return {
        "roots": [
            entry_json(request, request.registry.library.entry(name, ())) for name in sorted_roots(request)
        ]
    }


@view_config(route_name="api.library", request_method="GET", renderer="json")
def library(request):
    root, segments = matched_entry_path(request)
    entry = load_entry(request, root, segments)
    device = requested_device(request)
    if not entry.is_dir:
        details = probe_details(request, [entry]).get(entry.path)
        data = entry_json(request, entry, details, device)
        data["subtitles"] = subtitles_json(request, entry, details[1] if details else None)
        return data
    folder, entries, params = load_listing(request, root, entry.segments)
    # offset and limit give one page of a big folder (the folder page polls its own page).
    total = len(entries)
    offset = _int_param(request, "offset", 0, 0, LISTING_MAX)
    limit = _int_param(request, "limit", LISTING_MAX, 1, LISTING_MAX)
    entries = entries[offset : offset + limit]
    details = probe_details(request, entries)
    parent = folder.parent
    return {
        "root": folder.root,
        "path": folder.path,
        "parent": None if parent is None else "/".join(parent),
        "parent_url": None if parent is None else request.entry_url("api.library", root, parent),
        "sort": params["sort"],
        "order": params["order"],
        "total": total,
        "entries": [entry_json(request, e, details.get(e.path), device) for e in entries],
        "probe": {
            **request.registry.probe.state(),
            "pending_here": sum(state == "pending" for state, _ in details.values()),
        },
    }


@view_config(route_name="api.search", request_method="GET", renderer="json")
def search(request):
    query = request.params.get("q", "").strip()
    if not query:
        raise HTTPBadRequest("give the words to search for as ?q=")
    limit = _int_param(request, "limit", SEARCH_DEFAULT_LIMIT, 1, SEARCH_MAX_LIMIT)
    entries, total = search_hits(request, query, limit)
    return {
        "query": query,
        "total": total,
        "entries": [entry_json(request, e) for e in entries],
        "index_ready": request.registry.search.ready.is_set(),
    }


def _int_param(request, name, default, lowest, highest):
    raw = request.params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = None
    if value is None or not lowest <= value <= highest:
        raise HTTPBadRequest(f"{name} must be a whole number from {lowest} to {highest}")
    return value


@view_config(route_name="api.openapi", request_method="GET", renderer="json")
def openapi(request):
    return SPEC

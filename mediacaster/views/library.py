"""HTML pages: the roots, folder listings, file detail pages and search."""

import math

from pyramid.view import view_config

from mediacaster.views.entries import (
    load_entry,
    load_listing,
    matched_entry_path,
    probe_details,
    search_hits,
    sorted_roots,
    subtitles_json,
)

SEARCH_PAGE_LIMIT = 200


@view_config(route_name="home", request_method="GET", renderer="home.jinja2")
def home(request):
    library = request.registry.library
    roots = [library.entry(name, ()) for name in sorted_roots(request)]
    return {"roots": roots, "demo": request.registry.app_settings.demo}


@view_config(route_name="library.folder", request_method="GET", renderer="folder.jinja2")
def folder(request):
    root, segments = matched_entry_path(request)
    entry = load_entry(request, root, segments)
    if not entry.is_dir:
        request.override_renderer = "file.jinja2"
        # Never wait for ffprobe here: a file not read yet is read in the
        # background and the page's script reloads once it has been.
        state, probe = probe_details(request, [entry]).get(entry.path, (None, None))
        return {
            "pending": state == "pending",
            "entry": entry,
            "crumbs": crumbs(request, entry),
            "probe": probe,
            "probe_state": request.registry.probe.state(),
            "subtitles": subtitles_json(request, entry, probe),
            "api_url": request.entry_url("api.library", root, entry.segments),
        }

    folder, entries, params = load_listing(request, root, entry.segments)
    page_size = request.registry.app_settings.page_size
    pages = max(1, math.ceil(len(entries) / page_size))
    try:
        page = min(max(1, int(request.params.get("page", 1))), pages)
    except ValueError:
        page = 1
    shown = entries[(page - 1) * page_size : page * page_size]
    view = "grid" if request.params.get("view") == "grid" else "list"
    return {
        "details": probe_details(request, shown),
        "probe_state": request.registry.probe.state(),
        "view": view,
        "api_url": request.entry_url(
            "api.library",
            root,
            folder.segments,
            _query={**params, "offset": (page - 1) * page_size, "limit": page_size},
        ),
        "folder": folder,
        "entries": shown,
        "total": len(entries),
        "page": page,
        "pages": pages,
        "params": params,
        "crumbs": crumbs(request, folder),
    }


@view_config(route_name="library.search", request_method="GET", renderer="search.jinja2")
def search(request):
    query = request.params.get("q", "").strip()
    entries, total = search_hits(request, query, SEARCH_PAGE_LIMIT) if query else ([], 0)
    return {
        "query": query,
        "entries": entries,
        "total": total,
        "index": request.registry.search.state(),
    }


def crumbs(request, entry):
    """(label, url) pairs from the root down to the entry's folder and the entry."""
    trail = [(entry.root, request.library_url(entry.root))]
    segments = entry.segments
    for depth, name in enumerate(segments, start=1):
        trail.append((name, request.library_url(entry.root, segments[:depth])))
    return trail

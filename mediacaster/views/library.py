"""HTML pages: the roots, folder listings, file pages and search."""

import math
from datetime import datetime

from pyramid.view import view_config

from mediacaster import presenters
from mediacaster.bytenames import request_url
from mediacaster.errors import NotFound
from mediacaster.playback import Target, browsers
from mediacaster.playback.catalogue import shelves
from mediacaster.schemas.requests import ListingQuery, SearchPageQuery
from mediacaster.security import LIBRARY, library_entry, visible_roots
from mediacaster.services import history
from mediacaster.services.history import PLAYED_KINDS
from mediacaster.services.library import natural_key
from mediacaster.views.inputs import entry_path, parse_query

SEARCH_PAGE_LIMIT = 200


class PageQuery(ListingQuery):
    page: int = 1
    view: str = "list"


@view_config(route_name="home", permission=LIBRARY, request_method="GET", renderer="home.jinja2")
def home(request):
    """The roots, what the user may resume, and what arrived last (an album as its folder)."""
    services = request.registry.services
    seen = sorted(visible_roots(request), key=natural_key)
    resumable = history.in_progress(request.dbsession(), request.identity.user_id, seen)
    arrived = [
        (hit.root, hit.path.rpartition("/")[0] if hit.kind == "audio" else hit.path, count)
        for hit, count in services.search.recent(12, seen)
    ]
    return {
        **shelves(
            services.catalogue, request.dbsession(), seen, request.identity.user_id, request.entry_urls()
        ),
        "roots": [services.library.entry(name, ()) for name in seen],
        "demo": services.settings.demo,
        "resume": existing(services.library, resumable),
        "recent": existing(services.library, arrived),
    }


def existing(library, rows):
    """``[(entry, extra)]`` of the ``(root, path, extra)`` rows whose file or folder still exists."""
    found = []
    for root, path, extra in rows:
        try:
            found.append((library.entry(root, tuple(path.split("/")) if path else ()), extra))
        except NotFound:
            continue  # removed or renamed since
    return found


@view_config(route_name="library.folder", permission=LIBRARY, request_method="GET", renderer="folder.jinja2")
def folder(request):
    services, urls = request.registry.services, request.entry_urls()
    entry = library_entry(request, *entry_path(request))
    query = parse_query(request, PageQuery, lenient=True)
    device = page_device(services, query.device)
    if not entry.is_dir:
        request.override_renderer = "file.jinja2"
        # Never wait for ffprobe here: a file not read yet is read in the
        # background and the page's script reloads once it has been.
        plan = services.playback.plan(entry, device or Target.browser(), urls, wait=False)
        verdict = plan.verdict if device and entry.is_media else None
        place = history.place(request.dbsession(), request.identity.user_id, entry.root, entry.path)
        following = services.library.next_file(entry, (entry.kind,)) if entry.kind in PLAYED_KINDS else None
        return {
            **browser_plan(request, entry, place),
            **photo_page(services, entry),
            "next_entry": following,
            "place": place,
            "watched_url": urls.url("api.watched", entry.root, entry.path),
            "progress_url": urls.url("api.progress", entry.root, entry.path),
            "report_every": services.settings.progress_interval,
            "pending": plan.probe_state == "pending",
            "entry": entry,
            "plan": plan,
            "verdict": presenters.verdict_json(verdict) if verdict else None,
            "poll_url": request_url(request),
            "crumbs": crumbs(urls, entry),
            "probe": plan.probe,
            "probe_state": services.probe.state(),
            "subtitles": presenters.tracks_json(plan.tracks),
            "playback_url": urls.url("api.playback", entry.root, entry.path),
            "entry_api_url": urls.url("api.library", entry.root, entry.path),
            "checks": browsers.CHECKS,
        }

    folder, entries = services.library.listing(
        entry.root, entry.segments, sort=query.sort, descending=query.direction == "desc", query=query.q
    )
    page_size = services.settings.page_size
    pages = max(1, math.ceil(len(entries) / page_size))
    page = min(max(1, query.page), pages)
    shown = entries[(page - 1) * page_size : page * page_size]
    params = {"sort": query.sort, "order": query.direction, "q": query.q}
    details, verdicts = services.playback.listing(shown, device)
    return {
        "playable": any(e.kind in PLAYED_KINDS for e in entries),
        "subfolders": any(e.is_dir for e in entries),
        "pictures": any(e.kind == "image" for e in entries),
        "places": history.of_folder(request.dbsession(), request.identity.user_id, folder.root, folder.path),
        "details": details,
        "verdicts": {path: presenters.verdict_json(v) for path, v in verdicts.items()},
        "pending": services.playback.pending(details),
        "poll_url": request_url(request),
        "probe_state": services.probe.state(),
        "view": "grid" if query.view == "grid" else "list",
        "folder": folder,
        "entries": shown,
        "total": len(entries),
        "page": page,
        "pages": pages,
        "params": params,
        "crumbs": crumbs(urls, folder),
    }


@view_config(route_name="library.search", permission=LIBRARY, request_method="GET", renderer="search.jinja2")
def search(request):
    services = request.registry.services
    query = parse_query(request, SearchPageQuery, lenient=True).q
    roots = visible_roots(request)
    entries, total = (
        services.library.search(services.search, query, SEARCH_PAGE_LIMIT, roots) if query else ([], 0)
    )
    found = shelves(
        services.catalogue, request.dbsession(), roots, request.identity.user_id, request.entry_urls(), query
    )
    return {"query": query, "entries": entries, "total": total, "index": services.search.state(), **found}


def browser_plan(request, entry, place):
    """The plan for this browser, in the page, where the browser's checks are remembered
    (its cookie): the player loads it at once. A conversion starts where it will play."""
    can = browsers.remembered(request.cookies.get(browsers.COOKIE))
    found = {"checks_tag": browsers.TAG, "checks_cookie": browsers.COOKIE, "browser_plan": None}
    if can is None or entry.kind not in PLAYED_KINDS:
        return found
    services, urls = request.registry.services, request.entry_urls()
    plan = services.playback.plan(entry, Target.browser(can), urls, wait=False)
    if plan.probe_state == "pending":
        return found  # not read yet: the player asks once it has been
    asked = request.GET.get("t")
    try:
        position = float(asked) if asked is not None else (place.resume_at if place else None) or 0.0
    except ValueError:
        position = 0.0
    services.playback.warm(
        plan, position if math.isfinite(position) and position > 0 else 0.0, request.client_addr
    )
    return {**found, "browser_plan": presenters.browser_plan_json(plan, urls)}


def photo_page(services, entry):
    """A picture's page: its size and date taken, and the pictures before and after it."""
    if entry.kind != "image":
        return {"photo": None}
    library = services.library
    facts = services.photos.facts(*library.file_key(entry))
    return {
        "photo": facts,
        "taken": datetime.fromisoformat(facts["taken"]) if facts and facts["taken"] else None,
        "previous_photo": library.next_file(entry, ("image",), backwards=True),
        "next_photo": library.next_file(entry, ("image",)),
    }


def page_device(services, wanted):
    """The playback target of the device a page is asked about (``?device=``), if known."""
    if not wanted:
        return None
    try:
        return Target.device(services.cast.find(wanted))
    except NotFound:
        return None  # a device gone since: the page shows no verdicts


def crumbs(urls, entry):
    """(label, url) pairs from the root down to the entry's folder and the entry."""
    segments = entry.segments
    trail = [(entry.root, urls.folder(entry.root))]
    trail += [
        (name, urls.folder(entry.root, segments[:depth])) for depth, name in enumerate(segments, start=1)
    ]
    return trail

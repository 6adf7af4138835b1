"""HTML pages: the roots, folder listings, file pages and search."""

import math
from datetime import datetime

from pyramid.view import view_config

from mediacaster import presenters
from mediacaster.bytenames import request_url
from mediacaster.errors import NotFound
from mediacaster.lifecycle import services_of
from mediacaster.playback import Target, browsers, previews
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
    services = services_of(request)
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


def page_of(asked, size, count):
    """``(page, pages)`` of a folder of ``count`` entries shown ``size`` a page: the page
    ``asked`` for, within those there are."""
    pages = max(1, math.ceil(count / size))
    return min(max(1, asked), pages), pages


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
    services, urls = services_of(request), request.entry_urls()
    entry = library_entry(request, *entry_path(request))
    query = parse_query(request, PageQuery, lenient=True)
    device = page_device(services, query.device)
    if not entry.is_dir:
        request.override_renderer = "file.jinja2"
        # Never waits for ffprobe: a file not read yet is read in the background and
        # the page's script reloads once it has been.
        seen = services.browsing.file(entry, urls, device, request.dbsession(), request.identity.user_id)
        plan, verdict, place = seen.plan, seen.verdict, seen.place
        following, next_label = services.browsing.following(
            entry, request.dbsession(), visible_roots(request)
        )
        return {
            **browser_plan(request, entry, place),
            **photo_page(services, entry),
            "next_entry": following,
            "next_label": next_label,
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
            "previews_url": previews.track_url(services, urls, entry, plan.probe),
            "checks": browsers.CHECKS,
        }

    size = services.settings.page_size

    def window(count):
        page = page_of(query.page, size, count)[0]
        return slice((page - 1) * size, page * size)

    seen = services.browsing.folder(
        entry,
        window,
        device,
        request.dbsession(),
        request.identity.user_id,
        sort=query.sort,
        descending=query.direction == "desc",
        query=query.q,
    )
    entries = seen.entries
    page, pages = page_of(query.page, size, len(entries))
    return {
        "playable": any(e.kind in PLAYED_KINDS for e in entries),
        "subfolders": any(e.is_dir for e in entries),
        "pictures": any(e.kind == "image" for e in entries),
        "places": seen.places,
        "details": seen.details,
        "verdicts": {path: presenters.verdict_json(v) for path, v in seen.verdicts.items()},
        "pending": seen.pending,
        "poll_url": request_url(request),
        "probe_state": seen.probe_state,
        "view": "grid" if query.view == "grid" else "list",
        "folder": seen.folder,
        "entries": seen.shown,
        "total": len(entries),
        "page": page,
        "pages": pages,
        "params": {"sort": query.sort, "order": query.direction, "q": query.q},
        "crumbs": crumbs(urls, seen.folder),
    }


@view_config(route_name="library.search", permission=LIBRARY, request_method="GET", renderer="search.jinja2")
def search(request):
    services = services_of(request)
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
    services, urls = services_of(request), request.entry_urls()
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

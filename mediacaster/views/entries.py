"""How library entries are shown to clients: one place for pages and the API."""

import os
from datetime import datetime, timezone

from pyramid.httpexceptions import HTTPNotFound

from mediacaster.services.library import NotFound, natural_key
from mediacaster.services.search import fold
from mediacaster.services.subtitles import find_tracks
from mediacaster.verdicts import judge

SORTS = ("name", "date", "size")


MEDIA_KINDS = ("video", "audio", "image")


def entry_json(request, entry, details=None, device=None):
    """An entry for scripts; ``details`` is its ``(probe state, probe)`` and
    ``device`` the device to give a will-it-play verdict for."""
    data = {
        "name": entry.name,
        "root": entry.root,
        "path": entry.path,
        "kind": entry.kind,
        "size": entry.size,
        "mtime": datetime.fromtimestamp(entry.mtime, timezone.utc).isoformat(),
        "content_type": entry.content_type,
        "url": request.library_url(entry.root, entry.segments),
        "api_url": request.entry_url("api.library", entry.root, entry.segments),
    }
    if not entry.is_dir:
        data["stream_url"] = request.stream_url(entry)
        data["download_url"] = request.download_url(entry)
    if entry.kind in MEDIA_KINDS:
        data["picture_url"] = request.picture_url(entry)
    if details is not None:
        data["probe_state"], data["probe"] = details
        if device is not None:
            data["verdict"] = verdict_for(entry, details[1], device).as_json()
    return data


def verdict_for(entry, probe, device):
    return judge(probe, entry.kind, device.model, device.type, entry.content_type)


def probe_details(request, entries):
    """``{entry.path: (state, probe)}`` for the media among ``entries``: cached
    probes at once ("done"), the others queued in the background ("pending"),
    or "unavailable" without ffprobe. Never waits for ffprobe."""
    library, prober = request.registry.library, request.registry.probe
    media = [e for e in entries if e.kind in MEDIA_KINDS]
    if not prober.available:
        return {e.path: ("unavailable", None) for e in media}
    keys = {e.path: library.file_key(e) for e in media}
    cached = prober.cached_many(keys.values())
    details = {}
    for path, key in keys.items():
        if key in cached:
            details[path] = ("done", cached[key])
        else:
            prober.schedule(*key)
            details[path] = ("pending", None)
    return details


def requested_device(request):
    """The device named by ``?device=`` (id or name), or None."""
    wanted = request.params.get("device")
    return request.registry.cast.find(wanted) if wanted else None


def matched_entry_path(request):
    """``(root, segments)`` of a ``/{root}*path`` route.

    Pyramid folds ``.`` and ``..`` segments away before the view sees them; a
    request that holds any (typed, or percent-encoded as ``%2e%2e``) is refused
    rather than quietly resolved to some other file.
    """
    if any(part in (".", "..") for part in request.path_info.split("/")):
        raise HTTPNotFound("no such file or folder")
    return request.matchdict["root"], request.matchdict["path"]


def listing_params(request):
    """Sort, order and filter of a folder listing, from the query string."""
    sort = request.params.get("sort", "name")
    if sort not in SORTS:
        sort = "name"
    order = request.params.get("order", "desc" if sort == "date" else "asc")
    if order not in ("asc", "desc"):
        order = "asc"
    return sort, order, request.params.get("q", "").strip()


def load_listing(request, root, segments):
    """Return ``(folder, entries, params)`` or raise 404; filtering by name applied."""
    sort, order, query = listing_params(request)
    try:
        folder, entries = request.registry.library.listing(
            root, segments, sort=sort, descending=order == "desc"
        )
    except NotFound as error:
        raise HTTPNotFound(str(error)) from None
    if query:
        words = fold(query).split()
        entries = [e for e in entries if all(w in fold(e.name) for w in words)]
    return folder, entries, {"sort": sort, "order": order, "q": query}


def load_entry(request, root, segments):
    try:
        return request.registry.library.entry(root, segments)
    except NotFound as error:
        raise HTTPNotFound(str(error)) from None


def search_hits(request, query, limit):
    """Entries for the best search hits (stat'ed now, so sizes are fresh) and the total."""
    hits, total = request.registry.search.query(query, limit=limit)
    entries = []
    for hit in hits:
        try:
            entries.append(request.registry.library.entry(hit.root, tuple(hit.path.split("/"))))
        except NotFound:
            total -= 1  # removed since the last scan
    return entries, total


def sorted_roots(request):
    return sorted(request.registry.library.roots, key=natural_key)


def probe_now(request, entry):
    """The entry's probe, read now if not cached (one file: fine to wait for)."""
    if entry.kind not in MEDIA_KINDS:
        return None
    return request.registry.probe.probe(*request.registry.library.file_key(entry))


def folder_names(request, entry):
    """Names of the files beside ``entry`` (for sidecar subtitles and cover art)."""
    path, _, _ = request.registry.library.file_key(entry)
    try:
        return os.listdir(os.path.dirname(path))
    except OSError:
        return []


def subtitle_tracks(request, entry, probe):
    if entry.kind != "video":
        return []
    return find_tracks(folder_names(request, entry), entry.name, probe)


def subtitles_json(request, entry, probe):
    return [
        {"id": t.id, "label": t.label, "language": t.language, "url": request.subtitle_url(entry, t.id)}
        for t in subtitle_tracks(request, entry, probe)
    ]

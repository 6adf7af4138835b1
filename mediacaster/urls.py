"""URLs of library entries and static assets, built in one place for pages and the API."""

from pyramid.traversal import PATH_SAFE, quote_path_segment

from mediacaster.routes import STATIC_DIR


def includeme(config):
    config.add_request_method(entry_url, "entry_url")
    config.add_request_method(library_url, "library_url")
    config.add_request_method(stream_url, "stream_url")
    config.add_request_method(download_url, "download_url")
    config.add_request_method(subtitle_url, "subtitle_url")
    config.add_request_method(picture_url, "picture_url")
    config.add_request_method(asset_url, "asset_url")


def entry_url(request, route, root, segments=(), **kw):
    """URL of a ``/{root}*path`` route, each segment percent-encoded as Pyramid does.

    A folder of 10,000 files needs 40,000 URLs, and ``route_url`` costs about
    10 µs each: the URL of the root is built once per request and the path,
    quoted the way Pyramid quotes a ``*path`` remainder, appended to it.
    """
    if kw:
        remainder = "/" + "/".join(segments) if segments else ""
        return request.route_url(route, root=root, path=remainder, **kw)
    prefixes = request.__dict__.setdefault("_entry_url_prefixes", {})
    prefix = prefixes.get((route, root))
    if prefix is None:
        prefix = prefixes[(route, root)] = request.route_url(route, root=root, path="")
    if not segments:
        return prefix
    return prefix + "/" + quote_path_segment("/".join(segments), safe=PATH_SAFE)


def library_url(request, root, segments=(), **query):
    return entry_url(request, "library.folder", root, segments, **({"_query": query} if query else {}))


def stream_url(request, entry):
    return entry_url(request, "media.stream", entry.root, entry.segments) + _signature(request, entry)


def download_url(request, entry):
    return entry_url(request, "media.download", entry.root, entry.segments) + _signature(request, entry)


def subtitle_url(request, entry, track_id):
    return (
        entry_url(request, "media.subtitles", entry.root, entry.segments)
        + _signature(request, entry)
        + f"&track={track_id}"
    )


def picture_url(request, entry):
    return entry_url(request, "media.picture", entry.root, entry.segments) + _signature(request, entry)


def device_media_url(request, entry, address, route="media.stream", query=""):
    """The signed, absolute URL a cast device fetches the entry (or its ``route``) from.

    ``address`` is this machine's end of the connection to the device (see
    ``CastService.local_address``): an address the device demonstrably
    reaches, never a host name, loopback for a remote device, or a VPN or
    container bridge. ``mediacaster.public_url`` replaces it, for example when
    nginx serves the app under a prefix.
    """
    base = request.registry.app_settings.public_url
    if not base:
        host = f"[{address}]" if ":" in address else address
        base = f"http://{host}:{request.server_port}{request.script_name}"
    url = entry_url(request, route, entry.root, entry.segments, _app_url=base)
    return url + _signature(request, entry) + query


def _signature(request, entry):
    """``?exp=…&sig=…`` for the entry: media URLs always carry one (a device sends no cookie)."""
    cache = request.__dict__.setdefault("_media_signatures", {})
    key = (entry.root, entry.path)
    if key not in cache:
        params = request.registry.signer.sign(entry.root, entry.path)
        cache[key] = f"?exp={params['exp']}&sig={params['sig']}"
    return cache[key]


def asset_url(request, name):
    return request.static_url(str(STATIC_DIR / name))

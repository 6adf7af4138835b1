"""URLs of library entries and static assets, built in one place for pages and the API."""

from mediacaster.routes import STATIC_DIR


def includeme(config):
    config.add_request_method(entry_url, "entry_url")
    config.add_request_method(library_url, "library_url")
    config.add_request_method(stream_url, "stream_url")
    config.add_request_method(download_url, "download_url")
    config.add_request_method(asset_url, "asset_url")


def entry_url(request, route, root, segments=(), **kw):
    """URL of a ``/{root}*path`` route; Pyramid percent-encodes each segment."""
    remainder = "/" + "/".join(segments) if segments else ""
    return request.route_url(route, root=root, path=remainder, **kw)


def library_url(request, root, segments=(), **query):
    return entry_url(request, "library.folder", root, segments, _query=query or None)


def stream_url(request, entry):
    return entry_url(request, "media.stream", entry.root, entry.segments)


def download_url(request, entry):
    return entry_url(request, "media.download", entry.root, entry.segments)


def asset_url(request, name):
    return request.static_url(str(STATIC_DIR / name))

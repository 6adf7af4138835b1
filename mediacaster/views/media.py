"""Media files for players and downloads: byte ranges, preconditions, CORS, signatures.

Browsers and Chromecasts open several overlapping requests for one video (a
plain GET they drop, ``bytes=0-``, the tail for the MP4 index, the middle
after a seek), each answered here by seeking, never by reading what is skipped.
"""

from pyramid.response import Response
from pyramid.security import NO_PERMISSION_REQUIRED
from pyramid.view import view_config

from mediacaster.bytenames import quote
from mediacaster.errors import NotFound
from mediacaster.lifecycle import services_of
from mediacaster.mediatypes import is_active
from mediacaster.services.pictures import SCREENS
from mediacaster.views.inputs import entry_path
from mediacaster.views.responses import (
    CACHE_CONTROL,
    cached_response,
    check_signature,
    content_disposition,
    file_response,
    signed_entry,
)

# CORS and the other headers of every media answer: views/headers.py.
PREFLIGHT_HEADERS = {
    "Access-Control-Allow-Methods": "GET, HEAD, OPTIONS",
    "Access-Control-Allow-Headers": "Range, If-Range, If-Match, If-None-Match, "
    "If-Modified-Since, If-Unmodified-Since, Content-Type",
    "Access-Control-Max-Age": "86400",
}


@view_config(route_name="media.stream", permission=NO_PERMISSION_REQUIRED, request_method=("GET", "HEAD"))
@view_config(route_name="media.download", permission=NO_PERMISSION_REQUIRED, request_method=("GET", "HEAD"))
def media(request):
    services = services_of(request)
    download = request.matched_route.name == "media.download"
    accel = services.settings.accel_redirect
    if accel:
        return accel_redirect(request, accel, signed_entry(request), download)
    root, segments = entry_path(request)
    check_signature(request, root, segments)
    file, entry = services.library.open(root, segments)
    try:
        return file_response(request, file, entry, download)
    except BaseException:
        file.close()
        raise


@view_config(route_name="media.subtitles", permission=NO_PERMISSION_REQUIRED, request_method=("GET", "HEAD"))
def subtitles(request):
    """A subtitle track of a video as WebVTT (converted once, then cached)."""
    entry = signed_entry(request)
    vtt = services_of(request).playback.webvtt(entry, request.params.get("track", ""))
    response = Response(body=vtt)
    response.content_type, response.charset = "text/vtt", "utf-8"
    response.cache_control = CACHE_CONTROL
    return response


@view_config(route_name="media.picture", permission=NO_PERMISSION_REQUIRED, request_method=("GET", "HEAD"))
def picture(request):
    """A poster, cover art or preview of the file, as a cached JPEG; ``?screen=1080``: an
    image fitted into a screen of that height, for a slideshow."""
    entry = signed_entry(request)
    screen = request.GET.get("screen")
    if screen is not None and (not screen.isdigit() or int(screen) not in SCREENS or entry.kind != "image"):
        sizes = ", ".join(map(str, SCREENS))
        raise NotFound(f"a screen-sized picture is of an image, for a screen of {sizes} lines")
    jpeg = services_of(request).playback.picture(entry, int(screen) if screen else None)
    return cached_response(request, jpeg, entry, "picture.jpg", "the picture")


@view_config(route_name="media.stream", permission=NO_PERMISSION_REQUIRED, request_method="OPTIONS")
@view_config(route_name="media.download", permission=NO_PERMISSION_REQUIRED, request_method="OPTIONS")
@view_config(route_name="media.subtitles", permission=NO_PERMISSION_REQUIRED, request_method="OPTIONS")
@view_config(route_name="media.picture", permission=NO_PERMISSION_REQUIRED, request_method="OPTIONS")
@view_config(route_name="media.playlist", permission=NO_PERMISSION_REQUIRED, request_method="OPTIONS")
@view_config(route_name="media.manifest", permission=NO_PERMISSION_REQUIRED, request_method="OPTIONS")
@view_config(route_name="media.segment", permission=NO_PERMISSION_REQUIRED, request_method="OPTIONS")
def preflight(request):
    """CORS preflight: the Cast receiver fetches tracks and segments cross-origin."""
    return Response(status=204, headers=PREFLIGHT_HEADERS)


def accel_redirect(request, prefix, entry, download):
    """Let nginx send the bytes (sendfile, ranges) once the app has said yes."""
    response = Response(status=200)
    response.headers["X-Accel-Redirect"] = f"{prefix}/{quote(entry.root)}/{quote(entry.path)}"
    response.content_type = entry.content_type
    if download or is_active(entry.content_type):
        response.headers["Content-Disposition"] = content_disposition(entry.name)
    response.app_iter = []
    return response

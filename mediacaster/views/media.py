"""Media files for players and downloads: byte ranges, preconditions, CORS, signatures.

Browsers and Chromecasts open several overlapping requests for one video (a
plain GET they drop, ``bytes=0-``, the tail for the MP4 index, the middle
after a seek), each answered here by seeking, never by reading what is skipped.
"""

import os
import secrets
import unicodedata
from urllib.parse import quote

from pyramid.httpexceptions import HTTPForbidden, HTTPNotFound, HTTPUnprocessableEntity
from pyramid.response import Response
from pyramid.view import view_config

from mediacaster import byteranges
from mediacaster.filebody import MultipartRanges, file_body
from mediacaster.services.library import LibraryService
from mediacaster.services.pictures import PictureError
from mediacaster.services.subtitles import SubtitleError
from mediacaster.signing import SignatureError
from mediacaster.views.entries import folder_names, load_entry, matched_entry_path, probe_now, subtitle_tracks

CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Expose-Headers": "Content-Range, Accept-Ranges, Content-Length, Content-Type, ETag",
}
PREFLIGHT_HEADERS = {
    **CORS_HEADERS,
    "Access-Control-Allow-Methods": "GET, HEAD, OPTIONS",
    "Access-Control-Allow-Headers": "Range, If-Range, If-Match, If-None-Match, "
    "If-Modified-Since, If-Unmodified-Since, Content-Type",
    "Access-Control-Max-Age": "86400",
}
CACHE_CONTROL = "private, max-age=300"


@view_config(route_name="media.stream", request_method=("GET", "HEAD"))
@view_config(route_name="media.download", request_method=("GET", "HEAD"))
def media(request):
    download = request.matched_route.name == "media.download"
    accel = request.registry.app_settings.accel_redirect
    if accel:
        entry, _ = signed_entry(request)
        return accel_redirect(request, accel, entry, download)
    root, segments = matched_entry_path(request)
    check_signature(request, root, segments)
    file, entry = request.registry.library.open(root, segments)
    try:
        return file_response(request, file, entry, download)
    except BaseException:
        file.close()
        raise


@view_config(route_name="media.subtitles", request_method=("GET", "HEAD"))
def subtitles(request):
    """A subtitle track of a video as WebVTT (converted once, then cached)."""
    entry, path = signed_entry(request)
    probe = probe_now(request, entry)
    tracks = {str(t.id): t for t in subtitle_tracks(request, entry, probe)}
    track = tracks.get(request.params.get("track", ""))
    if track is None:
        raise HTTPNotFound(f"{entry.name} has no subtitle track {request.params.get('track')!r}")
    try:
        vtt = request.registry.subtitles.webvtt(path, os.stat(path), track)
    except SubtitleError as error:
        raise HTTPUnprocessableEntity(str(error)) from None
    response = Response(body=vtt, headers=CORS_HEADERS)
    response.content_type, response.charset = "text/vtt", "utf-8"
    response.cache_control = CACHE_CONTROL
    return response


@view_config(route_name="media.picture", request_method=("GET", "HEAD"))
def picture(request):
    """A poster, cover art or preview of the file, as a cached JPEG."""
    entry, path = signed_entry(request)
    try:
        jpeg = request.registry.pictures.picture(
            path, entry.kind, probe_now(request, entry), folder_names(request, entry)
        )
    except (PictureError, OSError) as error:
        raise HTTPNotFound(str(error)) from None
    file = open(jpeg, "rb")  # noqa: SIM115 - the response body owns and closes it
    try:
        st = os.fstat(file.fileno())
        return file_response(
            request, file, LibraryService.make_entry(entry.root, entry.path, "picture.jpg", st), False
        )
    except BaseException:
        file.close()
        raise


def signed_entry(request):
    """The file a signed media-family URL names: ``(entry, path on disk)``."""
    root, segments = matched_entry_path(request)
    check_signature(request, root, segments)
    entry = load_entry(request, root, segments)
    if entry.is_dir:
        raise HTTPNotFound("a folder is not a media file")
    return entry, request.registry.library.file_key(entry)[0]


@view_config(route_name="media.stream", request_method="OPTIONS")
@view_config(route_name="media.download", request_method="OPTIONS")
@view_config(route_name="media.subtitles", request_method="OPTIONS")
@view_config(route_name="media.picture", request_method="OPTIONS")
def preflight(request):
    """CORS preflight: the Cast receiver fetches tracks and segments cross-origin."""
    return Response(status=204, headers=PREFLIGHT_HEADERS)


def check_signature(request, root, segments):
    if not request.registry.app_settings.require_signed_media:
        return
    params = request.GET
    try:
        request.registry.signer.verify(root, "/".join(segments), params.get("exp"), params.get("sig"))
    except SignatureError as error:
        raise HTTPForbidden(str(error)) from None


def file_response(request, file, entry, download):
    """Answer from the open ``file``, whose ``entry`` came from its fstat."""
    size = entry.size
    etag = byteranges.make_etag(size, entry.mtime_ns, entry.inode)
    decision = byteranges.decide(request.headers, request.method, size, etag, entry.mtime)

    response = Response(status=decision.status, headers=CORS_HEADERS)
    response.headers["Accept-Ranges"] = "bytes"
    if decision.status in (200, 206, 304):
        response.headers["ETag"] = etag
        response.headers["Last-Modified"] = byteranges.http_date(entry.mtime)
        response.cache_control = CACHE_CONTROL
    if decision.status in (304, 412):
        file.close()
        response.app_iter = []
        return response
    if decision.status == 416:
        file.close()
        response.headers["Content-Range"] = f"bytes */{size}"
        response.content_type = "text/plain"
        response.text = f"no part of the range is inside the file ({size} bytes)\n"
        return response

    response.content_type = entry.content_type
    if download:
        response.headers["Content-Disposition"] = content_disposition(entry.name)

    if decision.status == 206 and len(decision.ranges) > 1:
        boundary = secrets.token_hex(12)
        body = MultipartRanges(file, decision.ranges, size, entry.content_type, boundary)
        response.content_type = f"multipart/byteranges; boundary={boundary}"
        content_length = body.length
    else:
        first, last = decision.ranges[0] if decision.status == 206 else (0, size - 1)
        content_length = last - first + 1 if size else 0
        if decision.status == 206:
            response.headers["Content-Range"] = byteranges.content_range(first, last, size)
        body = None if request.method == "HEAD" else file_body(request.environ, file, first, content_length)

    if request.method == "HEAD":
        file.close()
        body = []
    response.app_iter = body
    response.content_length = content_length
    return response


def accel_redirect(request, prefix, entry, download):
    """Let nginx send the bytes (sendfile, ranges) once the app has said yes."""
    response = Response(status=200, headers=CORS_HEADERS)
    response.headers["X-Accel-Redirect"] = f"{prefix}/{quote(entry.root)}/{quote(entry.path)}"
    response.content_type = entry.content_type
    if download:
        response.headers["Content-Disposition"] = content_disposition(entry.name)
    response.app_iter = []
    return response


def content_disposition(name):
    """``attachment`` with an ASCII fallback and the exact name in RFC 6266 ``filename*``."""
    fallback = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    fallback = "".join("_" if c in '"\\' or ord(c) < 32 else c for c in fallback) or "download"
    value = f'attachment; filename="{fallback}"'
    if fallback != name:
        value += f"; filename*=UTF-8''{quote(name, safe='')}"
    return value

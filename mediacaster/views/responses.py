"""Answers made of files, for the media-family views: signed URLs in, byte ranges out.

A media URL carries its signature (a device sends no cookie), checked here; the
answer, whether the library's file or one of the app's cache made from it
(a picture, a converted segment), is a :func:`file_response`: ranges,
preconditions and validators (RFC 9110).
"""

import os
import secrets
import unicodedata

from pyramid.response import Response

from mediacaster import byteranges
from mediacaster.bytenames import encode, quote
from mediacaster.errors import NotFound
from mediacaster.filebody import MultipartRanges, file_body
from mediacaster.lifecycle import services_of
from mediacaster.mediatypes import is_active
from mediacaster.services.library import LibraryService
from mediacaster.signing import SignatureError
from mediacaster.urls import SIGNED_FOR
from mediacaster.views.inputs import entry_path

CACHE_CONTROL = "private, max-age=300"


def cached_response(request, path, entry, name, what):
    """Answer with the file at ``path`` of the app's cache, made from ``entry``, served as ``name``."""
    try:
        file = open(path, "rb")  # noqa: SIM115 - the response body owns and closes it
    except OSError:
        raise NotFound(f"{what} was removed from the cache meanwhile; ask again") from None
    return open_cached_response(request, file, entry, name)


def open_cached_response(request, file, entry, name):
    """Answer with the open ``file`` of the app's cache (which the answer closes), made
    from ``entry``, served as ``name``."""
    try:
        st = os.fstat(file.fileno())
        cached = LibraryService.make_entry(entry.root, entry.path, name, st)
        return file_response(request, file, cached, False)
    except BaseException:
        file.close()
        raise


def signed_entry(request, suffix=False):
    """The file a signed media-family URL names; with ``suffix``, ``(entry, name)`` of a
    URL whose path ends with a name of the app's (a segment's, after the file's path)."""
    root, segments = entry_path(request)
    name = None
    if suffix:
        if not segments:
            raise NotFound("no such file or folder")
        segments, name = segments[:-1], segments[-1]
    check_signature(request, root, segments)
    entry = services_of(request).library.entry(root, segments)
    if entry.is_dir:
        raise NotFound("a folder is not a media file")
    return (entry, name) if suffix else entry


def check_signature(request, root, segments):
    """Check a media URL's signature, and with logins on, that the user it was made for
    still sees its root; the URLs this request makes are made for the same user."""
    services = services_of(request)
    settings = services.settings
    if not (settings.require_signed_media or settings.auth):
        return
    params = request.GET
    user = params.get("u")
    services.signer.verify(root, "/".join(segments), params.get("exp"), params.get("sig"), user=user)
    if settings.auth:
        if user is None:
            raise SignatureError("this media URL was made while logins were off: ask the app for a fresh one")
        if not services.root_access.sees(int(user), root):
            raise SignatureError("the account this media URL was made for no longer sees this file")
        request.__dict__[SIGNED_FOR] = int(user)


def file_response(request, file, entry, download):
    """Answer from the open ``file``, whose ``entry`` came from its fstat."""
    size = entry.size
    etag = byteranges.make_etag(size, entry.mtime_ns, entry.inode)
    decision = byteranges.decide(request.headers, request.method, size, etag, entry.mtime)

    response = Response(status=decision.status)
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
    if download or is_active(entry.content_type):
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


def content_disposition(name):
    """``attachment`` with an ASCII fallback and the exact name in RFC 6266 ``filename*``."""
    name = encode(name).decode("utf-8", "replace")  # a file name to save: readable, not escaped
    fallback = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    fallback = "".join("_" if c in '"\\' or ord(c) < 32 else c for c in fallback) or "download"
    value = f'attachment; filename="{fallback}"'
    if fallback != name:
        value += f"; filename*=UTF-8''{quote(name, safe='')}"
    return value

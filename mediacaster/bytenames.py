"""File names that are bytes rather than UTF-8 text, kept without loss.

A NAS share written by old Samba or Windows clients holds names such as
``caf\\xe9.mp4`` (Latin-1). Python reads them as text in which each byte that
is not UTF-8 becomes a lone surrogate, U+DC80 to U+DCFF (PEP 383's
``surrogateescape``), so the rest of the app handles them as any other name:
the library opens them, ffmpeg gets the original bytes. Only the edges need
care, and they are all here:

- URLs carry the original bytes percent-encoded (``caf%E9.mp4``);
  :func:`routable` lets such a request reach its view.
- JSON carries the surrogate as an escape (``"caf\\udce9.mp4"``), which
  Python's and JavaScript's JSON parsers read back into the same name, so a
  path from a listing can be sent back as it is.
- Pages show the byte as ``\\xe9``: readable, and distinct from every other
  name but one holding that very text (a backslash, which Windows and SMB
  clients cannot write).
"""

import json
from urllib.parse import quote as _quote

import orjson
from pyramid.tweens import INGRESS

# WSGI key of the request path as the library names it, when the URL's own
# PATH_INFO cannot be routed as it is (see routable).
REAL_PATH = "mediacaster.real_path_info"


def encode(text):
    """The bytes a name stands for."""
    return text.encode("utf-8", "surrogateescape")


def decode(data):
    """The name ``data`` (bytes) stands for: the inverse of :func:`encode`."""
    return data.decode("utf-8", "surrogateescape")


def is_text(text):
    """True when ``text`` is valid Unicode (no byte that was not UTF-8)."""
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def shown(text):
    """``text`` for people: each byte that is not UTF-8 written as ``\\xe9``."""
    return text if is_text(text) else encode(text).decode("utf-8", "backslashreplace")


def quote(text, safe="/"):
    """Percent-encode ``text`` for a URL, bytes that are not UTF-8 included."""
    return _quote(encode(text), safe=safe)


def dumps(value):
    """JSON bytes; orjson, or for the rare value holding a name that is not
    UTF-8 (orjson refuses lone surrogates), the standard library's escapes."""
    try:
        return orjson.dumps(value)
    except TypeError:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=True, allow_nan=False).encode()


def finalize(value):
    """Jinja's ``finalize``: whatever a page prints is valid text."""
    return shown(value) if type(value) is str else value


def routable(environ):
    """Make a request for a name Pyramid cannot route reach its view.

    Pyramid decodes ``PATH_INFO`` as strict UTF-8 and its ``*path`` patterns
    stop at a line break, so a link to ``caf\\xe9.mp4`` or to a name holding a
    newline would answer 400 or 404. Such a path is routed through a stand-in
    (``?`` for each such character) and the real one is kept under
    :data:`REAL_PATH` for :func:`real_names`.
    """
    raw = environ.get("PATH_INFO", "")
    try:
        path = raw.encode("latin-1").decode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # not a WSGI byte string: leave it to Pyramid
        return
    if "\n" not in path and is_text(path):
        return
    environ[REAL_PATH] = path
    stand_in = path.replace("\n", "?").encode("utf-8", "replace")
    environ["PATH_INFO"] = stand_in.decode("latin-1")


def request_url(request):
    """The request's URL as the client sent it: ``request.url`` holds the stand-in."""
    path = request.environ.get(REAL_PATH)
    if path is None:
        return request.url
    query = request.environ.get("QUERY_STRING")
    url = request.application_url + quote(path)
    return f"{url}?{query}" if query else url


def real_names(environ, root, segments):
    """The real ``(root, segments)`` of a routed ``/{root}*path`` (see :func:`routable`)."""
    path = environ.get(REAL_PATH)
    if path is None:
        return root, segments
    parts = [part for part in path.split("/") if part]
    count = len(segments) + 1
    return parts[-count], tuple(parts[-count + 1 :]) if segments else ()


def tween_factory(handler, registry):
    def routable_tween(request):
        routable(request.environ)
        return handler(request)

    return routable_tween


def includeme(config):
    # Over everything else, so routing sees the stand-in path.
    config.add_tween("mediacaster.bytenames.tween_factory", under=INGRESS)

"""Headers every response carries, set in one place: security headers, and CORS for media.

- Pages: a strict Content-Security-Policy (scripts, styles, pictures and media
  from this origin only, no inline script, no framing; the web app manifest from
  this origin too), ``X-Frame-Options`` for older browsers.
- Media, downloads, subtitles and pictures: CORS, so that a Cast receiver can
  fetch them (and read why it failed), and ``Content-Security-Policy: sandbox``,
  so that a library file a browser would run (HTML, SVG) runs nothing.
- Everything: ``nosniff`` (the declared type is the type) and no Referer to
  other sites (media URLs carry their signature). ``same-origin``, not
  ``no-referrer``: under ``no-referrer`` Chromium sends ``Origin: null`` with
  the app's own form posts, which the same-origin check must then refuse.
"""

from pyramid.events import NewResponse, subscriber

MEDIA_ROUTES = frozenset(
    {
        "media.stream",
        "media.download",
        "media.subtitles",
        "media.picture",
        "media.playlist",
        "media.manifest",
        "media.segment",
    }
)
CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Expose-Headers": "Content-Range, Accept-Ranges, Content-Length, Content-Type, ETag, "
    "Retry-After",
}
EVERYWHERE = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin"}
PAGE_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "media-src 'self' blob:; connect-src 'self'; manifest-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
PAGE_HEADERS = {**EVERYWHERE, "Content-Security-Policy": PAGE_POLICY, "X-Frame-Options": "DENY"}
MEDIA_HEADERS = {**EVERYWHERE, **CORS_HEADERS, "Content-Security-Policy": "sandbox"}
DATA_HEADERS = {**EVERYWHERE, "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'"}


@subscriber(NewResponse)
def response_headers(event):
    route = getattr(event.request, "matched_route", None)
    if route is not None and route.name in MEDIA_ROUTES:
        headers = MEDIA_HEADERS
    elif (event.response.content_type or "").startswith("text/html"):
        headers = PAGE_HEADERS
    else:
        headers = DATA_HEADERS
    event.response.headers.update(headers)

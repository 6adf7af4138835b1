"""Requests that change state come from this site, or from a script, never from another site's page.

SameSite keeps the session cookie out of other sites' requests, and requests
without the cookie skip the CSRF token; but such a request still reached the
API: a ``text/plain`` form or a ``no-cors`` fetch on any web page could cast to
the TV. Browsers say where a request comes from (``Sec-Fetch-Site``, and
``Origin`` on every cross-origin POST); scripts send neither. So every view
that answers POST, PUT, PATCH or DELETE refuses, whether a cookie came or not:

- a request a browser marks as coming from another site, or whose ``Origin``
  is not this app's;
- under ``/api/``, a body that is not ``application/json`` (a form, or the
  ``text/plain`` a ``no-cors`` fetch may send).

Cookie requests also need the page's CSRF token (``mediacaster.session``).
"""

from mediacaster.errors import AppError, Forbidden

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
SAME_SITE = frozenset({"same-origin", "none"})  # "none": typed by the user, a bookmark


class CrossSite(Forbidden):
    code = "cross_site"
    default_detail = "this request comes from another site's page; nothing was changed"


class JsonRequired(AppError):
    status, code = 415, "json_required"
    default_detail = "send the body as JSON, with Content-Type: application/json"


def includeme(config):
    config.add_view_deriver(same_origin_only)


def same_origin_only(view, info):
    if info.exception_only:
        return view

    def checked(context, request):
        if request.method not in SAFE_METHODS:
            check(request)
        return view(context, request)

    return checked


def check(request):
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None and site not in SAME_SITE:
        raise CrossSite()
    origin = request.headers.get("Origin")
    if origin is not None and origin != request.host_url:
        raise CrossSite(f"this request comes from {origin}, not from this app; nothing was changed")
    if request.path_info.startswith("/api/") and request.body and request.content_type != "application/json":
        raise JsonRequired()

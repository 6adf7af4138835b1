"""Error responses: HTML pages for people, ``{"error", "detail"}`` JSON under /api/."""

import logging

import redis
from pyramid.exceptions import BadCSRFOrigin, BadCSRFToken, PredicateMismatch
from pyramid.httpexceptions import HTTPException, HTTPServiceUnavailable
from pyramid.renderers import render_to_response
from pyramid.view import exception_view_config, notfound_view_config

from mediacaster.services.cast import CastError
from mediacaster.services.library import NotFound
from mediacaster.views.media import CORS_HEADERS

log = logging.getLogger(__name__)


def error_response(request, status, code, detail):
    if request.path_info == "/api" or request.path_info.startswith("/api/"):
        response = render_to_response("json", {"error": code, "detail": detail}, request)
    else:
        response = render_to_response(
            "error.jinja2", {"status": status, "code": code, "detail": detail}, request
        )
    response.status_int = status
    if request.path_info.startswith(("/media/", "/download/", "/subtitles/", "/picture/")):
        # A Cast receiver fetching cross-origin can then read why it failed.
        response.headers.update(CORS_HEADERS)
    return response


def allowed_methods(request):
    """Methods the views of the matched route accept, from Pyramid's introspector."""
    introspector = request.registry.introspector
    route = introspector.get("routes", request.matched_route.name)
    methods = set()
    for view in introspector.related(route) if route else ():
        if view.category_name == "views":
            accepted = view["request_methods"] or ()
            methods.update((accepted,) if isinstance(accepted, str) else accepted)
    if "GET" in methods:
        methods.add("HEAD")
    return methods


def _code(exc):
    """A stable machine-readable name: 'not_found', 'bad_request', or the exception's own."""
    return getattr(exc, "error_code", None) or "_".join(exc.title.lower().replace("-", " ").split())


@notfound_view_config()
def not_found(exc, request):
    if isinstance(exc, PredicateMismatch) and request.matched_route is not None:
        allowed = allowed_methods(request)
        if allowed and request.method not in allowed:
            response = error_response(
                request, 405, "method_not_allowed", f"{request.method} is not allowed here"
            )
            response.allow = sorted(allowed)
            return response
    detail = exc.detail if isinstance(exc.detail, str) and exc.detail else "nothing here"
    if detail.startswith("/"):  # Pyramid's own detail for an unmatched URL
        detail = f"no page at {request.path_info}"
    return error_response(request, 404, "not_found", detail)


@exception_view_config(NotFound)
def library_not_found(exc, request):
    return error_response(request, 404, "not_found", str(exc))


@exception_view_config(HTTPException)
def http_error(exc, request):
    if exc.code < 400:
        return exc  # redirects and the like pass through
    detail = exc.detail if isinstance(exc.detail, str) and exc.detail else exc.explanation
    response = error_response(request, exc.code, _code(exc), detail)
    for name in ("Allow", "WWW-Authenticate", "Retry-After"):
        if name in exc.headers:
            response.headers[name] = exc.headers[name]
    return response


# How the cast service's errors answer over HTTP.
CAST_STATUS = {
    "unknown_device": 404,
    "device_unreachable": 503,
    "device_timeout": 504,
    "unsupported_media": 415,
    "load_failed": 502,
    "nothing_playing": 409,
}


@exception_view_config(CastError)
def cast_error(exc, request):
    return error_response(request, CAST_STATUS.get(exc.code, 502), exc.code, str(exc))


@exception_view_config(BadCSRFToken)
@exception_view_config(BadCSRFOrigin)
def csrf_failed(exc, request):
    return error_response(
        request,
        403,
        "csrf_failed",
        "this request carries the session cookie but not its token: send the csrf_token "
        "of GET /api/session in the X-CSRF-Token header",
    )


@exception_view_config(redis.RedisError)
def session_store_down(exc, request):
    log.warning("session store unavailable: %s", exc)
    response = error_response(
        request,
        HTTPServiceUnavailable.code,
        "session_store_unavailable",
        "the session store (Redis) cannot be reached; browsing and playing still work, "
        "sessions will be back when Redis is",
    )
    response.headers["Retry-After"] = "5"
    return response


@exception_view_config(Exception)
def server_error(exc, request):
    log.exception("unexpected error on %s %s", request.method, request.path_qs)
    return error_response(
        request, 500, "internal_error", "something went wrong on the server; it has been logged"
    )

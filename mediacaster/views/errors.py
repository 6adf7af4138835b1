"""The one exception view: every failure becomes a page for people or JSON for scripts.

Whatever was raised (the app's own errors, Pyramid's not-found and CSRF
failures, Redis going away, a bug) is first translated into an
:class:`~mediacaster.errors.AppError`, then rendered by the same view, which
is registered with the ``path_info`` predicate for the JSON API, and without
it for pages.
"""

import logging

import redis
from pyramid.exceptions import BadCSRFOrigin, BadCSRFToken, PredicateMismatch
from pyramid.httpexceptions import HTTPException, HTTPNotFound
from pyramid.view import exception_view_config

from mediacaster.errors import AppError, Forbidden, MethodNotAllowed, NotFound, Unavailable

log = logging.getLogger(__name__)

# Requests under /api/ (below any URL prefix, which Pyramid keeps out of path_info).
API_PATH = r"^/api(/|$)"


class CsrfFailed(Forbidden):
    code = "csrf_failed"
    default_detail = (
        "this request carries the session cookie but not its token: send the csrf_token "
        "of GET /api/session in the X-CSRF-Token header"
    )


class SessionStoreUnavailable(Unavailable):
    code = "session_store_unavailable"
    default_detail = (
        "the session store (Redis) cannot be reached; browsing and playing still work, "
        "sessions will be back when Redis is"
    )


def as_app_error(exc, request):
    """The :class:`AppError` that answers ``exc``."""
    if isinstance(exc, AppError):
        return exc
    if isinstance(exc, (BadCSRFToken, BadCSRFOrigin)):
        return CsrfFailed()
    if isinstance(exc, PredicateMismatch) and getattr(request, "matched_route", None) is not None:
        allowed = allowed_methods(request)
        if allowed and request.method not in allowed:
            return MethodNotAllowed(
                f"{request.method} is not allowed here", headers={"Allow": ", ".join(sorted(allowed))}
            )
    if isinstance(exc, HTTPNotFound):
        detail = exc.detail if isinstance(exc.detail, str) and exc.detail else ""
        if not detail or detail.startswith("/"):  # Pyramid's own detail for an unmatched URL
            detail = f"no page at {request.path_info}"
        return NotFound(detail)
    if isinstance(exc, HTTPException):
        error = AppError(exc.detail if isinstance(exc.detail, str) and exc.detail else exc.explanation)
        error.status = exc.code
        error.code = "_".join(exc.title.lower().replace("-", " ").split())
        return error
    if isinstance(exc, redis.RedisError):
        log.warning("session store unavailable: %s", exc)
        return SessionStoreUnavailable(retry_after=5)
    log.error("unexpected error on %s %s", request.method, request.path_qs, exc_info=exc)
    return AppError()


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


# Registered for HTTPException too, which Pyramid's own default view would
# otherwise answer (as text/plain), being more specific than Exception.
@exception_view_config(HTTPException, path_info=API_PATH, renderer="json")
@exception_view_config(HTTPException, renderer="error.jinja2")
@exception_view_config(Exception, path_info=API_PATH, renderer="json")
@exception_view_config(Exception, renderer="error.jinja2")
def error_view(exc, request):
    if isinstance(exc, HTTPException) and exc.code < 400:
        return exc  # redirects and the like pass through
    error = as_app_error(exc, request)
    request.response.status_int = error.status
    request.response.headers.update(error.headers)
    return {"error": error.code, "detail": error.detail}

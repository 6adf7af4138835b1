"""The one exception view: every failure becomes a page for people or JSON for scripts.

Whatever was raised (the app's own errors, Pyramid's not-found and CSRF
failures, Redis going away, a bug) is first translated into an
:class:`~mediacaster.errors.AppError`, then rendered by the same view, which
is registered with the ``api_path`` predicate for the JSON API, and without
it for pages.
"""

import logging
import re
from urllib.parse import unquote_to_bytes

import redis
from pyramid.exceptions import BadCSRFOrigin, BadCSRFToken, PredicateMismatch, URLDecodeError
from pyramid.httpexceptions import HTTPException, HTTPForbidden, HTTPNotFound, HTTPSeeOther
from pyramid.view import exception_view_config

from mediacaster.errors import (
    AppError,
    BadRequest,
    DatabaseUnavailable,
    DiskFull,
    Forbidden,
    MethodNotAllowed,
    NotFound,
    SessionStoreUnavailable,
)
from mediacaster.models import OUTAGES, is_disk_full, one_line

log = logging.getLogger(__name__)

# Requests under /api/ (below any URL prefix, which Pyramid keeps out of path_info),
# read from the raw PATH_INFO: a path that is not UTF-8 must still get its error.
API_PATH = re.compile(r"^/api(/|$)")


class ApiPathPredicate:
    """View predicate ``api_path=True``: the request is under /api/."""

    def __init__(self, value, config):
        self.value = value

    def text(self):
        return f"api_path = {self.value}"

    phash = text

    def __call__(self, context, request):
        return bool(API_PATH.match(request.environ.get("PATH_INFO", ""))) == self.value


def includeme(config):
    config.add_view_predicate("api_path", ApiPathPredicate)


class LoginRequired(AppError):
    status, code = 401, "login_required"
    default_detail = "log in, or send an API token as Authorization: Bearer <token>"

    def __init__(self, detail=None):
        super().__init__(detail, headers={"WWW-Authenticate": 'Bearer realm="mediacaster"'})


class CsrfFailed(Forbidden):
    code = "csrf_failed"
    default_detail = (
        "this request carries the session cookie but not its token: send the csrf_token "
        "of GET /api/session in the X-CSRF-Token header"
    )


def as_app_error(exc, request):
    """The :class:`AppError` that answers ``exc``."""
    if isinstance(exc, AppError):
        return exc
    if isinstance(exc, (BadCSRFToken, BadCSRFOrigin)):
        return CsrfFailed()
    if isinstance(exc, URLDecodeError):
        return BadRequest("the address is not valid: its %-escapes do not spell UTF-8 text")
    if isinstance(exc, UnicodeDecodeError) and not _is_utf8(request.environ.get("QUERY_STRING", "")):
        return BadRequest("the query string is not valid: its %-escapes do not spell UTF-8 text")
    if isinstance(exc, PredicateMismatch) and getattr(request, "matched_route", None) is not None:
        allowed = allowed_methods(request)
        if allowed and request.method not in allowed:
            return MethodNotAllowed(
                f"{request.method} is not allowed here", headers={"Allow": ", ".join(sorted(allowed))}
            )
    if isinstance(exc, HTTPForbidden) and getattr(exc, "result", None) is not None:
        return Forbidden(str(exc.result))  # the security policy's reason, not Pyramid's view name
    if isinstance(exc, HTTPNotFound):
        detail = exc.detail if isinstance(exc.detail, str) and exc.detail else ""
        if not detail or detail.startswith("/"):  # Pyramid's own detail for an unmatched URL
            detail = f"no page at {_raw_path(request)}"
        return NotFound(detail)
    if isinstance(exc, HTTPException):
        error = AppError(exc.detail if isinstance(exc.detail, str) and exc.detail else exc.explanation)
        error.status = exc.code
        error.code = "_".join(exc.title.lower().replace("-", " ").split())
        return error
    if isinstance(exc, redis.RedisError):
        # Wherever Redis failed (the session, a login limit, a cache that lets errors through).
        log.warning("session store unavailable: %s", exc)
        if str(exc).startswith("MISCONF"):  # it refuses writes it cannot save: its disk is full
            return DiskFull("the server's disk is full, so sessions and logins cannot be saved: free space")
        return SessionStoreUnavailable()
    if isinstance(exc, OUTAGES):
        # Wherever the database failed: a query, the commit, the pool's wait for a connection.
        log.warning("database unavailable: %s", one_line(getattr(exc, "orig", None) or exc))
        return DiskFull() if is_disk_full(exc) else DatabaseUnavailable()
    try:
        where = request.path_qs
    except UnicodeDecodeError:
        where = _raw_path(request)
    log.error("unexpected error on %s %s", request.method, where, exc_info=exc)
    return AppError()


def _is_utf8(query):
    try:
        unquote_to_bytes(query.replace("+", " ")).decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _raw_path(request):
    """The request's path as text, whatever bytes it holds (Pyramid's own decoding may fail)."""
    try:
        return request.path_info
    except UnicodeDecodeError:
        return request.environ.get("PATH_INFO", "").encode("latin-1").decode("utf-8", "replace")


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
@exception_view_config(HTTPException, api_path=True, renderer="json")
@exception_view_config(Exception, api_path=True, renderer="json")
def error_view(exc, request):
    if isinstance(exc, HTTPException) and exc.code < 400:
        return exc  # redirects and the like pass through
    error = as_app_error(exc, request)
    request.response.status_int = error.status
    request.response.headers.update(error.headers)
    return {"error": error.code, "detail": error.detail}


@exception_view_config(HTTPException, renderer="error.jinja2")
@exception_view_config(Exception, renderer="error.jinja2")
def error_page(exc, request):
    if isinstance(exc, HTTPException) and exc.code < 400:
        return exc
    return page_error(exc, request)


# What a person reads on an error page: what happened, and what they can do about it;
# the error's own detail says the particulars between the two.
HEADLINES = {
    400: (
        "That address or form could not be understood",
        "Go back and try again, or start from the library.",
    ),
    401: ("Please log in", "Log in, then open this page again."),
    403: ("This is not open to you", "Ask an administrator if you need it, or go back to the library."),
    404: (
        "Nothing here",
        "The address may be mistyped, or the file was moved or renamed: browse to it from the library.",
    ),
    405: ("That cannot be done here", "Go back and use the page's own buttons."),
    409: ("That cannot be done", "Go back to the library; the reason above says what stands in the way."),
    410: ("This file changed", "Reload its page to play it as it is now."),
    413: ("That is too much at once", "Try again with less."),
    415: ("This kind of file cannot be used here", "Go back to the library."),
    422: ("This cannot be done with this file", "Try another file, or download this one."),
    429: ("Too many tries", "Wait a moment, then try again."),
    503: ("Not available right now", "Wait a moment, then try again."),
    507: ("The server's disk is full", "Tell whoever runs this server; other files still play."),
}
SERVER_FAULT = (
    "Something went wrong",
    "It has been logged. Try again; if it keeps happening, tell whoever runs this server.",
)
HEADLINE_OF_CODE = {
    "csrf_failed": ("The page had expired", "Reload the page and try again."),
    "login_required": HEADLINES[401],
    "session_store_unavailable": (
        "This is not available for a few seconds",
        "The app is getting its session store back. Wait a few seconds, then reload the page.",
    ),
    "database_unavailable": (
        "This is not available for a moment",
        "The app cannot reach its database just now; it reconnects by itself. Until then "
        "logging in and the pages that need it do not work: reload this page in a moment. "
        "What is already playing goes on playing.",
    ),
    "disk_full": (
        "The server's disk is full",
        "Nothing was changed. Tell whoever runs this server; what is saved can still be read.",
    ),
}


def page_error(exc, request):
    """:func:`error_view` for people: the same, with a headline and advice in words."""
    values = error_view(exc, request)
    status = request.response.status_int
    headline, advice = HEADLINE_OF_CODE.get(values["error"]) or HEADLINES.get(status, SERVER_FAULT)
    # An error that knows better says so itself (the demo's account page, for one).
    headline = getattr(exc, "headline", None) or headline
    advice = getattr(exc, "advice", None) or advice
    return {**values, "headline": headline, "advice": advice}


# A page asked for by someone not logged in: the login page, then back here.
@exception_view_config(HTTPForbidden, renderer="error.jinja2")
def forbidden_page(exc, request):
    if request.authenticated_userid is None and request.method in ("GET", "HEAD"):
        return HTTPSeeOther(request.route_url("login", _query={"next": request.path_qs}))
    return page_error(LoginRequired() if request.authenticated_userid is None else exc, request)


@exception_view_config(HTTPForbidden, api_path=True, renderer="json")
def forbidden_api(exc, request):
    return error_view(LoginRequired() if request.authenticated_userid is None else exc, request)

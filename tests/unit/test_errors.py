"""The app's errors and the translation of whatever was raised into one of them."""

import logging

import pytest
import redis
from pyramid import testing
from pyramid.exceptions import BadCSRFOrigin, BadCSRFToken, PredicateMismatch
from pyramid.httpexceptions import (
    HTTPBadRequest,
    HTTPForbidden,
    HTTPFound,
    HTTPGone,
    HTTPNotFound,
    HTTPNotImplemented,
    HTTPPreconditionFailed,
    HTTPRequestEntityTooLarge,
    HTTPRequestURITooLong,
)

from mediacaster.errors import (
    AppError,
    BadRequest,
    Conflict,
    Forbidden,
    MethodNotAllowed,
    NotFound,
    Unavailable,
    Unprocessable,
    UnsupportedMedia,
)
from mediacaster.views.errors import as_app_error, error_view


@pytest.fixture
def config():
    with testing.testConfig() as config:
        yield config


def dummy_request(path="/api/library/video", method="GET", query=""):
    request = testing.DummyRequest(path=path)
    request.method = method
    request.path_info = path
    request.path_qs = path + (f"?{query}" if query else "")
    return request


# -- the errors themselves -------------------------------------------------------


@pytest.mark.parametrize(
    ("error_class", "status", "code"),
    [
        (AppError, 500, "internal_error"),
        (BadRequest, 400, "bad_request"),
        (Forbidden, 403, "forbidden"),
        (NotFound, 404, "not_found"),
        (MethodNotAllowed, 405, "method_not_allowed"),
        (Conflict, 409, "conflict"),
        (UnsupportedMedia, 415, "unsupported_media"),
        (Unprocessable, 422, "unprocessable_entity"),
        (Unavailable, 503, "service_unavailable"),
    ],
)
def test_each_error_carries_its_status_and_stable_code(error_class, status, code):
    error = error_class("what happened")
    assert (error.status, error.code, error.detail, str(error)) == (
        status,
        code,
        "what happened",
        "what happened",
    )
    assert error.headers == {}
    assert isinstance(error, AppError)


@pytest.mark.parametrize(
    ("error_class", "words"),
    [
        (AppError, "went wrong on the server"),
        (BadRequest, "malformed"),
        (Forbidden, "not allowed"),
        (NotFound, "nothing here"),
        (Unavailable, "unavailable"),
    ],
)
def test_an_error_raised_without_detail_says_its_default_sentence(error_class, words):
    assert words in error_class().detail
    assert error_class("").detail == error_class().detail


def test_headers_given_to_an_error_are_copied_not_shared():
    headers = {"Allow": "GET"}
    error = MethodNotAllowed("no", headers=headers)
    headers["Allow"] = "POST"
    assert error.headers == {"Allow": "GET"}
    assert AppError().headers is not AppError().headers


@pytest.mark.parametrize(("retry_after", "expected"), [(5, "5"), (0, "0"), ("120", "120")])
def test_unavailable_says_when_to_retry_in_a_retry_after_header(retry_after, expected):
    error = Unavailable("down", headers={"X-Other": "1"}, retry_after=retry_after)
    assert error.headers == {"X-Other": "1", "Retry-After": expected}


def test_unavailable_without_retry_after_sends_no_retry_after_header():
    assert "Retry-After" not in Unavailable("down").headers


# -- as_app_error ----------------------------------------------------------------


@pytest.mark.parametrize("error", [NotFound("no such root"), Unprocessable("too loud"), AppError()])
def test_an_app_error_answers_for_itself(error):
    assert as_app_error(error, dummy_request()) is error


@pytest.mark.parametrize("exc", [BadCSRFToken(), BadCSRFOrigin(), BadCSRFToken("Bad CSRF token received")])
def test_csrf_failures_answer_403_csrf_failed_naming_the_header(exc):
    error = as_app_error(exc, dummy_request(method="POST"))
    assert (error.status, error.code) == (403, "csrf_failed")
    assert "X-CSRF-Token" in error.detail


@pytest.mark.parametrize(
    ("exc", "path", "detail"),
    [
        # What Pyramid's router raises for a URL no route matches: the path itself.
        (HTTPNotFound("/api/nowhere"), "/api/nowhere", "no page at /api/nowhere"),
        (HTTPNotFound("/other"), "/api/nowhere", "no page at /api/nowhere"),
        (HTTPNotFound(), "/nothing/here", "no page at /nothing/here"),
        (HTTPNotFound(""), "/x", "no page at /x"),
        (HTTPNotFound("no such track"), "/x", "no such track"),
        # Without a matched route (no view of any method), a predicate mismatch is a plain 404.
        (PredicateMismatch("/api/cast"), "/api/cast", "no page at /api/cast"),
    ],
)
def test_pyramids_not_found_answers_404_naming_the_path(exc, path, detail):
    error = as_app_error(exc, dummy_request(path=path))
    assert (error.status, error.code, error.detail) == (404, "not_found", detail)
    assert isinstance(error, NotFound)


@pytest.mark.parametrize(
    ("exc", "status", "code", "detail"),
    [
        (HTTPBadRequest("x"), 400, "bad_request", "x"),
        (HTTPBadRequest(), 400, "bad_request", HTTPBadRequest.explanation),
        (HTTPForbidden("go away"), 403, "forbidden", "go away"),
        (HTTPGone(), 410, "gone", HTTPGone.explanation),
        (HTTPPreconditionFailed(), 412, "precondition_failed", HTTPPreconditionFailed.explanation),
        (HTTPRequestEntityTooLarge("big"), 413, "request_entity_too_large", "big"),
        (HTTPRequestURITooLong(), 414, "request_uri_too_long", HTTPRequestURITooLong.explanation),
        # No explanation at all: the generic sentence rather than an empty one.
        (HTTPNotImplemented(), 501, "not_implemented", AppError.default_detail),
    ],
)
def test_other_http_exceptions_keep_their_status_with_a_code_from_their_title(exc, status, code, detail):
    error = as_app_error(exc, dummy_request())
    assert (error.status, error.code, error.detail) == (status, code, detail)


def test_translating_an_http_exception_leaves_the_app_error_class_alone():
    as_app_error(HTTPGone(), dummy_request())
    assert (AppError.status, AppError.code) == (500, "internal_error")
    assert (AppError().status, AppError().code) == (500, "internal_error")


@pytest.mark.parametrize(
    "exc", [redis.ConnectionError("Connection refused"), redis.TimeoutError("slow"), redis.RedisError()]
)
def test_redis_going_away_answers_503_with_retry_after(exc):
    error = as_app_error(exc, dummy_request(path="/api/session"))
    assert (error.status, error.code) == (503, "session_store_unavailable")
    assert error.headers == {"Retry-After": "5"}
    assert "Redis" in error.detail
    assert isinstance(error, Unavailable)


@pytest.mark.parametrize(
    "exc",
    [
        ValueError("password=hunter2 in /secret/path"),
        KeyError("password=hunter2"),
        RuntimeError("password=hunter2"),
        ZeroDivisionError("password=hunter2"),
    ],
)
def test_any_other_exception_answers_500_without_its_message_but_is_logged(exc, caplog):
    request = dummy_request(path="/api/cast", method="POST", query="device=tv")
    with caplog.at_level(logging.ERROR, logger="mediacaster.views.errors"):
        error = as_app_error(exc, request)
    assert (error.status, error.code, error.headers) == (500, "internal_error", {})
    assert "hunter2" not in error.detail and "secret" not in error.detail
    assert error.detail == AppError.default_detail
    [record] = caplog.records
    assert "POST /api/cast?device=tv" in record.getMessage()
    assert record.exc_info[1] is exc


# -- error_view ------------------------------------------------------------------


def test_the_error_view_sets_the_status_and_headers_and_answers_code_and_detail(config):
    request = dummy_request(path="/api/session")
    body = error_view(redis.ConnectionError("refused"), request)
    assert body == {"error": "session_store_unavailable", "detail": body["detail"]}
    assert request.response.status_int == 503
    assert request.response.headers["Retry-After"] == "5"


def test_the_error_view_lets_redirects_pass_through(config):
    redirect = HTTPFound(location="/library/video")
    assert error_view(redirect, dummy_request()) is redirect

"""Bodies, query strings and entry paths, read and checked against the models of the API document."""

import json
import re

import pytest
from pyramid import testing
from pyramid.request import Request

from mediacaster.errors import BadRequest, NotFound, Unprocessable
from mediacaster.schemas.requests import (
    LISTING_MAX,
    AudioChoice,
    CastRequest,
    ChooseDevice,
    ListingQuery,
    Mute,
    SearchQuery,
    Seek,
    Subtitles,
    Volume,
)
from mediacaster.views.inputs import entry_path, json_body, parse_body, parse_query


def post(body, content_type="application/json"):
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return Request.blank("/api/cast", method="POST", body=data, content_type=content_type)


def get(query):
    return Request.blank(f"/api/search?{query}")


def failure(call):
    with pytest.raises((BadRequest, Unprocessable)) as raised:
        call()
    return type(raised.value), str(raised.value)


# -- bodies ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "body", "expected"),
    [
        (
            CastRequest,
            {"path": "video/a.mp4"},
            {
                "path": "video/a.mp4",
                "device": None,
                "start": 0,
                "force": False,
                "direct": False,
                "audio": None,
            },
        ),
        (
            CastRequest,
            {"path": "video/a.mp4", "device": "tv", "start": 12.5, "force": True, "unknown": 1},
            {
                "path": "video/a.mp4",
                "device": "tv",
                "start": 12.5,
                "force": True,
                "direct": False,
                "audio": None,
            },
        ),
        (
            CastRequest,
            {"path": "v/a", "start": 7},
            {"path": "v/a", "device": None, "start": 7.0, "force": False, "direct": False, "audio": None},
        ),
        (
            CastRequest,
            {"path": "v/a", "audio": 2},
            {"path": "v/a", "device": None, "start": 0, "force": False, "direct": False, "audio": 2},
        ),
        (AudioChoice, {"track": 0, "device": "tv"}, {"device": "tv", "track": 0}),
        # JSON Schema's integer: a whole number, with a point or not.
        (AudioChoice, {"track": 2.0}, {"device": None, "track": 2}),
        (Volume, {"level": 0}, {"device": None, "level": 0}),
        (Volume, {"level": 1, "device": "tv"}, {"device": "tv", "level": 1}),
        (Seek, {"position": 3600.25}, {"device": None, "position": 3600.25}),
        (Mute, {}, {"device": None, "muted": True}),
        (Subtitles, {"track": None}, {"device": None, "track": None}),
        (Subtitles, {"track": 2}, {"device": None, "track": 2}),
        (ChooseDevice, {"device": "Living Room TV"}, {"device": "Living Room TV"}),
    ],
)
def test_a_valid_body_parses_into_its_model(model, body, expected):
    parsed = parse_body(post(body), model)
    assert isinstance(parsed, model)
    assert parsed.model_dump() == expected


@pytest.mark.parametrize(
    ("model", "body", "error", "message"),
    [
        (CastRequest, {}, BadRequest, 'path is required: the file, as "<root>/<path below the root>"'),
        (
            CastRequest,
            {"path": ""},
            BadRequest,
            'path is required: the file, as "<root>/<path below the root>"',
        ),
        (CastRequest, {"path": "v/a", "start": -1}, Unprocessable, "start must be 0 or more"),
        (CastRequest, {"path": "v/a", "start": "soon"}, BadRequest, "start must be a number"),
        (CastRequest, {"path": "v/a", "start": "5"}, BadRequest, "start must be a number"),
        (CastRequest, {"path": "v/a", "force": "yes"}, BadRequest, "force must be true or false"),
        (CastRequest, {"path": "v/a", "force": "true"}, BadRequest, "force must be true or false"),
        (CastRequest, {"path": "v/a", "force": 1}, BadRequest, "force must be true or false"),
        (CastRequest, {"path": 42}, BadRequest, "path must be text"),
        (CastRequest, {"path": "v/a", "device": 3}, BadRequest, "device must be text"),
        (CastRequest, {"path": "v/a", "audio": -1}, Unprocessable, "audio must be 0 or more"),
        (CastRequest, {"path": "v/a", "audio": "2"}, BadRequest, "audio must be a whole number"),
        (AudioChoice, {"track": -1}, Unprocessable, "track must be 0 or more"),
        (AudioChoice, {"track": None}, BadRequest, "track must be a whole number"),
        (AudioChoice, {"track": 1.5}, BadRequest, "track must be a whole number"),
        (AudioChoice, {"track": True}, BadRequest, "track must be a whole number"),
        (AudioChoice, {"track": "1"}, BadRequest, "track must be a whole number"),
        (Volume, {"level": 2}, Unprocessable, "level must be from 0 to 1"),
        (Volume, {"level": -0.1}, Unprocessable, "level must be from 0 to 1"),
        (Volume, {}, BadRequest, "level is required: from 0 (silent) to 1"),
        (Seek, {"position": -5}, Unprocessable, "position must be 0 or more"),
        (Mute, {"muted": "false"}, BadRequest, "muted must be true or false"),
        (Subtitles, {"track": True}, BadRequest, "track must be a whole number"),
        (Subtitles, {"track": 1.5}, BadRequest, "track must be a whole number"),
        (Subtitles, {"track": "1"}, BadRequest, "track must be a whole number"),
        (ChooseDevice, {}, BadRequest, "device is required: a device id or name"),
        (ChooseDevice, {"device": ""}, BadRequest, "device is required: a device id or name"),
    ],
)
def test_a_wrong_body_value_is_refused_in_one_sentence_naming_the_field(model, body, error, message):
    assert failure(lambda: parse_body(post(body), model)) == (error, message)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b'{"path": "v/a", "start": NaN}', "start must be a finite number"),
        (b'{"path": "v/a", "start": Infinity}', "start must be a finite number"),
        (b'{"path": "v/a", "start": -Infinity}', "start must be a finite number"),
        (b'{"level": NaN}', "level must be a finite number"),
    ],
)
def test_nan_and_infinity_are_refused_with_400(raw, message):
    model = Volume if b"level" in raw else CastRequest
    assert failure(lambda: parse_body(post(raw), model)) == (BadRequest, message)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"not json", r"the body is not valid JSON: Expecting value: line 1 column 1 \(char 0\)"),
        (b'{"path": ', r"the body is not valid JSON: .+"),
        (b"\xff\xfe{}", r"the body is not valid JSON: .+"),
        (b"[" * 100_000, r"the body is not valid JSON: nested too deeply"),
        (b'{"a":' * 100_000, r"the body is not valid JSON: .+"),
        (b"[]", r"the body must be a JSON object"),
        (b'[{"device": "tv"}]', r"the body must be a JSON object"),
        (b'"tv"', r"the body must be a JSON object"),
        (b"null", r"the body must be a JSON object"),
        (b"42", r"the body must be a JSON object"),
    ],
)
def test_a_body_that_is_not_a_json_object_is_refused_with_400(raw, message):
    error, text = failure(lambda: parse_body(post(raw), ChooseDevice))
    assert error is BadRequest
    assert re.fullmatch(message, text), text


@pytest.mark.parametrize("raw", [b"", None])
def test_an_empty_body_is_an_empty_object(raw):
    request = Request.blank("/api/player/play", method="POST")
    if raw is not None:
        request.body = raw
    assert json_body(request) == {}
    assert failure(lambda: parse_body(request, ChooseDevice))[1] == "device is required: a device id or name"


def test_a_json_body_returns_the_object_itself():
    assert json_body(post({"device": "tv", "nested": {"a": [1, 2]}})) == {
        "device": "tv",
        "nested": {"a": [1, 2]},
    }


# -- query strings -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("q=films", {"q": "films", "limit": 50}),
        ("q=%20les%20films%20", {"q": "les films", "limit": 50}),
        ("q=a&limit=1", {"q": "a", "limit": 1}),
        ("q=a&limit=1000", {"q": "a", "limit": 1000}),
        ("q=a&limit=%2012%20", {"q": "a", "limit": 12}),
        ("q=a&other=ignored", {"q": "a", "limit": 50}),
    ],
)
def test_a_valid_search_query_parses_with_text_converted(query, expected):
    assert parse_query(get(query), SearchQuery).model_dump() == expected


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("", "give the words to search for as ?q="),
        ("limit=5", "give the words to search for as ?q="),
        ("q=", "give the words to search for as ?q="),
        ("q=a&limit=0", "limit must be a whole number from 1 to 1000"),
        ("q=a&limit=1001", "limit must be a whole number from 1 to 1000"),
        ("q=a&limit=-3", "limit must be a whole number from 1 to 1000"),
        ("q=a&limit=x", "limit must be a whole number from 1 to 1000"),
        ("q=a&limit=1.5", "limit must be a whole number from 1 to 1000"),
        ("q=a&limit=", "limit must be a whole number from 1 to 1000"),
    ],
)
def test_a_wrong_search_query_is_refused_with_400_in_one_sentence(query, message):
    assert failure(lambda: parse_query(get(query), SearchQuery)) == (BadRequest, message)


def test_a_search_for_only_spaces_is_refused_as_no_search():
    error, text = failure(lambda: parse_query(get("q=%20%20"), SearchQuery))
    assert error is BadRequest
    assert text == "give the words to search for as ?q="


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("sort=evil", "sort must be one of 'name', 'date' or 'size'"),
        ("order=sideways", "order must be one of 'asc' or 'desc'"),
        ("offset=-1", "offset must be a whole number from 0 to "),
        ("limit=0", "limit must be a whole number from 1 to "),
    ],
)
def test_a_wrong_listing_query_is_refused_naming_what_is_allowed(query, message):
    error, text = failure(lambda: parse_query(get(query), ListingQuery))
    assert error is BadRequest
    assert text.startswith(message), text


def test_a_large_bound_is_written_as_a_whole_number():
    _, text = failure(lambda: parse_query(get("offset=-1"), ListingQuery))
    assert re.fullmatch(r"offset must be a whole number from 0 to 10[ ,_]?000[ ,_]?000", text), text


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("sort=evil", {"sort": "name", "order": None}),
        ("sort=evil&order=desc&offset=3&q=x", {"sort": "name", "order": "desc", "offset": 3, "q": "x"}),
        ("sort=date&order=sideways&limit=0", {"sort": "date", "order": None, "limit": LISTING_MAX}),
        ("sort=size&offset=-1&limit=20", {"sort": "size", "offset": 0, "limit": 20}),
        ("sort=date&order=asc", {"sort": "date", "order": "asc"}),
    ],
)
def test_a_lenient_listing_query_falls_back_to_defaults_for_wrong_values_only(query, expected):
    parsed = parse_query(get(query), ListingQuery, lenient=True).model_dump()
    defaults = ListingQuery().model_dump()
    assert parsed == {**defaults, **expected}


@pytest.mark.parametrize(
    ("query", "direction"),
    [("", "asc"), ("sort=date", "desc"), ("sort=date&order=asc", "asc"), ("sort=size&order=desc", "desc")],
)
def test_a_listing_order_defaults_to_newest_first_by_date_else_ascending(query, direction):
    assert parse_query(get(query), ListingQuery).direction == direction


# -- entry paths -------------------------------------------------------------------


def routed(url, root, path):
    request = Request.blank(url)
    request.matchdict = {"root": root, "path": path}
    return request


@pytest.mark.parametrize(
    ("url", "root", "path"),
    [
        ("/api/library/video", "video", ()),
        ("/api/library/video/Films/a.mp4", "video", ("Films", "a.mp4")),
        ("/api/library/video/...", "video", ("...",)),
        ("/api/library/video/..hidden/a..b", "video", ("..hidden", "a..b")),
        ("/api/library/video/Caf%C3%A9%20%232.mp4", "video", ("Café #2.mp4",)),
    ],
)
def test_an_entry_path_is_the_routes_root_and_segments(url, root, path):
    assert entry_path(routed(url, root, path)) == (root, path)


@pytest.mark.parametrize(
    "url",
    [
        "/api/library/video/../secret",
        "/api/library/video/./a.mp4",
        "/api/library/video/Films/..",
        "/api/library/video/%2e%2e/secret",
        "/api/library/video/%2E%2E/secret",
        "/api/library/video/.%2e/secret",
        "/api/library/video/Films/%2e",
        "/library/video/%2e%2e",
    ],
)
def test_an_entry_path_holding_dot_segments_is_not_found(url):
    # Pyramid would already have folded these away in the matchdict: path_info is what was asked.
    with pytest.raises(NotFound):
        entry_path(routed(url, "video", ("secret",)))


def test_an_entry_path_is_checked_on_path_info_as_a_dummy_request_sets_it():
    request = testing.DummyRequest(path="/library/video/a/../b")
    request.matchdict = {"root": "video", "path": ("b",)}
    with pytest.raises(NotFound):
        entry_path(request)

"""Names that are bytes, not UTF-8: shown, quoted, written as JSON and routed without loss."""

import json
import os
from urllib.parse import unquote_to_bytes

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mediacaster import bytenames

LATIN1 = os.fsdecode(b"caf\xe9.mp4")


def test_text_is_shown_as_it_is():
    assert bytenames.shown("Café.mp4") == "Café.mp4"


def test_a_byte_that_is_not_utf8_is_shown_as_an_escape():
    assert bytenames.shown(LATIN1) == "caf\\xe9.mp4"
    assert bytenames.is_text("Café") and not bytenames.is_text(LATIN1)


def test_quoting_percent_encodes_the_original_bytes():
    assert bytenames.quote(LATIN1) == "caf%E9.mp4"
    assert bytenames.quote("a b/Café") == "a%20b/Caf%C3%A9"


def test_json_escapes_lone_surrogates_and_reads_back_the_same_name():
    data = {"name": LATIN1, "n": 1}
    assert bytenames.dumps(data) == b'{"name":"caf\\udce9.mp4","n":1}'
    assert json.loads(bytenames.dumps(data)) == data
    assert bytenames.dumps({"name": "Café"}) == '{"name":"Café"}'.encode()


@given(st.binary(min_size=1, max_size=40).filter(lambda b: b"/" not in b and b"\0" not in b))
def test_any_name_round_trips_through_json_and_urls(raw):
    name = os.fsdecode(raw)
    assert os.fsencode(json.loads(bytenames.dumps(name))) == raw
    # waitress hands the app the %-decoded bytes as latin-1 text (PEP 3333).
    path = unquote_to_bytes("/media/root/" + bytenames.quote(name))
    environ = {"PATH_INFO": path.decode("latin-1")}
    bytenames.routable(environ)
    routed = environ["PATH_INFO"].encode("latin-1").decode("utf-8")  # as Pyramid decodes it
    root, segments = bytenames.real_names(environ, "root", (routed.rsplit("/", 1)[1],))
    assert (root, segments) == ("root", (name,))


@pytest.mark.parametrize(
    ("path", "stand_in"),
    [
        (b"/library/films/caf\xe9.mp4", "/library/films/caf?.mp4"),
        (b"/library/films/two\nlines.mp4", "/library/films/two?lines.mp4"),
    ],
)
def test_a_path_pyramid_cannot_route_is_routed_through_a_stand_in(path, stand_in):
    environ = {"PATH_INFO": path.decode("latin-1")}
    bytenames.routable(environ)
    assert environ["PATH_INFO"] == stand_in
    assert bytenames.real_names(environ, "films", ("x",)) == ("films", (os.fsdecode(path.split(b"/")[-1]),))


def test_a_path_pyramid_routes_is_left_alone():
    environ = {"PATH_INFO": "/library/films/Caf\u00c3\u00a9.mp4"}  # UTF-8 "Café" as WSGI latin-1 text
    bytenames.routable(environ)
    assert environ == {"PATH_INFO": "/library/films/Caf\u00c3\u00a9.mp4"}
    assert bytenames.real_names(environ, "films", ("Café.mp4",)) == ("films", ("Café.mp4",))


def test_the_root_itself_may_hold_the_odd_name():
    environ = {"PATH_INFO": "/library/v\xe9"}
    bytenames.routable(environ)
    assert bytenames.real_names(environ, "v?", ()) == (os.fsdecode(b"v\xe9"), ())

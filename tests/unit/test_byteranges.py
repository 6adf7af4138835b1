import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mediacaster.byteranges import (
    MAX_RANGES,
    Decision,
    content_range,
    decide,
    http_date,
    make_etag,
    parse_etags,
    parse_http_date,
    parse_range,
)

SIZE = 1000
# A fractional mtime: Last-Modified carries whole seconds, and a client echoing it back must match.
MTIME = 1_700_000_000.7
ETAG = make_etag(SIZE, 1_700_000_000_700_000_000, inode=42)
OTHER_ETAG = make_etag(SIZE + 1, 1_700_000_000_700_000_000, inode=42)
LAST_MODIFIED = http_date(MTIME)
EARLIER = http_date(MTIME - 60)
LATER = http_date(MTIME + 60)


def answer(headers, method="GET", size=SIZE):
    return decide(headers, method, size, ETAG, MTIME)


# -- validators ------------------------------------------------------------


def test_make_etag_is_a_quoted_strong_tag_of_inode_size_and_mtime_in_hex():
    assert make_etag(255, 4096, inode=16) == '"10-ff-1000"'


def test_make_etag_changes_with_each_of_size_mtime_and_inode():
    tags = {make_etag(1, 1, 1), make_etag(2, 1, 1), make_etag(1, 2, 1), make_etag(1, 1, 2)}
    assert len(tags) == 4


def test_make_etag_parses_back_as_one_strong_tag():
    assert parse_etags(ETAG) == [(False, ETAG)]


@pytest.mark.parametrize(
    "value",
    ["Sun, 06 Nov 1994 08:49:37 GMT", "Sunday, 06-Nov-94 08:49:37 GMT"],
    ids=["imf-fixdate", "rfc850"],
)
def test_parse_http_date_reads_the_http_date_formats(value):
    assert parse_http_date(value) == 784111777


def test_parse_http_date_reads_asctime_dates_as_utc():
    assert parse_http_date("Sun Nov  6 08:49:37 1994") == 784111777


@pytest.mark.parametrize(
    "value",
    ["", "yesterday", "Sun, 06 Nov 1994 25:49:37 GMT", "Sun, 31 Feb 1994 08:49:37 GMT", "Sun, 06 Nov 1994"],
)
def test_parse_http_date_returns_none_for_what_is_not_a_date(value):
    assert parse_http_date(value) is None


def test_http_date_truncates_to_the_second_and_parses_back():
    assert http_date(784111777.9) == "Sun, 06 Nov 1994 08:49:37 GMT"
    assert parse_http_date(http_date(784111777.9)) == 784111777


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("*", "*"),
        ("  *  ", "*"),
        ('"a"', [(False, '"a"')]),
        ('""', [(False, '""')]),
        ('W/"a", "b"', [(True, '"a"'), (False, '"b"')]),
        (' "a" ,W/"b" ', [(False, '"a"'), (True, '"b"')]),
        ('"a",', [(False, '"a"')]),
        ('"a,b"', [(False, '"a,b"')]),
    ],
)
def test_parse_etags_reads_star_and_lists_of_weak_and_strong_tags(value, expected):
    assert parse_etags(value) == expected


@pytest.mark.parametrize("value", ["a", '"a" "b"', '"a', 'w/"a"', '"a", *'])
def test_parse_etags_returns_none_for_a_malformed_field(value):
    assert parse_etags(value) is None


def test_parse_etags_skips_empty_list_elements():
    assert parse_etags('"a", , "b"') == [(False, '"a"'), (False, '"b"')]


def test_content_range_names_the_inclusive_range_and_the_size():
    assert content_range(0, 99, SIZE) == "bytes 0-99/1000"


# -- parse_range -----------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "size", "expected"),
    [
        ("bytes=0-499", 1000, ((0, 499),)),
        ("bytes=500-", 1000, ((500, 999),)),
        ("bytes=-200", 1000, ((800, 999),)),
        ("bytes=-2000", 1000, ((0, 999),)),
        ("bytes=900-5000", 1000, ((900, 999),)),
        ("bytes=999-999", 1000, ((999, 999),)),
        ("bytes=0-0,-1", 1000, ((0, 0), (999, 999))),
        ("Bytes = 0 - 9 ", 1000, ((0, 9),)),
        ("bytes=0-9, ,10-19,", 1000, ((0, 9), (10, 19))),
        ("bytes=1000-,0-0", 1000, ((0, 0),)),
    ],
    ids=[
        "first-last",
        "open-ended",
        "suffix",
        "suffix-longer-than-the-file",
        "last-clamped",
        "last-byte",
        "several",
        "unit-case-and-spaces",
        "empty-list-elements",
        "unsatisfiable-spec-dropped",
    ],
)
def test_parse_range_returns_the_satisfiable_ranges_clamped_to_the_file(header, size, expected):
    assert parse_range(header, size) == expected


@pytest.mark.parametrize(
    ("header", "size"),
    [("bytes=1000-", 1000), ("bytes=-0", 1000), ("bytes=1000-1999,2000-", 1000), ("bytes=0-", 0)],
)
def test_parse_range_returns_no_ranges_when_none_is_satisfiable(header, size):
    assert parse_range(header, size) == ()


@pytest.mark.parametrize(
    "header",
    [
        "items=0-9",
        "bytes 0-9",
        "bytes=",
        "bytes=,",
        "bytes=-",
        "bytes=abc",
        "bytes=1-2-3",
        "bytes=+1-2",
        "bytes=9-0",
        "bytes=0-9,9-0",
    ],
)
def test_parse_range_ignores_a_field_it_cannot_read(header):
    assert parse_range(header, SIZE) is None


def test_parse_range_takes_up_to_max_ranges_and_ignores_more():
    specs = [f"{n}-{n}" for n in range(MAX_RANGES + 1)]
    assert len(parse_range("bytes=" + ",".join(specs[:MAX_RANGES]), SIZE)) == MAX_RANGES
    assert parse_range("bytes=" + ",".join(specs), SIZE) is None


# -- decide: preconditions -------------------------------------------------


@pytest.mark.parametrize(
    ("if_match", "status"),
    [
        (ETAG, 206),
        (f"{OTHER_ETAG}, {ETAG}", 206),
        ("*", 206),
        (OTHER_ETAG, 412),
        (f"W/{ETAG}", 412),
        ("not-an-etag", 412),
    ],
    ids=["same", "in-list", "star", "other", "weak-never-matches", "malformed"],
)
def test_if_match_compares_strongly_and_wins_over_range(if_match, status):
    assert answer({"If-Match": if_match, "Range": "bytes=0-9"}).status == status


def test_if_match_wins_over_if_none_match():
    assert answer({"If-Match": OTHER_ETAG, "If-None-Match": ETAG}).status == 412


@pytest.mark.parametrize(
    ("since", "status"),
    [(EARLIER, 412), (LAST_MODIFIED, 200), (LATER, 200), ("not a date", 200)],
    ids=["modified-since", "same-second", "not-modified-since", "invalid-ignored"],
)
def test_if_unmodified_since_fails_only_when_the_file_changed_after_it(since, status):
    assert answer({"If-Unmodified-Since": since}).status == status


def test_if_unmodified_since_is_ignored_when_if_match_is_present():
    assert answer({"If-Match": ETAG, "If-Unmodified-Since": EARLIER}).status == 200


def test_if_unmodified_since_wins_over_if_modified_since():
    assert answer({"If-Unmodified-Since": EARLIER, "If-Modified-Since": LATER}).status == 412


@pytest.mark.parametrize(
    ("if_none_match", "method", "status"),
    [
        (ETAG, "GET", 304),
        (ETAG, "HEAD", 304),
        (f"W/{ETAG}", "GET", 304),
        (f"{OTHER_ETAG}, W/{ETAG}", "GET", 304),
        ("*", "GET", 304),
        (OTHER_ETAG, "GET", 200),
        ("not-an-etag", "GET", 200),
        (ETAG, "POST", 412),
        ("*", "DELETE", 412),
    ],
)
def test_if_none_match_compares_weakly_and_answers_304_to_get_and_head_else_412(
    if_none_match, method, status
):
    assert answer({"If-None-Match": if_none_match}, method).status == status


def test_if_none_match_wins_over_range():
    assert answer({"If-None-Match": ETAG, "Range": "bytes=0-9"}) == Decision(304)


def test_if_modified_since_is_ignored_when_if_none_match_is_present():
    assert answer({"If-None-Match": OTHER_ETAG, "If-Modified-Since": LATER}).status == 200


@pytest.mark.parametrize(
    ("since", "method", "status"),
    [
        (LAST_MODIFIED, "GET", 304),
        (LATER, "GET", 304),
        (LAST_MODIFIED, "HEAD", 304),
        (EARLIER, "GET", 200),
        ("not a date", "GET", 200),
        (LATER, "POST", 200),
    ],
)
def test_if_modified_since_answers_304_to_get_and_head_when_unchanged(since, method, status):
    assert answer({"If-Modified-Since": since}, method).status == status


def test_if_modified_since_wins_over_range():
    assert answer({"If-Modified-Since": LAST_MODIFIED, "Range": "bytes=0-9"}) == Decision(304)


# -- decide: ranges --------------------------------------------------------


def test_no_headers_answer_the_whole_file():
    assert answer({}) == Decision(200)


@pytest.mark.parametrize(("method", "status"), [("GET", 206), ("HEAD", 206), ("POST", 200), ("PUT", 200)])
def test_range_applies_to_get_and_head_only(method, status):
    assert answer({"Range": "bytes=0-9"}, method).status == status


def test_a_range_answers_206_with_the_ranges():
    assert answer({"Range": "bytes=0-9,-10"}) == Decision(206, ((0, 9), (990, 999)))


def test_a_range_covering_the_whole_file_is_still_a_206():
    assert answer({"Range": "bytes=0-"}) == Decision(206, ((0, SIZE - 1),))


def test_an_unsatisfiable_range_answers_416():
    assert answer({"Range": "bytes=1000-"}) == Decision(416)


def test_an_unreadable_range_answers_the_whole_file():
    assert answer({"Range": "bytes=9-0"}) == Decision(200)


def test_max_ranges_are_served_and_one_more_gets_the_whole_file():
    specs = [f"{n * 10}-{n * 10}" for n in range(MAX_RANGES + 1)]
    assert len(answer({"Range": "bytes=" + ",".join(specs[:MAX_RANGES])}).ranges) == MAX_RANGES
    assert answer({"Range": "bytes=" + ",".join(specs)}) == Decision(200)


@pytest.mark.parametrize("header", ["bytes=0-599,400-999", "bytes=0-,0-", "bytes=-600,0-499"])
def test_ranges_adding_up_to_more_than_the_file_get_the_whole_file(header):
    assert answer({"Range": header}) == Decision(200)


def test_ranges_adding_up_to_exactly_the_file_are_served():
    assert answer({"Range": "bytes=0-499,500-999"}) == Decision(206, ((0, 499), (500, 999)))


def test_overlapping_ranges_within_the_file_size_are_served_as_asked():
    assert answer({"Range": "bytes=0-99,50-149"}) == Decision(206, ((0, 99), (50, 149)))


@pytest.mark.parametrize(
    ("if_range", "status"),
    [
        (ETAG, 206),
        (f"  {ETAG} ", 206),
        (LAST_MODIFIED, 206),
        (OTHER_ETAG, 200),
        (f"W/{ETAG}", 200),
        (EARLIER, 200),
        (LATER, 200),
        ("not a date", 200),
    ],
    ids=["etag", "etag-spaced", "date", "other-etag", "weak-etag", "earlier", "later", "garbage"],
)
def test_if_range_needs_the_exact_strong_etag_or_the_identical_date(if_range, status):
    assert answer({"If-Range": if_range, "Range": "bytes=0-9"}).status == status


def test_a_failed_if_range_sends_the_whole_file_even_for_an_unsatisfiable_range():
    assert answer({"If-Range": OTHER_ETAG, "Range": "bytes=5000-"}) == Decision(200)


def test_an_empty_file_is_sent_whole_without_range_and_416_with_one():
    assert answer({}, size=0) == Decision(200)
    assert answer({"Range": "bytes=0-"}, size=0) == Decision(416)


def test_a_suffix_range_on_an_empty_file_is_not_416():
    assert answer({"Range": "bytes=-5"}, size=0) == Decision(200)


def test_a_range_with_a_huge_number_does_not_raise():
    assert answer({"Range": "bytes=0-" + "9" * 5000}) == Decision(206, ((0, SIZE - 1),))


# -- property --------------------------------------------------------------


@st.composite
def range_headers(draw):
    size = draw(st.integers(0, 10_000))
    position = st.integers(0, 2 * size + 10)
    spec = st.one_of(
        st.builds(lambda first, length: f"{first}-{first + length}", position, position),
        st.builds("{}-{}".format, position, position),  # last may come before first
        st.builds("{}-".format, position),
        st.builds("-{}".format, position),
        st.sampled_from(["", " "]),
    )
    return size, "bytes=" + ",".join(draw(st.lists(spec, max_size=MAX_RANGES + 2)))


@settings(database=None)
@given(case=range_headers())
def test_every_206_range_lies_within_the_file_and_first_is_not_after_last(case):
    size, header = case
    decision = decide({"Range": header}, "GET", size, ETAG, MTIME)
    assert decision.status in (200, 206, 416)
    if decision.status == 206:
        assert 1 <= len(decision.ranges) <= MAX_RANGES
        assert all(0 <= first <= last < size for first, last in decision.ranges)
        if len(decision.ranges) > 1:
            assert sum(last - first + 1 for first, last in decision.ranges) <= size
    else:
        assert decision.ranges == ()

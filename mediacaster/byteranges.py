"""RFC 9110 conditional and range requests, decided from header strings alone.

:func:`decide` takes the request's headers and the file's validators and
returns what to answer: 412, 304, 416, 206 with one or several ranges, or 200
with the whole file. It knows nothing of files or of any web framework.
"""

import re
from dataclasses import dataclass
from datetime import timezone
from email.utils import formatdate, parsedate_to_datetime

# More ranges than this in one request are ignored (RFC 9110 §14.2 lets a
# server ignore a set of many small ranges): the whole file is sent instead.
MAX_RANGES = 16

_SPEC = re.compile(r"^\s*(\d*)\s*-\s*(\d*)\s*$")
_ETAG = re.compile(r'\s*(W/)?("[^"]*")\s*(?:,|$)')
_EMPTY_ELEMENT = re.compile(r"\s*,")
# A position with more digits than this is past the end of any file (and int()
# refuses strings of more than 4300 digits).
_MAX_DIGITS = 19


@dataclass(frozen=True)
class Decision:
    status: int  # 200, 206, 304, 412 or 416
    ranges: tuple = ()  # ((first, last), ...) inclusive, for 206


def make_etag(size, mtime_ns, inode=0):
    """A strong validator from the file's identity, size and modification time."""
    return f'"{inode:x}-{size:x}-{mtime_ns:x}"'


def http_date(timestamp):
    return formatdate(int(timestamp), usegmt=True)


def parse_http_date(value):
    """Seconds since the epoch, or None when the value is not an HTTP date."""
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        if value.strip().count(" ") < 4:
            return None  # no time of day: not an HTTP date
        parsed = parsed.replace(tzinfo=timezone.utc)  # asctime dates are UTC (RFC 9110 §5.6.7)
    return int(parsed.timestamp())


def parse_etags(value):
    """``'*'`` or a list of ``(weak, tag)`` pairs; None if the field is malformed."""
    value = value.strip()
    if value == "*":
        return "*"
    tags, position = [], 0
    while position < len(value):
        empty = _EMPTY_ELEMENT.match(value, position)
        if empty:  # RFC 9110 §5.6.1.2: empty list elements are allowed
            position = empty.end()
            continue
        match = _ETAG.match(value, position)
        if not match:
            return None
        tags.append((bool(match.group(1)), match.group(2)))
        position = match.end()
    return tags


def parse_range(header, size):
    """Parse a Range field against a file of ``size`` bytes.

    Returns None to ignore the field (unknown unit, bad syntax, too many
    ranges), ``()`` when no range is satisfiable, or the satisfiable ranges as
    inclusive ``(first, last)`` pairs, clamped to the file.
    """
    unit, sep, spec = header.partition("=")
    if not sep or unit.strip().lower() != "bytes":
        return None
    parts = spec.split(",")
    if len(parts) > MAX_RANGES:
        return None
    ranges = []
    for part in parts:
        if not part.strip():
            continue  # RFC 9110 allows empty list elements
        match = _SPEC.match(part)
        if not match or match.group(1) == match.group(2) == "":
            return None
        first, last = (_position(group) for group in match.groups())
        if first == "":  # suffix: the last N bytes
            length = int(last)
            if length > 0 and size > 0:
                ranges.append((max(0, size - length), size - 1))
            continue
        first = int(first)
        last = int(last) if last else None
        if last is not None and last < first:
            return None  # invalid range-spec: the whole field is ignored
        if first < size:
            ranges.append((first, size - 1 if last is None else min(last, size - 1)))
    if not any(part.strip() for part in parts):
        return None
    return tuple(ranges)


def decide(headers, method, size, etag, mtime):
    """Evaluate preconditions then Range, in the order RFC 9110 §13.2.2 gives.

    ``headers`` maps field names (any case the mapping handles) to values.
    """
    get = headers.get
    last_modified = int(mtime)

    if_match = get("If-Match")
    if if_match is not None:
        tags = parse_etags(if_match)
        if tags != "*" and not any(not weak and tag == etag for weak, tag in tags or ()):
            return Decision(412)
    else:
        since = parse_http_date(get("If-Unmodified-Since") or "")
        if since is not None and last_modified > since:
            return Decision(412)

    if_none_match = get("If-None-Match")
    if if_none_match is not None:
        tags = parse_etags(if_none_match)
        # Weak comparison: W/"x" matches "x".
        if tags == "*" or any(tag == etag for _weak, tag in tags or ()):
            return Decision(304 if method in ("GET", "HEAD") else 412)
    elif method in ("GET", "HEAD"):
        since = parse_http_date(get("If-Modified-Since") or "")
        if since is not None and last_modified <= since:
            return Decision(304)

    range_header = get("Range")
    if range_header is None or method not in ("GET", "HEAD"):
        return Decision(200)
    if_range = get("If-Range")
    if if_range is not None and not _if_range_matches(if_range.strip(), etag, last_modified):
        return Decision(200)
    ranges = parse_range(range_header, size)
    if ranges is None:
        return Decision(200)
    if not ranges:
        # On an empty file a suffix range is satisfiable (RFC 9110 §14.1.1) but
        # names no byte: the empty file is the answer.
        return Decision(200 if size == 0 and _has_suffix(range_header) else 416)
    if len(ranges) > 1 and sum(last - first + 1 for first, last in ranges) > size:
        return Decision(200)  # cheaper to send the file once than its parts again
    return Decision(206, ranges)


def _position(digits):
    """The digits of a position, capped so that int() accepts them."""
    return digits if len(digits) <= _MAX_DIGITS else "9" * _MAX_DIGITS


def _has_suffix(header):
    """Whether a Range field asks for a non-zero suffix (``-N``, N > 0)."""
    spec = header.partition("=")[2]
    return any(m and m.group(1) == "" and m.group(2).strip("0") for m in map(_SPEC.match, spec.split(",")))


def _if_range_matches(value, etag, last_modified):
    if value.startswith('"') or value.startswith("W/"):
        return value == etag  # only an exact strong validator
    return parse_http_date(value) == last_modified


def content_range(first, last, size):
    return f"bytes {first}-{last}/{size}"

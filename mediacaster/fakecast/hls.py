"""Fetching media as a receiver does: the first bytes of a file and the tail of an MP4
whose index is at the end, or an HLS media playlist, its init segment and the segments
a player buffers, each recorded as a :class:`Fetch` that tests can wait for."""

import bisect
import contextlib
import functools
import http.client
import re
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

FETCH_BYTES = 64 * 1024
HLS_TYPES = ("application/x-mpegurl", "application/vnd.apple.mpegurl")
# The server makes segments on demand, which can take seconds.
HLS_TIMEOUT = 60
# detailedErrorCode of a LOAD_FAILED, as the app reads them.
ERROR_SEGMENT, ERROR_MANIFEST = 311, 321
ERROR_FETCH, ERROR_DECODE = 104, 102  # MEDIA_SRC_NOT_SUPPORTED, MEDIA_DECODE


@dataclass
class Fetch:
    """One HTTP request the device made for the media it was told to load.

    ``body`` holds at most FETCH_BYTES; ``length`` is the whole size. HLS
    requests have no ``range``; one that got no answer has ``status`` None
    and the reason in ``error``.
    """

    url: str
    range: str | None
    status: int | None
    content_type: str | None
    length: int
    body: bytes
    error: str | None = None


@dataclass(frozen=True)
class Segment:
    start: float
    duration: float
    url: str


@dataclass
class Playlist:
    """A VOD HLS media playlist, as much of it as a receiver needs to buffer."""

    url: str
    init: str | None  # URL of the #EXT-X-MAP init segment
    segments: list[Segment]  # in playback order

    @property
    def duration(self):
        last = self.segments[-1]
        return last.start + last.duration

    def index_at(self, position):
        """The segment with start <= position < end; the last one past the end."""
        starts = [segment.start for segment in self.segments]
        return max(0, bisect.bisect_right(starts, position) - 1)

    def buffer_urls(self, position):
        """The segment at ``position`` and the next one: a receiver buffers ahead."""
        index = self.index_at(position)
        return [segment.url for segment in self.segments[index : index + 2]]


def parse_playlist(text, url):
    """Parse an HLS media playlist; relative URIs are resolved against ``url``."""
    lines = [line.strip() for line in text.lstrip("\ufeff").splitlines()]
    lines = [line for line in lines if line]
    if not lines or lines[0] != "#EXTM3U":
        raise ValueError("no #EXTM3U header")
    init, segments, start, extinf = None, [], 0.0, None
    for line in lines[1:]:
        if line.startswith("#EXT-X-STREAM-INF"):
            raise ValueError("a multivariant playlist, not a media playlist")
        if line.startswith("#EXT-X-MAP:"):
            found = re.search(r'(?:^|[:,])URI="([^"]*)"', line)
            if found is None:
                raise ValueError("#EXT-X-MAP without a URI")
            init = urljoin(url, found.group(1))
        elif line.startswith("#EXTINF:"):
            extinf = float(line[len("#EXTINF:") :].split(",", 1)[0])
        elif not line.startswith("#"):
            if extinf is None:
                raise ValueError(f"segment {line} has no #EXTINF")
            segments.append(Segment(start, extinf, urljoin(url, line)))
            start, extinf = start + extinf, None
    if not segments:
        raise ValueError("no segments")
    return Playlist(url, init, segments)


class Fetcher:
    """The device's HTTP client: what it fetched (:attr:`fetches`), from its own address.

    ``lock`` is the device's: :attr:`fetched` is a condition on it, notified on every
    Fetch and whenever the device's state changes in a way a waiter may look at.
    """

    def __init__(self, address, lock):
        self.address = address
        self.fetches = []
        self.fetched = threading.Condition(lock)

    def fetch(self, url, content_type):
        """Fetch the media as a receiver does; return an error text, or None."""
        try:
            first = self._get(url, "bytes=0-")
        except (urllib.error.URLError, OSError, ValueError) as error:
            return f"cannot fetch {url}: {getattr(error, 'reason', error)}"
        if first.status not in (200, 206):
            return f"{url} answered {first.status}"
        total = first.length
        if (
            content_type.startswith("video/mp4")
            and b"moov" not in first.body
            and total
            and total > FETCH_BYTES
        ):
            try:
                self._get(url, f"bytes={max(0, total - FETCH_BYTES)}-")
            except (urllib.error.URLError, OSError):
                return f"cannot fetch the index at the end of {url}"
        return None

    def _get(self, url, range_header):
        request = urllib.request.Request(url, headers={"Range": range_header})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                body = response.read(FETCH_BYTES)
                length = _total_length(response.headers)
                fetch = Fetch(
                    url, range_header, response.status, response.headers.get("Content-Type"), length, body
                )
        except urllib.error.HTTPError as error:
            fetch = Fetch(url, range_header, error.code, None, 0, b"")
        self._record(fetch)
        return fetch

    def _record(self, fetch):
        with self.fetched:
            self.fetches.append(fetch)
            self.fetched.notify_all()

    def fetch_hls(self, url, position):
        """Fetch the playlist, its init segment and the segments to buffer at
        ``position``; return (playlist, detailedErrorCode, error text or None)."""
        fetch, body = self.download(url)
        if fetch.status != 200:
            return None, ERROR_MANIFEST, f"playlist {describe(fetch)}"
        try:
            playlist = parse_playlist(body.decode("utf-8", "replace"), url)
        except ValueError as error:
            text = f"playlist {without_query(url)} is not an HLS media playlist: {error}"
            return None, ERROR_MANIFEST, text
        init = [playlist.init] if playlist.init else []
        for segment in init + playlist.buffer_urls(position):
            fetch, _ = self.download(segment)
            if fetch.status != 200:
                return None, ERROR_SEGMENT, f"segment {describe(fetch)}"
        return playlist, None, None

    def download(self, url):
        """GET the whole of a playlist or segment, from the device's own address (a server
        tells players apart by it); a busy server's 503 is asked again after its
        Retry-After, as a receiver's player does, for up to HLS_TIMEOUT. Return the last
        Fetch and its body."""
        deadline = time.monotonic() + HLS_TIMEOUT
        while True:
            fetch, body, retry_after = self._download_once(url)
            if fetch.status != 503 or time.monotonic() + retry_after > deadline:
                return fetch, body
            time.sleep(retry_after)

    def _download_once(self, url):
        body, retry_after = b"", 1.0
        source = functools.partial(http.client.HTTPConnection, source_address=(self.address, 0))
        opener = urllib.request.build_opener(_HTTPFrom(source))
        try:
            with opener.open(url, timeout=HLS_TIMEOUT) as response:
                body = response.read()
                fetch = Fetch(
                    url,
                    None,
                    response.status,
                    response.headers.get("Content-Type"),
                    len(body),
                    body[:FETCH_BYTES],
                )
        except urllib.error.HTTPError as error:
            error.close()
            fetch = Fetch(url, None, error.code, None, 0, b"")
            with contextlib.suppress(TypeError, ValueError):
                retry_after = min(10.0, float(error.headers.get("Retry-After")))
        except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as error:
            fetch = Fetch(url, None, None, None, 0, b"", error=str(getattr(error, "reason", error)))
        self._record(fetch)
        return fetch, body, retry_after

    def wait_fetches(self, predicate, timeout=10.0):
        """Wait until ``predicate(fetches)`` is true; return its value, falsy after ``timeout`` s."""
        with self.fetched:
            return self.fetched.wait_for(lambda: predicate(list(self.fetches)), timeout)


class _HTTPFrom(urllib.request.HTTPHandler):
    """Plain HTTP through ``connection`` (an HTTPConnection bound to an address)."""

    def __init__(self, connection):
        super().__init__()
        self.connection = connection

    def http_open(self, req):
        return self.do_open(self.connection, req)


def is_hls(content_type):
    return content_type.split(";", 1)[0].strip().lower() in HLS_TYPES


def without_query(url):
    return urlsplit(url)._replace(query="", fragment="").geturl()


def describe(fetch):
    """The URL, without its signature, and what came of the request."""
    if fetch.status is None:
        return f"{without_query(fetch.url)} could not be fetched: {fetch.error}"
    return f"{without_query(fetch.url)} answered {fetch.status}"


def _total_length(headers):
    content_range = headers.get("Content-Range", "")
    if "/" in content_range:
        total = content_range.rsplit("/", 1)[1]
        return int(total) if total.isdigit() else 0
    return int(headers.get("Content-Length") or 0)

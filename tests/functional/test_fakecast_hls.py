"""The fake Chromecast as a Default Media Receiver of HLS: on LOAD it fetches
the playlist, the init segment and the segments it would buffer, again after a
SEEK, and fails as a real receiver does. Driven through pychromecast, against
static files on a local HTTP server."""

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pychromecast
import pytest

from mediacaster.fakecast import FETCH_BYTES, FakeChromecast
from mediacaster.services.cast.tls import serialise
from tests.common.app import wait_for

pytestmark = pytest.mark.slow

ADDRESS = "127.0.0.77"  # a loopback address no other test's device uses
HLS = "application/x-mpegurl"
DURATIONS = (4.0, 4.0, 4.0, 4.0, 2.5)
BIG_SEGMENT = 100_000  # more than a Fetch keeps of a body
TAIL_INDEXED_MP4 = b"\0\0\0\x18ftypisom" + bytes(300_000)  # no "moov" near its start


def playlist(uris, init='URI="init.mp4"', durations=DURATIONS):
    lines = ["#EXTM3U", "#EXT-X-VERSION:7", "#EXT-X-TARGETDURATION:4", "#EXT-X-PLAYLIST-TYPE:VOD"]
    lines.append(f"#EXT-X-MAP:{init}")
    for duration, uri in zip(durations, uris, strict=True):
        lines += [f"#EXTINF:{duration:.6f},", uri]
    lines.append("#EXT-X-ENDLIST")
    return ("\n".join(lines) + "\n").encode()


class Origin:
    """Static files over HTTP, with Range on request, a delay per path, and a log."""

    def __init__(self):
        self.files, self.delays, self.requests = {}, {}, []
        origin = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                origin.requests.append(self.path)
                path = urlsplit(self.path).path
                time.sleep(origin.delays.get(path, 0))
                body = origin.files.get(path)
                if body is None:
                    self.send_error(404)
                    return
                start = self.headers.get("Range", "bytes=").removeprefix("bytes=").split("-")[0]
                if start.isdigit():
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
                    body = body[int(start) :]
                else:
                    self.send_response(200)
                self.send_header("Content-Type", content_type(path))
                if len(body) != BIG_SEGMENT:  # the big one ends at close: its size comes from reading
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def content_type(path):
    for suffix, kind in ((".m3u8", HLS), (".mp4", "video/mp4"), (".m4s", "video/iso.segment")):
        if path.endswith(suffix):
            return kind
    return "text/html"


@pytest.fixture(scope="module")
def origin():
    origin = Origin()
    base = f"{origin.url}/film/"
    segments = {f"/film/seg{i}.m4s": bytes([i]) * (5_000 + i) for i in range(len(DURATIONS))}
    segments["/film/seg1.m4s"] = b"\1" * BIG_SEGMENT
    origin.files.update(
        {
            **segments,
            "/film/index.m3u8": playlist(
                [f"{base}seg{i}.m4s" for i in range(len(DURATIONS))], init=f'URI="{base}init.mp4"'
            ),
            "/film/init.mp4": b"\0\0\0\x18ftypiso6" + bytes(1_000),
            # URIs relative to a signed playlist URL, as a server may write them.
            "/rel/v1/index.m3u8": playlist(
                ["seg0.m4s", "../shared/seg1.m4s", "/rooted/seg2.m4s", "seg3.m4s?part=3", "./seg4.m4s"],
                init='URI="init.mp4",BYTERANGE="1000@0"',
            ),
            "/rel/v1/init.mp4": b"init",
            "/rel/v1/seg0.m4s": b"0",
            "/rel/shared/seg1.m4s": b"1",
            "/rooted/seg2.m4s": b"2",
            "/rel/v1/seg3.m4s": b"3",
            "/rel/v1/seg4.m4s": b"4",
            "/plain/movie.mp4": TAIL_INDEXED_MP4,
            "/plain/page.m3u8": b"<html>not a playlist</html>",
        },
    )
    yield origin
    origin.close()


@pytest.fixture
def gaps(origin):
    """A playlist under /gaps/ (segment URIs signed) whose files each test removes at will."""
    uris = [f"{origin.url}/gaps/seg{i}.m4s?sig=secret{i}" for i in range(len(DURATIONS))]
    files = {f"/gaps/seg{i}.m4s": b"s" for i in range(len(DURATIONS))}
    files.update({"/gaps/index.m3u8": playlist(uris), "/gaps/init.mp4": b"i"})
    origin.files.update(files)
    yield files
    for path in files:
        origin.files.pop(path, None)
    origin.delays.clear()


@pytest.fixture(scope="module")
def device():
    device = FakeChromecast("HLS TV", "Chromecast", ADDRESS, port=0).start()
    yield device
    device.stop()


@pytest.fixture(scope="module")
def cast(device):
    cast = pychromecast.get_chromecast_from_host(
        (ADDRESS, device.port, device.uuid, device.model, device.name)
    )
    serialise(cast)  # as the app does: pychromecast alone garbles its TLS records now and then
    cast.wait(10)
    yield cast
    cast.disconnect(5)


def load(cast, url, content_type=HLS, current_time=None, duration=None):
    """LOAD as the app does for HLS; return the device's answer."""
    answered, answer = threading.Event(), {}

    def callback(sent, response):
        answer.update(sent=sent, response=response)
        answered.set()

    media_info = {"hlsSegmentFormat": "fmp4", "hlsVideoSegmentFormat": "fmp4"}
    if duration is not None:
        media_info["duration"] = duration
    cast.media_controller.play_media(
        url,
        content_type,
        current_time=current_time,
        stream_type="BUFFERED",
        metadata={"metadataType": 0, "title": "film"},
        media_info=media_info,
        callback_function=callback,
    )
    assert answered.wait(15), "no answer to the LOAD"
    response = answer["response"]
    if response and response.get("type") == "MEDIA_STATUS":
        session = response["status"][0]["mediaSessionId"]
        wait_for(lambda: cast.media_controller.status.media_session_id == session, 5, "the client's status")
    return response


def requested(fetches):
    """Each Fetch as (path?query, status)."""
    return [(_path(f.url), f.status) for f in fetches]


def _path(url):
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


# -- LOAD ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kind", [HLS, "application/vnd.apple.mpegurl", "application/x-mpegURL; charset=utf-8"]
)
def test_a_hls_load_fetches_the_playlist_the_init_segment_and_two_segments(origin, device, cast, kind):
    before, served = len(device.fetches), len(origin.requests)
    response = load(cast, f"{origin.url}/film/index.m3u8", kind)
    assert response["type"] == "MEDIA_STATUS"
    status = response["status"][0]
    assert status["playerState"] == "PLAYING"
    assert status["media"]["duration"] == pytest.approx(18.5)  # the LOAD had none: the sum of EXTINF
    fetches = device.fetches[before:]
    assert requested(fetches) == [
        ("/film/index.m3u8", 200),
        ("/film/init.mp4", 200),
        ("/film/seg0.m4s", 200),
        ("/film/seg1.m4s", 200),
    ]
    assert origin.requests[served:] == [_path(f.url) for f in fetches]  # really requested
    assert all(f.range is None for f in fetches)
    assert fetches[0].content_type == HLS and fetches[1].length == 1_012
    assert fetches[3].length == BIG_SEGMENT and fetches[3].body == b"\1" * FETCH_BYTES
    assert [segment.start for segment in device.playlist.segments] == [0, 4, 8, 12, 16]


@pytest.mark.parametrize(
    ("current_time", "segments"),
    [
        (3.99, ["seg0", "seg1"]),
        (4.0, ["seg1", "seg2"]),
        (9.5, ["seg2", "seg3"]),
        (15.9, ["seg3", "seg4"]),
        (16.0, ["seg4"]),
        (18.5, ["seg4"]),
        (40.0, ["seg4"]),
    ],
)
def test_a_load_in_the_middle_fetches_the_segment_at_its_current_time(
    origin, device, cast, current_time, segments
):
    before = len(device.fetches)
    response = load(cast, f"{origin.url}/film/index.m3u8", current_time=current_time, duration=18.5)
    assert response["type"] == "MEDIA_STATUS"
    expected = ["/film/index.m3u8", "/film/init.mp4"] + [f"/film/{name}.m4s" for name in segments]
    assert requested(device.fetches[before:]) == [(path, 200) for path in expected]


def test_a_duration_in_the_load_is_kept(origin, device, cast):
    response = load(cast, f"{origin.url}/film/index.m3u8", duration=18.46)
    assert response["status"][0]["media"]["duration"] == 18.46


@pytest.mark.parametrize(
    ("current_time", "segments"),
    [(0, ["/rel/v1/seg0.m4s", "/rel/shared/seg1.m4s"]), (9, ["/rooted/seg2.m4s", "/rel/v1/seg3.m4s?part=3"])],
)
def test_relative_uris_are_resolved_against_the_playlist_url(origin, device, cast, current_time, segments):
    before = len(device.fetches)
    response = load(cast, f"{origin.url}/rel/v1/index.m3u8?exp=1&sig=abc", current_time=current_time)
    assert response["type"] == "MEDIA_STATUS"
    expected = ["/rel/v1/index.m3u8?exp=1&sig=abc", "/rel/v1/init.mp4", *segments]
    assert requested(device.fetches[before:]) == [(path, 200) for path in expected]


def test_a_missing_playlist_is_load_failed_321(origin, device, cast):
    before = len(device.fetches)
    response = load(cast, f"{origin.url}/nothing/index.m3u8?sig=secret")
    assert response["type"] == "LOAD_FAILED" and response["detailedErrorCode"] == 321
    assert f"{origin.url}/nothing/index.m3u8 answered 404" in response["reason"]
    assert "secret" not in response["reason"]
    assert requested(device.fetches[before:]) == [("/nothing/index.m3u8?sig=secret", 404)]


def test_a_page_that_is_no_playlist_is_load_failed_321(origin, device, cast):
    response = load(cast, f"{origin.url}/plain/page.m3u8")
    assert response["type"] == "LOAD_FAILED" and response["detailedErrorCode"] == 321
    assert "not an HLS media playlist" in response["reason"]


@pytest.mark.parametrize("missing", ["/gaps/init.mp4", "/gaps/seg2.m4s", "/gaps/seg3.m4s"])
def test_a_missing_segment_is_load_failed_311(origin, device, cast, gaps, missing):
    del origin.files[missing]
    before = len(device.fetches)
    response = load(cast, f"{origin.url}/gaps/index.m3u8", current_time=8.0)
    assert response["type"] == "LOAD_FAILED" and response["detailedErrorCode"] == 311
    assert f"{origin.url}{missing} answered 404" in response["reason"]
    assert "secret" not in response["reason"]
    assert requested(device.fetches[before:])[-1][1] == 404  # it stopped at the failure


def test_an_unreachable_segment_is_load_failed_311(origin, device, cast):
    origin.files["/dead/index.m3u8"] = playlist(["http://127.0.0.1:9/seg0.m4s"], durations=(4.0,))
    origin.files["/dead/init.mp4"] = b"i"
    try:
        response = load(cast, f"{origin.url}/dead/index.m3u8")
    finally:
        del origin.files["/dead/index.m3u8"], origin.files["/dead/init.mp4"]
    assert response["type"] == "LOAD_FAILED" and response["detailedErrorCode"] == 311
    assert "http://127.0.0.1:9/seg0.m4s could not be fetched" in response["reason"]
    assert device.fetches[-1].status is None and device.fetches[-1].error


# -- SEEK ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("position", "segments"), [(13.0, ["/film/seg3.m4s", "/film/seg4.m4s"]), (17.0, ["/film/seg4.m4s"])]
)
def test_a_seek_fetches_the_segment_at_the_new_position_without_delaying_the_reply(
    origin, device, cast, position, segments
):
    load(cast, f"{origin.url}/film/index.m3u8")
    before = len(device.fetches)
    origin.delays[segments[0]] = 5.0  # a segment the server is still making
    try:
        started = time.monotonic()
        cast.media_controller.seek(position)
        assert time.monotonic() - started < 3.0
        assert requested(device.fetches[before:]) == []
        assert device.player_state == "PLAYING" and device.position() >= position
        done = device.wait_fetches(lambda fetches: len(fetches) >= before + len(segments), 10)
    finally:
        origin.delays.clear()
    assert done
    assert requested(device.fetches[before:]) == [(path, 200) for path in segments]


def test_a_segment_failing_after_a_seek_makes_the_player_idle_with_an_error(origin, device, cast, gaps):
    del origin.files["/gaps/seg3.m4s"]
    assert load(cast, f"{origin.url}/gaps/index.m3u8")["type"] == "MEDIA_STATUS"
    cast.media_controller.seek(13.0)
    assert device.wait_fetches(lambda _: device.player_state == "IDLE", 10)
    assert device.media["idleReason"] == "ERROR"
    assert requested(device.fetches[-1:]) == [("/gaps/seg3.m4s?sig=secret3", 404)]
    # The client learns it from the MEDIA_STATUS the device broadcast.
    wait_for(lambda: cast.media_controller.status.idle_reason == "ERROR", 5, "the broadcast IDLE/ERROR")
    assert cast.media_controller.status.player_state == "IDLE"


def test_a_failure_after_a_later_seek_is_ignored(origin, device, cast, gaps):
    del origin.files["/gaps/seg3.m4s"]
    origin.delays["/gaps/seg3.m4s"] = 4.0
    load(cast, f"{origin.url}/gaps/index.m3u8")
    before = len(device.fetches)
    cast.media_controller.seek(13.0)
    cast.media_controller.seek(1.0)  # before the 404 arrives: that position is no longer wanted
    assert device.wait_fetches(lambda fetches: len(fetches) == before + 3, 10)
    assert sorted(requested(device.fetches[before:])) == [
        ("/gaps/seg0.m4s?sig=secret0", 200),
        ("/gaps/seg1.m4s?sig=secret1", 200),
        ("/gaps/seg3.m4s?sig=secret3", 404),
    ]
    time.sleep(0.3)  # time to go IDLE, were it to
    assert device.player_state == "PLAYING"


# -- everything else is as before ------------------------------------------------------


def test_a_plain_mp4_load_is_unchanged(origin, device, cast):
    before = len(device.fetches)
    response = load(cast, f"{origin.url}/plain/movie.mp4", "video/mp4")
    assert response["type"] == "MEDIA_STATUS"
    assert response["status"][0]["media"]["duration"] == 30.0
    total = len(TAIL_INDEXED_MP4)
    fetches = device.fetches[before:]
    assert [(f.range, f.status, f.length) for f in fetches] == [
        ("bytes=0-", 206, total),
        (f"bytes={total - FETCH_BYTES}-", 206, total),
    ]
    cast.media_controller.seek(12.0)
    sought = time.monotonic()
    time.sleep(0.5)
    assert len(device.fetches) == before + 2  # a SEEK fetches nothing
    assert 12 <= device.position() < 12.5 + time.monotonic() - sought
    missing = load(cast, f"{origin.url}/plain/gone.mp4", "video/mp4")
    assert missing["type"] == "LOAD_FAILED" and missing["detailedErrorCode"] == 104
    assert missing["reason"] == f"{origin.url}/plain/gone.mp4 answered 404"


def test_a_plain_load_after_a_hls_one_forgets_the_playlist(origin, device, cast):
    load(cast, f"{origin.url}/film/index.m3u8")
    assert device.playlist is not None
    load(cast, f"{origin.url}/plain/movie.mp4", "video/mp4")
    assert device.playlist is None
    before = len(device.fetches)
    cast.media_controller.seek(13.0)
    extra = device.wait_fetches(lambda fetches: fetches[before:], 0.5)
    assert not extra, requested(extra)

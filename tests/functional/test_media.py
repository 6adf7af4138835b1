"""The media view against a real waitress on loopback: ranges, preconditions, CORS,
downloads, signatures, and players that stall or vanish."""

import email.utils
import http.client
import json
import os
import random
import socket
import threading
import time
from urllib.parse import quote, urlsplit

import pytest
import webtest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.common.servers import LiveServer

SIZE = 1_000_000


@pytest.fixture(scope="module")
def media_root(tmp_path_factory):
    base = tmp_path_factory.mktemp("media")
    rng = random.Random(7)
    (base / "clip.mp4").write_bytes(rng.randbytes(SIZE))
    (base / "small.mp4").write_bytes(rng.randbytes(1000))
    (base / "empty.mp4").write_bytes(b"")
    (base / "Ünïcode “quoted” #1?%.mkv").write_bytes(b"odd bytes")
    with open(base / "huge.mp4", "wb") as sparse:  # 2 GiB, almost no disk used
        sparse.truncate(2 * 1024**3)
        sparse.seek(2 * 1024**3 - 16)
        sparse.write(b"tail-of-the-file")
    with open(base / "stall.mp4", "wb") as stall:  # larger than any socket buffer
        stall.truncate(256 * 1024**2)
    return base


@pytest.fixture(scope="module")
def media_app(redis_server, media_root, library_roots):
    from mediacaster import main
    from tests.common.app import app_settings

    app = main({}, **app_settings({"m": media_root, **library_roots}, redis_server.url))
    yield app
    app.registry.services.close()


@pytest.fixture(scope="module")
def server(media_app):
    with LiveServer(media_app, threads=4) as live:
        yield live


def media_url(app, name, route="media"):
    params = app.registry.services.signer.sign("m", name)
    return f"/{route}/m/{quote(name)}?exp={params['exp']}&sig={params['sig']}"


class Client:
    """One keep-alive HTTP/1.1 connection to the live server."""

    def __init__(self, server):
        self.conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)

    def request(self, path, headers=None, method="GET"):
        self.conn.request(method, path, headers=headers or {})
        response = self.conn.getresponse()
        return response.status, response.headers, response.read()


@pytest.fixture
def client(server):
    c = Client(server)
    yield c
    c.conn.close()


@pytest.fixture(scope="module")
def data(media_root):
    return (media_root / "clip.mp4").read_bytes()


@pytest.fixture
def url(media_app):
    return media_url(media_app, "clip.mp4")


def parse_multipart(content_type, body):
    boundary = content_type.split("boundary=")[1].encode()
    parts = []
    for chunk in body.split(b"--" + boundary)[1:]:
        if chunk.startswith(b"--"):
            break
        head, _, payload = chunk.partition(b"\r\n\r\n")
        headers = dict(line.decode().split(": ", 1) for line in head.strip().split(b"\r\n") if b": " in line)
        parts.append((headers, payload[:-2] if payload.endswith(b"\r\n") else payload))
    return parts


# -- whole files and single ranges --------------------------------------------


def test_plain_get_sends_the_whole_file_with_validators(client, url, data):
    status, headers, body = client.request(url)
    assert status == 200 and body == data
    assert headers["Content-Length"] == str(SIZE)
    assert headers["Accept-Ranges"] == "bytes"
    assert headers["ETag"].startswith('"') and not headers["ETag"].startswith("W/")
    assert email.utils.parsedate_to_datetime(headers["Last-Modified"])
    assert headers["Content-Type"] == "video/mp4"
    assert headers["Access-Control-Allow-Origin"] == "*"
    assert "Content-Range" in headers["Access-Control-Expose-Headers"]


@pytest.mark.parametrize(
    ("spec", "first", "last"),
    [
        ("bytes=0-", 0, SIZE - 1),
        ("bytes=100-199", 100, 199),
        ("bytes=999990-", 999990, SIZE - 1),
        ("bytes=-300", SIZE - 300, SIZE - 1),
        ("bytes=500-99999999", 500, SIZE - 1),
        ("BYTES = 7-7", 7, 7),
        ("bytes=0-0", 0, 0),
    ],
)
def test_single_ranges(client, url, data, spec, first, last):
    status, headers, body = client.request(url, {"Range": spec})
    assert status == 206
    assert headers["Content-Range"] == f"bytes {first}-{last}/{SIZE}"
    assert headers["Content-Length"] == str(last - first + 1)
    assert body == data[first : last + 1]


def test_a_suffix_longer_than_the_file_is_the_whole_file(client, media_app, media_root):
    status, headers, body = client.request(media_url(media_app, "small.mp4"), {"Range": "bytes=-5000"})
    assert status == 206
    assert headers["Content-Range"] == "bytes 0-999/1000"
    assert body == (media_root / "small.mp4").read_bytes()


@pytest.mark.parametrize(
    "spec", ["bytes=-0", f"bytes={SIZE}-", f"bytes={SIZE + 5}-{SIZE + 9}", "bytes=-0,2000000-"]
)
def test_unsatisfiable_ranges_are_416(client, url, spec):
    status, headers, body = client.request(url, {"Range": spec})
    assert status == 416
    assert headers["Content-Range"] == f"bytes */{SIZE}"
    assert b"inside the file" in body


def test_empty_file(client, media_app):
    url = media_url(media_app, "empty.mp4")
    status, headers, body = client.request(url)
    assert (status, headers["Content-Length"], body) == (200, "0", b"")
    assert client.request(url, {"Range": "bytes=0-"})[0] == 416


@pytest.mark.parametrize("spec", ["items=0-5", "bytes=abc", "bytes=5-1", "bytes=", "bytes=1-2-3", "0-5"])
def test_unknown_units_and_bad_syntax_are_ignored(client, url, data, spec):
    status, headers, body = client.request(url, {"Range": spec})
    assert status == 200 and body == data
    assert "Content-Range" not in headers


# -- several ranges ------------------------------------------------------------


def test_several_ranges_are_multipart(client, url, data):
    status, headers, body = client.request(url, {"Range": "bytes=0-9, 500-599,-10"})
    assert status == 206
    assert headers["Content-Type"].startswith("multipart/byteranges; boundary=")
    assert int(headers["Content-Length"]) == len(body)
    parts = parse_multipart(headers["Content-Type"], body)
    assert [(h["Content-Range"], h["Content-Type"], p) for h, p in parts] == [
        (f"bytes 0-9/{SIZE}", "video/mp4", data[0:10]),
        (f"bytes 500-599/{SIZE}", "video/mp4", data[500:600]),
        (f"bytes {SIZE - 10}-{SIZE - 1}/{SIZE}", "video/mp4", data[-10:]),
    ]


def test_a_set_is_satisfiable_if_any_range_is(client, url, data):
    status, headers, body = client.request(url, {"Range": f"bytes={SIZE + 1}-,10-19"})
    assert status == 206
    assert headers["Content-Range"] == f"bytes 10-19/{SIZE}" and body == data[10:20]


def test_ranges_adding_up_to_more_than_the_file_send_it_whole(client, url, data):
    status, _, body = client.request(url, {"Range": "bytes=0-,1-"})
    assert status == 200 and body == data


def test_too_many_ranges_send_the_file_whole(client, url, data):
    spec = "bytes=" + ",".join(f"{n * 10}-{n * 10 + 1}" for n in range(17))
    status, _, body = client.request(url, {"Range": spec})
    assert status == 200 and body == data


# -- preconditions, in RFC 9110 order ------------------------------------------


@pytest.fixture
def validators(client, url):
    _, headers, _ = client.request(url, method="HEAD")
    return headers["ETag"], headers["Last-Modified"]


def test_if_range(client, url, data, validators):
    etag, last_modified = validators
    later = email.utils.formatdate(time.time() + 3600, usegmt=True)
    assert client.request(url, {"Range": "bytes=0-9", "If-Range": etag})[0] == 206
    assert client.request(url, {"Range": "bytes=0-9", "If-Range": last_modified})[0] == 206
    for other in ('"something-else"', "W/" + etag, later):
        status, _, body = client.request(url, {"Range": "bytes=0-9", "If-Range": other})
        assert status == 200 and body == data


def test_if_match(client, url, validators):
    etag, _ = validators
    assert client.request(url, {"If-Match": '"nope"'})[0] == 412
    assert client.request(url, {"If-Match": "W/" + etag})[0] == 412  # strong comparison
    assert client.request(url, {"If-Match": f'"nope", {etag}'})[0] == 200
    assert client.request(url, {"If-Match": "*"})[0] == 200
    assert client.request(url, {"If-Match": '"nope"', "Range": "bytes=0-9"})[0] == 412


def test_if_unmodified_since(client, url, validators):
    _, last_modified = validators
    earlier = email.utils.formatdate(
        email.utils.parsedate_to_datetime(last_modified).timestamp() - 60, usegmt=True
    )
    assert client.request(url, {"If-Unmodified-Since": earlier})[0] == 412
    assert client.request(url, {"If-Unmodified-Since": last_modified})[0] == 200
    assert client.request(url, {"If-Unmodified-Since": "not a date"})[0] == 200


def test_if_none_match_and_if_modified_since(client, url, validators):
    etag, last_modified = validators
    status, headers, body = client.request(url, {"If-None-Match": etag, "Range": "bytes=0-9"})
    assert (status, body) == (304, b"")
    assert headers["ETag"] == etag and headers["Last-Modified"] == last_modified
    assert client.request(url, {"If-None-Match": "W/" + etag})[0] == 304  # weak comparison
    assert client.request(url, {"If-None-Match": '"other"'})[0] == 200
    assert client.request(url, {"If-Modified-Since": last_modified})[0] == 304
    # If-None-Match present: If-Modified-Since is not looked at.
    assert client.request(url, {"If-None-Match": '"other"', "If-Modified-Since": last_modified})[0] == 200
    earlier = email.utils.formatdate(
        email.utils.parsedate_to_datetime(last_modified).timestamp() - 60, usegmt=True
    )
    assert client.request(url, {"If-Modified-Since": earlier})[0] == 200


def test_head_answers_as_get_without_the_body(client, url):
    status, headers, body = client.request(url, method="HEAD")
    assert (status, body, headers["Content-Length"]) == (200, b"", str(SIZE))
    status, headers, body = client.request(url, {"Range": "bytes=10-19"}, method="HEAD")
    assert (status, body, headers["Content-Length"]) == (206, b"", "10")
    assert headers["Content-Range"] == f"bytes 10-19/{SIZE}"


def test_cors_preflight(client, url):
    status, headers, _ = client.request(
        url,
        {"Origin": "https://receiver.example", "Access-Control-Request-Headers": "range"},
        method="OPTIONS",
    )
    assert status == 204
    assert headers["Access-Control-Allow-Origin"] == "*"
    assert "Range" in headers["Access-Control-Allow-Headers"]
    assert "GET" in headers["Access-Control-Allow-Methods"]


# -- downloads -----------------------------------------------------------------


def test_downloads_are_attachments_and_resume(client, media_app, data):
    url = media_url(media_app, "clip.mp4", route="download")
    status, headers, body = client.request(url)
    assert status == 200 and body == data
    assert headers["Content-Disposition"] == 'attachment; filename="clip.mp4"'
    status, headers, body = client.request(url, {"Range": "bytes=400000-"})
    assert status == 206 and body == data[400000:]


def test_non_ascii_download_names_use_rfc_6266(client, media_app):
    name = "Ünïcode “quoted” #1?%.mkv"
    status, headers, body = client.request(media_url(media_app, name, route="download"))
    assert status == 200 and body == b"odd bytes"
    assert headers["Content-Disposition"] == (
        "attachment; filename=\"Unicode quoted #1?%.mkv\"; filename*=UTF-8''"
        "%C3%9Cn%C3%AFcode%20%E2%80%9Cquoted%E2%80%9D%20%231%3F%25.mkv"
    )


# -- signed URLs ---------------------------------------------------------------


def test_urls_from_the_api_are_signed_and_work_for_odd_names(client, server):
    entries = json.loads(client.request("/api/library/m")[2])["entries"]
    odd = next(e for e in entries if e["name"].startswith("Ünïcode"))
    for key in ("stream_url", "download_url"):
        parts = urlsplit(odd[key])
        assert parts.netloc == f"127.0.0.1:{server.port}"
        status, _, body = client.request(f"{parts.path}?{parts.query}")
        assert status == 200 and body == b"odd bytes"


def test_unsigned_forged_and_expired_urls_are_403(client, media_app):
    status, headers, body = client.request("/media/m/clip.mp4")
    assert status == 403 and b"carries no signature" in body
    assert headers["Access-Control-Allow-Origin"] == "*"  # the receiver may read the reason
    good = media_app.registry.services.signer.sign("m", "clip.mp4")
    status, _, body = client.request(f"/media/m/clip.mp4?exp={good['exp']}&sig=AAAA{good['sig'][4:]}")
    assert status == 403 and b"does not match" in body
    status, _, body = client.request(f"/media/m/small.mp4?exp={good['exp']}&sig={good['sig']}")
    assert status == 403 and b"does not match" in body
    old = media_app.registry.services.signer.sign("m", "clip.mp4", now=time.time() - 3 * 86400)
    status, _, body = client.request(f"/media/m/clip.mp4?exp={old['exp']}&sig={old['sig']}")
    assert status == 403 and b"expired at" in body


# -- the same answers through any WSGI server, and at random -------------------


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.integers(0, SIZE + 10), st.integers(0, 5000)), min_size=1, max_size=4))
def test_random_ranges_match_the_file_bytes(client, media_app, url, data, ranges):
    spec = "bytes=" + ",".join(f"{first}-{first + length}" for first, length in ranges)
    for status, headers, body in (
        client.request(url, {"Range": spec}),  # waitress: file_wrapper
        _webtest_response(media_app, url, spec),  # any other server: seeking iterator
    ):
        wanted = [(f, min(f + n, SIZE - 1)) for f, n in ranges if f < SIZE]
        if not wanted:
            assert status == 416
        elif len(wanted) == 1:
            first, last = wanted[0]
            assert status == 206 and body == data[first : last + 1]
        elif sum(last - first + 1 for first, last in wanted) > SIZE:
            assert status == 200 and body == data
        else:
            assert status == 206
            parts = parse_multipart(headers["Content-Type"], body)
            assert [p for _, p in parts] == [data[f : last + 1] for f, last in wanted]


def _webtest_response(app, url, spec):
    response = webtest.TestApp(app).get(url, headers={"Range": spec}, status="*")
    return response.status_int, response.headers, response.body


# -- players that stall or vanish ----------------------------------------------


def test_stalled_players_do_not_starve_other_requests(server, media_app):
    url = media_url(media_app, "stall.mp4")
    stalled = []
    try:
        for _ in range(16):
            sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            sock.sendall(f"GET {url} HTTP/1.1\r\nHost: localhost\r\nRange: bytes=0-\r\n\r\n".encode())
            stalled.append(sock)
        for sock in stalled:
            assert sock.recv(64).startswith(b"HTTP/1.1 206")  # answered, then never read again
        for path in ("/healthz", "/library/m", "/api/library/m"):
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
            conn.request("GET", path)
            assert conn.getresponse().status == 200
            conn.close()
    finally:
        for sock in stalled:
            sock.close()


def _bytes_read():
    with open("/proc/self/io") as io:
        return int(next(line for line in io if line.startswith("rchar:")).split()[1])


def test_a_tail_range_of_a_huge_file_reads_only_the_tail(client, media_app):
    url = media_url(media_app, "huge.mp4")
    client.request(url, {"Range": "bytes=-16"})  # warm up the connection and the imports
    before = _bytes_read()
    status, _, body = client.request(url, {"Range": "bytes=-65536"})
    read = _bytes_read() - before
    assert status == 206 and body.endswith(b"tail-of-the-file") and len(body) == 65536
    # The server's read and the client's receive, plus headers: far from 2 GiB.
    assert read < 1024 * 1024, f"{read} bytes read for a 64 KiB range"


def _open_files():
    return len(os.listdir("/proc/self/fd"))


def test_aborted_downloads_leave_no_open_file(server, media_app):
    url = media_url(media_app, "stall.mp4")
    baseline, threads = _open_files(), threading.active_count()
    for n in range(200):
        sock = socket.create_connection(("127.0.0.1", server.port))
        ranges = "" if n % 2 else "Range: bytes=1000-\r\n"
        sock.sendall(f"GET {url} HTTP/1.1\r\nHost: x\r\n{ranges}\r\n".encode())
        sock.recv(1024)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        sock.close()  # RST: the client is gone mid-transfer
    deadline = time.monotonic() + 15
    while _open_files() > baseline + 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _open_files() <= baseline + 2
    assert threading.active_count() <= threads

"""Requests for a name that is not this app's are refused over a real waitress, before
any URL is built from it: the Host header is not reflected, and a DNS-rebound page
(same origin to the browser) cannot reach the API."""

import http.client
import json

import pytest

from tests.common.servers import LiveServer


@pytest.fixture(scope="module")
def server(make_module_app):
    with LiveServer(make_module_app(**{"mediacaster.require_signed_media": "false"})) as live:
        yield live


def request(server, path, host, method="GET", body=None, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        conn.putrequest(method, path, skip_host=True)
        conn.putheader("Host", host)
        for name, value in (headers or {}).items():
            conn.putheader(name, value)
        conn.endheaders(body)
        response = conn.getresponse()
        return response.status, response.headers, response.read()
    finally:
        conn.close()


@pytest.mark.parametrize(
    "host", ["evil.example", "evil.example:6543", "203.0.113.7", "localhost.evil.example"]
)
def test_an_unknown_host_is_refused_in_the_apis_shape(server, host):
    status, headers, body = request(server, "/api/library/video", host)
    assert status == 400
    assert headers["Content-Type"] == "application/json"
    error = json.loads(body)
    assert error["error"] == "unknown_host"
    assert host in error["detail"] and "mediacaster.allowed_hosts" in error["detail"]


def test_the_page_for_an_unknown_host_links_nowhere_near_it(server):
    status, headers, body = request(server, "/library/video", "evil.example")
    assert status == 400 and headers["Content-Type"].startswith("text/html")
    assert b"evil.example/" not in body and b"//evil.example" not in body


def test_a_rebound_page_cannot_cast(server):
    """The browser thinks http://evil.example:port is same-origin with itself."""
    origin = f"http://evil.example:{server.port}"
    status, _, body = request(
        server,
        "/api/cast",
        f"evil.example:{server.port}",
        "POST",
        b'{"path":"video/movie.mp4"}',
        {"Origin": origin, "Sec-Fetch-Site": "same-origin", "Content-Type": "application/json"},
    )
    assert (status, json.loads(body)["error"]) == (400, "unknown_host")


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1", "[::1]"])
def test_this_machines_names_answer(server, host):
    status, _, body = request(server, "/api/library/video", f"{host}:{server.port}")
    assert status == 200
    assert json.loads(body)["entries"][0]["url"].startswith(f"http://{host}:{server.port}/")


def test_a_configured_name_answers_and_others_not(make_app):
    app = make_app(**{"mediacaster.allowed_hosts": "nas.example"})
    with LiveServer(app) as server:
        assert request(server, "/healthz", "nas.example")[0] == 200
        assert request(server, "/healthz", "127.0.0.1")[0] == 200
        assert request(server, "/healthz", "other.example")[0] == 400

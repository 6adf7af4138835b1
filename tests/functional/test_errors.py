"""Bad input answers a clear 4xx, never a 500 traceback; paths never leave a root."""

import http.client
import json

import pytest
from pyramid.config import Configurator

from tests.common.servers import LiveServer

TRAVERSALS = [
    "/media/video/../../../etc/passwd",
    "/media/video/%2e%2e/%2e%2e/etc/passwd",
    "/media/video/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd",
    "/media/video/..%5c..%5cetc%5cpasswd",
    "/media/video/Series/..%2f..%2f..%2fetc/passwd",
    "/media/video//etc/passwd",
    "/media/video/%2Fetc%2Fpasswd",
    "/media/video/movie.mp4%00.txt",
    "/media/video/escape.mp4",
    "/media/video/escape-dir/secret.mp4",
    "/media/video/.hidden.mp4",
    "/library/video/escape-dir",
    "/library/video/%2e%2e",
    "/api/library/video/%2e%2e/audio",
    "/download/video/escape.mp4",
    "/media/nope/movie.mp4",
]


def raw_get(server, path):
    """Send the path exactly as written, as an attacker would, to a real waitress."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    conn.putrequest("GET", path, skip_accept_encoding=True)
    conn.endheaders()
    response = conn.getresponse()
    body = response.read()
    conn.close()
    return response.status, response.getheader("Content-Type"), body


@pytest.fixture(scope="module")
def unsigned_server(make_module_app):
    """Signatures off, so that path resolution alone stands between a request and the disk."""
    with LiveServer(make_module_app(**{"mediacaster.require_signed_media": "false"})) as server:
        yield server


@pytest.mark.parametrize("path", TRAVERSALS)
def test_paths_never_escape_a_root(unsigned_server, path):
    status, _, body = raw_get(unsigned_server, path)
    assert status == 404
    assert b"root:x:0:0" not in body
    assert body not in (b"secret", b"hidden")


def test_unknown_page_is_html_for_people(testapp):
    page = testapp.get("/no/such/page", status=404)
    assert page.content_type == "text/html"
    assert page.html.select_one("h1").text == "Nothing here"  # in words, not "404 · Not found"
    assert page.html.select_one(".error-detail").text == "no page at /no/such/page"
    assert "browse to it from the library" in page.text


def test_unknown_api_path_is_json(testapp):
    response = testapp.get("/api/library/video/missing.mp4", status=404)
    assert response.json == {"error": "not_found", "detail": "no such file or folder"}
    assert testapp.get("/api/nothing", status=404).json["error"] == "not_found"
    assert testapp.get("/api/library/nope", status=404).json == {
        "error": "not_found",
        "detail": "no library root named 'nope'",
    }


def test_wrong_method_is_a_clear_error(testapp):
    response = testapp.post("/api/library/video", status=405)
    assert response.json == {"error": "method_not_allowed", "detail": "POST is not allowed here"}
    assert response.headers["Allow"] == "GET, HEAD"
    assert testapp.delete("/library/video", status=405).content_type == "text/html"


def test_a_bug_is_a_500_page_not_a_traceback(app, testapp):
    def broken(request):
        raise RuntimeError("boom")

    config = Configurator(registry=app.registry)
    config.add_route("test.broken", "/broken")
    config.add_route("test.api.broken", "/api/broken")
    config.add_view(broken, route_name="test.broken")
    config.add_view(broken, route_name="test.api.broken")
    config.commit()
    page = testapp.get("/broken", status=500, expect_errors=True)
    assert page.content_type == "text/html"
    assert "Traceback" not in page.text and "boom" not in page.text
    assert testapp.get("/api/broken", status=500).json == {
        "error": "internal_error",
        "detail": "something went wrong on the server; it has been logged",
    }


def test_bad_page_and_sort_parameters_fall_back(testapp):
    page = testapp.get("/library/video", {"page": "x", "sort": "evil", "order": "sideways"})
    assert page.status_int == 200
    assert testapp.get("/library/video", {"page": "999"}).status_int == 200


@pytest.mark.parametrize(
    "path", ["/library/%ff", "/media/video/%C3%28.mp4", "/no/%fe%ff", "/api/library/%ff"]
)
def test_escapes_that_do_not_spell_utf8_name_bytes_that_are_not_there(unsigned_server, path):
    # A NAS may hold names that are not UTF-8 (tests/functional/test_odd_names.py):
    # such an address is looked up like any other, and here finds nothing.
    status, content_type, body = raw_get(unsigned_server, path)
    assert status == 404
    if path.startswith("/api/"):
        assert content_type == "application/json"
        assert json.loads(body)["error"] == "not_found"
    else:
        assert content_type.startswith("text/html") and b"<h1>" in body

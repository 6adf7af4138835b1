"""docs/nginx.conf against a real nginx: the app under /mediacenter/ on a unix
socket, media bytes sent by nginx through X-Accel-Redirect."""

import configparser
import http.client
import json
import os
import random
from urllib.parse import quote, urlsplit

import pytest

from mediacaster import main
from tests.common.app import REPO, app_settings
from tests.common.nginx_docs import rendered_conf
from tests.common.servers import LiveServer, Nginx


@pytest.fixture(scope="module")
def roots(tmp_path_factory):
    base = tmp_path_factory.mktemp("nginx-library")
    roots = {name: base / name for name in ("video", "audio", "images")}
    for folder in roots.values():
        folder.mkdir()
    (roots["video"] / "clip.mp4").write_bytes(random.Random(3).randbytes(300_000))
    (roots["video"] / "Ünïcode #1?%.mp4").write_bytes(b"odd bytes")
    (roots["video"] / "show.mkv").write_bytes(b"matroska")
    (roots["video"] / os.fsdecode(b"caf\xe9.mp4")).write_bytes(b"latin-1 name")
    with open(roots["video"] / "huge.mp4", "wb") as sparse:
        sparse.truncate(2 * 1024**3)
        sparse.seek(2 * 1024**3 - 4)
        sparse.write(b"tail")
    return roots


@pytest.fixture(scope="module")
def proxy(redis_server, roots, tmp_path_factory):
    socket_path = tmp_path_factory.mktemp("sock") / "app.sock"
    app = main({}, **app_settings(roots, redis_server.url, **{"mediacaster.accel_redirect": "/_mediacaster"}))
    # The proxy trust production.ini ships, for the connections nginx makes on the unix socket.
    shipped = configparser.ConfigParser(interpolation=None)
    shipped.read(REPO / "production.ini")
    trusted = {
        key: shipped["server:main"][key] for key in ("trusted_proxy_headers", "clear_untrusted_proxy_headers")
    }
    server = LiveServer(
        app,
        unix_socket=str(socket_path),
        unix_socket_perms="666",
        url_prefix="/mediacenter",
        trusted_proxy="localhost",
        **trusted,
    )
    with server, Nginx(rendered_conf(roots, socket_path)) as nginx:
        yield nginx
    app.registry.services.close()


def get(nginx, path, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", nginx.port, timeout=10)
    conn.request("GET", path, headers=headers or {})
    response = conn.getresponse()
    result = response.status, response.headers, response.read()
    conn.close()
    return result


def local(url):
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def test_every_generated_url_carries_the_prefix_and_the_public_host(proxy):
    status, _, body = get(proxy, "/mediacenter/api/library/video")
    assert status == 200
    data = json.loads(body)
    base = f"http://127.0.0.1:{proxy.port}/mediacenter/"
    for entry in data["entries"]:
        for key in ("url", "api_url", "stream_url", "download_url"):
            assert entry[key].startswith(base), entry[key]
    status, _, page = get(proxy, "/mediacenter/library/video")
    assert status == 200
    assert f'href="{base}static/app.css' in page.decode()
    assert f'href="{base}library/video/clip.mp4"' in page.decode()


def test_forwarded_headers_a_client_sends_are_not_believed(proxy):
    # A Host without its port (as browsers send it for port 80) leaves the port to X-Forwarded-Port.
    forged = {
        "Host": "127.0.0.1",
        "X-Forwarded-Host": "evil.example",
        "X-Forwarded-Port": "1234",
        "X-Forwarded-Proto": "https",
    }
    status, _, body = get(proxy, "/mediacenter/api/library/video", forged)
    assert status == 200
    for entry in json.loads(body)["entries"]:
        assert entry["stream_url"].startswith(f"http://127.0.0.1:{proxy.port}/mediacenter/media/")


def test_a_host_that_is_not_the_apps_is_refused_through_nginx(proxy):
    status, _, body = get(proxy, "/mediacenter/api/library/video", {"Host": "evil.example"})
    assert (status, json.loads(body)["error"]) == (400, "unknown_host")


def test_a_name_that_is_not_utf8_is_sent_by_nginx(proxy):
    entries = json.loads(get(proxy, "/mediacenter/api/library/video")[2])["entries"]
    (odd,) = [e for e in entries if e["name"] == os.fsdecode(b"caf\xe9.mp4")]
    assert odd["stream_url"].split("?")[0].endswith("/media/video/caf%E9.mp4")
    assert get(proxy, local(odd["stream_url"]))[:3:2] == (200, b"latin-1 name")


def test_nginx_sends_the_media_with_ranges(proxy, roots):
    data = (roots["video"] / "clip.mp4").read_bytes()
    entry = json.loads(get(proxy, "/mediacenter/api/library/video/clip.mp4")[2])
    status, headers, body = get(proxy, local(entry["stream_url"]))
    assert status == 200 and body == data
    assert headers["Content-Type"] == "video/mp4"
    assert headers["Access-Control-Allow-Origin"] == "*"
    assert headers["Accept-Ranges"] == "bytes"
    status, headers, body = get(proxy, local(entry["stream_url"]), {"Range": "bytes=1000-1999"})
    assert status == 206 and body == data[1000:2000]
    assert headers["Content-Range"] == f"bytes 1000-1999/{len(data)}"
    status, _, body = get(proxy, local(entry["stream_url"]), {"Range": "bytes=0-9", "If-Range": '"stale"'})
    assert status == 200 and body == data


def test_the_apps_content_type_wins_over_nginxs_table(proxy):
    entry = json.loads(get(proxy, "/mediacenter/api/library/video/show.mkv")[2])
    status, headers, body = get(proxy, local(entry["stream_url"]))
    assert (status, body, headers["Content-Type"]) == (200, b"matroska", "video/x-matroska")


def test_downloads_and_odd_names_through_nginx(proxy):
    entries = json.loads(get(proxy, "/mediacenter/api/library/video")[2])["entries"]
    odd = next(e for e in entries if e["name"].startswith("Ünïcode"))
    assert get(proxy, local(odd["stream_url"]))[2] == b"odd bytes"
    status, headers, body = get(proxy, local(odd["download_url"]))
    assert status == 200 and body == b"odd bytes"
    assert headers["Content-Disposition"].startswith("attachment; filename=")
    assert "filename*=UTF-8''%C3%9Cn%C3%AFcode" in headers["Content-Disposition"]


def test_tail_of_a_huge_file_through_nginx(proxy):
    entry = json.loads(get(proxy, "/mediacenter/api/library/video/huge.mp4")[2])
    status, _, body = get(proxy, local(entry["stream_url"]), {"Range": "bytes=-4"})
    assert (status, body) == (206, b"tail")


def test_the_app_still_checks_signatures_and_paths(proxy):
    status, _, body = get(proxy, "/mediacenter/media/video/clip.mp4")
    assert status == 403 and b"carries no signature" in body
    assert get(proxy, "/mediacenter/media/video/%2e%2e/%2e%2e/etc/passwd")[0] in (400, 404)
    # The internal locations cannot be asked for directly.
    assert get(proxy, "/_mediacaster/video/clip.mp4")[0] == 404
    assert get(proxy, quote("/_mediacaster/video/huge.mp4"))[0] == 404

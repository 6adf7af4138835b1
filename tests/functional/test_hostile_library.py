"""A NAS full of odd files: special files never hang a request or break a page.

FIFOs (a second reader blocks in open() until a writer comes, for ever),
sockets and symlink loops, named like media, sidecars and covers, served by a
real waitress with the 4 threads of development.ini.
"""

import http.client
import json
import os
import shutil
import socket
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.common.servers import LiveServer


@pytest.fixture(scope="module")
def odd_library(tmp_path_factory, media_library):
    base = tmp_path_factory.mktemp("odd")
    films, music = base / "films", base / "music"
    films.mkdir()
    music.mkdir()
    shutil.copy(media_library["films"] / "tail index.mp4", films / "film.mp4")
    os.mkfifo(films / "film.en.srt")  # a FIFO where a sidecar would be
    os.mkfifo(films / "pipe.mp4")  # a FIFO named like a film
    os.symlink("loop.mp4", films / "loop.mp4")  # a symlink to itself
    os.symlink("nowhere.mp4", films / "gone.mp4")  # a symlink to nothing: unreadable
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(str(films / "socket.mp4"))
    shutil.copy(media_library["music"] / "tone.flac", music / "tone.flac")
    os.mkfifo(music / "cover.jpg")  # a FIFO where the folder's cover would be
    script = (
        "<script>fetch('/api/session').then(r => r.json()).then(s => document.title = s.csrf_token)</script>"
    )
    (films / "evil.html").write_text(f"<html><body>{script}</body></html>")
    (films / "evil.svg").write_text(f'<svg xmlns="http://www.w3.org/2000/svg">{script}</svg>')
    (films / "evil.xhtml").write_text(f'<html xmlns="http://www.w3.org/1999/xhtml">{script}</html>')
    yield {"films": films, "music": music}
    listener.close()


@pytest.fixture(scope="module")
def server(redis_server, odd_library):
    from mediacaster import main
    from tests.common.app import app_settings

    settings = app_settings(odd_library, redis_server.url, **{"mediacaster.require_signed_media": "false"})
    app = main({}, **settings)
    with LiveServer(app, threads=4) as live:
        yield live
    app.registry.services.close()


def get(server, path, timeout=5, headers=False):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=timeout)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        body = response.read()
        return (response.status, body, response.headers) if headers else (response.status, body)
    finally:
        conn.close()


def test_special_files_are_not_listed(server):
    status, body = get(server, "/api/library/films")
    assert status == 200
    assert [e["name"] for e in json.loads(body)["entries"]] == [
        "evil.html",
        "evil.svg",
        "evil.xhtml",
        "film.mp4",
    ]
    status, page = get(server, "/library/films")
    assert status == 200 and b"pipe.mp4" not in page and b"socket.mp4" not in page


@pytest.mark.parametrize(
    "path",
    [
        "/media/films/pipe.mp4",
        "/download/films/pipe.mp4",
        "/library/films/pipe.mp4",
        "/api/library/films/pipe.mp4",
        "/picture/films/pipe.mp4",
        "/subtitles/films/pipe.mp4?track=1",
        "/media/films/socket.mp4",
        "/media/films/loop.mp4",
        "/library/films/loop.mp4",
        "/media/films/gone.mp4",
        "/api/library/films/gone.mp4",
        "/media/films/film.en.srt",
        "/media/music/cover.jpg",
    ],
)
def test_special_files_answer_404_at_once(server, path):
    started = time.monotonic()
    status, _ = get(server, path)
    assert status == 404
    assert time.monotonic() - started < 2


def test_a_fifo_sidecar_or_cover_hangs_nothing(server):
    """Many requests that would each open the FIFOs, at once: the server still answers."""
    paths = ["/library/films/film.mp4", "/api/library/films/film.mp4", "/picture/music/tone.flac"] * 4
    with ThreadPoolExecutor(len(paths)) as pool:
        statuses = list(pool.map(lambda path: get(server, path, timeout=30)[0], paths))
    assert set(statuses) <= {200, 404}, statuses
    started = time.monotonic()
    assert get(server, "/healthz")[0] == 200
    assert time.monotonic() - started < 3
    # The film's page offers no subtitle track for the FIFO beside it.
    status, body = get(server, "/api/library/films/film.mp4")
    assert status == 200 and json.loads(body)["subtitles"] == []


@pytest.mark.parametrize("name", ["evil.html", "evil.svg", "evil.xhtml"])
def test_files_a_browser_would_run_are_downloads_that_run_nothing(server, name):
    status, body, headers = get(server, f"/media/films/{name}", headers=True)
    assert status == 200 and b"<script>" in body  # the bytes as they are, for who wants them
    assert headers["Content-Disposition"].startswith("attachment")
    assert headers["Content-Security-Policy"] == "sandbox"
    assert headers["X-Content-Type-Options"] == "nosniff"


def test_media_is_shown_inline_but_sandboxed(server):
    status, _, headers = get(server, "/media/films/film.mp4", headers=True)
    assert status == 200 and "Content-Disposition" not in headers
    assert headers["Content-Security-Policy"] == "sandbox"
    assert headers["Access-Control-Allow-Origin"] == "*"


def test_pages_carry_a_strict_policy_and_leak_no_referrer_to_other_sites(server):
    for path in ("/", "/library/films", "/no/such/page"):
        _, _, headers = get(server, path, headers=True)
        policy = headers["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
        assert "unsafe-inline" not in policy
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["Referrer-Policy"] == "same-origin"
        assert headers["X-Content-Type-Options"] == "nosniff"
    _, _, headers = get(server, "/api/library/films", headers=True)
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'none'"


@pytest.mark.parametrize(
    "path",
    ["/api/library/films?q=", "/library/films?q=", "/api/search?q=", "/search?q="],
)
def test_a_query_of_thousands_of_words_costs_little(server, path):
    started = time.monotonic()
    status, _ = get(server, path + "+".join(["film"] * 5000 + ["mp4"]))
    assert status in (200, 400)  # the API may refuse it as too long
    assert time.monotonic() - started < 3

"""Browsing the library as HTML and JSON, through the whole app and a real Redis."""

import http.client
import json
import unicodedata
from urllib.parse import quote

import pytest
import webtest


@pytest.fixture(scope="module")
def app(make_module_app):
    """One app for the module's tests: they only read from it."""
    return make_module_app()


def test_home_lists_the_roots(testapp):
    page = testapp.get("/")
    assert [a.text for a in page.html.select(".roots a span")] == ["audio", "images", "video"]


def test_folder_lists_folders_first_with_breadcrumbs(testapp):
    page = testapp.get("/library/video/Series")
    rows = page.html.select("table.entries tbody tr")
    assert [r.select_one(".name a").text for r in rows] == ["Season 1"]
    page = testapp.get("/library/video/Series/Season%201")
    crumbs = [a.text for a in page.html.select(".crumbs a")]
    assert crumbs == ["Library", "video", "Series"]
    assert page.html.select_one(".crumbs [aria-current]").text == "Season 1"
    rows = page.html.select("table.entries tbody tr")
    assert [r.select_one(".name a").text for r in rows] == ["Episode 2.mkv", "Episode 10.mkv"]
    assert rows[0]["class"] == ["kind-video"]
    assert rows[0].select_one("use")["href"] == "#icon-video"


def test_sort_and_filter(testapp):
    page = testapp.get("/library/video/Series/Season%201", {"sort": "size", "order": "desc"})
    names = [a.text for a in page.html.select("table.entries .name a")]
    assert names == ["Episode 10.mkv", "Episode 2.mkv"]
    page = testapp.get("/library/video", {"q": "movie"})
    assert [a.text for a in page.html.select("table.entries .name a")] == ["movie.mp4"]
    page = testapp.get("/library/video", {"q": "nothing-like-this"})
    assert "Nothing here matches" in page.text


def test_file_detail_page_has_a_player_fed_from_the_media_view(testapp):
    page = testapp.get("/library/video/movie.mp4")
    assert page.html.select_one("video#player")
    # Shaka Player is not loaded with the page: the player adds it for a manifest.
    scripts = [s["src"] for s in page.html.select("script[src]")]
    assert not any("shaka-player" in src for src in scripts)
    box = page.html.select_one("#player-box")
    assert "/static/vendor/shaka-player/shaka-player.compiled.js?v=" in box["data-shaka"]
    # The page's player asks how the file plays here; as it is, it is fetched from the media view.
    assert box["data-playback"] == "http://localhost/api/playback/video/movie.mp4"
    plan = testapp.get(box["data-playback"], {"can": "h264,aac,mp4,mse_h264,mse_aac"}).json
    assert plan["url"].startswith("http://localhost/media/video/movie.mp4?exp=")
    assert testapp.get(plan["url"]).body.startswith(b"\x00\x00\x00\x18ftyp")
    assert page.html.select_one("audio") is None
    assert testapp.get("/library/audio/Album/01%20Song.mp3").html.select_one("audio#player")
    assert testapp.get("/library/images/photo.png").html.select_one("img#player")


def test_json_folder(testapp):
    data = testapp.get("/api/library/video/Series/Season%201").json
    assert data["root"] == "video"
    assert data["path"] == "Series/Season 1"
    assert data["parent"] == "Series"
    first = data["entries"][0]
    assert first["name"] == "Episode 2.mkv"
    assert first["path"] == "Series/Season 1/Episode 2.mkv"
    assert first["kind"] == "video"
    assert first["size"] == 2
    assert first["content_type"] == "video/x-matroska"
    assert first["mtime"].endswith("+00:00")
    stream, query = first["stream_url"].split("?")
    assert stream == "http://localhost/media/video/Series/Season%201/Episode%202.mkv"
    assert (
        first["download_url"] == f"http://localhost/download/video/Series/Season%201/Episode%202.mkv?{query}"
    )
    assert testapp.get(first["stream_url"]).body == b"e2"
    root = testapp.get("/api/library/video").json
    assert root["parent"] is None and root["path"] == ""
    assert testapp.get("/api/library/video/Series").json["parent"] == ""


def test_the_api_path_may_send_each_slash_as_2f(live_server):
    """OpenAPI clients encode the one path parameter's slashes; the server reads both forms alike."""
    conn = http.client.HTTPConnection("127.0.0.1", live_server.port, timeout=10)
    conn.request("GET", "/api/library/video%2FSeries%2FSeason%201")
    response = conn.getresponse()
    data = json.loads(response.read())
    conn.close()
    assert response.status == 200
    assert (data["root"], data["path"]) == ("video", "Series/Season 1")


def test_json_file_and_roots(testapp):
    entry = testapp.get("/api/library/video/movie.mp4").json
    assert entry["name"] == "movie.mp4" and entry["kind"] == "video"
    roots = testapp.get("/api/library").json["roots"]
    assert [r["name"] for r in roots] == ["audio", "images", "video"]
    assert all(r["kind"] == "folder" for r in roots)


ODD_NAMES = ["odd name #1?%.mp4", "Café.webm", "Cafe\u0301 noir.webm"]


@pytest.mark.parametrize("name", ODD_NAMES)
def test_odd_names_list_link_and_open(testapp, name):
    listing = testapp.get("/api/library/video").json["entries"]
    entry = next(e for e in listing if e["name"] == name)
    assert entry["url"] == "http://localhost/library/video/" + quote(name.encode())
    assert testapp.get(entry["url"]).html.select_one("h1").text.strip() == name
    assert testapp.get(entry["stream_url"]).body in (b"odd", b"nfc", b"nfd")
    page = testapp.get("/library/video")
    assert name in [a.text for a in page.html.select("table.entries .name a")]


def test_nfc_url_opens_an_nfd_file(make_app):
    testapp = webtest.TestApp(make_app(**{"mediacaster.require_signed_media": "false"}))
    nfc = unicodedata.normalize("NFC", "Cafe\u0301 noir.webm")
    assert testapp.get("/media/video/" + quote(nfc.encode())).body == b"nfd"


def test_search_html_and_json(testapp):
    page = testapp.get("/search", {"q": "episode"})
    assert [a.text for a in page.html.select("table.entries .name a")] == ["Episode 2.mkv", "Episode 10.mkv"]
    data = testapp.get("/api/search", {"q": "song"}).json
    assert data["total"] == 1
    assert data["entries"][0]["stream_url"].startswith("http://localhost/media/audio/Album/01%20Song.mp3?")
    assert testapp.get("/api/search", {"q": "x", "limit": "0"}, status=400).json["error"] == "bad_request"
    assert testapp.get("/api/search", status=400).json["detail"] == "give the words to search for as ?q="


@pytest.mark.slow
def test_a_big_folder_pages_its_html_and_lists_all_its_json(make_app, tmp_path):
    for n in range(1200):
        (tmp_path / f"clip {n:05}.mp4").write_bytes(b"")
    testapp = webtest.TestApp(make_app(roots={"big": tmp_path}, **{"mediacaster.page_size": "500"}))
    first = testapp.get("/library/big")
    assert len(first.html.select("table.entries tbody tr")) == 500
    assert [a.text for a in first.html.select(".pages a")] == ["2", "3"]
    last = testapp.get("/library/big", {"page": "3"})
    assert [a.text for a in last.html.select("table.entries .name a")][-1] == "clip 01199.mp4"
    assert len(testapp.get("/api/library/big").json["entries"]) == 1200
    # The page's script polls only the page it shows.
    assert "page=3" in last.html.select_one("#entries")["data-poll"]
    page = testapp.get("/api/library/big", {"offset": "1000", "limit": "500"}).json
    assert page["total"] == 1200 and len(page["entries"]) == 200
    assert page["entries"][0]["name"] == "clip 01000.mp4"
    assert testapp.get("/api/library/big", {"limit": "0"}, status=400).json["error"] == "bad_request"


def test_healthz(testapp):
    data = testapp.get("/healthz").json
    assert data["status"] == "ok"
    assert data["redis"] == {"reachable": True}
    assert data["roots"] == {name: {"readable": True} for name in ("audio", "images", "video")}
    assert data["search"]["ready"] is True
    assert data["discovery"]["running"] is False  # off in these tests

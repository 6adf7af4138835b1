"""Names a NAS really holds: bytes that are not UTF-8, line breaks, 250-byte names,
and media whose tags are hostile. Each is listed, searched, opened, streamed,
subtitled and cast, without loss, over a real waitress.
"""

import http.client
import json
import os
import shutil
import subprocess

import pytest
import webtest
from bs4 import BeautifulSoup

from tests.common.app import wait_for
from tests.common.servers import LiveServer

LATIN1 = os.fsdecode(b"Caf\xe9 cr\xe8me.mp4")  # as Python reads it: lone surrogates
ALBUM = os.fsdecode(b"Disque \xe9t\xe9")
NEWLINE = "two\nlines.mp4"
LONG = "\u00e9" * 120 + "abcde.mp4"  # 249 bytes: Linux allows 255
SCRIPT = "<script>document.title='owned'</script>"
BEDROOM = "Bedroom TV"


@pytest.fixture(scope="module")
def odd_names(tmp_path_factory, media_library):
    films = tmp_path_factory.mktemp("odd-names") / "films"
    films.mkdir()
    source = media_library["films"] / "tail index.mp4"
    for name in (LATIN1, NEWLINE, LONG):
        shutil.copy(source, films / name)
    shutil.copy(media_library["films"] / "tail index.en.srt", films / (LATIN1[:-4] + ".en.srt"))
    (films / ALBUM).mkdir()
    shutil.copy(media_library["music"] / "tone.flac", films / ALBUM / "piste 1.flac")
    shutil.copy(media_library["base"] / "photo.jpg", films / ALBUM / "cover.jpg")
    # Tags as a hostile file would carry them: markup, a line break, bytes that are not UTF-8.
    subprocess.run(
        [
            "ffmpeg", "-v", "error", "-i", str(media_library["music"] / "tone.flac"), "-c", "copy",
            "-metadata", f"title={SCRIPT}", "-metadata", "artist=Line\nBreak",
            "-metadata", b"album=Caf\xe9".decode("utf-8", "surrogateescape"),
            str(films / "tagged.flac"),
        ],
        check=True,
    )  # fmt: skip
    assert len(os.fsencode(LONG)) == 249
    return films


@pytest.fixture
def app(make_app, odd_names, hidden_tv):
    return make_app(
        roots={"films": odd_names},
        **{
            "mediacaster.discovery": "true",
            "mediacaster.discovery_interfaces": "127.0.0.1",
            "mediacaster.known_hosts": "127.0.0.3",
        },
    )


@pytest.fixture
def server(app):
    with LiveServer(app) as live:
        yield live


@pytest.fixture
def client(app, server):
    environ = {"HTTP_HOST": f"127.0.0.1:{server.port}", "SERVER_PORT": str(server.port)}
    return webtest.TestApp(app, extra_environ=environ)


def fetch(server, url):
    """GET ``url`` (absolute, as the app wrote it) over a real connection, bytes as they are."""
    path = url.split(str(server.port), 1)[1]
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read(), response.headers
    finally:
        conn.close()


def listed(client, path=""):
    return {e["name"]: e for e in client.get(f"/api/library/films{path}").json["entries"]}


def test_every_odd_name_is_listed_with_its_exact_name(client):
    names = listed(client)
    assert {LATIN1, NEWLINE, LONG, ALBUM, "tagged.flac"} <= set(names)
    # On the wire the byte that is not UTF-8 is an escaped lone surrogate.
    raw = client.get("/api/library/films").body
    assert b'"Caf\\udce9 cr\\udce8me.mp4"' in raw
    assert names[LATIN1]["url"].endswith("/library/films/Caf%E9%20cr%E8me.mp4")
    assert names[NEWLINE]["url"].endswith("/library/films/two%0Alines.mp4")


@pytest.mark.parametrize("name", [LATIN1, NEWLINE, LONG])
def test_each_url_of_an_odd_name_opens_it(client, server, name):
    entry = listed(client)[name]
    assert entry["kind"] == "video"
    for key in ("url", "api_url", "stream_url", "download_url", "picture_url"):
        status, body, headers = fetch(server, entry[key])
        assert status == 200, (key, status, body[:200])
    status, body, _ = fetch(server, entry["api_url"])
    assert json.loads(body)["path"] == name
    status, body, headers = fetch(server, entry["download_url"])
    assert body[4:8] == b"ftyp"
    assert headers["Content-Disposition"].startswith("attachment")


def test_a_folder_whose_name_is_not_utf8_opens_with_its_cover(client, server):
    folder = listed(client)[ALBUM]
    status, body, _ = fetch(server, folder["url"])
    assert status == 200
    page = BeautifulSoup(body, "html.parser")
    assert "Disque \\xe9t\\xe9" in page.h1.text
    # The page polls its own real URL for probe results, not the routed stand-in.
    poll = page.select_one("[data-poll]")["data-poll"]
    assert poll.endswith("/library/films/Disque%20%E9t%E9")
    assert fetch(server, poll)[0] == 200
    track = {e["name"]: e for e in json.loads(fetch(server, folder["api_url"])[1])["entries"]}["piste 1.flac"]
    assert track["path"] == f"{ALBUM}/piste 1.flac"
    status, body, headers = fetch(server, track["picture_url"])
    assert (status, headers["Content-Type"]) == (200, "image/jpeg")


def test_pages_show_each_byte_that_is_not_utf8_readably(client):
    page = BeautifulSoup(client.get("/library/films").text, "html.parser")
    shown = [a.text.strip() for a in page.select("td.name a")]
    assert "Caf\\xe9 cr\\xe8me.mp4" in shown
    assert LONG in shown
    (cast,) = [b for b in page.select("button.cast-button") if b["data-title"] == "Caf\\xe9 cr\\xe8me.mp4"]
    assert json.loads(cast["data-cast-path"]) == f"films/{LATIN1}"


def test_search_finds_odd_names(client):
    found = client.get("/api/search", {"q": "cr"}).json["entries"]
    assert LATIN1 in [e["name"] for e in found]
    page = client.get("/search", {"q": "lines"})
    assert "two\nlines.mp4" in page.text


def test_a_sidecar_of_an_odd_name_is_served_as_webvtt(client, server):
    entry = client.get(listed(client)[LATIN1]["api_url"].split(str(server.port), 1)[1]).json
    (track,) = [t for t in entry["subtitles"] if t["language"] == "en"]
    status, body, _ = fetch(server, track["url"])
    assert status == 200 and body.startswith(b"WEBVTT")


def test_an_odd_name_is_cast_from_the_path_its_listing_gave(app, client, hidden_tv):
    devices = app.registry.services.cast.devices
    wait_for(lambda: any(d.name == BEDROOM and d.online for d in devices()), 40, "the device")
    name = listed(client)[LATIN1]["path"]
    # As a script would send it back: json.dumps escapes the lone surrogates.
    body = json.dumps({"path": f"films/{name}", "device": BEDROOM})
    assert "\\udce9" in body
    loads = len(hidden_tv.loads)
    reply = client.post("/api/cast", body, content_type="application/json")
    assert reply.json["status"]["media"]["title"] == "Caf\\xe9 cr\\xe8me"
    wait_for(lambda: len(hidden_tv.loads) > loads, 10, "the LOAD")
    sent = hidden_tv.loads[-1][1]["media"]["contentId"]
    assert "/media/films/Caf%E9%20cr%E8me.mp4?" in sent
    wait_for(
        lambda: any(f.url == sent and f.status in (200, 206) for f in hidden_tv.fetches), 10, "the fetch"
    )


def test_hostile_tags_are_shown_as_text(client):
    wait_for(lambda: client.get("/api/library/films/tagged.flac").json["probe_state"] == "done", 20, "probe")
    entry = client.get("/api/library/films/tagged.flac").json
    tags = entry["probe"]["tags"]
    assert (tags["title"], tags["artist"]) == (SCRIPT, "Line\nBreak")
    assert tags["album"].startswith("Caf")  # ffprobe replaced the byte that is not UTF-8
    page = client.get("/library/films/tagged.flac")
    assert SCRIPT not in page.text
    assert "&lt;script&gt;" in page.text
    assert BeautifulSoup(page.text, "html.parser").title.text.startswith("tagged.flac")

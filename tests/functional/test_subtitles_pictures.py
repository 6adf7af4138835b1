"""Subtitles as WebVTT and pictures of the media, served, cached and cast."""

import shutil
import urllib.request

import pytest
import webtest

from mediacaster.services.ffmpeg import Tool
from mediacaster.services.subtitles import decode_text
from tests.common.app import wait_for

TV = "Living Room TV"


@pytest.fixture(scope="module")
def library(tmp_path_factory, media_library):
    folder = tmp_path_factory.mktemp("subs-pics")
    for name in (
        "tail index.mp4",
        "tail index.en.srt",
        "tail index.fr.srt",
        "ac3 with subtitles.mkv",
        "broken.mp4",
    ):
        shutil.copy(media_library["films"] / name, folder / name)
    (folder / "album").mkdir()
    (folder / "no cover").mkdir()
    shutil.copy(media_library["music"] / "song.mp3", folder / "album" / "song.mp3")
    shutil.copy(media_library["music"] / "tone.flac", folder / "album" / "tone.flac")
    shutil.copy(media_library["music"] / "tone.flac", folder / "no cover" / "tone.flac")
    shutil.copy(media_library["base"] / "photo.jpg", folder / "album" / "Cover.jpg")
    shutil.copy(media_library["base"] / "photo.jpg", folder / "photo.jpg")
    return folder


@pytest.fixture
def client(make_app, library, tmp_path):
    app = make_app(roots={"m": library}, **{"mediacaster.data_dir": str(tmp_path / "data")})
    return webtest.TestApp(app)


def file_entry(client, path):
    """The file's entry once it has been read (the first request only queues that)."""

    def read():
        entry = client.get(f"/api/library/m/{path}").json
        return None if entry.get("probe_state") == "pending" else entry

    return wait_for(read, 20, f"{path} to be read")


def test_sidecar_subtitles_in_any_encoding_become_webvtt(client):
    entry = file_entry(client, "tail index.mp4")
    assert [(t["id"], t["label"], t["language"]) for t in entry["subtitles"]] == [
        (1, "English", "en"),
        (2, "Français", "fr"),
    ]
    english = client.get(entry["subtitles"][0]["url"])
    assert english.content_type == "text/vtt" and english.charset == "utf-8"
    assert english.headers["Access-Control-Allow-Origin"] == "*"
    assert english.text.startswith("WEBVTT")
    assert "00:00.000 --> 00:01.000" in english.text and "Hello from the subtitles" in english.text
    french = client.get(entry["subtitles"][1]["url"]).text  # the file is Latin-1
    assert "Bonjour des the subtitles" in french and "Café crème" in french


def test_embedded_text_subtitles_become_webvtt(client):
    entry = file_entry(client, "ac3 with subtitles.mkv")
    assert [(t["id"], t["label"], t["language"]) for t in entry["subtitles"]] == [(1, "English", "eng")]
    vtt = client.get(entry["subtitles"][0]["url"]).text
    assert vtt.startswith("WEBVTT") and "Café crème" in vtt


def test_unknown_tracks_and_unsigned_requests(client):
    entry = file_entry(client, "tail index.mp4")
    client.get(entry["subtitles"][0]["url"].replace("track=1", "track=9"), status=404)
    client.get("/subtitles/m/tail%20index.mp4?track=1", status=403)


@pytest.mark.parametrize(
    ("data", "text"),
    [
        ("Café".encode("utf-8-sig"), "Café"),
        ("Café".encode("utf-16"), "Café"),
        ("Café \u2013 “quoted”".encode("cp1252"), "Café \u2013 “quoted”"),
        ("Café".encode("latin-1"), "Café"),
        (b"caf\x81", "caf\x81"),  # not CP1252: read as Latin-1
    ],
)
def test_encodings_are_detected(data, text):
    assert decode_text(data) == text


@pytest.mark.parametrize("path", ["tail index.mp4", "album/song.mp3", "album/tone.flac", "photo.jpg"])
def test_pictures_posters_cover_art_and_previews(client, path):
    picture = client.get(file_entry(client, path)["picture_url"])
    assert picture.content_type == "image/jpeg" and picture.body.startswith(b"\xff\xd8\xff")
    assert picture.headers["ETag"] and "max-age" in picture.headers["Cache-Control"]
    etag = picture.headers["ETag"]
    assert client.get(file_entry(client, path)["picture_url"], headers={"If-None-Match": etag}, status=304)


def test_pictures_are_made_once(client):
    url = file_entry(client, "tail index.mp4")["picture_url"]
    first = client.get(url).body
    client.app.registry.services.pictures.ffmpeg = Tool("false")  # only the cache can answer now
    assert client.get(url).body == first


def test_no_picture_is_a_clear_404(client):
    assert (
        "no cover art" in client.get(file_entry(client, "no cover/tone.flac")["picture_url"], status=404).text
    )
    assert "unreadable" in client.get(file_entry(client, "broken.mp4")["picture_url"], status=404).text


def test_listing_marks_unreadable_files(client):
    def probed():
        data = client.get("/api/library/m").json
        return data if data["probe"]["pending_here"] == 0 else None

    entries = {e["name"]: e for e in wait_for(probed, 30, "probes")["entries"]}
    assert entries["broken.mp4"]["probe"] == {
        "ok": False,
        "error": "not readable as media (Invalid data found when processing input)",
    }
    page = client.get("/library/m")
    row = page.html.select_one('tr[data-name="broken.mp4"]')
    assert "Unreadable" in row.text and "Invalid data found" in row.select_one(".unreadable")["title"]


def test_cast_carries_tracks_and_picture_and_subtitles_switch(make_app, library, tmp_path, tv, server_for):
    app = make_app(
        roots={"m": library},
        **{
            "mediacaster.data_dir": str(tmp_path / "data"),
            "mediacaster.discovery": "true",
            "mediacaster.discovery_interfaces": "127.0.0.1",
        },
    )
    wait_for(
        lambda: any(d.name == TV and d.online for d in app.registry.services.cast.devices()), 40, "discovery"
    )
    script = server_for(app)
    script.post_json("/api/cast", {"path": "m/tail index.mp4", "device": TV})
    # Paused, so the 2 s film is still there for the track changes on a loaded machine.
    script.post_json("/api/player/pause", {"device": TV})
    media = tv.loads[-1][1]["media"]
    tracks = media["tracks"]
    assert [(t["trackId"], t["language"], t["name"], t["trackContentType"]) for t in tracks] == [
        (1, "en", "English", "text/vtt"),
        (2, "fr", "Français", "text/vtt"),
    ]
    with urllib.request.urlopen(tracks[1]["trackContentId"]) as response:  # as the receiver would
        assert response.headers["Content-Type"].startswith("text/vtt") and b"Bonjour" in response.read()
    with urllib.request.urlopen(media["metadata"]["images"][0]["url"]) as response:
        assert response.headers["Content-Type"] == "image/jpeg"
    status = script.post_json("/api/player/subtitles", {"device": TV, "track": 2}).json
    assert status["media"]["active_tracks"] == [2]
    assert tv.media["activeTrackIds"] == [2]
    assert [t["name"] for t in status["media"]["tracks"]] == ["English", "Français"]
    assert (
        script.post_json("/api/player/subtitles", {"device": TV, "track": None}).json["media"][
            "active_tracks"
        ]
        == []
    )
    assert script.post_json("/api/player/subtitles", {"device": TV, "track": 9}, status=422).json["error"]
    script.post_json("/api/cast", {"path": "m/album/song.mp3", "device": TV})
    assert tv.loads[-1][1]["media"]["metadata"]["images"][0]["url"].startswith("http://127.0.0.1:")


def test_a_broken_sidecar_is_a_clear_error_not_a_500(client, library, tmp_path):
    (library / "tail index.xx.srt").write_bytes(b"\x00\x01 not subtitles at all \xff" * 20)
    try:
        entry = file_entry(client, "tail index.mp4")
        broken = next(t for t in entry["subtitles"] if t["language"] == "xx")
        response = client.get(broken["url"], status=422)
        assert "not readable as subtitles" in response.text
    finally:
        (library / "tail index.xx.srt").unlink()


@pytest.mark.slow
def test_a_thousand_videos_list_at_once_and_fill_in(make_app, media_library, tmp_path):
    folder = tmp_path / "many"
    folder.mkdir()
    source = media_library["films"] / "front index.mp4"
    for n in range(1000):
        (folder / f"clip {n:04d}.mp4").hardlink_to(source)  # distinct files to the prober
    client = webtest.TestApp(make_app(roots={"many": folder}, **{"mediacaster.page_size": "1000"}))
    page = client.get("/library/many")
    rows = page.html.select("tbody tr")
    assert len(rows) == 1000
    assert sum(row["data-probe"] == "pending" for row in rows) > 900  # listed without waiting

    seen = []

    def done():
        pending = client.get("/api/library/many").json["probe"]["pending_here"]
        seen.append(pending)
        return pending == 0

    wait_for(done, 180, "1,000 probes")
    assert seen[0] > 0 and seen == sorted(seen, reverse=True)  # visible, steady progress
    page = client.get("/library/many")
    assert {row.select_one(".length").text for row in page.html.select("tbody tr")} == {"0:02"}

"""The JSON cast API and sessions, through the whole app, a real waitress for the
device to fetch from, a real Redis and fake devices found over mDNS."""

import json
import shutil

import pytest
import webtest

from mediacaster.schemas.openapi import SPEC
from mediacaster.schemas.requests import PLAYER_ACTIONS, QUEUE_ACTIONS, SLIDESHOW_ACTIONS
from tests.common.app import wait_for
from tests.common.mediafiles import ffmpeg
from tests.common.servers import LiveServer

pytestmark = pytest.mark.slow

TV = "Living Room TV"
BEDROOM = "Bedroom TV"


@pytest.fixture(scope="module")
def castable(tmp_path_factory, media_library):
    folder = tmp_path_factory.mktemp("api-media")
    (folder / "Films").mkdir()
    shutil.copy(media_library["films"] / "tail index.mp4", folder / "Films" / "Le café #1.mp4")
    shutil.copy(media_library["music"] / "song.mp3", folder / "song.mp3")
    # A minute long, for the tests that pause or seek after the cast: on a loaded machine the
    # 2 s song may end first (and the console script's commands each take a second to start).
    tags = {"title": "Sine Song", "artist": "The Oscillators", "album": "Test Tones"}
    metadata = [arg for name, value in tags.items() for arg in ("-metadata", f"{name}={value}")]
    ffmpeg("-f", "lavfi", "-i", "sine=duration=60", *metadata, folder / "long song.mp3")
    shutil.copy(media_library["films"] / "hevc.mp4", folder / "Films" / "hevc.mp4")
    shutil.copy(media_library["films"] / "really ts.mp4", folder / "Films" / "really ts.mp4")
    (folder / "Films" / "broken.mp4").write_bytes(b"not a video" * 100)
    (folder / "readme.txt").write_text("hello")
    return folder


@pytest.fixture
def cast_app(make_app, castable, tv, hidden_tv):
    app = make_app(
        roots={"m": castable},
        **{
            "mediacaster.discovery": "true",
            "mediacaster.discovery_interfaces": "127.0.0.1",
            "mediacaster.known_hosts": "127.0.0.3",
        },
    )
    wait_for(lambda: len([d for d in app.registry.services.cast.devices() if d.online]) >= 2, 40, "discovery")
    return app


@pytest.fixture
def server(cast_app):
    with LiveServer(cast_app) as live:
        yield live


def browser(app, server):
    """A client with a cookie jar that addresses the app as the live server, like a browser."""
    return webtest.TestApp(app, extra_environ=as_served_by(server))


def as_served_by(server):
    return {"HTTP_HOST": f"127.0.0.1:{server.port}", "SERVER_PORT": str(server.port)}


def csrf(client):
    return {"X-CSRF-Token": client.get("/api/session").json["csrf_token"]}


def test_devices(cast_app, server, tv):
    devices = {d["name"]: d for d in browser(cast_app, server).get("/api/devices").json["devices"]}
    assert devices[TV] == {
        "id": str(tv.uuid),
        "name": TV,
        "model": "Chromecast",
        "type": "cast",
        "online": True,
        "problem": None,
        "host": "127.0.0.2",
        "last_seen": devices[TV]["last_seen"],
    }
    assert devices[BEDROOM]["online"]


def test_a_browser_chooses_a_device_and_casts(cast_app, server, tv):
    client = browser(cast_app, server)
    headers = csrf(client)
    assert client.get("/api/session/device").json == {"device": None}
    chosen = client.put_json("/api/session/device", {"device": TV}, headers=headers).json["device"]
    assert chosen["id"] == str(tv.uuid)
    fetched = len(tv.fetches)
    result = client.post_json("/api/cast", {"path": "m/Films/Le café #1.mp4"}, headers=headers).json
    assert result["device"]["name"] == TV
    assert result["media_url"].startswith(
        f"http://127.0.0.1:{server.port}/media/m/Films/Le%20caf%C3%A9%20%231.mp4?exp="
    )
    assert result["status"]["media"]["player_state"] == "PLAYING"
    assert result["status"]["media"]["title"] == "Le café #1"
    assert result["verdict"]["verdict"] == "plays"
    assert tv.fetches[fetched].status == 206 and tv.fetches[fetched].url == result["media_url"]
    session = client.get("/api/session").json
    assert session["recent"][0]["title"] == "Le café #1.mp4" and session["recent"][0]["device"] == TV
    page = client.get("/session")
    assert TV in page.text and "Le café #1.mp4" in page.text


def test_state_changes_with_the_cookie_need_the_token(cast_app, server):
    client = browser(cast_app, server)
    client.put_json("/api/session/device", {"device": TV}, headers=csrf(client))  # the session is made
    missing = client.put_json("/api/session/device", {}, headers=csrf(client), status=400).json
    assert missing["detail"] == "device is required: a device id or name"
    response = client.put_json("/api/session/device", {"device": TV}, status=403)
    assert response.json["error"] == "csrf_failed"
    assert client.post_json("/api/cast", {"path": "m/song.mp3", "device": TV}, status=403)


def test_scripts_without_a_cookie_name_the_device(cast_app, server, tv):
    script = browser(cast_app, server)
    result = script.post_json("/api/cast", {"path": "m/long song.mp3", "device": TV, "start": 1}).json
    assert result["status"]["media"]["player_state"] == "PLAYING"
    metadata = tv.loads[-1][1]["media"]["metadata"]  # from the file's own tags
    assert (metadata["title"], metadata["artist"], metadata["albumName"]) == (
        "Sine Song",
        "The Oscillators",
        "Test Tones",
    )
    assert tv.loads[-1][1]["currentTime"] == 1
    assert "Set-Cookie" not in script.post_json("/api/player/pause", {"device": TV}).headers
    assert tv.player_state == "PAUSED"
    assert script.get("/api/status", {"device": TV}).json["media"]["player_state"] == "PAUSED"
    assert script.post_json("/api/player/play", {"device": TV}).json["media"]["player_state"] == "PLAYING"
    assert tv.loads[-1][1]["media"]["duration"] == pytest.approx(60.0, abs=0.1)  # the file's, known
    script.post_json("/api/player/pause", {"device": TV})
    script.post_json("/api/player/seek", {"device": TV, "position": 1.5})
    assert tv.position() == pytest.approx(1.5, abs=0.4)
    assert (
        script.post_json("/api/player/volume", {"device": TV, "level": 0.25}).json["device"]["volume"] == 0.25
    )
    assert script.post_json("/api/player/mute", {"device": TV}).json["device"]["muted"] is True
    assert (
        script.post_json("/api/player/mute", {"device": TV, "muted": False}).json["device"]["muted"] is False
    )
    assert script.post_json("/api/player/stop", {"device": TV}).json["media"]["player_state"] == "IDLE"


@pytest.mark.parametrize(
    ("method", "url", "body", "status", "error"),
    [
        ("post", "/api/cast", {"path": "m/song.mp3", "device": "Garage TV"}, 404, "unknown_device"),
        ("post", "/api/cast", {"path": "m/missing.mp4", "device": TV}, 404, "not_found"),
        ("post", "/api/cast", {"path": "m/../../etc/passwd", "device": TV}, 404, "not_found"),
        ("post", "/api/cast", {"path": "m/Films", "device": TV}, 404, "not_found"),
        ("post", "/api/cast", {"path": "m/readme.txt", "device": TV}, 415, "unsupported_media"),
        ("post", "/api/cast", {"device": TV}, 400, "bad_request"),
        ("post", "/api/cast", {"path": "m/song.mp3"}, 409, "conflict"),
        ("post", "/api/cast", {"path": "m/song.mp3", "device": TV, "start": -1}, 422, "unprocessable_entity"),
        ("post", "/api/cast", {"path": "m/song.mp3", "device": TV, "start": "soon"}, 400, "bad_request"),
        ("post", "/api/player/volume", {"device": TV, "level": 2}, 422, "unprocessable_entity"),
        ("post", "/api/player/volume", {"device": TV, "level": "loud"}, 400, "bad_request"),
        ("post", "/api/player/seek", {"device": TV, "position": -5}, 422, "unprocessable_entity"),
        ("post", "/api/player/mute", {"device": TV, "muted": "yes"}, 400, "bad_request"),
        ("post", "/api/player/rewind", {"device": TV}, 404, "not_found"),
        ("get", "/api/status", None, 409, "conflict"),
    ],
)
def test_bad_input_answers_a_clear_error(cast_app, server, method, url, body, status, error):
    script = browser(cast_app, server)
    if method == "post":
        response = script.post_json(url, body, status=status)
    else:
        response = script.get(url, status=status)
    assert response.json["error"] == error and response.json["detail"]


def test_a_file_that_will_not_play_needs_force(cast_app, server, tv):
    script = browser(cast_app, server)
    refused = script.post_json("/api/cast", {"path": "m/Films/broken.mp4", "device": TV}, status=422).json
    assert refused["error"] == "will_not_play"
    assert "unreadable: not readable as media" in refused["detail"]
    script.post_json("/api/cast", {"path": "m/Films/broken.mp4", "device": TV, "force": True})
    assert tv.loads[-1][1]["media"]["contentId"].startswith(server.url + "/media/m/Films/broken.mp4?")


def test_a_file_converted_for_the_device_can_still_be_sent_as_it_is(cast_app, server, tv):
    script = browser(cast_app, server)
    direct = script.post_json("/api/cast", {"path": "m/Films/hevc.mp4", "device": TV, "direct": True}).json
    assert direct["delivery"] == "direct" and direct["verdict"]["verdict"] == "will_not_play"
    assert (
        "HEVC (H.265) video does not play on a 1st or 2nd generation Chromecast"
        in direct["verdict"]["reason"]
    )
    assert tv.loads[-1][1]["media"]["contentId"] == direct["media_url"]
    assert tv.loads[-1][1]["media"]["contentType"] == "video/mp4"


def test_a_mp4_that_is_mpeg_ts_is_cast_as_what_it_is(cast_app, server, tv):
    script = browser(cast_app, server)
    result = script.post_json("/api/cast", {"path": "m/Films/really ts.mp4", "device": TV}).json
    assert tv.loads[-1][1]["media"]["contentType"] == "video/mp2t"
    assert "it is MPEG-TS despite its name, cast as video/mp2t" in result["verdict"]["reason"]


def test_a_file_entry_with_a_device_carries_its_verdict_even_when_it_will_not_play(cast_app, server):
    script = browser(cast_app, server)
    hevc = script.get("/api/library/m/Films/hevc.mp4", {"device": TV}).json
    assert (hevc["verdict"]["verdict"], hevc["verdict"]["delivery"]) == ("plays_converted", "convert_all")
    assert hevc["verdict"]["reason"].startswith("plays after converting: HEVC (H.265) video does not play")
    broken = script.get("/api/library/m/Films/broken.mp4", {"device": TV}).json
    assert broken["verdict"]["verdict"] == "will_not_play"
    assert "verdict" not in script.get("/api/library/m/readme.txt", {"device": TV}).json
    assert "verdict" not in script.get("/api/library/m/Films/hevc.mp4").json


def test_library_entries_carry_the_probe_and_a_verdict(cast_app, server, tv):
    script = browser(cast_app, server)

    def probed_listing():
        data = script.get("/api/library/m/Films", {"device": TV}).json
        return data if data["probe"]["pending_here"] == 0 else None

    data = wait_for(probed_listing, 30, "probes")
    entries = {e["name"]: e for e in data["entries"]}
    film = entries["Le café #1.mp4"]
    assert film["probe_state"] == "done"
    assert film["probe"]["video"]["codec"] == "h264" and film["probe"]["duration"] == 2.0
    assert (film["probe"]["width"], film["probe"]["height"]) == (160, 90)
    assert film["verdict"] == {
        "verdict": "plays",
        "label": "Plays",
        "reason": "H.264 level 4 in MP4; AAC sound"[:0] + film["verdict"]["reason"],
        "delivery": "direct",
    }
    assert entries["hevc.mp4"]["verdict"]["verdict"] == "plays_converted"
    assert entries["broken.mp4"]["verdict"]["verdict"] == "will_not_play"
    assert entries["broken.mp4"]["probe"]["ok"] is False
    assert (
        script.get("/api/library/m/Films", {"device": "Garage TV"}, status=404).json["error"]
        == "unknown_device"
    )


def test_malformed_json(cast_app, server):
    script = browser(cast_app, server)
    response = script.post("/api/cast", "{not json", content_type="application/json", status=400)
    assert response.json["error"] == "bad_request" and "not valid JSON" in response.json["detail"]
    assert script.post("/api/cast", "[1, 2]", content_type="application/json", status=400).json["detail"] == (
        "the body must be a JSON object"
    )


def test_nothing_playing_is_409(cast_app, server):
    script = browser(cast_app, server)
    script.post_json("/api/cast", {"path": "m/song.mp3", "device": BEDROOM})
    script.post_json("/api/player/stop", {"device": BEDROOM})
    assert (
        script.post_json("/api/player/pause", {"device": BEDROOM}, status=409).json["error"]
        == "nothing_playing"
    )


def test_two_browsers_choose_different_devices(cast_app, server):
    first, second = browser(cast_app, server), browser(cast_app, server)
    first.put_json("/api/session/device", {"device": TV}, headers=csrf(first))
    second.put_json("/api/session/device", {"device": BEDROOM}, headers=csrf(second))
    assert first.get("/api/session/device").json["device"]["name"] == TV
    assert second.get("/api/session/device").json["device"]["name"] == BEDROOM


def test_the_chosen_device_survives_an_app_restart(make_app, cast_app, server, castable):
    client = browser(cast_app, server)
    client.put_json("/api/session/device", {"device": TV}, headers=csrf(client))
    restarted = make_app(roots={"m": castable})  # a new process would read the same Redis
    again = webtest.TestApp(restarted, extra_environ=as_served_by(server))
    again.cookiejar = client.cookiejar
    assert again.get("/api/session/device").json["device"]["name"] == TV


def test_clearing_the_session(cast_app, server):
    client = browser(cast_app, server)
    headers = csrf(client)
    client.put_json("/api/session/device", {"device": TV}, headers=headers)
    assert client.delete("/api/session", headers=headers).json == {"device": None, "recent": []}
    assert client.get("/api/session/device").json == {"device": None}
    client.put_json("/api/session/device", {"device": TV}, headers=csrf(client))
    page = client.get("/session")
    page.forms["clear-session"].submit().follow()
    assert client.get("/api/session/device").json == {"device": None}


def test_an_offline_device_is_503_within_seconds(cast_app, server, hidden_tv):
    script = browser(cast_app, server)
    script.get("/api/status", {"device": BEDROOM})  # connected
    hidden_tv.stop()
    try:
        response = script.post_json("/api/cast", {"path": "m/song.mp3", "device": BEDROOM}, status=(503, 504))
        assert response.json["error"] in ("device_unreachable", "device_timeout")
        assert BEDROOM in response.json["detail"]
    finally:
        hidden_tv.start()


def test_openapi_describes_every_api_route(cast_app):
    spec = webtest.TestApp(cast_app).get("/api/openapi.json").json
    assert spec == SPEC
    introspector = cast_app.registry.introspector
    actual = set()
    for route in introspector.get_category("routes"):
        intr = route["introspectable"]
        if not intr["name"].startswith("api."):
            continue
        path = intr["pattern"].replace("{root}*path", "{path}")
        # The document has a path per player and queue action.
        actions = {
            "/api/player/{action}": PLAYER_ACTIONS,
            "/api/queue/{action}": QUEUE_ACTIONS,
            "/api/slideshow/{action}": SLIDESHOW_ACTIONS,
        }.get(path)
        paths = [path.replace("{action}", a) for a in actions] if actions else [path]
        for view in introspector.related(intr):
            methods = view["request_methods"] if view.category_name == "views" else None
            for method in (methods,) if isinstance(methods, str) else methods or ():
                actual.update((p, method.lower()) for p in paths)
    documented = {(path, method) for path, item in spec["paths"].items() for method in item}
    assert actual == documented


def test_the_console_script_casts_and_controls(cast_app, server, tv):
    import subprocess
    import sys

    def run(*args):
        result = subprocess.run(
            [sys.executable, "-m", "mediacaster.cli.cast", *args, "--url", server.url],
            capture_output=True,
            text=True,
            timeout=60,
        )
        return result.returncode, result.stdout.strip(), result.stderr.strip()

    code, out, _ = run("m/long song.mp3", "--device", TV)
    assert code == 0 and out.startswith(f"{TV}: volume") and "PLAYING Sine Song" in out
    assert "PAUSED Sine Song" in run("pause", "--device", TV)[1]
    assert tv.player_state == "PAUSED"
    assert "PAUSED" in run("status", "--device", TV)[1]
    assert run("volume", "0.5", "--device", TV)[0] == 0 and tv.volume["level"] == 0.5
    assert run("stop", "--device", TV)[0] == 0 and tv.player_state == "IDLE"
    assert TV in run("devices")[1]
    code, _, err = run("m/missing.mp4", "--device", TV)
    assert code == 1 and err == "mediacaster-cast: no such file or folder"


# -- other sites' pages ------------------------------------------------------------

CROSS_SITE = [
    {"Sec-Fetch-Site": "cross-site"},
    {"Sec-Fetch-Site": "same-site"},
    {"Origin": "http://evil.example"},
    {"Origin": "null"},  # a sandboxed frame, a file: page
]
CHANGES = [
    ("/api/cast", {"path": "m/song.mp3", "device": TV}),
    ("/api/player/volume", {"device": TV, "level": 0.1}),
    ("/api/player/pause", {"device": TV}),
    ("/api/session/device", {"device": TV}),
]


@pytest.mark.parametrize("headers", CROSS_SITE)
def test_another_sites_page_changes_nothing_with_or_without_a_cookie(cast_app, server, tv, headers):
    loads, volume = len(tv.loads), tv.volume["level"]
    for with_cookie in (False, True):
        client = browser(cast_app, server)
        extra = {**headers, **(csrf(client) if with_cookie else {})}
        for url, body in CHANGES:
            method = client.put_json if url == "/api/session/device" else client.post_json
            response = method(url, body, headers=extra, status=403)
            assert response.json["error"] == "cross_site"
    assert (len(tv.loads), tv.volume["level"]) == (loads, volume)


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"]
)
def test_a_body_that_is_not_json_changes_nothing(cast_app, server, tv, content_type):
    script = browser(cast_app, server)
    loads = len(tv.loads)
    body = json.dumps({"path": "m/song.mp3", "device": TV})
    response = script.post("/api/cast", body, content_type=content_type, status=415)
    assert response.json["error"] == "json_required"
    assert len(tv.loads) == loads


def test_the_apps_own_pages_and_scripts_still_change_things(cast_app, server, tv):
    page = browser(cast_app, server)
    own = {"Origin": f"http://127.0.0.1:{server.port}", "Sec-Fetch-Site": "same-origin", **csrf(page)}
    assert page.post_json("/api/player/volume", {"device": TV, "level": 0.3}, headers=own).status_int == 200
    script = browser(cast_app, server)  # curl and mediacaster-cast send neither header
    assert script.post_json("/api/player/volume", {"device": TV, "level": 0.4}).status_int == 200
    assert tv.volume["level"] == 0.4

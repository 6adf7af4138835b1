"""With logins on, the signed media URLs a user is handed (and the ones a device gets
when they cast) are bound to that user: they play without a login, and stop playing
when the user loses the root or the account."""

from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import webtest

from mediacaster.services import accounts
from mediacaster.services.accounts import token_hash
from tests.common.typical_library import CHROMIUM_CAN

pytestmark = pytest.mark.ffmpeg

PASSWORD = "correct horse"
ANNA = {"Authorization": "Bearer anna-token"}


@pytest.fixture
def bound(make_app, tmp_path, typical_library, library_roots):
    """Logins on; anna sees every root. What a user sees is read again at each request."""
    roots = {**library_roots, "typical": typical_library.folder}
    app = make_app(
        roots,
        **{"mediacaster.auth": "true", "mediacaster.database_url": f"sqlite:///{tmp_path / 'db'}"},
    )
    app.registry.services.root_access.kept_for = 0
    with app.registry.services.database.sessions.begin() as session:
        anna = accounts.add_user(session, "anna", PASSWORD)
        session.add(accounts.ApiToken(user=anna, name="script", token_hash=token_hash("anna-token")))
    return app


def stream_url(testapp, root="video", name="movie.mp4"):
    listing = testapp.get(f"/api/library/{root}", headers=ANNA).json
    return next(e["stream_url"] for e in listing["entries"] if e["name"] == name)


def change_anna(app, **values):
    with app.registry.services.database.sessions.begin() as session:
        anna = accounts.find(session, "anna")
        if values.get("remove"):
            session.delete(anna)
        else:
            anna.roots = values["roots"]


def test_a_media_url_is_bound_to_the_user_it_was_made_for(bound):
    testapp = webtest.TestApp(bound)
    url = stream_url(testapp)
    query = parse_qs(urlsplit(url).query)
    with bound.registry.services.database.sessions() as session:
        assert query["u"] == [str(accounts.find(session, "anna").id)]
    device = webtest.TestApp(bound)  # no cookie, no token: a Chromecast
    assert device.get(url).status_int in (200, 206)
    # Another user's id in the URL breaks its signature.
    forged = url.replace(f"u={query['u'][0]}", "u=999")
    assert "does not match" in device.get(forged, status=403).text
    # A URL made while logins were off names nobody: refused once they are on.
    unbound = bound.registry.services.signer.sign("video", "movie.mp4")
    refused = device.get(urlsplit(url).path + "?" + urlencode(unbound), status=403)
    assert "made while logins were off" in refused.text


@pytest.mark.parametrize("change", [{"roots": ["audio"]}, {"remove": True}])
def test_a_user_who_loses_a_root_loses_its_urls(bound, change):
    testapp = webtest.TestApp(bound)
    url, song = stream_url(testapp), stream_url(testapp, "audio/Album", "01 Song.mp3")
    device = webtest.TestApp(bound)
    change_anna(bound, **change)
    assert "no longer sees this file" in device.get(url, status=403).text
    if "roots" in change:
        assert device.get(song).status_int in (200, 206)  # the root still seen still plays
    else:
        device.get(song, status=403)


def test_a_converted_streams_playlists_and_segments_are_bound_to_the_same_user(bound):
    testapp = webtest.TestApp(bound)
    plan = testapp.get(
        "/api/playback/typical/alac.m4a", {"can": ",".join(sorted(CHROMIUM_CAN))}, headers=ANNA
    ).json
    device = webtest.TestApp(bound)
    master = device.get(plan["manifests"]["hls"]).text
    media = next(line for line in master.splitlines() if line and not line.startswith("#"))
    playlist = device.get(media).text
    segment = next(line for line in playlist.splitlines() if line and not line.startswith("#"))
    user = parse_qs(urlsplit(plan["manifests"]["hls"]).query)["u"]
    assert parse_qs(urlsplit(media).query)["u"] == user
    assert parse_qs(urlsplit(segment).query)["u"] == user
    assert device.get(segment).body  # converted, for anna
    change_anna(bound, roots=["video"])
    device.get(segment, status=403)
    device.get(plan["manifests"]["dash"], status=403)


def test_health_names_roots_only_to_those_who_see_them_all(bound):
    testapp = webtest.TestApp(bound)
    public = testapp.get("/healthz").json
    assert public["roots"] == {"count": 4, "unreadable": 0}
    with bound.registry.services.database.sessions.begin() as session:
        session.add(
            accounts.ApiToken(
                user=accounts.add_user(session, "boss", PASSWORD, role="admin"),
                name="x",
                token_hash=token_hash("boss-token"),
            )
        )
    named = testapp.get("/healthz", headers={"Authorization": "Bearer boss-token"}).json
    assert named["roots"]["typical"] == {"readable": True}

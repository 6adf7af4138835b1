"""The catalogue's API over the generated household library: films, shows with seasons and
episodes, Next up, music by artist and album, photos by month and the scan, each with pages
and sorting, each item linked to its file's entry and stream; and a member never sees a
show, an artist or a count of a root they cannot see."""

import uuid

import pytest
import webtest

from mediacaster import main
from mediacaster.services import accounts, history
from tests.common import catalogue_library as expected
from tests.common.app import app_settings

pytestmark = pytest.mark.ffmpeg  # the library's songs are made by ffmpeg

PASSWORD = "correct horse"


@pytest.fixture(scope="session")
def generated_library(tmp_path_factory):
    return expected.generate(tmp_path_factory.mktemp("catalogue-api-library"))


def scanned(app):
    """The app once its catalogue has read the library."""
    assert app.registry.services.catalogue.scanner.scanned.wait(120), "the first scan did not end"
    return app


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def site(request, redis_server, generated_library, tmp_path_factory):
    """The app with logins on, over the library, on SQLite then PostgreSQL, scanned once for
    the module: administrators and members who see one root each, by API token. Each test
    that plays something plays it as a user of its own."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('catalogue-api') / 'app.sqlite3'}"
    else:
        url = request.getfixturevalue("postgres").database(f"t_{uuid.uuid4().hex[:12]}")
    settings = {"mediacaster.catalogue": "true", "mediacaster.auth": "true", "mediacaster.database_url": url}
    app = main({}, **app_settings(generated_library, redis_server.url, **settings))
    try:
        scanned(app)
        tokens = {}
        with app.registry.services.database.sessions.begin() as session:
            for name, role, roots in [
                ("boss", "admin", None),
                ("critic", "admin", None),
                ("viewer", "member", ["video"]),
                ("listener", "member", ["music"]),
                ("photographer", "member", ["photos"]),
            ]:
                user = accounts.add_user(session, name, PASSWORD, role=role, roots=roots)
                tokens[name] = (user.id, accounts.create_token(session, user, "tests")[1])
        yield Site(app, tokens)
    finally:
        app.registry.services.close()


class Site:
    def __init__(self, app, tokens):
        self.app = app
        self.client = webtest.TestApp(app)
        self.tokens = tokens

    def headers(self, who):
        return {"Authorization": f"Bearer {self.tokens[who][1]}"}

    def get(self, who, path, status=200, **params):
        return self.client.get(path, params=params, headers=self.headers(who), status=status).json

    def user(self, who):
        return self.tokens[who][0]


def test_films_sorted_paged_filtered_and_linked(site):
    films = site.get("boss", "/api/films")
    titles = [f["title"] for f in films["items"]]
    assert titles == sorted((f[1] for f in expected.FILMS), key=str.lower)
    assert (films["total"], films["offset"], films["sort"], films["order"]) == (5, 0, "title", "asc")
    by_year = site.get("boss", "/api/films", sort="year", order="desc")["items"]
    assert [f["year"] for f in by_year] == sorted((f[2] for f in expected.FILMS), reverse=True)
    page = site.get("boss", "/api/films", offset=1, limit=2)
    assert [f["title"] for f in page["items"]] == titles[1:3] and page["total"] == 5
    assert site.get("boss", "/api/films", sort="added")["order"] == "desc"  # the latest first

    alien = films["items"][0]
    assert alien["edition"] == "Director's Cut"
    assert "/picture/video/Films/Alien%20(1979)/poster.jpg?" in alien["poster_url"]
    # Every item links to its file's entry and its stream, which answer.
    client = webtest.TestApp(site.app)
    entry = client.get(alien["file"]["api_url"], headers=site.headers("boss")).json
    assert (entry["root"], entry["path"]) == ("video", expected.FILMS[0][0])
    assert client.get(alien["file"]["stream_url"]).body == b"not really a film"
    assert client.get(alien["poster_url"]).content_type == "image/jpeg"

    # Watched: out of the unwatched films.
    with site.app.registry.services.database.sessions.begin() as session:
        history.mark(session, site.user("boss"), "video", expected.FILMS[0][0], True)
    unwatched = site.get("boss", "/api/films", unwatched="true")
    assert unwatched["total"] == 4 and "Alien" not in [f["title"] for f in unwatched["items"]]
    assert site.get("boss", "/api/films")["items"][0]["progress"]["watched"] is True


def test_shows_seasons_episodes_and_next_up(site):
    shows = site.get("critic", "/api/shows")
    assert sorted(s["title"] for s in shows["items"]) == sorted(expected.SHOWS)
    expanse = next(s for s in shows["items"] if s["title"] == "The Expanse")
    assert (expanse["year"], expanse["seasons"], expanse["watched"]) == (2015, 2, 0)
    by_year = [s["year"] for s in site.get("critic", "/api/shows", sort="year")["items"]]
    assert by_year[:3] == [2005, 2015, 2019]  # shows of no year last

    show = site.get("critic", expanse["api_url"])
    assert [s["number"] for s in show["seasons"]] == [1, 2]
    assert show["next_up"] is None  # nothing watched yet: Play starts at the beginning
    assert show["play"]["label"] == "S01E01"

    season = site.get("critic", show["seasons"][0]["api_url"])
    labels = [e["label"] for e in season["episodes"]["items"]]
    assert labels == sorted(labels) and labels[0] == "S01E01"
    assert season["play"] == [f"video/{e['file']['path']}" for e in season["episodes"]["items"]]
    assert site.get("critic", show["seasons"][0]["api_url"], limit=1)["episodes"]["total"] == len(labels)

    # The last episode of season 1 watched: Next up is season 2's first, here and across shows.
    with site.app.registry.services.database.sessions.begin() as session:
        history.mark(
            session, site.user("critic"), "video", season["episodes"]["items"][-1]["file"]["path"], True
        )
    show = site.get("critic", expanse["api_url"])
    assert show["next_up"]["label"] == "S02E01" and show["play"] == show["next_up"]
    next_up = site.get("critic", "/api/next-up")
    assert [e["show"]["title"] for e in next_up["items"]] == ["The Expanse"]
    assert next_up["items"][0]["label"] == "S02E01" and next_up["total"] == 1
    assert site.get("viewer", "/api/next-up")["total"] == 0  # another user's history

    # Specials are season 0, listed last; a show named by date has a season per year.
    show_2019 = next(s for s in shows["items"] if s["title"] == "Show")
    assert [s["name"] for s in site.get("critic", show_2019["api_url"])["seasons"]] == [
        "Season 1",
        "Specials",
    ]
    daily = next(s for s in shows["items"] if s["title"] == "The Daily Show")
    assert [s["name"] for s in site.get("critic", daily["api_url"])["seasons"]] == ["2024"]


def test_music_by_artist_album_and_track(site):
    artists = site.get("boss", "/api/artists")
    names = [a["name"] for a in artists["items"]]
    assert names == sorted({artist for artist, _ in expected.ALBUMS}, key=str.lower)
    assert site.get("boss", "/api/artists", order="desc")["items"][0]["name"] == names[-1]
    floyd = next(a for a in artists["items"] if a["name"] == "Pink Floyd")
    albums = site.get("boss", floyd["api_url"])
    assert albums["artist"]["albums"] == 1
    wall = albums["albums"]["items"][0]
    assert (wall["title"], wall["year"], wall["tracks"]) == ("The Wall", 1979, 2)
    assert "cover.jpg" in wall["cover_url"]
    album = site.get("boss", wall["api_url"])
    assert [(t["disc"], t["number"], t["title"]) for t in album["tracks"]] == [
        (1, 1, "In the Flesh?"),
        (2, 1, "Hey You"),
    ]
    assert album["play"] == [f"music/{t['file']['path']}" for t in album["tracks"]]
    various = next(a for a in artists["items"] if a["name"] == "Various Artists")
    now = site.get("boss", site.get("boss", various["api_url"])["albums"]["items"][0]["api_url"])
    assert now["album"]["compilation"] is True
    assert [t["artist"] for t in now["tracks"]] == ["Artist A", "Artist B"]


def test_photos_by_month_and_the_scan(site):
    photos = site.get("boss", "/api/photos")
    assert photos["months"] == [
        {"month": "2023-07", "name": "July 2023", "photos": 2},
        {"month": "2021-02", "name": "February 2021", "photos": 1},
    ]
    assert [p["file"]["path"] for p in photos["items"]] == [
        "2023/IMG_0001.jpg",
        "2023/IMG_0002.jpg",
        "Scans/scan.jpg",
    ]
    july = site.get("boss", "/api/photos", month="2023-07", order="asc")
    assert [p["file"]["path"] for p in july["items"]] == ["2023/IMG_0002.jpg", "2023/IMG_0001.jpg"]
    assert july["items"][0]["taken_from_exif"] is True
    scan = site.get("boss", "/api/scan")
    assert scan["enabled"] and not scan["running"] and not scan["first"]
    assert scan["total"] == scan["seen"] > 0 and scan["finished"] >= scan["started"]


def test_a_member_sees_nothing_of_roots_they_cannot_see(site):
    """Every endpoint, for members of one root: no item, no count, no month of another."""
    ids = {
        "show": site.get("boss", "/api/shows")["items"][0]["api_url"],
        "season": site.get("boss", site.get("boss", "/api/shows")["items"][0]["api_url"])["seasons"][0][
            "api_url"
        ],
        "artist": site.get("boss", "/api/artists")["items"][0]["api_url"],
        "album": site.get("boss", site.get("boss", "/api/artists")["items"][0]["api_url"])["albums"]["items"][
            0
        ]["api_url"],
    }
    with site.app.registry.services.database.sessions.begin() as session:
        history.mark(session, site.user("listener"), "video", next(iter(expected.EPISODES)), True)
    for who, sees in [("viewer", "video"), ("listener", "music"), ("photographer", "photos")]:
        films, shows = site.get(who, "/api/films"), site.get(who, "/api/shows")
        artists, photos = site.get(who, "/api/artists"), site.get(who, "/api/photos")
        assert (films["total"] > 0, shows["total"] > 0) == (sees == "video", sees == "video"), who
        assert (len(films["items"]) > 0, len(shows["items"]) > 0) == (sees == "video", sees == "video")
        assert (artists["total"] > 0, len(artists["items"]) > 0) == (sees == "music", sees == "music")
        assert (photos["total"] > 0, len(photos["months"]) > 0) == (sees == "photos", sees == "photos")
        assert site.get(who, "/api/next-up")["total"] == 0  # the listener's episode is of video
        for what, path in ids.items():
            visible = (what in ("show", "season")) == (sees == "video") and (what in ("artist", "album")) == (
                sees == "music"
            )
            reply = site.get(who, path, status=200 if visible else 404)
            if not visible:
                assert reply == {"error": "not_found", "detail": f"no such {what}"}
        for found in (*films["items"], *photos["items"]):
            assert found["file"]["root"] == sees
    assert site.get("viewer", "/api/scan")["enabled"] is True


def test_bad_parameters_and_unknown_ids(site):
    for path, params in [
        ("/api/films", {"sort": "size"}),
        ("/api/films", {"limit": "0"}),
        ("/api/films", {"limit": "501"}),
        ("/api/films", {"unwatched": "perhaps"}),
        ("/api/shows", {"order": "up"}),
        ("/api/photos", {"month": "2023-13"}),
        ("/api/artists", {"offset": "-1"}),
    ]:
        reply = site.get("boss", path, status=400, **params)
        assert reply["error"] == "bad_request" and reply["detail"], (path, params)
    for path in [
        "/api/shows/0",
        "/api/shows/abc",
        "/api/shows/99999999999",
        "/api/shows/1/seasons/x",
        "/api/albums/7e3",
    ]:
        assert site.get("boss", path, status=404)["error"] == "not_found"


def test_a_parameter_given_twice_is_refused(site):
    reply = site.client.get("/api/next-up?offset=1&offset=0", headers=site.headers("boss"), status=400).json
    assert reply == {"error": "bad_request", "detail": "give offset once"}


def test_photos_of_the_first_and_last_months_there_are(site):
    for month in ("1000-01", "9999-12"):
        assert site.get("boss", "/api/photos", month=month)["total"] == 0
    assert site.get("boss", "/api/photos", status=400, month="0000-01")["error"] == "bad_request"

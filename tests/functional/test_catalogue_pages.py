"""The catalogue's pages over the generated household library: films as posters sorted
and filtered, shows with seasons, episodes and Next up, music by artist and album, photos by
month, Next up on the home page, titles and names in search; Play on a show plays its Next
up, Play on a season or an album queues it in order (in Chromium, in the page); a member sees
nothing of a root they cannot see on any of them."""

import json
import re

import pytest
import webtest
from playwright.sync_api import expect

from mediacaster import main
from mediacaster.services import accounts, history
from tests.common import catalogue_library as expected
from tests.common.app import app_settings
from tests.common.chromium import chromium
from tests.common.servers import LiveServer

pytestmark = pytest.mark.ffmpeg  # the library's songs are made by ffmpeg

PASSWORD = "correct horse"
EXPANSE_S01 = [path for path in expected.EPISODES if path.startswith("TV/The Expanse (2015)/Season 01/")]


@pytest.fixture(scope="session")
def generated_library(tmp_path_factory):
    return expected.generate(tmp_path_factory.mktemp("catalogue-pages-library"))


@pytest.fixture(scope="module")
def site(redis_server, generated_library):
    """The app with logins on, scanned once for the module; the tests only read."""
    settings = {"mediacaster.catalogue": "true", "mediacaster.auth": "true"}
    app = main({}, **app_settings(generated_library, redis_server.url, **settings))
    try:
        assert app.registry.services.catalogue.scanner.scanned.wait(120), "the first scan did not end"
        with app.registry.services.database.sessions.begin() as session:
            boss = accounts.add_user(session, "boss", PASSWORD, role="admin").id
            for name, roots in [("viewer", ["video"]), ("listener", ["music"]), ("photographer", ["photos"])]:
                accounts.add_user(session, name, PASSWORD, roots=roots)
            # The first episode of The Expanse watched: Next up is the second.
            history.mark(session, boss, "video", EXPANSE_S01[0], True)
        yield app
    finally:
        app.registry.services.close()


def logged_in(app, name):
    client = webtest.TestApp(app)
    form = client.get("/login").forms["login"]
    form["name"], form["password"] = name, PASSWORD
    form.submit(status=303)
    return client


def control(page, text):
    """The button or link whose text, icons aside, is ``text``."""
    return next(b for b in page.html.select("button, a") if b.get_text(" ", strip=True) == text)


def api(client, path):
    return client.get(path, headers={"Accept": "application/json"}).json


def test_every_page_shows_the_catalogue(site):
    boss = logged_in(site, "boss")
    home = boss.get("/")
    next_up = home.html.select_one("#next-up")
    assert next_up is not None and "The Expanse" in next_up.text and "S01E02" in next_up.text
    nav = [a.text for a in home.html.select("nav.sections a")]
    assert nav == ["Library", "Films", "Shows", "Music", "Photos"]

    films = boss.get("/films")
    assert [n.text for n in films.html.select(".posters .card-name")] == sorted(f[1] for f in expected.FILMS)
    by_year = boss.get("/films", {"sort": "year"}).html.select(".posters .card-name")
    assert by_year[0].text == "Alien"  # 1979, the oldest
    assert boss.get("/films", {"sort": "year"}).html.select_one("[aria-current=page]").text == "Films"

    shows = boss.get("/shows")
    assert sorted(n.text for n in shows.html.select(".posters .card-name"))[0] == "Doctor Who (2005)"
    expanse = shows.click(description=re.compile("The Expanse"))
    play = control(expanse, "Play S01E02")
    assert play["href"].endswith("The.Expanse.S01E02.1080p.BluRay.x264-DEMAND.mkv?play=1")
    assert "Next up" in expanse.text and "Season 2" in expanse.text
    season = expanse.click(description=re.compile("Season 1"))
    assert [n.text for n in season.html.select(".episode-number")] == ["S01E01", "S01E02"]
    assert season.html.select_one(".episodes .watched") is not None  # the first is watched
    spec = json.loads(control(season, "Play all")["data-play-here"])
    assert spec == {"paths": [f"video/{path}" for path in EXPANSE_S01]}
    on_tv = json.loads(control(season, "Play all on the TV")["data-queue"])
    assert on_tv == spec

    music = boss.get("/music")
    floyd = music.click(description=re.compile("Pink Floyd"))
    wall = floyd.click(description=re.compile("The Wall"))
    assert [li.text.strip() for li in wall.html.select(".tracks .disc")] == ["Disc 1", "Disc 2"]
    spec = json.loads(control(wall, "Play all")["data-play-here"])
    assert spec["paths"] == [
        "music/Pink Floyd/The Wall/CD1/01 In the Flesh.flac",
        "music/Pink Floyd/The Wall/CD2/01 Hey You.flac",
    ]

    photos = boss.get("/photos")
    assert [h.text for h in photos.html.select("main h2")] == ["July 2023", "February 2021"]
    july = boss.get("/photos", {"month": "2023-07"})
    assert [h.text for h in july.html.select("main h2")] == ["July 2023"]
    assert len(july.html.select(".grid.photos img")) == 2

    found = boss.get("/search", {"q": "expanse"})
    assert "The Expanse (2015)" in found.html.select_one(".found-shows").text
    assert "Pink Floyd" in boss.get("/search", {"q": "floyd"}).html.select_one(".found-artists").text
    assert "The Wall" in boss.get("/search", {"q": "wall"}).html.select_one(".found-albums").text
    assert "Blade Runner" in boss.get("/search", {"q": "blade"}).html.select_one(".found-films").text


def test_a_member_sees_nothing_of_roots_they_cannot_see(site):
    boss = logged_in(site, "boss")
    show = api(boss, "/api/shows")["items"][0]["url"]
    season = api(boss, api(boss, "/api/shows")["items"][0]["api_url"])["seasons"][0]["url"]
    artist = api(boss, "/api/artists")["items"][0]
    album = api(boss, artist["api_url"])["albums"]["items"][0]["url"]
    sees = {"viewer": "video", "listener": "music", "photographer": "photos"}
    for name, root in sees.items():
        member = logged_in(site, name)
        films, shows = member.get("/films").html, member.get("/shows").html
        music, photos = member.get("/music").html, member.get("/photos").html
        assert bool(films.select(".posters li")) == (root == "video"), name
        assert bool(shows.select(".posters li")) == (root == "video"), name
        assert bool(music.select(".artists li")) == (root == "music"), name
        assert bool(photos.select(".grid.photos li")) == (root == "photos"), name
        assert bool(photos.select(".months a")) == (root == "photos"), name
        # Nor a count of them.
        assert bool(re.search(r"\b0 films", films.text)) == (root != "video"), name
        assert bool(re.search(r"\b0 shows", shows.text)) == (root != "video"), name
        assert bool(re.search(r"\b0 artists", music.text)) == (root != "music"), name
        assert member.get("/").html.select_one("#next-up") is None
        for url, of in [(show, "video"), (season, "video"), (artist["url"], "music"), (album, "music")]:
            member.get(url, status=200 if of == root else 404)
        searched = member.get("/search", {"q": "the"}).html
        assert bool(searched.select(".found-shows, .found-films")) == (root == "video"), name
        assert bool(searched.select(".found-albums")) == (root == "music"), name


def test_pages_with_the_catalogue_off_say_so(make_app, generated_library):
    client = webtest.TestApp(make_app(generated_library))
    for path in ("/films", "/shows", "/music", "/photos"):
        assert "The catalogue is off" in client.get(path).text
    assert client.get("/shows/1", status=404)
    assert client.get("/api/scan").json["enabled"] is False


def test_bad_ids_and_parameters_are_answered_in_words(site):
    boss = logged_in(site, "boss")
    for path in (
        "/shows/x",
        "/shows/0",
        "/shows/1/seasons/99",
        "/music/albums/-1",
        "/music/artists/99999999999",
    ):
        page = boss.get(path, status=404)
        assert "Nothing here" in page.text or "no such" in page.text
    # A page's bad query falls back to its defaults.
    assert boss.get("/films", {"sort": "size", "page": "x"}).html.select(".posters li")
    assert boss.get("/photos", {"month": "2023-13"}).html.select(".grid.photos li")


@pytest.mark.browser
def test_play_on_a_season_plays_it_here_in_order(site):
    """Play all on a season: the first episode's page opens, the season queued after it."""
    with LiveServer(site) as server, chromium() as browser:
        page = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
        page.goto(f"{server.url}/login")
        page.fill("#login-name", "boss")
        page.fill("#login-password", PASSWORD)
        with page.expect_navigation():
            page.click("#login button[type=submit]")
        shows = json.loads(page.goto(f"{server.url}/api/shows").text())["items"]
        show_id = next(show["id"] for show in shows if show["title"] == "The Expanse")
        page.goto(f"{server.url}/shows/{show_id}/seasons/1")
        page.get_by_role("button", name="Play all", exact=True).click()
        page.wait_for_url(re.compile(r"S01E01.*play=1"), timeout=20000)
        queue = json.loads(page.evaluate("sessionStorage.getItem('mediacaster.here')"))
        assert [item["path"] for item in queue["items"]] == [f"video/{path}" for path in EXPANSE_S01]
        assert queue["position"] == 0
        expect(page.locator("body")).to_be_attached()

"""Where each user is in each file, through the API and on the pages: players report
positions, listings and pages show progress bars and offer to resume, files are marked
watched by hand, and the home page has what to continue (after a restart too) and what
arrived last."""

import re

import pytest
import webtest

from mediacaster.services import accounts
from mediacaster.services.accounts import token_hash
from mediacaster.views import progress as progress_views

pytestmark = pytest.mark.slow

MOVIE = "/api/progress/video/movie.mp4"
ANNA, BEN = {"Authorization": "Bearer anna-token"}, {"Authorization": "Bearer ben-token"}


@pytest.fixture
def settings(tmp_path):
    return {"mediacaster.auth": "true", "mediacaster.database_url": f"sqlite:///{tmp_path / 'db'}"}


def with_users(app):
    with app.registry.services.database.sessions.begin() as session:
        for name, roots in (("anna", None), ("ben", None), ("kid", ["audio"])):
            user = accounts.add_user(session, name, "correct horse", roots=roots)
            session.add(accounts.ApiToken(user=user, name="script", token_hash=token_hash(f"{name}-token")))
    return webtest.TestApp(app)


@pytest.fixture
def testapp(make_app, settings):
    return with_users(make_app(**settings))


def report(testapp, position, duration=6000.0, headers=ANNA, **extra):
    body = {"position": position, "duration": duration, **extra}
    return testapp.put_json(MOVIE, body, headers=headers).json


def test_a_players_reports_are_each_users_own(testapp):
    assert testapp.get(MOVIE, headers=ANNA).json == {
        "position": 0.0,
        "duration": None,
        "watched": False,
        "resume_at": None,
        "fraction": 0.0,
        "updated_at": None,
    }
    place = report(testapp, 3000)
    assert (place["position"], place["resume_at"], place["fraction"]) == (3000, 3000, 0.5)
    assert report(testapp, 3004)["position"] == 3000  # too soon after the last: not saved
    assert report(testapp, 3006, final=True)["position"] == 3006  # paused: saved
    assert testapp.get(MOVIE, headers=ANNA).json["resume_at"] == 3006
    assert testapp.get(MOVIE, headers=BEN).json["position"] == 0


def test_listings_and_entries_carry_where_the_user_is(testapp):
    report(testapp, 3000)
    entries = testapp.get("/api/library/video", headers=ANNA).json["entries"]
    progress = {e["name"]: e.get("progress") for e in entries}
    assert progress["movie.mp4"]["resume_at"] == 3000
    assert [name for name, p in progress.items() if p] == ["movie.mp4"]
    assert testapp.get("/api/library/video/movie.mp4", headers=ANNA).json["progress"]["fraction"] == 0.5
    assert "progress" not in testapp.get("/api/library/video/movie.mp4", headers=BEN).json
    # Ben's listing, cached meanwhile, does not carry Anna's place.
    assert not any("progress" in e for e in testapp.get("/api/library/video", headers=BEN).json["entries"])


def test_watched_by_hand_and_back(testapp):
    report(testapp, 3000)
    watched = testapp.put_json("/api/watched/video/movie.mp4", {"watched": True}, headers=ANNA).json
    assert (watched["watched"], watched["resume_at"], watched["fraction"]) == (True, None, 1.0)
    unwatched = testapp.put_json("/api/watched/video/movie.mp4", {"watched": False}, headers=ANNA).json
    assert (unwatched["watched"], unwatched["position"]) == (False, 0.0)


@pytest.fixture
def shows(make_app, settings, library_roots, tmp_path):
    """A show of two seasons, beside its cover and notes, and a link back up that would loop."""
    show = tmp_path / "shows" / "Show"
    for episode in ("Season 1/e01.mkv", "Season 1/e02.mkv", "Season 2/e01.mkv", "theme.mp3"):
        (show / episode).parent.mkdir(parents=True, exist_ok=True)
        (show / episode).write_bytes(b"")
    (show / "cover.jpg").write_bytes(b"")
    (show / "notes.txt").write_bytes(b"")
    (show / "Season 2" / "back").symlink_to(show)
    return with_users(make_app({**library_roots, "shows": tmp_path / "shows"}, **settings))


def watched_names(testapp, folder, headers=ANNA):
    entries = testapp.get(f"/api/library/shows/{folder}", headers=headers).json["entries"]
    return sorted(e["name"] for e in entries if e.get("progress", {}).get("watched"))


def test_a_whole_show_is_marked_watched_and_back(shows):
    report(shows, 3000)  # a file elsewhere keeps its place
    marked = shows.put_json("/api/watched/shows/Show", {"watched": True}, headers=ANNA).json
    assert marked == {"watched": True, "files": 4}  # the episodes and the theme, each once
    assert watched_names(shows, "Show/Season 1") == ["e01.mkv", "e02.mkv"]
    assert watched_names(shows, "Show/Season 2") == ["e01.mkv"]
    assert watched_names(shows, "Show") == ["theme.mp3"]
    assert watched_names(shows, "Show/Season 1", BEN) == []  # Anna's own
    assert shows.get(MOVIE, headers=ANNA).json["resume_at"] == 3000

    season = shows.put_json("/api/watched/shows/Show/Season 1", {"watched": False}, headers=ANNA).json
    assert season == {"watched": False, "files": 2}
    assert watched_names(shows, "Show/Season 1") == []
    assert watched_names(shows, "Show/Season 2") == ["e01.mkv"]
    episode = shows.get("/api/progress/shows/Show/Season 1/e01.mkv", headers=ANNA).json
    assert (episode["watched"], episode["position"]) == (False, 0.0)


def test_a_folder_too_big_to_mark_or_out_of_reach_is_refused_and_nothing_marked(shows, monkeypatch):
    monkeypatch.setattr(progress_views, "MARK_MAX", 3)
    error = shows.put_json("/api/watched/shows/Show", {"watched": True}, headers=ANNA, status=422).json
    assert error["error"] == "too_many_files" and "more than 3 such files" in error["detail"]
    monkeypatch.setattr(progress_views, "MARK_MAX", 100)
    # The show and a season; the other is one too many.
    monkeypatch.setattr(progress_views, "MARK_FOLDERS_MAX", 2)
    error = shows.put_json("/api/watched/shows/Show", {"watched": True}, headers=ANNA, status=422).json
    assert error["error"] == "too_many_files" and "more than 2 folders" in error["detail"]
    kid = {"Authorization": "Bearer kid-token"}
    shows.put_json("/api/watched/shows/Show", {"watched": True}, headers=kid, status=404)
    cross = {**ANNA, "Origin": "https://elsewhere.example", "Sec-Fetch-Site": "cross-site"}
    shows.put_json("/api/watched/shows/Show", {"watched": True}, headers=cross, status=403)
    assert watched_names(shows, "Show/Season 1") == []


def test_a_folder_page_offers_to_mark_it_all(shows):
    log_in(shows)
    page = shows.get("/library/shows/Show")
    marks = page.html.select("[data-mark-folder]")
    assert [b.text for b in marks] == ["Mark all as watched", "Mark all as unwatched"]
    assert {b["data-mark-folder"] for b in marks} == {"http://localhost/api/watched/shows/Show"}
    assert not shows.get("/library/images").html.select("[data-mark-folder]")  # pictures alone


def test_a_files_page_offers_the_next_episode_of_its_folder(shows):
    log_in(shows)
    first = shows.get("/library/shows/Show/Season 1/e01.mkv").html
    assert (
        first.find(id="player-box")["data-next"] == "http://localhost/library/shows/Show/Season%201/e02.mkv"
    )
    assert "Up next:" in first.find(id="up-next").text and "e02.mkv" in first.find(id="up-next").text
    last = shows.get("/library/shows/Show/Season 1/e02.mkv").html
    assert not last.find(id="player-box").has_attr("data-next") and last.find(id="up-next") is None


@pytest.mark.parametrize(
    ("path", "headers", "status", "words"),
    [
        ("/api/progress/images/photo.png", ANNA, 415, "not a video or audio file"),
        ("/api/progress/video/Series", ANNA, 404, "is a folder"),
        ("/api/progress/video/nothing.mp4", ANNA, 404, "no such"),
        (MOVIE, {"Authorization": "Bearer kid-token"}, 404, "no library root named 'video'"),
        (MOVIE, {}, 401, "log in"),
    ],
)
def test_what_has_no_position_says_why(testapp, path, headers, status, words):
    error = testapp.put_json(path, {"position": 1}, headers=headers, status=status).json
    assert words in error["detail"]


def test_bad_reports_are_refused_and_change_nothing(testapp):
    report(testapp, 3000)
    for body, status in (
        ({"position": -1}, 422),
        ({"position": 1, "duration": 0}, 422),
        ({"position": "soon"}, 400),
        ({}, 400),
    ):
        error = testapp.put_json(MOVIE, body, headers=ANNA, status=status).json
        assert error["error"] in ("bad_request", "unprocessable_entity") and error["detail"]
    assert testapp.get(MOVIE, headers=ANNA).json["position"] == 3000


def test_another_sites_page_cannot_change_where_one_is(testapp):
    cross = {**ANNA, "Origin": "https://elsewhere.example", "Sec-Fetch-Site": "cross-site"}
    testapp.put_json(MOVIE, {"position": 10}, headers=cross, status=403)
    testapp.put_json("/api/watched/video/movie.mp4", {"watched": True}, headers=cross, status=403)
    assert testapp.get(MOVIE, headers=ANNA).json["updated_at"] is None


def log_in(testapp, name="anna"):
    form = testapp.get("/login").forms["login"]
    form["name"], form["password"] = name, "correct horse"
    form.submit(status=303)


def test_pages_show_progress_offer_to_resume_and_mark_watched(testapp):
    report(testapp, 3000)
    log_in(testapp)
    listing = testapp.get("/library/video")
    assert re.search(r'<progress class="played" max="1" value="0.500"', listing.text)
    assert 'data-resume="3000.0"' in listing.text  # the cast button offers it
    grid = testapp.get("/library/video?view=grid")
    assert '<progress class="played"' in grid.text
    page = testapp.get("/library/video/movie.mp4")
    assert 'data-resume="3000.0"' in page.text and "Resume at 50:00" in page.text
    assert "Mark as watched" in page.text
    script = webtest.TestApp(testapp.app)  # a token, no cookie: no CSRF token needed
    script.put_json("/api/watched/video/movie.mp4", {"watched": True}, headers=ANNA)
    page = testapp.get("/library/video/movie.mp4")
    assert "Mark as unwatched" in page.text and 'class="watched"' in page.text
    assert "Resume at" not in page.text


def test_the_home_page_continues_where_each_user_stopped_after_a_restart(testapp, make_app, settings):
    report(testapp, 3000)
    restarted = webtest.TestApp(make_app(**settings))  # the same database, a new app
    log_in(restarted)
    home = restarted.get("/")
    shelf = home.html.find(id="continue")
    assert shelf is not None and "movie.mp4" in shelf.text and "Resume at 50:00 of 1:40:00" in shelf.text
    link = shelf.find("a")["href"]
    assert link.endswith("/library/video/movie.mp4?t=3000&play=1")
    other = webtest.TestApp(restarted.app)
    log_in(other, "ben")
    assert other.get("/").html.find(id="continue") is None


def test_the_home_page_shows_what_arrived_last(testapp):
    log_in(testapp)
    recent = testapp.get("/").html.find(id="recent")
    names = [card.find(class_="card-name").text for card in recent.find_all("li")]
    assert "movie.mp4" in names and "Album" in names  # a song comes as its album
    log_in(kid := webtest.TestApp(testapp.app), "kid")
    names = [c.find(class_="card-name").text for c in kid.get("/").html.find(id="recent").find_all("li")]
    assert names == ["Album"]  # only the roots the user sees

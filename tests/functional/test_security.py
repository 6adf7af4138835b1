"""Who may do what: every route declares a permission; with mediacaster.auth on, pages
send people to the login page, the API answers 401 without a login or a token, signed
media URLs still play on devices, and logins are checked, rate limited and rotate the
session."""

import re
from urllib.parse import parse_qs, quote, urlsplit

import pytest
import webtest
from pyramid.security import NO_PERMISSION_REQUIRED

from mediacaster.models.accounts import ApiToken
from mediacaster.security import PERMISSIONS
from mediacaster.services import accounts
from mediacaster.services.accounts import token_hash
from mediacaster.session import COOKIE_NAME

pytestmark = pytest.mark.slow

PASSWORD = "correct horse"


@pytest.fixture
def secured(make_app, tmp_path):
    """An app with logins required, its own database, and one member: anna."""
    app = make_app(**{"mediacaster.auth": "true", "mediacaster.database_url": f"sqlite:///{tmp_path / 'db'}"})
    database = app.registry.services.database
    redis = app.registry.services.redis
    for key in redis.scan_iter("login-failures:*"):  # Redis is shared by the run's tests
        redis.delete(key)
    with database.sessions.begin() as session:
        anna = accounts.add_user(session, "anna", PASSWORD)
        session.add(ApiToken(user=anna, name="script", token_hash=token_hash("anna-token")))
        # A child's account: the audio root only; and an administrator.
        kid = accounts.add_user(session, "kid", PASSWORD, roots=["audio"])
        session.add(ApiToken(user=kid, name="tablet", token_hash=token_hash("kid-token")))
        boss = accounts.add_user(session, "boss", PASSWORD, role="admin", roots=["audio"])
        session.add(ApiToken(user=boss, name="laptop", token_hash=token_hash("boss-token")))
    return webtest.TestApp(app)


def test_every_view_of_every_route_declares_its_permission(app):
    introspector = app.registry.introspector
    missing = []
    for route in introspector.get_category("routes"):
        for related in introspector.related(route["introspectable"]):
            if related.category_name != "views":
                continue
            permission = next(
                (p["value"] for p in introspector.related(related) if p.category_name == "permissions"), None
            )
            if permission is None:
                missing.append(f"{route['introspectable']['name']} {related['request_methods']}")
            else:
                assert permission in (*PERMISSIONS, NO_PERMISSION_REQUIRED), permission
    assert not missing, "views without a permission: " + ", ".join(missing)


def log_in(testapp, name="anna", password=PASSWORD, status=303, next_page=None):
    page = testapp.get("/login" + (f"?next={quote(next_page)}" if next_page else ""))
    form = page.forms["login"]
    form["name"], form["password"] = name, password
    return form.submit(status=status)


def test_pages_send_people_to_the_login_page_and_back(secured):
    response = secured.get("/library/video?sort=size", status=303)
    target = urlsplit(response.location)
    assert target.path == "/login" and parse_qs(target.query) == {"next": ["/library/video?sort=size"]}
    assert log_in(secured, next_page="/library/video?sort=size").location.endswith("/library/video?sort=size")
    assert secured.get("/library/video?sort=size").status_int == 200


def test_the_api_answers_401_without_a_login_and_works_with_a_token(secured):
    response = secured.get("/api/library", status=401)
    assert response.json["error"] == "login_required"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    secured.get("/api/library", headers={"Authorization": "Bearer not-a-token"}, status=401)
    bearer = {"Authorization": "Bearer anna-token"}
    assert secured.get("/api/library", headers=bearer).json["roots"]
    # A token needs no CSRF token: it is no cookie a page could forge.
    secured.put_json("/api/session/device", {"device": "nowhere"}, headers=bearer, status=404)


def test_signed_media_urls_need_no_login(secured):
    listing = secured.get("/api/library/video", headers={"Authorization": "Bearer anna-token"}).json
    stream = next(e["stream_url"] for e in listing["entries"] if e["kind"] == "video")
    assert webtest.TestApp(secured.app).get(stream).status_int in (200, 206)
    secured.get(urlsplit(stream).path, status=403)  # unsigned: refused


def test_a_wrong_name_and_a_wrong_password_answer_alike_and_are_rate_limited(secured):
    wrong_password = log_in(secured, password="wrong horse", status=400)
    wrong_name = log_in(secured, name="nobody", status=400)
    for page in (wrong_password, wrong_name):
        assert "Wrong name or password." in page.text
    for _ in range(4):
        log_in(secured, password="wrong horse", status=400)
    refused = log_in(secured, status=429)  # even the right password, for a while
    seconds = int(refused.headers["Retry-After"])
    assert 0 < seconds <= 900
    assert re.search(rf"try again in {seconds} s", refused.text)


def test_logging_in_rotates_the_session_and_logging_out_ends_it(secured):
    secured.get("/session")
    secured.put_json(
        "/api/session/device",
        {"device": "nowhere"},
        headers={"X-CSRF-Token": secured.get("/api/session").json["csrf_token"]},
        status=401,  # not logged in yet: the session alone is no login
    )
    before = secured.cookies.get(COOKIE_NAME)
    log_in(secured)
    after = secured.cookies.get(COOKIE_NAME)
    assert after and after != before
    assert secured.get("/api/library").status_int == 200
    page = secured.get("/library/video")
    assert "anna" in page.html.select_one(".account-name").text and not page.html.select(".auth-off")
    logout = next(form for form in page.forms.values() if form.action.endswith("/logout"))
    logout.submit(status=303)
    secured.get("/api/library", status=401)


def test_cookie_requests_still_need_the_csrf_token(secured):
    log_in(secured)
    response = secured.put_json("/api/session/device", {"device": "nowhere"}, status=403)
    assert response.json["error"] == "csrf_failed"


def test_with_logins_off_every_page_says_so(testapp):
    page = testapp.get("/library/video")
    assert "Logins are off" in page.html.select_one(".auth-off").text
    assert not page.html.select(".account")


@pytest.mark.parametrize("path", ["/login", "/logout"])
def test_another_sites_page_cannot_log_anyone_in_or_out(secured, path):
    response = secured.post(
        path,
        {"name": "anna", "password": PASSWORD},
        headers={"Origin": "https://elsewhere.example", "Sec-Fetch-Site": "cross-site"},
        status=403,
    )
    assert "another site" in response.text
    assert COOKIE_NAME not in secured.cookies


def test_tokens_are_made_shown_once_listed_and_revoked(secured):
    bearer = {"Authorization": "Bearer anna-token"}
    made = secured.post_json("/api/tokens", {"name": "the kitchen tablet"}, headers=bearer).json
    assert made["token"].startswith("mc_") and made["name"] == "the kitchen tablet"
    mine = {"Authorization": f"Bearer {made['token']}"}
    listed = secured.get("/api/tokens", headers=mine).json["tokens"]
    assert [t["name"] for t in listed] == ["script", "the kitchen tablet"]
    assert all("token" not in t for t in listed)  # shown once, at its making
    assert listed[1]["last_used_at"]  # the listing itself used it
    assert secured.delete(f"/api/tokens/{made['id']}", headers=bearer).json == {"revoked": made["id"]}
    secured.get("/api/library", headers=mine, status=401)
    secured.delete(f"/api/tokens/{made['id']}", headers=bearer, status=404)
    secured.post_json("/api/tokens", {"name": ""}, headers=bearer, status=400)


def test_tokens_need_accounts(testapp):
    response = testapp.get("/api/tokens", status=409)
    assert "logins are off" in response.json["detail"]


def test_another_sites_page_cannot_make_or_revoke_tokens_with_the_cookie(secured):
    log_in(secured)
    other_site = {"Origin": "https://elsewhere.example", "Sec-Fetch-Site": "cross-site"}
    secured.post_json("/api/tokens", {"name": "stolen"}, headers=other_site, status=403)
    secured.delete("/api/tokens/1", headers=other_site, status=403)
    assert [t["name"] for t in secured.get("/api/tokens").json["tokens"]] == ["script"]


# Every route that names or lists library entries, with a file of the video root in it.
LIBRARY_ROUTES = [
    ("GET", "/", None),
    ("GET", "/library/video", None),
    ("GET", "/library/video/movie.mp4", None),
    ("GET", "/search?q=movie", None),
    ("GET", "/api/library", None),
    ("GET", "/api/library/video", None),
    ("GET", "/api/library/video/movie.mp4", None),
    ("GET", "/api/playback/video/movie.mp4", None),
    ("GET", "/api/search?q=movie", None),
    ("POST", "/api/cast", {"path": "video/movie.mp4", "device": "nowhere"}),
]


def shows_the_video_root(response):
    """Whether an answer shows the video root or its file (listings and searches show
    what the user may see; one entry answers 404 otherwise)."""
    if response.status_int == 404:
        return False
    text = response.text
    return "movie.mp4" in text or '"video"' in text or "/library/video" in text


@pytest.mark.parametrize(("method", "path", "body"), LIBRARY_ROUTES)
@pytest.mark.parametrize(
    ("who", "sees"), [("anonymous", None), ("kid", False), ("anna", True), ("boss", True)]
)
def test_each_route_shows_a_root_only_to_those_who_see_it(secured, method, path, body, who, sees):
    headers = {} if who == "anonymous" else {"Authorization": f"Bearer {who}-token"}
    if method == "GET":
        response = secured.get(path, headers=headers, expect_errors=True)
    else:
        response = secured.post_json(path, body, headers=headers, expect_errors=True)
    if sees is None:
        page = not path.startswith("/api/")
        assert response.status_int == (303 if page else 401), response.text[:300]
        return
    assert response.status_int != 401
    if path.startswith("/api/cast"):  # no such device either: which error comes first tells
        assert (response.json["detail"] == "no library root named 'video'") != sees
        return
    assert shows_the_video_root(response) == sees, response.text[:500]


def test_the_account_page_makes_shows_once_and_revokes_tokens(secured):
    log_in(secured)
    page = secured.get("/account")
    assert "sees every root" in page.text
    form = page.forms["new-token-form"]
    form["name"] = "kitchen tablet"
    made = form.submit()
    token = made.html.select_one("#new-token").text
    assert token.startswith("mc_")
    assert secured.get("/api/library", headers={"Authorization": f"Bearer {token}"}).status_int == 200
    again = secured.get("/account")
    assert not again.html.select("#new-token") and again.html.select('[data-token="kitchen tablet"]')
    mine = secured.get("/api/tokens", headers={"Authorization": f"Bearer {token}"}).json["tokens"]
    token_id = next(t["id"] for t in mine if t["name"] == "kitchen tablet")
    revoke = next(f for f in again.forms.values() if f.action.endswith(f"/account/tokens/{token_id}/revoke"))
    revoke.submit(status=303)
    secured.get("/api/library", headers={"Authorization": f"Bearer {token}"}, status=401)


@pytest.mark.browser
def test_logging_in_in_chromium_goes_back_to_the_page_asked_for(make_app, tmp_path):
    from tests.common.chromium import chromium
    from tests.common.servers import LiveServer

    app = make_app(**{"mediacaster.auth": "true", "mediacaster.database_url": f"sqlite:///{tmp_path / 'db'}"})
    with app.registry.services.database.sessions.begin() as session:
        accounts.add_user(session, "anna", PASSWORD)
    with LiveServer(app) as server, chromium() as browser:
        page = browser.new_page()
        page.goto(f"{server.url}/library/video")
        assert urlsplit(page.url).path == "/login"
        page.fill("#login-name", "Anna")  # names are one whatever their case
        page.fill("#login-password", PASSWORD)
        page.click("#login button[type=submit]")
        page.wait_for_url(f"{server.url}/library/video")
        assert page.inner_text(".account-name") == "anna"
        page.click(".account button[type=submit]")  # log out
        page.wait_for_url(f"{server.url}/login")
        page.goto(f"{server.url}/library/video")
        assert urlsplit(page.url).path == "/login"


def test_casting_as_a_user_with_a_token_reaches_the_device(make_app, library_roots, tmp_path, tv, server_for):
    from tests.functional.test_cast_converted import TV, app_with_the_tv

    app = app_with_the_tv(
        make_app,
        library_roots,
        **{"mediacaster.auth": "true", "mediacaster.database_url": f"sqlite:///{tmp_path / 'db'}"},
    )
    with app.registry.services.database.sessions.begin() as session:
        anna = accounts.add_user(session, "anna", PASSWORD)
        kid = accounts.add_user(session, "kid", PASSWORD, roots=["audio"])
        session.add(ApiToken(user=anna, name="script", token_hash=token_hash("anna-token")))
        session.add(ApiToken(user=kid, name="tablet", token_hash=token_hash("kid-token")))
    http = server_for(app)
    body = {"path": "video/movie.mp4", "device": TV, "force": True}
    http.post_json("/api/cast", body, status=401)  # nobody
    refused = http.post_json("/api/cast", body, headers={"Authorization": "Bearer kid-token"}, status=404)
    assert refused.json["detail"] == "no library root named 'video'"
    loads = len(tv.loads)
    cast = http.post_json("/api/cast", body, headers={"Authorization": "Bearer anna-token"}).json
    assert cast["device"]["name"] == TV
    # The device got a signed URL it fetches without a login.
    assert len(tv.loads) > loads and "sig=" in tv.loads[-1][1]["media"]["contentId"]
    status = http.get(f"/api/status?device={quote(TV)}", headers={"Authorization": "Bearer anna-token"})
    assert status.status_int == 200

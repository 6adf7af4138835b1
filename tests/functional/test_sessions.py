"""Redis-backed sessions, and what happens when Redis goes away."""

import json

import pytest
import redis
import webtest
from pyramid.config import Configurator

from mediacaster.session import COOKIE_NAME, CSRF_COOKIE
from tests.common.servers import RedisServer


def add_session_writer(app):
    """A route that stores a value in the session, standing in for the cast views."""

    def remember(request):
        request.session["device"] = {"id": "0" * 32, "name": request.params["device"]}
        return {"ok": True}

    config = Configurator(registry=app.registry)
    config.add_route("test.remember", "/test/remember")
    config.add_view(remember, route_name="test.remember", renderer="json")
    config.commit()


def test_the_cookie_holds_only_a_signed_id_and_redis_the_data(app, testapp, redis_server):
    add_session_writer(app)
    response = testapp.get("/test/remember", {"device": "Living room TV"})
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith(f"{COOKIE_NAME}=")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "secure" not in cookie.lower()
    assert "Living" not in cookie
    client = redis.Redis.from_url(redis_server.url)
    keys = [k for k in client.keys("*") if b"Living room TV" in client.get(k)]
    assert len(keys) == 1
    assert 0 < client.ttl(keys[0]) <= 30 * 24 * 3600
    assert json.loads(client.get(keys[0]))["m"]["device"]["name"] == "Living room TV"
    assert testapp.get("/api/session").json["device"] == {"id": "0" * 32, "name": "Living room TV"}
    assert "Living room TV" in testapp.get("/session").text


def test_a_forged_cookie_starts_a_new_session(app, testapp):
    add_session_writer(app)
    testapp.get("/test/remember", {"device": "tv"})
    testapp.set_cookie(COOKIE_NAME, "forged-session-id")
    data = testapp.get("/api/session").json
    assert (data["device"], data["recent"]) == (None, [])


def set_cookies(app, scheme):
    """The cookies set by a request that stores something in the session, and by one that
    reads the CSRF token, as ``{name: Set-Cookie header}``."""
    browser = webtest.TestApp(app, extra_environ={"wsgi.url_scheme": scheme})
    headers = browser.get("/test/remember", {"device": "tv"}).headers.getall("Set-Cookie")
    headers += browser.get("/api/session").headers.getall("Set-Cookie")
    return {header.split("=")[0]: header.lower() for header in headers}


@pytest.mark.parametrize(
    ("setting", "scheme", "secure"),
    [
        # auto, the default: Secure on HTTPS (behind nginx, the scheme comes from its
        # X-Forwarded-Proto: test_nginx.py), and not on plain HTTP, where a browser would refuse it.
        (None, "https", True),
        (None, "http", False),
        ("auto", "https", True),
        ("true", "http", True),
        ("false", "https", False),
    ],
)
def test_the_secure_flag_follows_the_scheme_unless_forced(make_app, setting, scheme, secure):
    app = make_app(**({"mediacaster.cookie_secure": setting} if setting else {}))
    add_session_writer(app)
    cookies = set_cookies(app, scheme)
    assert set(cookies) == {COOKIE_NAME, CSRF_COOKIE}
    for cookie in cookies.values():
        assert ("; secure" in cookie) is secure, cookie
        assert "httponly" in cookie and "samesite=lax" in cookie


@pytest.fixture
def doomed_redis(tmp_path):
    server = RedisServer(tmp_path).start()
    yield server
    server.stop()


def test_browsing_and_streaming_survive_redis_going_away(make_app, doomed_redis):
    app = make_app(redis_url=doomed_redis.url)
    add_session_writer(app)
    testapp = webtest.TestApp(app)
    testapp.get("/test/remember", {"device": "tv"})
    doomed_redis.stop()

    assert testapp.get("/library/video").status_int == 200
    assert testapp.get("/api/library/video").json["entries"]
    stream_url = testapp.get("/api/library/video/movie.mp4").json["stream_url"]
    assert testapp.get(stream_url).body.startswith(b"\x00\x00\x00\x18ftyp")
    down = testapp.get("/api/session", status=503)
    assert down.json["error"] == "session_store_unavailable"
    assert "Redis" in down.json["detail"]
    page = testapp.get("/session", status=503)
    assert page.content_type == "text/html" and "cannot be reached" in page.text
    health = testapp.get("/healthz", status=503).json
    assert health["status"] == "degraded" and health["redis"] == {"reachable": False}

    doomed_redis.start()
    assert testapp.get("/api/session").json["device"] is None  # the throwaway server kept nothing
    assert testapp.get("/healthz").json["status"] == "ok"


def test_reading_the_session_stores_nothing(testapp, redis_server):
    """Every page reads /api/session: a session is made when something is stored, not before."""
    client = redis.Redis.from_url(redis_server.url)
    before = client.dbsize()
    for _ in range(5):
        response = webtest.TestApp(testapp.app).get("/api/session")
        assert response.json["csrf_token"]
        assert COOKIE_NAME not in response.headers.get("Set-Cookie", "")
    assert client.dbsize() == before

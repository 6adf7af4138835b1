"""Faults injected with real processes: what people see during them, and the recovery after.

Redis: the embedded redis-server killed (``kill -9``) or stopped (``kill -STOP``), and a
configured Redis server stopped and started again. The app runs under a real waitress;
requests go through HTTP with a browser's cookies.
"""

import os
import signal
import time

import psutil
import pytest
import requests

from mediacaster.services import accounts
from tests.common.app import wait_for
from tests.common.servers import LiveServer, RedisServer

pytestmark = pytest.mark.slow

PASSWORD = "correct horse"
IN_WORDS = "try again in a few seconds"


def secured_app(make_app, tmp_path, redis_url):
    """An app with logins required, its own data folder and database, and one member: anna."""
    data = tmp_path / "data"
    app = make_app(
        redis_url=redis_url,
        **{
            "mediacaster.auth": "true",
            "mediacaster.data_dir": str(data),
            "mediacaster.database_url": f"sqlite:///{tmp_path / 'db'}",
        },
    )
    with app.registry.services.database.sessions.begin() as session:
        accounts.add_user(session, "anna", PASSWORD)
    return app


def logged_in(server):
    """A browser's cookies after logging in as anna."""
    browser = requests.Session()
    page = browser.get(f"{server.url}/login", timeout=30)
    token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    response = browser.post(
        f"{server.url}/login",
        data={"name": "anna", "password": PASSWORD, "csrf_token": token},
        allow_redirects=False,
        timeout=30,
    )
    assert response.status_code == 303, response.text
    assert browser.get(f"{server.url}/library/video", timeout=30).status_code == 200
    return browser


def assert_unavailable_in_words(server, browser):
    """A page and the API answer 503 in words, with Retry-After; nothing hangs."""
    page = browser.get(f"{server.url}/library/video", timeout=30)
    assert page.status_code == 503, page.text
    assert page.headers["Content-Type"].startswith("text/html")
    assert IN_WORDS in page.text and "Internal Server Error" not in page.text
    assert page.headers["Retry-After"] == "5"
    api = browser.get(f"{server.url}/api/library/video", timeout=30)
    assert api.status_code == 503
    assert api.json()["error"] == "session_store_unavailable" and IN_WORDS in api.json()["detail"]
    assert api.headers["Retry-After"] == "5"
    health = requests.get(f"{server.url}/healthz", timeout=30)
    assert health.status_code == 503 and health.json()["down"] == ["redis"]


def streams(url, client=requests):
    response = client.get(url, headers={"Range": "bytes=0-99"}, timeout=30)
    return response.status_code == 206 and len(response.content) == 100


def redis_servers_of(store):
    """Live redis-server processes started from the embedded server's config file."""
    config = store.client.redis_configuration_filename
    found = []
    for process in psutil.process_iter(["cmdline", "status"]):
        if process.info["status"] != psutil.STATUS_ZOMBIE and config in " ".join(
            process.info["cmdline"] or []
        ):
            found.append(process)
    return found


@pytest.fixture
def embedded(make_app, tmp_path):
    return secured_app(make_app, tmp_path, redis_url="")


def test_a_killed_embedded_redis_is_restarted_with_its_sessions(embedded):
    store = embedded.registry.services.store
    with LiveServer(embedded) as server:
        browser = logged_in(server)
        stream_url = browser.get(f"{server.url}/api/library/video/movie.mp4", timeout=30).json()["stream_url"]
        # What survives a crash is what Redis wrote to its append-only file (fsynced every
        # second): wait until the login's session is in it.
        session_key = next(
            key for key in store.client.scan_iter() if b"user_id" in (store.client.get(key) or b"")
        )
        aof = embedded.registry.app_settings.data_dir / "appendonly.aof"
        wait_for(lambda: aof.exists() and session_key in aof.read_bytes(), what="the session in the AOF")

        killed = store.pid
        with store.unsupervised():  # down for as long as the test looks
            os.kill(killed, signal.SIGKILL)
            wait_for(lambda: not store.reachable(), what="Redis gone")
            assert_unavailable_in_words(server, browser)
            # Signed media URLs need no session, sent with the session cookie (a browser's
            # player) or without (a TV).
            assert streams(stream_url) and streams(stream_url, browser)
            login = requests.get(f"{server.url}/login", timeout=30)
            assert login.status_code == 503 and "Logging in is not possible for a moment" in login.text

        wait_for(lambda: store.restarts == 1, timeout=30, what="the embedded Redis restarted")
        assert store.pid != killed and store.reachable()
        # The same cookie: the session (anna's login) was loaded back from the AOF.
        assert browser.get(f"{server.url}/library/video", timeout=30).status_code == 200
        assert requests.get(f"{server.url}/healthz", timeout=30).json()["down"] == []

    embedded.registry.services.close()
    assert redis_servers_of(store) == []


def test_a_stopped_embedded_redis_answers_503_without_hanging(embedded):
    store = embedded.registry.services.store
    with LiveServer(embedded) as server:
        browser = logged_in(server)
        os.kill(store.pid, signal.SIGSTOP)
        try:
            started = time.monotonic()
            assert_unavailable_in_words(server, browser)
            # Short socket timeouts: each request gave up on Redis within seconds
            # (a generous bound for a loaded machine; without them it would hang).
            assert time.monotonic() - started < 30
        finally:
            os.kill(store.pid, signal.SIGCONT)
        assert browser.get(f"{server.url}/library/video", timeout=30).status_code == 200
        assert store.restarts == 0  # stopped is not dead: the supervisor leaves it alone
    embedded.registry.services.close()
    assert redis_servers_of(store) == []


def test_a_configured_redis_that_goes_away_and_returns(make_app, tmp_path):
    external = RedisServer(tmp_path).start()
    try:
        app = secured_app(make_app, tmp_path, redis_url=external.url)
        with LiveServer(app) as server:
            browser = logged_in(server)
            external.stop()
            assert_unavailable_in_words(server, browser)
            external.start()  # same port; this throwaway server saves nothing: sessions are gone
            wait_for(app.registry.services.store.reachable, what="Redis back")
            # The app reconnected by itself: the old cookie is a guest's, and logging in works again.
            again = browser.get(f"{server.url}/library/video", allow_redirects=False, timeout=30)
            assert again.status_code == 303 and "/login" in again.headers["Location"]
            assert logged_in(server).get(f"{server.url}/api/library/video", timeout=30).status_code == 200
    finally:
        external.stop()

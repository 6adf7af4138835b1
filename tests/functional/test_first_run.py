"""The first run: production requires logins, and before any account exists the first
administrator is made on the setup page, from this machine or with the logged token."""

import re
import sys
import urllib.error

import pytest
import webtest

from tests.common.pserve import Pserve
from tests.common.servers import free_port

ELSEWHERE = {"REMOTE_ADDR": "192.168.1.20", "HTTP_HOST": "nas.local:6543"}
HERE = {"REMOTE_ADDR": "127.0.0.1", "HTTP_HOST": "localhost"}
PASSWORD = "correct horse"


@pytest.fixture
def fresh(make_app, tmp_path):
    """An app with logins on and no account yet, reached as localhost and as nas.local."""
    return make_app(
        **{
            "mediacaster.auth": "true",
            "mediacaster.database_url": f"sqlite:///{tmp_path / 'db'}",
            "mediacaster.allowed_hosts": "localhost,nas.local",
        }
    )


def set_up(testapp, path="/setup", name="Anna", password=PASSWORD, again=PASSWORD, status=303, **environ):
    form = testapp.get(path, extra_environ=environ).forms["setup"]
    form["name"], form["password"], form["password_again"] = name, password, again
    return form.submit(extra_environ=environ, status=status)


@pytest.mark.slow
def test_production_requires_a_login_and_logs_the_way_to_the_first_account(tmp_path, redis_server):
    port = free_port()
    pserve = Pserve(
        sys.executable,
        tmp_path,
        port,
        None,
        "production.ini",
        MEDIACASTER_ROOTS=f"video={tmp_path}",
        MEDIACASTER_SECRET="production-secret-0123456789",
        REDIS_URL=redis_server.url,
        MEDIACASTER_DISCOVERY="false",
    )
    try:
        pserve.wait_until_up()
        with pytest.raises(urllib.error.HTTPError) as refused:
            pserve.get("/api/library")
        refused.value.close()
        assert refused.value.code == 401
        # Pages go to the login page, which goes to the setup page while nobody can log in.
        status, headers, body = pserve.get("/")
        assert status == 200 and headers.get_content_type() == "text/html"
        assert b'id="setup"' in body
        token = re.search(r"/setup\?token=(\S+)", pserve.log).group(1)
        assert b'id="setup"' in pserve.get(f"http://127.0.0.1:{port}/setup?token={token}")[2]
        health = pserve.get("/healthz")[2]
        assert b"video" not in health  # root names are not public
        # The new database got its schema, and production's log says so.
        assert re.search(r"database sqlite:///\S+: schema upgraded from none to \d{4}", pserve.log)
    finally:
        pserve.stop()


def test_the_setup_page_opens_on_this_machine_or_with_the_token(fresh):
    testapp = webtest.TestApp(fresh)
    refused = testapp.get("/setup", extra_environ=ELSEWHERE, status=403)
    assert "setup token" in refused.text
    # A proxy on this machine: its requests come from loopback, with the browser's host name.
    testapp.get("/setup", extra_environ={"REMOTE_ADDR": "127.0.0.1", "HTTP_HOST": "nas.local"}, status=403)
    testapp.get("/setup?token=wrong", extra_environ=ELSEWHERE, status=403)
    testapp.get(
        "/setup", extra_environ={"REMOTE_ADDR": "127.0.0.1", "HTTP_HOST": "localhost:6543"}, status=200
    )
    token = fresh.registry.services.first_run.token
    home = set_up(testapp, f"/setup?token={token}", **ELSEWHERE).follow(extra_environ=ELSEWHERE)
    assert "Anna" in home.text  # logged in, as the administrator
    assert testapp.get("/api/library", extra_environ=ELSEWHERE).json["roots"]
    # Once an account exists, the page is gone: the token opens nothing more.
    other = webtest.TestApp(fresh)
    assert other.get(f"/setup?token={token}", extra_environ=ELSEWHERE, status=303).location.endswith("/login")
    assert other.get("/login", extra_environ=ELSEWHERE).forms["login"]


def test_the_setup_form_checks_what_it_is_given(fresh):
    testapp = webtest.TestApp(fresh, extra_environ=HERE)
    assert "The two passwords differ." in set_up(testapp, again="correct horsf", status=400).text
    assert "at least 8 characters" in set_up(testapp, password="short", again="short", status=400).text
    # Another site's page cannot send it for a browser on this machine.
    refused = testapp.post(
        "/setup",
        {"name": "Eve", "password": PASSWORD, "password_again": PASSWORD},
        headers={"Origin": "https://elsewhere.example", "Sec-Fetch-Site": "cross-site"},
        status=403,
    )
    assert "another site" in refused.text
    assert fresh.registry.services.first_run.pending()
    set_up(testapp)
    # A second form, opened before the first was sent, comes too late.
    late = webtest.TestApp(fresh, extra_environ=HERE)
    sent = {"name": "Eve", "password": PASSWORD, "password_again": PASSWORD}
    assert "An account exists already: log in." in late.post("/setup", sent, status=400).text


def test_the_login_page_sends_to_the_setup_page_only_while_no_account_exists(fresh):
    testapp = webtest.TestApp(fresh, extra_environ=HERE)
    assert testapp.get("/").follow().location.endswith("/setup")
    set_up(testapp)
    token = re.search(r'name="csrf_token" value="([^"]+)"', testapp.get("/account").text).group(1)
    testapp.post("/logout", {"csrf_token": token})
    assert testapp.get("/login").forms["login"]


def test_with_logins_off_there_is_nothing_to_set_up(testapp):
    testapp.get("/setup", status=404)

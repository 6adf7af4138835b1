"""production.ini on a home network, in Chromium: logging in over http://<LAN name>:6543,
and over HTTPS behind nginx (docs/nginx.conf with a self-signed certificate); the log
names the URLs the app is reached at."""

import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mediacaster.hosts import interface_addresses
from tests.common.app import REPO
from tests.common.chromium import chromium
from tests.common.nginx_docs import rendered_conf
from tests.common.pserve import Pserve, clean_environ
from tests.common.servers import Nginx, free_port

pytestmark = [pytest.mark.browser, pytest.mark.slow]

LAN_NAME = "nas.example"  # Chromium resolves it to loopback, as a home router's DNS would to the NAS
RESOLVE = f"--host-resolver-rules=MAP {LAN_NAME} 127.0.0.1"
NAME, PASSWORD = "anna", "correct horse"
ENV = {"MEDIACASTER_SECRET": "home-network-secret-0123456789", "MEDIACASTER_DISCOVERY": "false"}


def library(folder):
    roots = {name: folder / name for name in ("video", "audio", "images")}
    for path in roots.values():
        path.mkdir()
    return roots, ";".join(f"{name}={path}" for name, path in roots.items())


def add_administrator(folder, env):
    """The first administrator, made as docs/production.md says, in the app's data folder."""
    subprocess.run(
        [
            Path(sys.executable).parent / "mediacaster-admin",
            "-c",
            REPO / "production.ini",
            "adduser",
            NAME,
            "--admin",
        ],
        input=f"{PASSWORD}\n",
        env=clean_environ(MEDIACASTER_DATA_DIR=str(folder / "data"), **env),
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )


def stop(pserve):
    leftovers, _ = pserve.stop()
    assert leftovers == [], pserve.log


@pytest.fixture(scope="module")
def lan(tmp_path_factory):
    """``pserve production.ini`` as shipped (every interface, plain HTTP, the embedded Redis)."""
    folder = tmp_path_factory.mktemp("lan")
    env = {**ENV, "MEDIACASTER_ROOTS": library(folder)[1], "MEDIACASTER_ALLOWED_HOSTS": LAN_NAME}
    add_administrator(folder, env)
    pserve = Pserve(sys.executable, folder, free_port(), None, "production.ini", **env)
    try:
        pserve.wait_until_up()
        yield pserve
    finally:
        stop(pserve)


def make_certificate(folder):
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"),
            *("-subj", f"/CN={LAN_NAME}", "-addext", f"subjectAltName=DNS:{LAN_NAME}"),
            *("-keyout", key, "-out", cert),
        ],
        capture_output=True,
        check=True,
        timeout=60,
    )
    return cert, key


@pytest.fixture(scope="module")
def https(tmp_path_factory):
    """``mediacaster production.ini`` on a unix socket under /mediacenter, behind docs/nginx.conf
    over TLS."""
    folder = tmp_path_factory.mktemp("tls")
    roots, root_setting = library(folder)
    socket_path = folder / "app.sock"
    nginx = Nginx(rendered_conf(roots, socket_path, tls=make_certificate(folder)))
    env = {
        **ENV,
        "MEDIACASTER_ROOTS": root_setting,
        "UNIX_SOCKET": str(socket_path),
        "URL_PREFIX": "/mediacenter",
        "MEDIACASTER_ACCEL_REDIRECT": "/_mediacaster",
        "MEDIACASTER_PUBLIC_URL": f"https://{LAN_NAME}:{nginx.port}/mediacenter",
    }
    add_administrator(folder, env)
    # As docs/mediacaster.service runs it.
    command = [Path(sys.executable).parent / "mediacaster"]
    pserve = Pserve(sys.executable, folder, free_port(), None, "production.ini", command, **env)
    try:
        deadline = time.monotonic() + 45
        while not socket_path.exists():
            assert pserve.process.poll() is None and time.monotonic() < deadline, pserve.log
            time.sleep(0.1)
        with nginx:
            yield f"https://{LAN_NAME}:{nginx.port}/mediacenter"
    finally:
        stop(pserve)


def log_in(page, url, password):
    page.goto(f"{url}/login")
    page.fill("#login-name", NAME)
    page.fill("#login-password", password)
    with page.expect_navigation():
        page.click("#login button[type=submit]")


def assert_login_works(url, secure):
    """A wrong password says so; the right one logs in, with cookies ``secure`` or not."""
    with chromium(RESOLVE) as browser:
        context = browser.new_context(ignore_https_errors=True)
        page = context.new_page()
        log_in(page, url, "wrong horse")
        assert page.url.startswith(f"{url}/login")
        assert page.locator("#login [role=alert]").inner_text() == "Wrong name or password."
        log_in(page, url, PASSWORD)
        assert page.url == f"{url}/", page.url
        # The page's own requests carry the session: the cookie was kept.
        assert page.evaluate("url => fetch(url).then(reply => reply.status)", f"{url}/api/library") == 200
        cookies = {cookie["name"]: cookie["secure"] for cookie in context.cookies()}
        assert cookies == {"mediacaster_session": secure, "mediacaster_csrf": secure}
        context.close()


def test_logging_in_over_the_lan_name_on_plain_http(lan):
    assert_login_works(f"http://{LAN_NAME}:{lan.port}", secure=False)


def test_logging_in_over_https_behind_nginx(https):
    assert_login_works(https, secure=True)


def test_the_log_names_every_url_the_app_is_reached_at(lan):
    urls = {f"http://{socket.gethostname()}:{lan.port}/"}  # production.ini listens on 0.0.0.0
    urls |= {
        f"http://{address}:{lan.port}/"
        for address in interface_addresses()
        if address.version == 4 and not address.is_link_local
    }
    logged = {line.split("reachable at ")[1] for line in lan.log.splitlines() if "reachable at " in line}
    assert logged == urls

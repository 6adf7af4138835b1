"""The web app manifest and its icons: what a phone needs to add the app to its home screen."""

import io
import json
from urllib.parse import urljoin

import pytest
from bs4 import BeautifulSoup
from PIL import Image

from tests.common.chromium import chromium

STANDALONE_KEYS = {"name", "short_name", "start_url", "display", "theme_color", "icons"}


def manifest_of(testapp):
    page = BeautifulSoup(testapp.get("/").text, "html.parser")
    href = page.find("link", rel="manifest")["href"]
    assert page.find("link", rel="apple-touch-icon") is not None
    return href, testapp.get(href)


def test_the_manifest_is_served_as_a_manifest_with_icons_that_exist(testapp):
    href, response = manifest_of(testapp)
    assert response.content_type == "application/manifest+json"
    manifest = json.loads(response.body)
    assert manifest.keys() >= STANDALONE_KEYS
    assert manifest["display"] == "standalone"
    base = urljoin("http://localhost", href)
    assert urljoin(base, manifest["start_url"]) == "http://localhost/"
    purposes = set()
    for icon in manifest["icons"]:
        picture = testapp.get(urljoin(base, icon["src"]))
        assert picture.content_type == "image/png"
        width, height = Image.open(io.BytesIO(picture.body)).size
        assert f"{width}x{height}" == icon["sizes"]
        purposes.add((icon["sizes"], icon["purpose"]))
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= purposes


def test_the_apple_touch_icon_is_a_square_png(testapp):
    page = BeautifulSoup(testapp.get("/").text, "html.parser")
    picture = testapp.get(page.find("link", rel="apple-touch-icon")["href"])
    assert Image.open(io.BytesIO(picture.body)).size == (180, 180)


def test_pages_allow_their_own_manifest_only(testapp):
    policy = testapp.get("/").headers["Content-Security-Policy"]
    assert "manifest-src 'self'" in policy


@pytest.mark.browser
def test_chromium_reads_the_manifest_without_a_complaint(live_server):
    with chromium() as browser:
        page = browser.new_page()
        violations = []
        page.on("console", lambda m: "Content Security Policy" in m.text and violations.append(m.text))
        page.goto(live_server.url + "/")
        cdp = page.context.new_cdp_session(page)
        read = cdp.send("Page.getAppManifest")
        assert read["url"].startswith(live_server.url + "/static/manifest.webmanifest")
        assert read["errors"] == []
        assert json.loads(read["data"])["short_name"] == "mediacaster"
        assert not violations

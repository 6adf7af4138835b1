"""The README's screenshots, taken from the running demo (make screenshots).

Starts ``pserve development.ini`` on a free loopback port with a throwaway data folder,
opens the home page, a folder, a file's page with its player and a search in Debian's
headless Chromium (through Playwright) at a phone's size and a desktop's, and writes
``docs/screenshots/<page>-<size>.png``. Then, with logins on, every kind of page at a
phone's size, as an administrator and as a member: ``docs/screenshots/pages/<page>.png``.
Last, the catalogue's pages over a household library of realistic names (the tests'
generated one, its videos and art made of the demo's), at both sizes:
``docs/screenshots/pages/catalogue-<page>-<size>.png``. Nothing is fetched from outside
this machine.
"""

import io
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image
from playwright.sync_api import sync_playwright

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # the demo is started the way the tests start pserve

from tests.common.chromium import ARGS, CHROMIUM  # noqa: E402
from tests.common.pserve import Pserve  # noqa: E402
from tests.common.servers import free_port  # noqa: E402

OUT = REPO / "docs" / "screenshots"
EVERY_PAGE = OUT / "pages"
PHONE = (390, 844)
PASSWORD = "a long password"
# Every kind of page, seen by an administrator (then a member, for what they are refused).
ADMIN_PAGES = {
    "home": "/",
    "folder-list": "/library/video",
    "folder-grid": "/library/images?view=grid",
    "file-video": "/library/video/Test%20pattern.mp4",
    "file-audio": "/library/audio/Sine%20in%20C.mp3",
    "file-image": "/library/images/Mandelbrot.jpg",
    "search": "/search?q=test",
    "search-empty": "/search?q=nothing%20like%20this",
    "session": "/session",
    "slideshow": "/slideshow/images",
    "account": "/account",
    "admin-users": "/admin/users",
    "admin-user": "/admin/users/2",
    "error-404": "/library/video/nothing-here.mp4",
}
MEMBER_PAGES = {"error-403": "/admin/users"}
# The catalogue's pages; {show}, {artist} and {album} are filled in from its API.
CATALOGUE_PAGES = {
    "home": "/",
    "films": "/films",
    "shows": "/shows",
    "show": "/shows/{show}",
    "season": "/shows/{show}/seasons/1",
    "music": "/music",
    "artist": "/music/artists/{artist}",
    "album": "/music/albums/{album}",
    "photos": "/photos",
    "search": "/search?q=the",
}
SIZES = {"phone": (390, 844), "desktop": (1440, 900)}
PAGES = {
    "home": "/",
    "folder": "/library/images?view=grid",
    "file": "/library/video/Test%20pattern.mp4",
    "search": "/search?q=test",
}


def save_small(png, target):
    """The screenshot in 256 colours: a third of its size, which the flat colours of the
    pages do not show, so the pictures stay small in the repository."""
    picture = Image.open(io.BytesIO(png)).convert("RGB")
    small = picture.quantize(256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    small.save(target, optimize=True)


def shoot(base, pages=PAGES, target=lambda name, size: OUT / f"{name}-{size}.png"):
    """Each of ``pages`` at a phone's size and a desktop's, into ``target(name, size)``."""
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            for size, (width, height) in SIZES.items():
                context = browser.new_context(viewport={"width": width, "height": height})
                page = context.new_page()
                for name, path in pages.items():
                    page.goto(base + path, wait_until="networkidle")
                    page.wait_for_timeout(500)  # let the probes and the player settle
                    save_small(page.screenshot(), target(name, size))
                    print(f"screenshots: {target(name, size).relative_to(REPO)}")
                context.close()
        finally:
            browser.close()


def log_in(page, base, name):
    page.goto(f"{base}/login")
    page.fill("#login-name", name)
    page.fill("#login-password", PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_load_state("networkidle")


def shoot_every_page(base):
    """Every kind of page at a phone's size: the setup and login pages, then as ``alex``
    (an administrator) and ``sam`` (a member of the video root)."""
    EVERY_PAGE.mkdir(parents=True, exist_ok=True)

    def take(page, name):
        page.wait_for_timeout(500)  # the probes, the player and the menus settle
        save_small(page.screenshot(), EVERY_PAGE / f"{name}.png")
        print(f"screenshots: {(EVERY_PAGE / f'{name}.png').relative_to(REPO)}")

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            width, height = PHONE
            context = browser.new_context(viewport={"width": width, "height": height})
            page = context.new_page()
            page.goto(f"{base}/setup", wait_until="networkidle")
            take(page, "setup")
            page.fill("#setup-name", "alex")
            page.fill("#setup-password", PASSWORD)
            page.fill("#setup-password-again", PASSWORD)
            page.click("form button[type=submit]")
            page.wait_for_load_state("networkidle")
            page.goto(f"{base}/admin/users", wait_until="networkidle")
            page.fill("#user-name", "sam")
            page.fill("#user-password", PASSWORD)
            page.check("input[name=roots][value=video]")
            page.click("#add-user button[type=submit]")
            page.wait_for_load_state("networkidle")
            for name, path in ADMIN_PAGES.items():
                page.goto(base + path, wait_until="networkidle")
                take(page, name)
            context.close()
            context = browser.new_context(viewport={"width": width, "height": height})
            page = context.new_page()
            page.goto(f"{base}/login", wait_until="networkidle")
            take(page, "login")
            log_in(page, base, "sam")
            for name, path in MEMBER_PAGES.items():
                page.goto(base + path, wait_until="networkidle")
                take(page, name)
            context.close()
        finally:
            browser.close()


def household(folder):
    """The tests' household library, its videos made real (the demo's test pattern) and its
    art the demo's picture, so that the pictures show posters and frames."""
    from tests.common import catalogue_library

    roots = catalogue_library.generate(folder)
    demo = REPO / "mediacaster" / "demo"
    for path in roots["video"].rglob("*"):
        if path.suffix in (".mkv", ".mp4"):
            path.write_bytes((demo / "video" / "Test pattern.mp4").read_bytes())
    for path in [*roots["video"].rglob("*.jpg"), *roots["music"].rglob("*.jpg")]:
        path.write_bytes((demo / "images" / "Mandelbrot.jpg").read_bytes())
    return roots


def shoot_catalogue(base):
    """The catalogue's pages at a phone's size and a desktop's, with one episode watched."""
    import json
    import urllib.request

    def api(path, data=None):
        request = urllib.request.Request(base + path, data=data, method="PUT" if data else "GET")
        request.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(request, timeout=30) as answer:
            return json.loads(answer.read())

    for _ in range(600):  # the first scan, a few seconds
        if api("/api/scan")["finished"]:
            break
        time.sleep(0.1)
    expanse = next(s for s in api("/api/shows")["items"] if s["title"] == "The Expanse")
    first = api(f"/api/shows/{expanse['id']}/seasons/1")["episodes"]["items"][0]["file"]
    api(f"/api/watched/{first['root']}/{first['path']}".replace(" ", "%20"), b'{"watched": true}')
    artist = next(a for a in api("/api/artists")["items"] if a["name"] == "Pink Floyd")
    album = api(f"/api/artists/{artist['id']}")["albums"]["items"][0]
    ids = {"show": expanse["id"], "artist": artist["id"], "album": album["id"]}
    pages = {name: path.format(**ids) for name, path in CATALOGUE_PAGES.items()}
    shoot(base, pages, lambda name, size: EVERY_PAGE / f"catalogue-{name}-{size}.png")


def main():
    if not Path(CHROMIUM).exists():
        sys.exit(f"screenshots: {CHROMIUM} is missing (Debian's chromium package)")
    with tempfile.TemporaryDirectory(prefix="mediacaster-screenshots-") as folder:
        # No device discovery: the pictures show the pages as they are without a TV.
        app = Pserve(sys.executable, Path(folder), free_port(), None, ini_name="development.ini",
                     HOST="127.0.0.1", MEDIACASTER_DISCOVERY="false")  # fmt: skip
        try:
            app.wait_until_up()
            shoot(f"http://127.0.0.1:{app.port}")
        finally:
            app.stop()
    with tempfile.TemporaryDirectory(prefix="mediacaster-screenshots-") as folder:
        app = Pserve(sys.executable, Path(folder), free_port(), None, ini_name="development.ini",
                     HOST="127.0.0.1", MEDIACASTER_DISCOVERY="false", MEDIACASTER_AUTH="true")  # fmt: skip
        try:
            app.wait_until_up()
            shoot_every_page(f"http://127.0.0.1:{app.port}")
        finally:
            app.stop()
    with tempfile.TemporaryDirectory(prefix="mediacaster-screenshots-") as folder:
        roots = ";".join(f"{name}={path}" for name, path in household(Path(folder) / "library").items())
        app = Pserve(sys.executable, Path(folder), free_port(), None, ini_name="development.ini",
                     HOST="127.0.0.1", MEDIACASTER_DISCOVERY="false", MEDIACASTER_ROOTS=roots)  # fmt: skip
        try:
            app.wait_until_up()
            shoot_catalogue(f"http://127.0.0.1:{app.port}")
        finally:
            app.stop()


if __name__ == "__main__":
    main()

"""Every page type in Chromium, at a phone's size and a desktop's, as an administrator and
as a member, with and without a TV: nothing scrolls sideways or sits off screen, no text
needs a glyph the fonts may lack, a phone's controls are big enough for a finger, axe-core
finds nothing serious, the console stays clean, and the keyboard reaches every control."""

import contextlib
import shutil
from pathlib import Path

import axe_playwright_python
import pytest
from playwright.sync_api import expect

from mediacaster import main
from mediacaster.fakecast import FakeChromecast
from mediacaster.services import accounts
from mediacaster.services.catalogue import queries
from tests.common.app import REPO, app_settings, wait_for
from tests.common.servers import LiveServer
from tests.functional import test_browser

pytestmark = [pytest.mark.browser, pytest.mark.slow]

browser = test_browser.browser  # the fixture: one Chromium for the module

PASSWORD = "correct horse"
PHONE, SMALL_PHONE, DESKTOP = (390, 844), (360, 740), (1440, 900)
LONG = "A film with a rather long name that goes on and on, season one, episode one.mp4"
AXE = (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text(encoding="utf-8")
DEMO = REPO / "mediacaster" / "demo"
# A TV of this module's own, apart from the other tests' (which may run at the same time).
TV = "Pages TV"

# Text a page may show: Latin letters (and the accents of names written decomposed),
# typographic punctuation, and the few symbols every platform's fonts have (the four
# triangles of Geometric Shapes). Icons are SVG: a character such as ⏮ or ⏳ shows as an
# empty box where the fonts lack it, as Debian's DejaVu and many phones' do.
TRIANGLES = [(c, c) for c in (0x25B2, 0x25B6, 0x25BC, 0x25C0)]
ALLOWED = [(0x20, 0x24F), (0x300, 0x36F), (0x2010, 0x2027), (0x2030, 0x203A), (0x20AC, 0x20AC), *TRIANGLES]


def allowed(char):
    return char in "\n\t\r\xa0" or any(low <= ord(char) <= high for low, high in ALLOWED)


# -- the sites: a TV on the network or none; logins on; and the demo with logins off ------


@pytest.fixture(scope="module")
def library(tmp_path_factory):
    base = tmp_path_factory.mktemp("pages-library")
    films, season, photos = base / "films", base / "films" / "Show" / "Season 1", base / "photos"
    for folder in (season, photos):
        folder.mkdir(parents=True)
    shutil.copy(DEMO / "video" / "Test pattern.mp4", films / "Test pattern.mp4")
    shutil.copy(DEMO / "video" / "Test pattern.mp4", films / LONG)
    shutil.copy(DEMO / "video" / "Test pattern.mp4", season / "Episode 1.mp4")
    shutil.copy(DEMO / "audio" / "Sine in C.mp3", films / "Sine in C.mp3")
    shutil.copy(DEMO / "images" / "Mandelbrot.jpg", photos / "Mandelbrot.jpg")
    shutil.copy(DEMO / "images" / "Test card.png", photos / "Test card.png")
    return {"films": films, "photos": photos}


@contextlib.contextmanager
def serving(library, redis_server, data, **settings):
    settings = {"mediacaster.data_dir": str(data), "mediacaster.catalogue": "true", **settings}
    app = main({}, **app_settings(library, redis_server.url, **settings))
    app.registry.services.search.ready.wait(10)
    try:
        assert app.registry.services.catalogue.scanner.scanned.wait(60), (
            "the catalogue's first scan did not end"
        )
        with LiveServer(app, threads=8) as server:
            server.app = app
            server.catalogue = catalogue_pages(app)
            yield server
    finally:
        app.registry.services.close()


def catalogue_pages(app):
    """The paths of the catalogue's pages of one show, season, artist and album."""
    roots = list(app.registry.services.library.roots)
    with app.registry.services.database.sessions() as session:
        show = queries.shows(session, roots, None)["items"][0]["id"]
        season = queries.show(session, roots, None, show)["seasons"][0]["number"]
        artist = queries.artists(session, roots)["items"][0]["id"]
        album = queries.albums(session, roots, artist)["items"][0]["id"]
    return [
        "/films",
        "/films?sort=added&unwatched=true",
        "/shows",
        f"/shows/{show}",
        f"/shows/{show}/seasons/{season}",
        "/music",
        f"/music/artists/{artist}",
        f"/music/albums/{album}",
        "/photos",
    ]


def add_people(server):
    """An administrator, boss, and a member, anna, who sees both roots."""
    with server.app.registry.services.database.sessions.begin() as session:
        accounts.add_user(session, "boss", PASSWORD, role="admin")
        server.anna = accounts.add_user(session, "anna", PASSWORD, roots=["films", "photos"]).id


@pytest.fixture(scope="module")
def pages_tv(device_zeroconf):
    device = FakeChromecast(TV, "Chromecast", "127.0.0.41", port=8009).start(device_zeroconf)
    yield device
    device.stop()


@pytest.fixture(scope="module")
def with_tv(library, redis_server, pages_tv, tmp_path_factory):
    settings = {
        "mediacaster.auth": "true",
        "mediacaster.discovery": "true",
        "mediacaster.discovery_interfaces": "127.0.0.1",
    }
    with serving(library, redis_server, tmp_path_factory.mktemp("pages-tv"), **settings) as server:
        wait_for(
            lambda: any(d.name == TV for d in server.app.registry.services.cast.devices()), 40, "discovery"
        )
        add_people(server)
        yield server


@pytest.fixture(scope="module")
def without_tv(library, redis_server, tmp_path_factory):
    """No TV; no account either until the setup page has been seen."""
    with serving(
        library, redis_server, tmp_path_factory.mktemp("pages-bare"), **{"mediacaster.auth": "true"}
    ) as server:
        yield server


@pytest.fixture(scope="module")
def demo(library, redis_server, tmp_path_factory):
    with serving(library, redis_server, tmp_path_factory.mktemp("pages-demo")) as server:
        yield server


# -- what each page must be -------------------------------------------------------------

CHECKS = (REPO / "tests" / "common" / "page_checks.js").read_text(encoding="utf-8")


def in_page(page, check, *args):
    """Run one of tests/common/page_checks.js's checks in the page."""
    return page.evaluate(f"(args) => ({CHECKS}).{check}(...args)", list(args))


def settle(page):
    """Wait until the page's script has asked for the devices and set up the header."""
    page.wait_for_load_state("load")
    # Guests have no devices; the slideshow hides the header and its picker.
    ready = "#device-picker:enabled, #device-help-open:visible, body[data-guest], #slideshow"
    expect(page.locator(ready).first).to_be_attached(timeout=15000)
    # With a TV chosen, a listing fetches its rows again with their verdicts and swaps them
    # in: the checks wait for that, on a loaded machine too, rather than for a fixed time.
    chosen = page.evaluate("() => !!document.getElementById('device-picker')?.value")
    if chosen and page.locator("[data-poll] .verdict").count():
        expect(page.locator("[data-poll] .verdict[data-verdict]").first).to_be_attached(timeout=15000)
    page.wait_for_timeout(150)  # the rows' details swapped in, menus placed


def layout_problems(page, phone):
    return in_page(page, "layout", phone, ALLOWED)


def axe_problems(page):
    page.evaluate(AXE)
    result = page.evaluate("axe.run(document, { resultTypes: ['violations'] })")
    return [
        f"axe {v['id']} ({v['impact']}): {v['help']}: {[n['target'] for n in v['nodes']][:4]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def keyboard_problems(page, tries=3):
    count = in_page(page, "mark")
    page.locator("body").focus()
    page.evaluate("document.activeElement.blur()")
    reached = set()
    for _ in range(count + 20):  # a video's own controls take a few stops too
        page.keyboard.press("Tab")
        mark = page.evaluate("document.activeElement.dataset.reach")
        if mark is not None:
            reached.add(int(mark))
    missed = sorted(set(range(count)) - reached)
    if not missed:
        return []
    gone = page.evaluate(
        "(marks) => marks.some((m) => !document.querySelector(`[data-reach='${m}']`))", missed
    )
    if gone and tries > 1:  # rows swapped in meanwhile (their details, a TV's verdicts): again
        return keyboard_problems(page, tries - 1)
    return [f"not reached by Tab: {name}" for name in in_page(page, "named", missed)]


class Visit:
    """A context of one size for one person: pages opened in turn, problems gathered."""

    def __init__(self, browser, size):
        self.context = browser.new_context(
            viewport={"width": size[0], "height": size[1]}, is_mobile=size[0] < 800, has_touch=size[0] < 800
        )
        self.page = self.context.new_page()
        self.phone = size[0] < 800
        self.problems = []
        self.console = []
        self.page.on("console", self.heard)
        self.page.on("pageerror", lambda error: self.console.append(f"script error: {error}"))

    def heard(self, message):
        if message.type != "error":
            return
        # An error page's own status: the browser logs it, as it should.
        if "Failed to load resource" in message.text and message.location.get("url") == self.page.url:
            return
        self.console.append(f"{message.text} ({message.location.get('url')})")

    def log_in(self, server, name):
        self.page.goto(f"{server.url}/login")
        self.page.fill("#login-name", name)
        self.page.fill("#login-password", PASSWORD)
        with self.page.expect_navigation():
            self.page.click("#login button[type=submit]")

    def check(self, url, status=200, thorough=True, then=None):
        response = self.page.goto(url)
        where = url.split("/", 3)[-1]
        if response.status != status:
            self.problems.append(f"/{where}: answered {response.status}, not {status}")
        settle(self.page)
        if then:
            then(self.page)
        try:
            found = layout_problems(self.page, self.phone)
            if thorough:
                found += axe_problems(self.page)
                found += keyboard_problems(self.page)
        except Exception as error:  # the page changed under the checks: say which page
            raise AssertionError(f"/{where}: {error}") from error
        found += self.console
        self.console = []
        self.problems += [f"/{where}: {problem}" for problem in found]

    def close(self):
        self.context.close()


def pages_of(server, admin):
    films, photos = f"{server.url}/library/films", f"{server.url}/library/photos"
    pages = [
        (f"{server.url}/", 200),
        (films, 200),
        (f"{films}?view=grid", 200),
        (f"{films}/Show", 200),
        (photos, 200),
        (f"{server.url}/search?q=test", 200),
        (f"{server.url}/search?q=nothing+like+this", 200),
        (f"{server.url}/search", 200),
        (f"{server.url}/session", 200),
        (f"{server.url}/account", 200),
        (f"{films}/Test%20pattern.mp4", 200),
        (f"{films}/Sine%20in%20C.mp3", 200),
        (f"{photos}/Mandelbrot.jpg", 200),
        (f"{server.url}/slideshow/photos", 200),
        (f"{films}/nothing-here.mp4", 404),
        *((f"{server.url}{path}", 200) for path in server.catalogue),
    ]
    if admin:
        pages += [(f"{server.url}/admin/users", 200), (f"{server.url}/admin/users/{server.anna}", 200)]
    else:
        pages += [(f"{server.url}/admin/users", 403)]
    return pages


def choose_tv(page):
    page.locator("#device-picker").select_option(label=TV)
    expect(page.locator("#now-playing")).to_be_visible(timeout=15000)


def sweep(browser, server, who, size, tv=False, thorough=True):
    visit = Visit(browser, size)
    try:
        visit.log_in(server, who)
        if tv:
            visit.check(f"{server.url}/", then=choose_tv, thorough=False)
        for url, status in pages_of(server, who == "boss"):
            visit.check(url, status, thorough=thorough)
        return visit.problems
    finally:
        visit.close()


def report(problems):
    return "\n".join(["what is wrong:", *problems])


@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_an_administrator_with_a_tv(browser, with_tv, size):
    problems = sweep(browser, with_tv, "boss", size, tv=True)
    assert not problems, report(problems)


@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_a_member_without_a_tv(browser, without_tv, size):
    if not hasattr(without_tv, "anna"):
        visit = Visit(browser, size)
        visit.check(f"{without_tv.url}/setup")  # the first run, before anyone has an account
        visit.close()
        add_people(without_tv)
        assert not visit.problems, report(visit.problems)
    problems = sweep(browser, without_tv, "anna", size)
    assert not problems, report(problems)


def test_a_small_phone_with_a_tv_and_the_remote_open(browser, with_tv):
    """360 px: the layout only (axe and the keyboard ran at 390 px), the remote opened."""
    problems = sweep(browser, with_tv, "anna", SMALL_PHONE, tv=True, thorough=False)
    visit = Visit(browser, SMALL_PHONE)
    try:
        visit.log_in(with_tv, "anna")

        def open_remote(page):
            choose_tv(page)
            page.get_by_role("button", name="Open the remote").click()
            expect(page.locator("#np-seek")).to_be_visible()
            expect(page.locator("#np-volume")).to_be_visible()

        visit.check(f"{with_tv.url}/library/films", then=open_remote)

        def search(page):  # behind an icon on a phone: it opens a field, in the same one row
            page.get_by_role("button", name="Search", exact=True).click()
            expect(page.locator("#search-q")).to_be_focused()
            page.keyboard.type("pattern")
            assert page.locator(".topbar").bounding_box()["height"] < 60

        visit.check(f"{with_tv.url}/", then=search, thorough=False)

        def open_menus(page):  # the last row's + menu, then the folder's ⋯ menu, each in sight
            page.locator("tr .queue-menu summary").last.click()
            expect(page.get_by_role("button", name="Play next on the TV").last).to_be_visible()
            problems.extend(f"row menu open: {p}" for p in layout_problems(page, True))
            page.get_by_label("More for films").click()
            expect(page.get_by_role("button", name="Mark all as watched")).to_be_visible()

        visit.check(f"{with_tv.url}/library/films", then=open_menus, thorough=False)
        problems += visit.problems
    finally:
        visit.close()
    assert not problems, report(problems)


@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_the_login_page_and_the_demo_with_logins_off(browser, with_tv, demo, size):
    visit = Visit(browser, size)
    try:
        visit.check(f"{with_tv.url}/login")
        visit.check(f"{demo.url}/")
        visit.check(f"{demo.url}/account", 409)
        page = visit.page
        expect(page.locator("h1")).to_have_text("There are no accounts here")
        assert page.locator("a[href$='/account']").count() == 0  # no account link in the demo
    finally:
        visit.close()
    assert not visit.problems, report(visit.problems)


def test_without_a_tv_the_page_plays_here_and_says_how_to_add_one(browser, with_tv, without_tv):
    """Play all and Shuffle here first; what needs a TV shows once there is one."""
    for server, tv in ((without_tv, False), (with_tv, True)):
        if not hasattr(server, "anna"):
            add_people(server)
        visit = Visit(browser, PHONE)
        try:
            visit.log_in(server, "anna")
            page = visit.page
            page.goto(f"{server.url}/library/films")
            settle(page)
            play = page.get_by_role("button", name="Play all", exact=True)
            expect(play).to_be_visible()
            assert play.get_attribute("data-play-here") == '{"folder": "films/"}'
            shuffle = page.get_by_role("button", name="Shuffle", exact=True)
            assert shuffle.get_attribute("data-play-here") == '{"folder": "films/", "shuffle": true}'
            on_tv = page.get_by_role("button", name="Play all on the TV")
            casts = page.locator(".cast-button:visible")
            page.get_by_label("Select Test pattern.mp4").check()
            expect(page.locator("[data-play-here-selection]")).to_be_visible()
            if tv:
                assert "has-device" in page.locator("body").get_attribute("class")
                expect(on_tv).to_be_visible()
                expect(page.locator("#play-selection")).to_be_visible()
                assert casts.count() == 3
            else:
                assert "has-device" not in (page.locator("body").get_attribute("class") or "")
                expect(on_tv).to_be_hidden()
                expect(page.locator("#play-selection")).to_be_hidden()
                assert casts.count() == 0
                none = page.get_by_role("button", name="No TV found")
                none.click()
                expect(page.locator("#device-help")).to_contain_text("MEDIACASTER_KNOWN_HOSTS")
                assert none.get_attribute("aria-expanded") == "true"
            assert not visit.console, visit.console
        finally:
            visit.close()


def test_what_pulses_while_a_file_is_read_keeps_its_contrast(browser, demo):
    """ "Reading the file…" pulses while a file is read: at every point of its animation,
    axe finds its words readable (it once faded to a third, below the contrast asked)."""
    visit = Visit(browser, PHONE)
    try:
        page = visit.page
        page.goto(f"{demo.url}/")
        settle(page)
        page.evaluate(
            "document.querySelector('main').insertAdjacentHTML('beforeend',"
            " '<p><span class=\"pending\">Reading the file…</span></p>')"
        )
        assert page.evaluate("document.getAnimations().length") > 0
        for point in (0, 0.25, 0.5, 0.75):
            page.evaluate(
                "(point) => document.getAnimations().forEach((a) => {"
                " a.pause(); a.currentTime = point * a.effect.getTiming().duration; })",
                point,
            )
            assert axe_problems(page) == [], point
    finally:
        visit.close()

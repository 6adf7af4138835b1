"""Pictures as pictures: a photo's page says its size in pixels and when it was taken
(EXIF, read with Pillow and cached), leads to the folder's previous and next photos (links,
arrow keys, swipes), and the slideshow takes the whole screen, on a phone too."""

import time
from urllib.parse import quote, unquote

import pytest
import webtest
from bs4 import BeautifulSoup
from PIL import ExifTags, Image

from mediacaster.services.photos import PhotoService, cache_key
from tests.common.chromium import chromium
from tests.common.mediafiles import ffmpeg
from tests.common.servers import serving

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1440, "height": 900}


def photo(path, size=(640, 480), taken=None, orientation=None):
    """A JPEG (or a PNG, by its name) drawn by Pillow, with the EXIF given."""
    exif = Image.Exif()
    if orientation:
        exif[ExifTags.Base.Orientation] = orientation
    if taken:
        exif.get_ifd(ExifTags.IFD.Exif)[ExifTags.Base.DateTimeOriginal] = taken
    Image.new("RGB", size, "teal").save(path, exif=exif)
    return path


@pytest.fixture(scope="module")
def pictures(tmp_path_factory):
    """Holidays/: three photos, a video between them by name, and a folder."""
    base = tmp_path_factory.mktemp("pictures")
    holidays = base / "Holidays"
    (holidays / "Later").mkdir(parents=True)
    photo(holidays / "1 beach.jpg", (4000, 3000), taken="2024:05:01 10:20:30")
    photo(holidays / "2 cliffs.jpg", (640, 480))  # no EXIF date
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=160x90:rate=15:duration=1", holidays / "3 clip.webm")
    photo(holidays / "10 sunset.png", (800, 600))
    photo(holidays / "4 turned.jpg", (640, 480), taken="2023:12:24 18:05:00", orientation=6)
    (holidays / "5 broken.jpg").write_bytes(b"\xff\xd8\xff not a picture")
    return base


@pytest.fixture(scope="module")
def pictures_app(make_module_app, pictures):
    """One app for the pages' tests: they only read from it."""
    return make_module_app({"p": pictures})


@pytest.fixture
def http(pictures_app):
    return webtest.TestApp(pictures_app)


def facts_of(http, name):
    page = BeautifulSoup(http.get(f"/library/p/Holidays/{quote(name)}").text, "html.parser")
    facts = page.find(id="entry-facts")
    said = {
        dt.get_text(strip=True): dt.find_next_sibling("dd").get_text(" ", strip=True) for dt in facts("dt")
    }
    return said, page


def test_a_photo_shows_its_pixels_and_when_it_was_taken(http):
    facts, _ = facts_of(http, "1 beach.jpg")
    assert facts["Pixels"] == "4000 \N{MULTIPLICATION SIGN} 3000 (12 megapixels)"
    assert facts["Taken"] == "1 May 2024, 10:20"
    assert "Length" not in facts and "Container" not in facts


def test_a_photo_without_a_date_shows_none(http):
    facts, _ = facts_of(http, "2 cliffs.jpg")
    assert facts["Pixels"] == "640 \N{MULTIPLICATION SIGN} 480"  # under a megapixel: not worth saying
    assert "Taken" not in facts
    assert "Length" not in facts and "Container" not in facts


def test_a_turned_photo_is_described_upright(http):
    facts, _ = facts_of(http, "4 turned.jpg")
    assert facts["Pixels"] == "480 \N{MULTIPLICATION SIGN} 640"
    assert facts["Taken"] == "24 December 2023, 18:05"


def test_a_file_that_is_no_picture_still_has_its_page(http):
    facts, page = facts_of(http, "5 broken.jpg")
    assert "Pixels" not in facts and "Taken" not in facts
    assert page.find(id="player") is not None


def test_previous_and_next_lead_to_the_folders_photos_in_order(http):
    def steps(name):
        _, page = facts_of(http, name)
        links = [page.find(id="photo-previous"), page.find(id="photo-next")]
        return [unquote(link["href"].rsplit("/", 1)[1]) if link else None for link in links]

    # Natural order, pictures only: the clip and the folder are stepped over.
    assert steps("1 beach.jpg") == [None, "2 cliffs.jpg"]
    assert steps("2 cliffs.jpg") == ["1 beach.jpg", "4 turned.jpg"]
    assert steps("4 turned.jpg") == ["2 cliffs.jpg", "5 broken.jpg"]
    assert steps("10 sunset.png") == ["5 broken.jpg", None]


def test_what_is_read_is_cached_by_the_files_version(redis_server, pictures, tmp_path):
    import redis

    client = redis.Redis.from_url(redis_server.url)
    copy = photo(tmp_path / "copy.jpg", (320, 240), taken="2022:01:02 03:04:05")
    stat = copy.stat()
    version = (str(copy), stat.st_size, stat.st_mtime_ns)
    facts = PhotoService(client).facts(*version)
    assert facts == {"width": 320, "height": 240, "taken": "2022-01-02T03:04:05"}
    assert client.exists(cache_key(*version))
    copy.unlink()  # another process reads it from the cache, not from the file
    assert PhotoService(client).facts(*version) == facts
    assert PhotoService(client).facts(str(copy), stat.st_size, stat.st_mtime_ns + 1) is None


def test_an_exif_date_of_zeros_is_no_date(tmp_path, redis_server):
    import redis

    zeros = photo(tmp_path / "zeros.jpg", taken="0000:00:00 00:00:00")
    stat = zeros.stat()
    service = PhotoService(redis.Redis.from_url(redis_server.url))
    assert service.facts(str(zeros), stat.st_size, stat.st_mtime_ns)["taken"] is None


# -- in Chromium ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser():
    with chromium() as browser:
        yield browser


@pytest.fixture(scope="module")
def site(pictures, redis_server, tmp_path_factory):
    with serving({"p": pictures}, redis_server.url, tmp_path_factory.mktemp("pictures-data")) as server:
        yield server


def open_page(browser, size):
    context = browser.new_context(viewport=size, screen=size)
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    page.on("console", lambda m: "Content Security Policy" in m.text and page.errors.append(m.text))
    return page


def until_at(page, name):
    page.wait_for_url(lambda url: unquote(url).rsplit("/", 1)[1] == name, timeout=30_000)


@pytest.mark.browser
@pytest.mark.slow
def test_the_arrow_keys_and_a_swipe_step_between_photos(browser, site):
    page = open_page(browser, PHONE)
    try:
        page.goto(f"{site.url}/library/p/Holidays/{quote('1 beach.jpg')}")
        page.keyboard.press("ArrowLeft")  # the first: nothing before it
        page.keyboard.press("ArrowRight")
        until_at(page, "2 cliffs.jpg")
        page.keyboard.press("ArrowRight")
        until_at(page, "4 turned.jpg")
        page.keyboard.press("ArrowLeft")
        until_at(page, "2 cliffs.jpg")
        # A swipe to the left: the next one; to the right: the previous one.
        box = page.locator("#photo").bounding_box()
        y = box["y"] + box["height"] / 2
        for start, end, name in ((0.8, 0.2, "4 turned.jpg"), (0.2, 0.8, "2 cliffs.jpg")):
            page.mouse.move(box["x"] + box["width"] * start, y)
            page.mouse.down()
            page.mouse.move(box["x"] + box["width"] * end, y, steps=5)
            page.mouse.up()
            until_at(page, name)
        assert not page.errors
    finally:
        page.context.close()


SLIDESHOW_LAYOUT = """(() => {
  const inside = (element) => {
    const r = element.getBoundingClientRect();
    return r.left >= 0 && r.right <= innerWidth && r.top >= 0 && r.bottom <= innerHeight;
  };
  const shown = (e) => e.getClientRects().length > 0;
  const seen = (selector) => [...document.querySelectorAll(selector)].some(shown);
  const controls = [...document.querySelectorAll('.slide-controls :is(a, button, select)')].filter(shown);
  const slide = document.getElementById('slide').getBoundingClientRect();
  return {
    overflow: document.documentElement.scrollWidth > innerWidth,
    chrome: ['.topbar', 'body > .notice', '.now-playing'].filter(seen),
    outside: controls.filter((e) => !inside(e)).map((e) => e.id || e.textContent),
    small: controls.filter((e) => e.getBoundingClientRect().height < 44).map((e) => e.id),
    rows: new Set(controls.map((e) => Math.round(e.getBoundingClientRect().top))).size,
    slide: [slide.width, slide.height],
  };
})()"""


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_the_slideshow_takes_the_whole_screen_and_its_controls_fit(browser, site, size):
    page = open_page(browser, size)
    try:
        page.goto(f"{site.url}/slideshow/p/Holidays")
        deadline = time.monotonic() + 30
        while not page.evaluate("document.getElementById('slide').naturalWidth > 0"):
            assert time.monotonic() < deadline, "the first picture did not show"
            time.sleep(0.05)
        layout = page.evaluate(SLIDESHOW_LAYOUT)
        assert not layout["overflow"]
        assert layout["chrome"] == []  # header, banners and the now-playing bar hidden
        assert layout["outside"] == []
        assert layout["small"] == []
        assert layout["rows"] == 1  # the controls on one row, a phone's too
        assert layout["slide"][0] == size["width"]  # the picture's area is the screen's width
        # A swipe steps here too.
        caption = page.locator("#slide-caption")
        first = caption.text_content()
        box = page.locator("#slide").bounding_box()
        y = box["y"] + box["height"] / 2
        page.mouse.move(box["x"] + box["width"] * 0.8, y)
        page.mouse.down()
        page.mouse.move(box["x"] + box["width"] * 0.2, y, steps=5)
        page.mouse.up()
        assert caption.text_content() != first and " · 2 of " in caption.text_content()
        assert not page.errors
    finally:
        page.context.close()

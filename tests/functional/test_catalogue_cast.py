"""Playing knows the item. The TV is told what it plays: an episode's LOAD carries its
series, season and episode, a film's its title and year, a song's its artist, album and
numbers, each with the catalogue's art, whether cast at once or queued; a file the
catalogue does not hold keeps the plain metadata (read on the fake Chromecast, which keeps
each LOAD's media). In Chromium, an episode that ends offers the show's next one, over a
season's end, after a countdown that can be cancelled; a special offers none."""

import re
from urllib.parse import quote, unquote, urlsplit

import pytest
from mutagen.easyid3 import EasyID3
from mutagen.id3 import ID3

from mediacaster.services.catalogue import store
from tests.common.app import wait_for
from tests.common.catalogue_library import jpeg
from tests.common.chromium import chromium
from tests.common.mediafiles import ffmpeg, long_film
from tests.common.servers import LiveServer
from tests.functional.test_browser import wait_until
from tests.functional.test_cast_converted import TV, app_with_the_tv

pytestmark = pytest.mark.ffmpeg

SHOW = "tv/The Expanse (2015)"
EPISODE = f"{SHOW}/Season 01/The Expanse - S01E02 - The Big Empty.mp4"
FILM = "tv/Films/Alien (1979)/Alien (1979) Director's Cut.mp4"
SONG = "tv/Music/Daft Punk/Discovery/01 One More Time.mp3"


@pytest.fixture(scope="module")
def library(tmp_path_factory):
    base = tmp_path_factory.mktemp("catalogue-cast")

    def on_disk(path):
        found = base / path.removeprefix("tv/")
        found.parent.mkdir(parents=True, exist_ok=True)
        return found

    for path in (EPISODE, FILM):
        long_film(on_disk(path), 3)
    for art in (f"{SHOW}/poster.jpg", f"{SHOW}/season01-poster.jpg", "tv/Films/Alien (1979)/poster.jpg"):
        on_disk(art).write_bytes(jpeg())
    song = on_disk(SONG)
    ffmpeg("-f", "lavfi", "-i", "sine=frequency=440:duration=3", "-c:a", "libmp3lame", "-b:a", "32k", song)
    ID3().save(song)
    tags = EasyID3(song)
    tags.update(
        {
            "title": "One More Time",
            "artist": "Daft Punk",
            "albumartist": "Daft Punk",
            "album": "Discovery",
            "date": "2001",
            "tracknumber": "1/14",
            "discnumber": "1",
        }
    )
    tags.save()
    (song.parent / "cover.jpg").write_bytes(jpeg())
    return base


@pytest.fixture
def app(make_app, library, tv):
    app = app_with_the_tv(make_app, {"tv": library}, **{"mediacaster.catalogue": "true"})
    wait_for(app.registry.services.catalogue.scanner.scanned.is_set, 60, "the first scan")
    return app


@pytest.fixture
def http(app, server_for):
    return server_for(app)


def loaded_metadata(tv):
    return tv.loads[-1][1]["media"]["metadata"]


def art_of(http, metadata):
    """The path of the picture the metadata's image shows (taken out of it), once fetched
    as the TV would."""
    (image,) = metadata.pop("images")
    url = urlsplit(image["url"])
    assert http.get(f"{url.path}?{url.query}").content_type == "image/jpeg"
    return unquote(url.path)


EXPECTED = {
    EPISODE: (
        {
            "metadataType": 2,
            "seriesTitle": "The Expanse",
            "season": 1,
            "episode": 2,
            "title": "The Big Empty",
        },
        f"/picture/{SHOW}/season01-poster.jpg",
    ),
    FILM: (
        {"metadataType": 1, "title": "Alien", "subtitle": "Director's Cut", "releaseDate": "1979"},
        "/picture/tv/Films/Alien (1979)/poster.jpg",
    ),
    SONG: (
        {
            "metadataType": 3,
            "title": "One More Time",
            "artist": "Daft Punk",
            "albumName": "Discovery",
            "albumArtist": "Daft Punk",
            "trackNumber": 1,
            "discNumber": 1,
            "releaseDate": "2001",
        },
        "/picture/tv/Music/Daft Punk/Discovery/cover.jpg",
    ),
}


@pytest.mark.parametrize("path", [EPISODE, FILM, SONG], ids=["episode", "film", "song"])
def test_a_cast_tells_the_tv_what_the_item_is(http, tv, path):
    http.post_json("/api/cast", {"path": path, "device": TV})
    metadata = loaded_metadata(tv)
    wanted, art = EXPECTED[path]
    assert art_of(http, metadata) == art
    assert metadata == wanted


def test_a_file_the_catalogue_does_not_hold_keeps_the_plain_metadata(app, http, tv):
    with app.registry.services.database.sessions.begin() as session:
        store.mark_missing(session, "tv", [FILM.removeprefix("tv/")])
    http.post_json("/api/cast", {"path": FILM, "device": TV})
    metadata = loaded_metadata(tv)
    assert metadata["metadataType"] == 0 and metadata["title"] == "Alien (1979) Director's Cut"


def test_queued_items_carry_their_metadata_too(http, tv):
    http.post_json("/api/queue", {"device": TV, "paths": [EPISODE, SONG, FILM]})
    # Each item is queued on the TV ahead of the end of the one before (3 seconds each).
    wait_for(lambda: len(tv.queue) == 3, 60, "the three items on the TV's queue")
    for item, path in zip(tv.queue, (EPISODE, SONG, FILM), strict=True):
        metadata = dict(item["media"]["metadata"])
        wanted, art = EXPECTED[path]
        assert art_of(http, metadata) == art
        assert metadata == wanted


# -- the next episode, in the page ---------------------------------------------------------

SEASONS = "Show (2019)/Season 0{}/Show - S0{}E0{} - {}.mp4"
S1E1, S1E2, S2E1 = (
    SEASONS.format(s, s, e, t) for s, e, t in [(1, 1, "Pilot"), (1, 2, "Second"), (2, 1, "Return")]
)
SPECIAL = "Show (2019)/Season 01/Show - S00E01 - Christmas.mp4"  # first in its folder


@pytest.fixture(scope="module")
def show(tmp_path_factory):
    """Three 2-second episodes over two seasons, and a special in the first season's folder."""
    base = tmp_path_factory.mktemp("catalogue-next")
    for path in (S1E1, S1E2, S2E1, SPECIAL):
        (base / path).parent.mkdir(parents=True, exist_ok=True)
        long_film(base / path, 2)
    return base


@pytest.fixture
def site(make_app, show):
    app = make_app({"shows": show}, **{"mediacaster.catalogue": "true"})
    wait_for(app.registry.services.catalogue.scanner.scanned.is_set, 60, "the first scan")
    with LiveServer(app, threads=8) as server:
        yield server


def page_of(path):
    return f"/library/shows/{quote(path, safe='/()')}"


@pytest.mark.browser
def test_an_episode_that_ends_offers_the_next_one_over_the_seasons_end(site):
    with chromium("--autoplay-policy=no-user-gesture-required") as browser:
        page = browser.new_context(viewport={"width": 400, "height": 800}).new_page()
        # The last of its season, and of its folder: the next season's first is offered.
        page.goto(f"{site.url}{page_of(S1E2)}?play=1")
        wait_until(page, "!document.getElementById('up-next').hidden", timeout=20000)
        offer = page.text_content("#up-next")
        assert "Up next: S02E01 · Return" in offer and "in 10 s" in page.text_content("#up-next-count")
        assert page.get_attribute("#up-next a", "href") == site.url + page_of(S2E1)
        page.click("#cancel-next")
        assert page.locator("#up-next").is_hidden()
        page.evaluate("void document.getElementById('player').play()")
        wait_until(page, "!document.getElementById('up-next').hidden", timeout=20000)
        page.click("#play-next")
        page.wait_for_url(re.compile(re.escape(page_of(S2E1)) + r"\?play=1$"), timeout=20000)
        wait_until(page, "document.getElementById('player')?.currentTime > 0.5", timeout=20000)
        # The first episode offers the second, a special nothing (the folder's next is S01E01).
        page.goto(f"{site.url}{page_of(S1E1)}")
        assert page.text_content("#up-next a") == "S01E02 · Second"
        page.goto(f"{site.url}{page_of(SPECIAL)}")
        assert page.locator("#up-next").count() == 0

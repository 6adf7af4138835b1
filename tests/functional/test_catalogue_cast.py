"""The TV is told what it plays: an episode's LOAD carries its series, season and episode,
a film's its title and year, a song's its artist, album and numbers, each with the
catalogue's art, whether cast at once or queued; a file the catalogue does not hold keeps
the plain metadata. Read on the fake Chromecast, which keeps each LOAD's media."""

from urllib.parse import unquote, urlsplit

import pytest
from mutagen.easyid3 import EasyID3
from mutagen.id3 import ID3

from mediacaster.services.catalogue import store
from tests.common.app import wait_for
from tests.common.catalogue_library import jpeg
from tests.common.mediafiles import ffmpeg, long_film
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

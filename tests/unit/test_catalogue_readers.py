"""What the catalogue reads from names, .nfo files, local art and photos, without a
database: release names as guessit and the folders tell them, safe XML, art priorities."""

import time
from datetime import date, datetime

import pytest

from mediacaster.services.catalogue import art, names, nfo, photos, tags
from mediacaster.services.catalogue.identify import comparable, sort_title
from tests.common import catalogue_library
from tests.common.catalogue_library import jpeg


@pytest.mark.parametrize(
    ("path", "wanted"),
    [
        (
            "Show (2019)/Season 01/Show - S01E01 - Pilot.mkv",
            {
                "kind": "episode",
                "show": "Show",
                "season": 1,
                "episode": 1,
                "last_episode": 1,
                "title": "Pilot",
            },
        ),
        (
            "The.Expanse.S02E05.1080p.BluRay.x264-DEMAND.mkv",
            {"kind": "episode", "show": "The Expanse", "season": 2, "episode": 5, "last_episode": 5},
        ),
        (
            "Friends/Season 1/Friends.S01E16E17.mkv",
            {"show": "Friends", "season": 1, "episode": 16, "last_episode": 17},
        ),
        ("Doctor Who/Specials/Doctor.Who.S00E01.The.Christmas.Invasion.mkv", {"season": 0, "episode": 1}),
        # The folder says the season when the name does not.
        ("Show/Season 2/03 - Title.mkv", {"show": "Show", "season": 2, "episode": 3, "title": "Title"}),
        (
            "The Daily Show/The.Daily.Show.2024.03.14.Guest.Name.720p.WEB.h264.mkv",
            {"show": "The Daily Show", "season": 2024, "aired": date(2024, 3, 14), "title": "Guest Name"},
        ),
        (
            "[SubsPlease] Sousou no Frieren - 12 (1080p) [ABCD1234].mkv",
            {"show": "Sousou no Frieren", "season": 1, "episode": 12, "absolute": 12},
        ),
        (
            "Alien (1979) Director's Cut.mkv",
            {"kind": "film", "title": "Alien", "year": 1979, "edition": "Director's Cut"},
        ),
        (
            "Heat.1995.REMASTERED.2160p.UHD.BluRay.x265-TERMiNAL.mkv",
            {"kind": "film", "title": "Heat", "year": 1995},
        ),
        (
            "Blade Runner (1982)/Blade.Runner.1982.Final.Cut.1080p.BluRay.x264.mkv",
            {"kind": "film", "title": "Blade Runner", "year": 1982},
        ),
        ("home video.mp4", {"kind": "film", "title": "home video"}),
    ],
)
def test_release_and_folder_names(path, wanted):
    found = names.video(path)
    assert {key: found.get(key) for key in wanted} == wanted


@pytest.mark.parametrize(
    ("path", "wanted"),
    [
        ("Artist/Album/01 Title.mp3", {"artist": "Artist", "album": "Album", "track": 1, "title": "Title"}),
        ("Artist/Album (2019)/07 - A Song.flac", {"album": "Album", "track": 7, "title": "A Song"}),
        ("Artist/2001 - Album/1-03 Song.mp3", {"album": "Album", "disc": 1, "track": 3, "title": "Song"}),
        ("Band/Double/CD2/01 Opener.flac", {"artist": "Band", "album": "Double", "disc": 2, "track": 1}),
        ("loose.mp3", {"title": "loose", "album": None, "artist": None}),
    ],
)
def test_music_folder_names(path, wanted):
    found = names.track(path)
    assert {key: found.get(key) for key in wanted} == wanted


def test_album_years_and_season_folders():
    assert names.album_year("Discovery (2001)") == names.album_year("2001 - Discovery") == 2001
    assert names.album_year("Discovery") is None
    assert [names.season_of_folder(n) for n in ("Season 01", "S2", "Specials", "Extras")] == [1, 2, 0, None]


def test_nfo_files_are_read_with_their_trailing_url(tmp_path):
    path = tmp_path / "film.nfo"
    path.write_text(
        "<?xml version='1.0'?><movie><title> Alien </title><premiered>1979-05-25</premiered>"
        "<edition>Director's Cut</edition></movie>\nhttps://www.themoviedb.org/movie/348\n"
    )
    assert nfo.read(path) == {
        "kind": "movie",
        "title": "Alien",
        "edition": "Director's Cut",
        "premiered": date(1979, 5, 25),
        "year": 1979,
    }
    path.write_text(
        "<episodedetails><season>0</season><episode>3</episode><aired>no</aired></episodedetails>"
    )
    assert nfo.read(path) == {"kind": "episodedetails", "season": 0, "episode": 3}


@pytest.mark.parametrize(
    "text",
    [
        # A billion laughs: entities that would expand to gigabytes.
        '<?xml version="1.0"?><!DOCTYPE movie [<!ENTITY a "aaaaaaaaaa">'
        + "".join(f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(9))
        + "]><movie><title>&j;</title></movie>",
        # An external entity: a file of the machine.
        '<?xml version="1.0"?><!DOCTYPE movie [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        "<movie><title>&x;</title></movie>",
        "<movie><title>unclosed</movie>",
        "<album><title>not a Kodi kind</title></album>",
        "\xff\xfe garbage",
    ],
)
def test_hostile_or_broken_nfo_files_are_left_out(tmp_path, text):
    path = tmp_path / "bad.nfo"
    path.write_bytes(text.encode("utf-8", "surrogateescape"))
    started = time.monotonic()
    assert nfo.read(path) is None
    assert time.monotonic() - started < 5
    assert nfo.read(tmp_path / "missing.nfo") is None


def test_local_art_in_order_of_priority():
    folder = ["Film.mkv", "poster.jpg", "folder.jpg", "Film-poster.png", "Film-fanart.jpg", "fanart.jpg"]
    assert art.film_poster(folder, "Film.mkv", alone=True) == "Film-poster.png"
    assert art.film_poster(folder[:3], "Film.mkv", alone=True) == "poster.jpg"
    assert art.film_poster(["folder.jpg"], "Film.mkv", alone=True) == "folder.jpg"
    # Among many films, a folder's poster is no one film's.
    assert art.film_poster(["poster.jpg"], "Film.mkv", alone=False) is None
    assert art.film_fanart(folder, "Film.mkv", alone=False) == "Film-fanart.jpg"
    assert art.season_poster(["season02-poster.jpg"], ["folder.jpg"], 2) == "season02-poster.jpg"
    assert art.season_poster(["season01-poster.jpg"], ["folder.jpg"], 2) == "folder.jpg"
    assert art.season_poster(["season-specials-poster.jpg"], None, 0) == "season-specials-poster.jpg"
    assert art.album_cover(["back.jpg", "folder.jpg", "cover.JPG"]) == "cover.JPG"
    assert [art.is_art(n) for n in ("poster.jpg", "Film-fanart.jpg", "season01-poster.jpg", "IMG_1.jpg")] == [
        True,
        True,
        True,
        False,
    ]


def test_photo_dates_and_sizes(tmp_path):
    with_exif, without, broken = tmp_path / "a.jpg", tmp_path / "b.jpg", tmp_path / "c.jpg"
    with_exif.write_bytes(jpeg(30, 20, datetime(2022, 12, 31, 23, 59, 58)))
    without.write_bytes(jpeg(10, 5))
    broken.write_bytes(b"\xff\xd8\xff not a picture")
    assert photos.read(with_exif) == {
        "width": 30,
        "height": 20,
        "taken_at": datetime(2022, 12, 31, 23, 59, 58),
    }
    assert photos.read(without) == {"width": 10, "height": 5}
    assert photos.read(broken) == {}
    assert tags.read(broken) == {}  # no tags in what is not media
    assert tags.read(tmp_path / "missing.mp3") == {}


def test_titles_compare_and_sort_as_people_read_them():
    assert comparable("The.Expanse (2015)") == comparable("the expanse") == "the expanse"
    assert sort_title("The Expanse") == "expanse" and sort_title("A") == "a"


LIBRARY_VIDEOS = [film[0] for film in catalogue_library.FILMS] + list(catalogue_library.EPISODES)


@pytest.mark.parametrize("path", sorted(set(LIBRARY_VIDEOS)))
def test_names_read_without_guessit_read_as_guessit_reads_them(path, monkeypatch):
    """The plain layouts' names are read by a pattern before guessit: for every video name of
    the test library, the same answer as guessit's alone."""
    found = names.video(path)
    monkeypatch.setattr(names, "_plain", lambda segments: None)
    assert names.video(path) == found


def test_the_test_library_has_names_of_the_plain_layouts():
    plain = [path for path in LIBRARY_VIDEOS if names._plain(path.split("/")) is not None]
    assert len(plain) >= 3, plain

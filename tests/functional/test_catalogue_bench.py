"""The catalogue benchmark runs, on a tiny library; the names it makes read the same
without guessit as with it."""

import pytest

from bench import catalogue
from mediacaster.services.catalogue import names


def test_the_names_of_the_plain_layouts_read_as_guessit_reads_them():
    for path in (
        catalogue.episode_path(7, 2, 5),
        "TV/The Expanse (2015)/Season 01/The Expanse - S01E01 - Dulcinea.mkv",
        "TV/Show (2019)/Season 01/Show - S01E02E03 - Double Trouble.mkv",
        "Films/Film 0012 (1962)/Film 0012 (1962).mp4",
        "Films/Heat (1995).mkv",
    ):
        segments = path.split("/")
        plain = names._plain(segments)
        assert plain is not None, path
        guessed = names._guessit("/".join(segments[-3:]))
        if plain["kind"] == "episode":
            assert plain == names._episode(guessed, segments)
        else:
            assert (plain["title"], plain["year"]) == (guessed["title"], guessed["year"])
            assert "edition" not in guessed
    for other in (
        "Films/Alien (1979)/Alien (1979) Director's Cut.mkv",  # an edition: guessit's to read
        "TV/The.Expanse.S02E05.1080p.BluRay.x264-DEMAND.mkv",
        "TV/Show (2019)/Season 02/Show - S01E01 - Pilot.mkv",  # its folder says otherwise
    ):
        assert names._plain(other.split("/")) is None


@pytest.mark.slow
@pytest.mark.ffmpeg
def test_the_benchmark_runs_on_a_tiny_library(capsys):
    results = catalogue.main(["--backend", "sqlite", "--scale", "0.002"])
    found = results["sqlite"]
    # One show of 100 episodes, 4 films, 3 albums of 26 songs, 10 photos, and their 8 pictures
    # of art, walked alike by both.
    assert found["files"] == found["walked"] == 148
    assert found["scan"] > 0 and found["added"] > 0
    assert found["queries"][0][0] == "Next up (home page, /api/next-up)"  # and right
    printed = capsys.readouterr().out
    assert "| SQLite | 148 |" in printed and "| Next up (home page, /api/next-up) |" in printed
    # Every page and API answer was asked of the app, and answered.
    assert [what for what, _, _ in found["pages"]] == [what for what, _, _ in catalogue.PAGES]
    assert "| Home page, with Next up | Next up |" in printed and "| /api/albums/{id} | An album |" in printed

"""Browsing: what a folder or a file shows a user, the same for the pages and the API.

Over the playback tests' library and stand-in services, with a real database for
where the user is in each file."""

import pytest

from mediacaster.playback.browsing import Browsing
from mediacaster.playback.verdicts import PLAYS, WONT_PLAY
from mediacaster.services import history
from tests.unit.playback.test_playback import CHROMECAST, URLS, at, cached, library, playback, probe  # noqa: F401
from tests.unit.services.test_accounts import session  # noqa: F401 - a real database, in a file

USER = None  # logins off: everyone's place is the same


@pytest.fixture
def browsing(library, playback, probe):  # noqa: F811
    return Browsing(library, playback, probe)


def everything(count):
    return slice(0, count)


def test_a_folder_lists_every_entry_and_reads_only_the_window(browsing, library, probe, session):  # noqa: F811
    folder = library.entry("media", ())
    seen = browsing.folder(folder, lambda count: slice(0, 2), None, session, USER)
    assert seen.folder == folder
    assert [e.name for e in seen.shown] == [e.name for e in seen.entries[:2]]
    assert len(seen.entries) > 2
    assert set(seen.details) <= {e.path for e in seen.shown}
    assert seen.pending == len(probe.scheduled) == len(seen.details)
    assert seen.probe_state == probe.state()
    assert seen.verdicts == {}  # no device asked about


def test_a_folder_on_a_device_has_the_verdicts_of_its_media_read(browsing, library, probe, session):  # noqa: F811
    cached(probe, library, "film.mp4", "broken.mp4")
    seen = browsing.folder(library.entry("media", ()), everything, CHROMECAST, session, USER, query="mp4")
    assert {e.name for e in seen.shown} >= {"film.mp4", "broken.mp4"}
    assert all("mp4" in e.name for e in seen.shown)
    assert seen.verdicts["film.mp4"].verdict == PLAYS
    assert seen.verdicts["broken.mp4"].verdict == WONT_PLAY


def test_a_folder_and_a_file_carry_where_the_user_is(browsing, library, session):  # noqa: F811
    history.record(session, USER, "media", "film.mp4", 60.0, 240.0, final=True)
    places = browsing.folder(library.entry("media", ()), everything, None, session, USER).places
    assert places["film.mp4"].position == 60.0
    film = browsing.file(at(library, "film.mp4"), URLS, None, session, USER)
    assert film.place.position == 60.0
    assert browsing.file(at(library, "hevc.mp4"), URLS, None, session, USER).place is None


def test_a_file_has_its_plan_and_a_verdict_only_on_a_device(browsing, library, probe, session):  # noqa: F811
    cached(probe, library, "broken.mp4")
    broken = at(library, "broken.mp4")
    in_browser = browsing.file(broken, URLS, None, session, USER)
    assert in_browser.verdict is None and in_browser.plan.target.device_type is None
    on_tv = browsing.file(broken, URLS, CHROMECAST, session, USER)
    assert on_tv.verdict.verdict == WONT_PLAY and on_tv.plan.verdict == on_tv.verdict
    assert probe.probed == []  # never waits for ffprobe

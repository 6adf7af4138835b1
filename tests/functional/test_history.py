"""What each user played, on a real SQLite file and a real PostgreSQL cluster: positions
saved every few seconds at most, the resume and watched rules, one row per user and file
(logins off included), folders' rows at once, and what to continue, latest first."""

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from mediacaster.models.history import Progress
from mediacaster.services import accounts, history

pytestmark = pytest.mark.slow

FILM = "Films/Heat (1995).mkv"
T0 = datetime(2026, 11, 22, 20, 0, tzinfo=timezone.utc)


@pytest.fixture
def users(database):
    database.prepare()
    with database.sessions.begin() as session:
        return [accounts.add_user(session, name, "correct horse").id for name in ("anna", "ben")]


def at(seconds):
    return T0 + timedelta(seconds=seconds)


def test_a_player_saves_every_few_seconds_at_most_and_always_when_it_stops(database, users):
    anna = users[0]
    with database.sessions.begin() as session:
        assert history.record(session, anna, "video", FILM, 60, 6000, now=at(0)).position == 60
        assert history.record(session, anna, "video", FILM, 62, 6000, now=at(2)).position == 60  # too soon
        assert history.record(session, anna, "video", FILM, 66, 6000, now=at(6)).position == 66
        assert history.record(session, anna, "video", FILM, 67, 6000, now=at(7), final=True).position == 67
    with database.sessions() as session:
        assert history.place(session, anna, "video", FILM).position == 67
        assert session.scalar(select(func.count()).select_from(Progress)) == 1


@pytest.mark.parametrize(
    ("position", "duration", "resume_at", "watched"),
    [
        (200, 6000, None, False),  # under 5 %: start over
        (3000, 6000, 3000, False),
        (5500, 6000, None, True),  # from 90 %: watched
        (9000, 6000, None, True),  # past the end (a wrong duration): the end
        (100, 200, None, False),  # a song: never resumed
        (100, None, None, False),  # no duration known
    ],
)
def test_resume_and_watched_follow_the_fraction_played(
    database, users, position, duration, resume_at, watched
):
    with database.sessions.begin() as session:
        place = history.record(session, users[0], "video", FILM, position, duration, now=at(0))
    assert (place.resume_at, place.watched) == (resume_at, watched)


def test_watched_stays_until_marked_unwatched(database, users):
    anna = users[0]
    with database.sessions.begin() as session:
        history.record(session, anna, "video", FILM, 5900, 6000, now=at(0))
        again = history.record(session, anna, "video", FILM, 1200, 6000, now=at(60))
        assert again.watched and again.resume_at == 1200 and again.fraction == 1.0
        unwatched = history.mark(session, anna, "video", FILM, False, now=at(70))
        assert (unwatched.watched, unwatched.resume_at, unwatched.fraction) == (False, None, 0.0)
        assert history.mark(session, anna, "audio", "Book/Part 1.m4b", True, now=at(80)).watched


def test_each_user_has_their_own_row_and_logins_off_have_one_more(database, users):
    anna, ben = users
    with database.sessions.begin() as session:
        history.record(session, anna, "video", FILM, 1000, 6000, now=at(0))
        history.record(session, ben, "video", FILM, 2000, 6000, now=at(0))
        history.record(session, None, "video", FILM, 3000, 6000, now=at(0))
        history.record(session, None, "video", FILM, 3500, 6000, now=at(10))
    with database.sessions() as session:
        positions = [history.place(session, who, "video", FILM).position for who in (anna, ben, None)]
        assert positions == [1000, 2000, 3500]
    # The database itself keeps one row per user and file, the rows of nobody included.
    for user_id in (anna, None):
        with pytest.raises(IntegrityError), database.sessions.begin() as session:
            session.add(Progress(user_id=user_id, root="video", path=FILM.encode(), folder=b"Films"))


def test_a_folders_rows_come_together_names_that_are_not_utf8_included(database, users):
    odd = "Films/caf\udce9.mkv"  # a Latin-1 name, as Python reads it
    with database.sessions.begin() as session:
        history.record(session, users[0], "video", FILM, 1000, 6000, now=at(0))
        history.record(session, users[0], "video", odd, 10, 60, now=at(0))
        history.record(session, users[0], "video", "Films/Old/Nosferatu.mkv", 10, 6000, now=at(0))
        history.record(session, users[1], "video", "Films/Alien.mkv", 10, 6000, now=at(0))
    with database.sessions() as session:
        rows = history.of_folder(session, users[0], "video", "Films")
    assert set(rows) == {"Heat (1995).mkv", "caf\udce9.mkv"}


def test_what_to_continue_is_the_latest_resumable_among_the_roots_seen(database, users):
    anna = users[0]
    with database.sessions.begin() as session:
        for index in range(20):
            history.record(session, anna, "video", f"Series/{index:02}.mkv", 600, 1800, now=at(index))
        history.record(session, anna, "video", "Series/watched.mkv", 1790, 1800, now=at(100))
        history.record(session, anna, "audio", "Book.m4b", 6000, 36000, now=at(50))
        history.record(session, users[1], "video", "Series/ben.mkv", 600, 1800, now=at(200))
    with database.sessions() as session:
        latest = history.in_progress(session, anna, ["video", "audio"], limit=3)
        assert [(root, path) for root, path, _ in latest] == [
            ("audio", "Book.m4b"),
            ("video", "Series/19.mkv"),
            ("video", "Series/18.mkv"),
        ]
        assert [path for _, path, _ in history.in_progress(session, anna, ["audio"])] == ["Book.m4b"]


def test_removing_a_user_removes_their_history(database, users):
    with database.sessions.begin() as session:
        history.record(session, users[0], "video", FILM, 1000, 6000, now=at(0))
        history.record(session, users[1], "video", FILM, 1000, 6000, now=at(0))
    with database.sessions.begin() as session:
        session.delete(accounts.find(session, "anna"))
    with database.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Progress)) == 1

"""Two first reports of one file at the same moment (the page's player and the TV, or two
tabs), on a real SQLite file and a real PostgreSQL cluster: both are kept, neither fails."""

import redis
from sqlalchemy import event, func, select

from mediacaster.models.history import Progress
from mediacaster.services import history


def test_a_first_report_that_another_beat_to_the_row_updates_it(database, redis_server):
    database.prepare()
    places = history.History(database, redis.Redis.from_url(redis_server.url))
    sessions = database.sessions

    first = [True]

    def the_other_report_lands_first(session, flush_context, instances):
        # Between this report's look for the file's row (none) and its insert, the other
        # report makes the row, in a transaction of its own.
        if not first:
            return
        first.clear()
        with database.sessions.begin() as other:
            history.record(other, None, "video", "film.mkv", 10.0, 6000.0, final=True)

    event.listen(sessions, "before_flush", the_other_report_lands_first)
    try:
        place, saved = places.record(None, "video", "film.mkv", 20.0, 6000.0, final=True)
    finally:
        event.remove(sessions, "before_flush", the_other_report_lands_first)
    assert saved and place.position == 20.0
    with database.sessions.begin() as session:
        assert session.scalar(select(func.count()).select_from(Progress)) == 1
        assert session.scalar(select(Progress.position)) == 20.0

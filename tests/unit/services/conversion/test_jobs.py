"""When a request waits for a running job and when a new ffmpeg starts at its segment
(no ffmpeg runs here): by the job's measured position and speed against the measured
cost of a start."""

import time

from mediacaster.services.conversion.jobs import (
    HOLD_SECONDS,
    NEARBY_SECONDS,
    STALL_SECONDS,
    Measures,
    _Job,
    _stalled,
    worth_waiting,
)
from mediacaster.services.conversion.timeline import fixed

TIMELINE = fixed(0.0, 600.0, fps=25.0)  # 100 segments of 6 s


def job(start_index, next_index, first_segment=None, speed=None, made_ago=0.0, age=10.0):
    """A job started ``age`` s ago at ``start_index``, now making ``next_index``; it made
    its last segment ``made_ago`` s ago, at ``speed`` seconds of media a second."""
    made = _Job(None, TIMELINE, start_index, None, "tv")
    now = time.monotonic()
    made.next_index, made.first_segment, made.speed = next_index, first_segment, speed
    made.started, made.made_at = now - age, now - made_ago
    return made


def measures(start=None, speed=None):
    measured = Measures()
    measured.start, measured.speed = start, speed
    return measured


def waits(made, index, measured):
    return worth_waiting(made, index, time.monotonic(), measured)


def test_before_anything_is_measured_what_is_near_is_waited_for():
    assert waits(job(0, 1, first_segment=1.0, age=1.0), 1 + int(NEARBY_SECONDS // 6), None)
    assert not waits(job(0, 1, first_segment=1.0, age=1.0), 9, None)


def test_a_job_that_gets_there_before_a_new_start_would_is_waited_for():
    # 60 s of media a second: 54 s ahead is under a second away; a start costs 2 s.
    assert waits(job(0, 11, 1.0, speed=60.0), 20, measures(start=2.0, speed=60.0))


def test_a_seek_far_ahead_of_a_slow_job_starts_a_new_one():
    # 3 s of media a second (an HEVC film converting): 60 s ahead is 20 s away; a start costs 2 s.
    assert not waits(job(0, 11, 1.0, speed=3.0), 20, measures(start=2.0, speed=3.0))


def test_the_next_segment_of_a_job_is_waited_for_even_when_slow():
    # It is being made: what a new ffmpeg would have to make too, after its start.
    assert waits(job(0, 11, 1.0, speed=1.0), 11, measures(start=2.0, speed=1.0))
    assert waits(job(0, 11, 1.0, speed=1.0, made_ago=4.0), 11, measures(start=8.0, speed=1.0))


def test_what_a_job_made_since_its_last_segment_counts():
    # 12 s ahead at 3x is 4 s; 3.5 s since its last segment, it is a second away.
    fresh = measures(start=1.5, speed=3.0)
    assert not waits(job(0, 11, 1.0, speed=3.0, made_ago=0.0), 12, fresh)
    assert waits(job(0, 11, 1.0, speed=3.0, made_ago=3.5), 12, fresh)


def test_a_young_job_is_judged_by_the_measured_start_and_speed_of_its_stream():
    # Started 0.5 s ago, first segment due in 1.5 s: the one after it follows.
    measured = measures(start=2.0, speed=3.0)
    assert waits(job(30, 30, age=0.5), 30, measured)
    assert waits(job(30, 30, age=0.5), 31, measured)
    assert not waits(job(30, 30, age=0.5), 40, measured)


def test_the_segment_after_those_its_player_asked_for_is_waited_for():
    # The player asked for segments up to 3 (they wait for the job, at 1): 4 is read ahead.
    slow = job(0, 1, 1.0, speed=1.0)
    slow.asked = 3
    measured = measures(start=1.0, speed=1.0)
    assert waits(slow, 4, measured)
    assert not waits(slow, 6, measured)


def test_segments_behind_the_job_or_before_its_start_start_a_new_one():
    measured = measures(start=2.0, speed=100.0)
    assert not waits(job(10, 12, 1.0, speed=100.0), 5, measured)  # before its start: a seek back
    assert not waits(job(0, 12, 1.0, speed=100.0), 5, measured)  # made and evicted since


def test_measures_follow_the_latest_runs():
    measured = Measures()
    measured.started(4.0)
    measured.made(10.0)
    measured.started(2.0)
    measured.made(20.0)
    assert (measured.start, measured.speed) == (3.0, 15.0)


def waited(seconds, progress_ago, cpu=1.0):
    """A job a request has waited for ``seconds``, whose last progress was ``progress_ago`` s ago."""
    made = job(0, 3)
    now = time.monotonic()
    made.waited_since, made.last_read, made.progress_at, made.cpu = (
        now - seconds,
        now,
        now - progress_ago,
        cpu,
    )
    return made, now


def test_a_job_waited_for_that_makes_no_progress_is_stalled():
    made, now = waited(STALL_SECONDS + 1, progress_ago=STALL_SECONDS + 5)
    assert _stalled(made, 1.0, now)  # the same processor time as before


def test_a_job_that_uses_the_processor_is_not_stalled_however_slow():
    made, now = waited(STALL_SECONDS + 1, progress_ago=STALL_SECONDS + 5)
    assert not _stalled(made, 1.5, now)
    assert made.progress_at == now


def test_the_stall_counts_from_the_wait_so_the_first_held_request_is_answered_first():
    # Stopped long before anyone asked: the first request is held (and answered conversion_slow) first.
    made, now = waited(HOLD_SECONDS, progress_ago=600)
    assert HOLD_SECONDS < STALL_SECONDS and not _stalled(made, 1.0, now)


def test_a_job_nobody_waits_for_or_paused_by_the_app_is_not_stalled():
    made, now = waited(STALL_SECONDS + 1, progress_ago=600)
    made.waited_since = None
    assert not _stalled(made, 1.0, now)
    made, now = waited(STALL_SECONDS + 1, progress_ago=600)
    made.paused = True
    assert not _stalled(made, 1.0, now)
    made, now = waited(STALL_SECONDS + 1, progress_ago=600)
    made.last_read = now - STALL_SECONDS - 1  # its player went away
    assert not _stalled(made, 1.0, now)

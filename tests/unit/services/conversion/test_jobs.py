"""When a request waits for the running job and when it restarts it (no ffmpeg runs here)."""

import time

from mediacaster.services.conversion.jobs import NEARBY_SECONDS, _Job, fragment_tracks, segment_complete
from mediacaster.services.conversion.timeline import fixed

TIMELINE = fixed(0.0, 600.0, fps=25.0)  # 100 segments of 6 s


def job(start_index, next_index, first_segment, age):
    made = _Job(None, TIMELINE, start_index, None, "tv")
    made.next_index, made.first_segment, made.started = next_index, first_segment, time.monotonic() - age
    return made


def test_a_segment_just_ahead_is_waited_for():
    assert job(0, 1, 1.0, 1.0).reaches_soon(1 + int(NEARBY_SECONDS // 6))


def test_one_segment_made_tells_no_speed_so_a_far_seek_restarts():
    # Init and segment 0 just fetched: 6 s of media over no time is no speed at all.
    assert not job(0, 1, 2.0, 2.001).reaches_soon(9)


def test_a_fast_job_is_waited_for_a_slow_one_restarted():
    # Ten segments in 1.5 s after the first: 40 s of media a second; 54 s ahead is 1.35 s
    # away, sooner than a restart (about as long as a first segment, 2 s at least).
    assert job(0, 11, 1.0, 2.5).reaches_soon(20)
    # One segment a second after the first: 6 s of media a second; 54 s ahead is 9 s away.
    assert not job(0, 11, 1.0, 11.0).reaches_soon(20)


def test_segments_behind_the_job_or_before_its_start_restart_it():
    assert not job(10, 12, 1.0, 2.0).reaches_soon(5)  # before its start: a seek back
    assert not job(0, 12, 1.0, 2.0).reaches_soon(5)  # made and evicted since


def test_a_fragment_is_counted_by_its_tracks(tmp_path):
    def box(kind, payload=b""):
        return (8 + len(payload)).to_bytes(4, "big") + kind + payload

    segment = tmp_path / "1.m4s"
    segment.write_bytes(box(b"styp") + box(b"moof", box(b"mfhd", b"\0" * 8) + box(b"traf") + box(b"traf")))
    assert fragment_tracks(segment) == 2
    segment.write_bytes(box(b"styp") + box(b"moof", box(b"traf")))
    assert fragment_tracks(segment) == 1
    segment.write_bytes(b"not a segment")
    assert fragment_tracks(segment) == 0
    assert fragment_tracks(tmp_path / "missing.m4s") == 0


def test_a_segment_cut_short_or_empty_is_not_complete(tmp_path):
    # ffmpeg 5's HLS muxer ignores write errors: a full disk leaves such files behind.
    def box(kind, payload=b""):
        return (8 + len(payload)).to_bytes(4, "big") + kind + payload

    whole = box(b"styp") + box(b"moof", box(b"traf")) + box(b"mdat", b"\x00" * 100)
    segment = tmp_path / "2.m4s"
    segment.write_bytes(whole)
    assert segment_complete(segment)
    for damaged in (whole[:-10], b"", box(b"styp") + box(b"moof", box(b"traf"))):
        segment.write_bytes(damaged)
        assert not segment_complete(segment)

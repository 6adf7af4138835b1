"""Segment cuts known before ffmpeg runs, and the playlist that lists them."""

import m3u8
import pytest

from mediacaster.services.conversion.timeline import (
    FIRST_SECONDS,
    Timeline,
    early_cut,
    fixed,
    force_keyframes_expression,
    from_keyframes,
)


def test_copied_video_has_a_segment_per_group_of_pictures():
    timeline = from_keyframes([0.005, 3.005, 6.005, 9.005, 7.5], end=10.0)
    assert timeline.starts == (0.005, 3.005, 6.005, 7.5, 9.005)
    assert [round(timeline.duration(i), 3) for i in range(len(timeline))] == [3.0, 3.0, 1.495, 1.505, 0.995]
    assert timeline.target_duration == 3


def test_copied_video_starts_at_its_first_keyframe_and_ignores_those_past_the_end():
    assert from_keyframes([0.4, 5.0, 12.0], end=10.0).starts == (0.4, 5.0)


def test_no_cut_is_listed_past_the_last_frame():
    # 25 fps, 12.02 s: the last frame is at 12.0, so a cut at 12.0 has one frame.
    assert fixed(0.0, 12.02, fps=25.0).starts == (0.0, 6.0)
    assert fixed(0.0, 12.04, fps=25.0).starts == (0.0, 6.0, 12.0)


def test_converted_video_is_cut_at_multiples_on_the_frame_grid():
    timeline = fixed(0.0, 20.0, fps=24000 / 1001)
    assert len(timeline) == 4
    assert timeline.starts[1] == pytest.approx(6.006, abs=1e-3)  # frame 144 of 23.976 fps
    assert timeline.end == 20.0


def test_sound_is_cut_at_multiples_of_the_segment_length():
    assert fixed(0.0, 13.0).starts == (0.0, 6.0, 12.0)
    assert fixed(0.0, 12.0005).starts == (0.0, 6.0)  # no sliver of a last segment
    assert fixed(7.0, 20.0).starts == (7.0, 12.0, 18.0)


@pytest.mark.parametrize("seconds", [0.0, 2.9, 3.005, 9.5, 100.0])
def test_index_at_finds_the_segment_holding_a_time(seconds):
    timeline = Timeline((0.005, 3.005, 6.005, 9.005), 10.0)
    index = timeline.index_at(seconds)
    position = min(0.005 + seconds, 9.99)
    assert timeline.starts[index] <= position
    assert index == len(timeline) - 1 or position < timeline.starts[index + 1]


def test_the_playlist_is_complete_vod_fmp4_and_parses():
    timeline = from_keyframes([0.0, 4.0, 8.0], end=10.5)
    text = timeline.playlist("init.mp4", lambda i: f"{i}.m4s")
    playlist = m3u8.loads(text)
    assert playlist.playlist_type == "vod" and playlist.is_endlist
    assert playlist.segment_map[0].uri == "init.mp4"
    assert [s.uri for s in playlist.segments] == ["0.m4s", "1.m4s", "2.m4s"]
    assert sum(s.duration for s in playlist.segments) == pytest.approx(10.5)
    assert playlist.target_duration == 4


def test_the_keyframe_expression_forces_the_first_frame_and_each_crossing_of_the_sources_clock():
    # ffmpeg's t counts from the job's first frame: the expression adds where that frame is.
    assert force_keyframes_expression(11.4, 6) == (
        "expr:if(eq(n,0),1,gte(floor((t+11.400000+0.0005)/6),floor((prev_forced_t+11.400000+0.0005)/6)+1))"
    )


def test_converted_cuts_follow_the_frames_of_a_file_that_starts_anywhere():
    # 29.97 fps from 1.4 s: frames at 1.4 + k / 29.97, the cut at 6 s on the first at or after it.
    timeline = fixed(1.4, 20.0, fps=30000 / 1001)
    assert timeline.starts[1] == pytest.approx(1.4 + 138 * 1001 / 30000, abs=1e-6)


def test_sound_that_starts_just_before_a_multiple_makes_no_sliver_of_a_segment():
    # Opus in MKV starts 7 ms before zero.
    assert fixed(-0.007, 20.0).starts == (-0.007, 6.0, 12.0, 18.0)


def test_converted_video_has_a_short_first_segment_then_keeps_the_grid():
    timeline = fixed(0.0, 20.0, fps=25.0, first=FIRST_SECONDS)
    assert timeline.starts == (0.0, 2.0, 6.0, 12.0, 18.0)
    assert [timeline.duration(i) for i in range(len(timeline))] == [2.0, 4.0, 6.0, 6.0, 2.0]
    assert timeline.target_duration == 6


def test_the_short_first_cut_sits_on_the_first_frame_at_or_after_it():
    timeline = fixed(0.0, 20.0, fps=24000 / 1001, first=FIRST_SECONDS)
    assert timeline.starts[1] == pytest.approx(48 * 1001 / 24000, abs=1e-6)  # frame 48 of 23.976 fps
    assert early_cut(0.0, 20.0) == FIRST_SECONDS


def test_no_short_first_segment_when_a_cut_or_the_end_comes_about_as_soon():
    assert early_cut(4.5, 100.0) is None  # 6 s comes 1.5 s after the start
    assert fixed(4.5, 100.0, fps=25.0, first=FIRST_SECONDS).starts[1] == pytest.approx(6.02)  # a frame on
    assert early_cut(0.0, 2.5) is None  # a 2.5 s clip is one segment
    assert fixed(0.0, 2.5, fps=25.0, first=FIRST_SECONDS).starts == (0.0,)
    assert early_cut(1.4, 100.0) == pytest.approx(3.4)  # a TV recording from 1.4 s


def test_the_keyframe_expression_forces_the_early_cut_once():
    expression = force_keyframes_expression(0.0, 6, early=2.0)
    assert expression == (
        "expr:if(eq(n,0),1,max(gte(floor((t+0.000000+0.0005)/6),floor((prev_forced_t+0.000000+0.0005)/6)+1),"
        "gte((t+0.000000+0.0005),2.000000)*lt((prev_forced_t+0.000000+0.0005),2.000000)))"
    )

"""The ffmpeg command lines of each outcome and encoder (the software one also runs for
real in tests/functional/test_conversion_segments.py)."""

import pytest

from mediacaster.services.conversion.commands import ENCODERS, Job, hls_command

FILM = dict(source="/nas/films/a film.mkv", video_index=0, audio_index=2, fps=25.0)


def option(args, name):
    """The value after ``name`` (its last occurrence)."""
    return args[len(args) - 1 - args[::-1].index(name) + 1]


def test_remux_copies_both_streams_with_the_sources_timestamps():
    args = hls_command(Job(video="copy", audio="copy", **FILM), "/cache/x")
    assert args[args.index("-i") + 1] == "/nas/films/a film.mkv"
    assert "-copyts" in args and option(args, "-avoid_negative_ts") == "disabled"
    assert (option(args, "-c:v"), option(args, "-c:a")) == ("copy", "copy")
    assert [args[i + 1] for i, a in enumerate(args) if a == "-map"] == ["0:0", "0:2"]
    assert option(args, "-hls_time") == "0.000001"  # a cut at every keyframe
    assert option(args, "-hls_segment_type") == "fmp4" and option(args, "-hls_flags") == "temp_file"
    assert args[-1] == "/cache/x/job.m3u8" and option(args, "-hls_segment_filename") == "/cache/x/%d.m4s"
    assert "-ss" not in args and option(args, "-start_number") == "0"


def test_a_job_after_a_seek_starts_at_its_segment():
    args = hls_command(Job(video="copy", audio="convert", start_index=7, start_time=42.0055, **FILM), "/c")
    assert option(args, "-ss") == "42.005500" and args.index("-ss") < args.index("-i")
    assert option(args, "-start_number") == "7"
    assert (option(args, "-c:a"), option(args, "-ac"), option(args, "-b:a")) == ("aac", "2", "192k")


def test_software_conversion_is_h264_high_41_8bit_with_forced_keyframes_only():
    args = hls_command(Job(video="convert", audio="convert", bit_rate=4_000_000, **FILM), "/c")
    assert option(args, "-c:v") == "libx264"
    assert (option(args, "-profile:v"), option(args, "-level:v")) == ("high", "4.1")
    assert "format=yuv420p" in option(args, "-vf") and "min(iw,1920)" in option(args, "-vf")
    assert option(args, "-force_key_frames").startswith("expr:if(eq(n,0),1,")
    assert option(args, "-sc_threshold") == "0" and option(args, "-g") == "300"
    assert option(args, "-maxrate") == "4000000"  # never above the source
    assert option(args, "-fps_mode") == "passthrough"


def test_interlaced_video_is_deinterlaced_first():
    args = hls_command(Job(video="convert", audio="copy", interlaced=True, **FILM), "/c")
    assert option(args, "-vf").startswith("yadif=mode=send_frame,scale=")


def test_sound_alone_is_cut_every_segment_length():
    job = Job(source="/nas/a.m4a", video_index=None, video=None, audio_index=0, audio="convert")
    args = hls_command(job, "/c")
    assert "-vn" in args and option(args, "-hls_time") == "6"
    assert [args[i + 1] for i, a in enumerate(args) if a == "-map"] == ["0:0"]


@pytest.mark.parametrize(
    ("encoder", "codec", "extra"),
    [
        ("software", "libx264", "-crf"),
        ("vaapi", "h264_vaapi", "-vaapi_device"),
        ("qsv", "h264_qsv", "-preset"),
        ("nvenc", "h264_nvenc", "-forced-idr"),
    ],
)
def test_each_encoder_has_its_command_line(encoder, codec, extra):
    args = hls_command(Job(video="convert", audio="copy", encoder=encoder, **FILM), "/c")
    assert option(args, "-c:v") == codec and extra in args
    assert option(args, "-force_key_frames").startswith("expr:")
    if encoder == "vaapi":
        assert option(args, "-vf").endswith(
            "hwupload,scale_vaapi=w='min(iw,1920)':h='min(ih,1080)':force_original_aspect_ratio=decrease"
        )
        assert args.index("-vaapi_device") < args.index("-i")
    assert set(ENCODERS) == {"software", "vaapi", "qsv", "nvenc"}


def test_an_unknown_encoder_is_refused():
    with pytest.raises(ValueError, match="unknown encoder 'cuda'"):
        hls_command(Job(video="convert", audio="copy", encoder="cuda", **FILM), "/c")

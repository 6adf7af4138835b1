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


def test_a_copying_job_after_a_seek_lands_on_its_keyframe():
    args = hls_command(Job(video="copy", audio="convert", start_index=7, start_time=42.005, **FILM), "/c")
    # Past ffmpeg's 3/23 s step back for files with B-frames, and the sound untrimmed.
    assert option(args, "-ss") == "42.136435" and args.index("-ss") < args.index("-i")
    assert "-noaccurate_seek" in args[: args.index("-i")]
    assert option(args, "-start_number") == "7"
    assert (option(args, "-c:a"), option(args, "-ac"), option(args, "-b:a")) == ("aac", "2", "192k")


def test_a_converting_job_after_a_seek_keeps_the_first_frame_of_its_segment():
    job = Job(video="convert", audio="convert", start_index=2, start_time=12.0, **FILM)
    args = hls_command(job, "/c")
    assert option(args, "-ss") == "11.980000" and "-noaccurate_seek" not in args  # half a frame early


def test_seeks_count_from_the_files_first_timestamp():
    # An MPEG-TS recording whose clock starts at 11.4 s: -ss (and its trimming) counts from there.
    job = Job(video="convert", audio="convert", start_index=2, start_time=18.0, file_start=11.4, **FILM)
    assert option(hls_command(job, "/c"), "-ss") == "6.580000"
    # Its first segment starts at the file's start: no seek.
    assert "-ss" not in hls_command(
        Job(video="convert", audio="convert", start_time=11.4, file_start=11.4, **FILM), "/c"
    )


def test_portrait_video_fits_an_upright_box():
    scale = option(hls_command(Job(video="convert", audio="copy", **FILM), "/c"), "-vf")
    assert "w='if(gte(iw,ih),min(iw,1920),min(iw,1080))'" in scale
    assert "h='if(gte(iw,ih),min(ih,1080),min(ih,1920))'" in scale


def test_video_faster_than_30_frames_a_second_is_made_720p_to_stay_in_level_41():
    fast = {**FILM, "fps": 59.94}
    scale = option(hls_command(Job(video="convert", audio="copy", **fast), "/c"), "-vf")
    assert "min(iw,1280)" in scale and "min(ih,720)" in scale and "1920" not in scale


def test_lossless_music_becomes_flac():
    job = Job(
        source="/nas/a.m4a", video_index=None, video=None, audio_index=0, audio="convert", audio_codec="flac"
    )
    args = hls_command(job, "/c")
    assert option(args, "-c:a") == "flac" and option(args, "-strict") == "-2" and "-b:a" not in args


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
    if encoder != "software":  # hardware encoders aim at a bit rate, under the source's cap
        assert int(option(args, "-b:v")) <= int(option(args, "-maxrate"))
    if encoder == "vaapi":
        assert option(args, "-vf").startswith("format=nv12,hwupload,scale_vaapi=w='if(gte(iw,ih)")
        assert option(args, "-vf").endswith(":force_original_aspect_ratio=decrease")
        assert args.index("-vaapi_device") < args.index("-i")
    assert set(ENCODERS) == {"software", "vaapi", "qsv", "nvenc"}


def test_an_unknown_encoder_is_refused():
    with pytest.raises(ValueError, match="unknown encoder 'cuda'"):
        hls_command(Job(video="convert", audio="copy", encoder="cuda", **FILM), "/c")


def test_a_file_without_an_index_is_sought_early_and_trimmed_at_the_cut():
    # MPEG-TS: a seek may land past its point, so it lands 3 s early and filters cut exactly.
    job = Job(
        video="convert",
        audio="convert",
        start_index=2,
        start_time=18.0,
        file_start=11.4,
        seek_margin=3.0,
        **FILM,
    )
    args = hls_command(job, "/c")
    assert option(args, "-ss") == "3.580000"
    assert option(args, "-vf").startswith("trim=start=17.980000,")
    assert option(args, "-af") == "atrim=start=18.000000"
    # From the start, nothing to trim.
    assert "-af" not in hls_command(Job(video="convert", audio="convert", seek_margin=3.0, **FILM), "/c")


def test_every_job_writes_the_same_init_and_source_times_in_its_fragments():
    args = hls_command(Job(video="copy", audio="copy", **FILM), "/c")
    assert option(args, "-hls_segment_options") == "movflags=+frag_discont"


@pytest.mark.parametrize("interlaced", [False, True])
def test_image_subtitles_are_drawn_on_the_picture_before_it_is_scaled(interlaced):
    job = Job(video="convert", audio="convert", burn_index=3, interlaced=interlaced, **FILM)
    args = hls_command(job, "/c")
    assert "-vf" not in args
    graph = option(args, "-filter_complex")
    picture = "yadif=mode=send_frame" if interlaced else "null"
    assert graph.startswith(
        f"[0:0]{picture}[picture];[picture][0:3]overlay=eof_action=pass[drawn];[drawn]scale="
    )
    assert graph.endswith(",format=yuv420p[v]")
    assert [args[i + 1] for i, a in enumerate(args) if a == "-map"] == ["[v]", "0:2"]


def test_hardware_upload_comes_after_the_subtitles_are_drawn():
    graph = option(hls_command(Job(video="convert", audio=None, burn_index=4, encoder="vaapi", **FILM), "/c"),
                   "-filter_complex")  # fmt: skip
    assert graph.index("overlay") < graph.index("hwupload")

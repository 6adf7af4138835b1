import hashlib
import json

import pytest

from mediacaster.services.probe import _level, _loads, cache_key, container_of, parse

MP4_FORMAT = "mov,mp4,m4a,3gp,3g2,mj2"


def ffprobe(format_name, *streams, duration="60.000000", tags=None):
    """What ``ffprobe -print_format json -show_format -show_streams`` prints, trimmed."""
    streams = [{"index": index, **stream} for index, stream in enumerate(streams)]
    fmt = {"filename": "x", "nb_streams": len(streams), "format_name": format_name, "duration": duration}
    if tags:
        fmt["tags"] = tags
    return {"streams": streams, "format": fmt}


def h264(level=41, width=1920, height=1080, **extra):
    return {
        "codec_name": "h264",
        "codec_type": "video",
        "profile": "High",
        "width": width,
        "height": height,
        "level": level,
        "r_frame_rate": "24000/1001",
        "avg_frame_rate": "24000/1001",
        "pix_fmt": "yuv420p",
        "field_order": "progressive",
        "bit_rate": "6000000",
        "disposition": {"default": 1, "attached_pic": 0},
        **extra,
    }


def sound(codec, channels=2, **extra):
    return {"codec_name": codec, "codec_type": "audio", "channels": channels, "sample_rate": "48000", **extra}


def test_an_mp4_with_h264_and_aac_gives_every_field():
    data = ffprobe(
        MP4_FORMAT,
        h264(),
        sound("aac", tags={"language": "eng", "handler_name": "SoundHandler"}),
        duration="5400.021000",
        tags={"major_brand": "isom", "title": "A Film"},
    )
    assert parse(data, "A Film (2020).mp4") == {
        "ok": True,
        "container": "mp4",
        "content_type": "video/mp4",
        "duration": 5400.021,
        "start_time": 0.0,
        "bit_rate": None,
        "video": {
            "index": 0,
            "codec": "h264",
            "profile": "High",
            "level": 4.1,
            "width": 1920,
            "height": 1080,
            "fps": 23.976,
            "pix_fmt": "yuv420p",
            "bit_depth": 8,
            "interlaced": False,
            "bit_rate": 6000000,
            "start_time": None,
        },
        "audio": [
            {
                "index": 1,
                "codec": "aac",
                "profile": None,
                "channels": 2,
                "sample_rate": 48000,
                "language": "eng",
                "title": None,
                "default": False,
            }
        ],
        "subtitles": [],
        "picture": False,
        "width": 1920,
        "height": 1080,
        "tags": {"title": "A Film"},
    }


def test_an_mkv_with_hevc_ac3_and_subtitles_lists_tracks_with_language_and_title():
    hevc = {
        "codec_name": "hevc",
        "codec_type": "video",
        "profile": "Main 10",
        "pix_fmt": "yuv420p10le",
        "width": 3840,
        "height": 2160,
        "level": 153,
        "r_frame_rate": "24/1",
        "avg_frame_rate": "24/1",
        "tags": {"BPS": "40000000", "DURATION": "01:30:00.021000000"},
    }
    data = ffprobe(
        "matroska,webm",
        hevc,
        sound("ac3", 6, tags={"language": "fre", "title": "VF 5.1"}),
        sound("aac", tags={"language": "eng"}),
        {
            "codec_name": "subrip",
            "codec_type": "subtitle",
            "tags": {"language": "eng", "title": "English (SDH)"},
        },
        {"codec_name": "hdmv_pgs_subtitle", "codec_type": "subtitle", "tags": {"LANGUAGE": "fre"}},
    )
    probe = parse(data, "Film.mkv")
    assert (probe["container"], probe["content_type"]) == ("matroska", "video/x-matroska")
    assert probe["video"]["level"] == 5.1
    assert probe["video"]["bit_depth"] == 10  # from the pixel format's name
    assert [(a["index"], a["codec"], a["channels"], a["language"], a["title"]) for a in probe["audio"]] == [
        (1, "ac3", 6, "fre", "VF 5.1"),
        (2, "aac", 2, "eng", None),
    ]
    assert probe["subtitles"] == [
        {"index": 3, "codec": "subrip", "language": "eng", "title": "English (SDH)", "text": True},
        {"index": 4, "codec": "hdmv_pgs_subtitle", "language": "fre", "title": None, "text": False},
    ]


def test_an_mp3_cover_is_a_picture_not_video_and_its_tags_are_read_in_any_case():
    cover = {
        "codec_name": "mjpeg",
        "codec_type": "video",
        "width": 500,
        "height": 500,
        "disposition": {"default": 0, "attached_pic": 1},
        "tags": {"comment": "Cover (front)"},
    }
    tags = {"title": "Song", "ARTIST": "Band", "Album": "Record", "genre": "Rock", "TRACK": "1"}
    probe = parse(ffprobe("mp3", sound("mp3"), cover, duration="215.5", tags=tags), "01 Song.mp3")
    assert (probe["container"], probe["content_type"]) == ("mp3", "audio/mpeg")
    assert (probe["video"], probe["picture"]) == (None, True)
    assert probe["tags"] == {"title": "Song", "artist": "Band", "album": "Record"}
    assert probe["duration"] == 215.5


def test_an_mp3s_width_and_height_are_its_covers():
    cover = {"codec_name": "png", "codec_type": "video", "width": 600, "height": 600}
    cover["disposition"] = {"attached_pic": 1}
    probe = parse(ffprobe("mp3", sound("mp3"), cover), "song.mp3")
    assert (probe["width"], probe["height"]) == (600, 600)


def test_empty_tags_are_left_out():
    probe = parse(ffprobe("mp3", sound("mp3"), tags={"title": "", "artist": "Band"}), "song.mp3")
    assert probe["tags"] == {"artist": "Band"}


def test_the_first_video_stream_is_the_video():
    data = ffprobe(MP4_FORMAT, h264(level=40, width=1280, height=720), h264(level=51, width=3840))
    assert parse(data, "two.mp4")["video"]["width"] == 1280


@pytest.mark.parametrize(
    ("average", "real", "fps"),
    [("25/1", "50/1", 25.0), ("0/0", "25/1", 25.0), (None, "30000/1001", 29.97), ("0/0", "0/0", None)],
)
def test_the_frame_rate_is_the_average_else_the_real_base_rate(average, real, fps):
    stream = h264(avg_frame_rate=average, r_frame_rate=real)
    assert parse(ffprobe("mpegts", stream), "clip.ts")["video"]["fps"] == fps


@pytest.mark.parametrize("duration", [None, "N/A"])
def test_an_unknown_duration_is_none(duration):
    assert parse(ffprobe("mpegts", h264(), duration=duration), "clip.ts")["duration"] is None


def test_a_jpeg_is_an_image_with_its_size_and_no_video():
    jpeg = {"codec_name": "mjpeg", "codec_type": "video", "width": 4000, "height": 3000, "level": -99}
    probe = parse(ffprobe("image2", jpeg, duration="0.040000"), "photo.jpg")
    assert (probe["container"], probe["content_type"], probe["video"]) == ("image", None, None)
    assert (probe["width"], probe["height"]) == (4000, 3000)


def test_an_mpegts_named_mp4_is_mpegts():
    probe = parse(ffprobe("mpegts", h264(level=40), sound("aac")), "recording.mp4")
    assert (probe["container"], probe["content_type"]) == ("mpegts", "video/mp2t")


def test_parse_survives_a_probe_with_no_format_and_no_streams():
    probe = parse({}, "nothing.bin")
    assert (probe["container"], probe["video"], probe["audio"], probe["width"]) == ("", None, [], None)


@pytest.mark.parametrize(
    ("format_name", "codecs", "name", "container"),
    [
        (MP4_FORMAT, ["h264", "aac"], "clip.mp4", "mp4"),
        (MP4_FORMAT, ["aac"], "song.m4a", "mp4"),
        (MP4_FORMAT, ["h264", "aac"], "clip.mov", "mov"),
        (MP4_FORMAT, ["h264", "aac"], "CLIP.MOV", "mov"),
        ("matroska,webm", ["vp9", "opus"], "clip.webm", "webm"),
        ("matroska,webm", ["av1", "vorbis", "webvtt"], "clip.webm", "webm"),
        ("matroska,webm", ["vp9", "opus"], "clip.mkv", "matroska"),
        ("matroska,webm", ["vp9", "opus"], "CLIP.MKV", "matroska"),
        ("matroska,webm", ["h264", "aac"], "clip.webm", "matroska"),
        ("matroska,webm", ["vp9", "opus", "mjpeg"], "clip.webm", "matroska"),
        ("image2", ["mjpeg"], "photo.jpg", "image"),
        ("png_pipe", ["png"], "photo.png", "image"),
        ("gif", ["gif"], "anim.gif", "image"),
        ("mpegts", ["h264", "aac"], "clip.ts", "mpegts"),
        ("mp3", ["mp3"], "song.mp3", "mp3"),
        ("ogg", ["opus"], "song.opus", "ogg"),
        ("wav", ["pcm_s16le"], "song.wav", "wav"),
        ("flac", ["flac"], "song.flac", "flac"),
        ("avi", ["mpeg4", "mp3"], "clip.avi", "avi"),
        ("asf", ["wmv3", "wmav2"], "clip.wmv", "asf"),
    ],
)
def test_container_of_names_the_container_people_know(format_name, codecs, name, container):
    streams = [{"codec_name": codec} for codec in codecs]
    assert container_of(format_name, streams, name) == container


@pytest.mark.parametrize(
    ("codec", "level", "expected"),
    [
        ("h264", 41, 4.1),
        ("h264", 40, 4.0),
        ("h264", 52, 5.2),
        ("hevc", 153, 5.1),
        ("hevc", 120, 4.0),
        ("hevc", 93, 3.1),
        ("h264", -99, None),
        ("vp9", -99, None),
        ("h264", None, None),
        ("mpeg4", 5, 5),
    ],
)
def test_level_reads_h264_in_tenths_and_hevc_in_thirtieths(codec, level, expected):
    assert _level(codec, level) == expected


def test_cache_key_is_a_sha1_of_the_parse_version_path_size_and_mtime():
    digest = hashlib.sha1(b"3\x00video/a.mp4\x00100\x001700000000000000000").hexdigest()
    assert cache_key("video/a.mp4", 100, 1_700_000_000_000_000_000) == f"mediacaster:probe:{digest}"


def test_cache_key_changes_with_path_size_or_mtime():
    keys = {
        cache_key("a.mp4", 1, 1),
        cache_key("b.mp4", 1, 1),
        cache_key("a.mp4", 2, 1),
        cache_key("a.mp4", 1, 2),
    }
    assert len(keys) == 4


def test_cached_probes_are_read_whatever_their_names_hold():
    probe = {"ok": True, "tags": {"title": "caf\udce9 \u00e9t\u00e9"}, "duration": 1.5}
    assert _loads(json.dumps(probe).encode()) == probe  # as the cache holds them
    plain = {"ok": True, "tags": {"title": "\u00e9t\u00e9"}}
    assert _loads(json.dumps(plain, ensure_ascii=False).encode()) == plain

"""The DASH MPD and HLS multivariant playlist of a converted stream, read back by parsers."""

import re
import xml.etree.ElementTree as ET

import m3u8
import pytest
from mpegdash.parser import MPEGDASHParser

from mediacaster.services.conversion import timeline as timelines
from mediacaster.services.conversion.manifests import codecs, master, mpd
from mediacaster.services.conversion.streams import Stream, Variant
from mediacaster.services.probe import parse

H264_HIGH = {"codec": "h264", "profile": "High", "level": 4.1, "width": 1920, "height": 1080, "bit_depth": 8}
AAC_LC = {"index": 1, "codec": "aac", "profile": "LC", "channels": 2}
# A URL with what the template must keep: an entity, a literal dollar and a quoted space.
URL = "http://h/segment/copy.aac.1/ab12/root/dir/a%20b$1.mkv/{}?exp=1&sig=x"
INIT_URL = URL.format("init.mp4")


def probe_of(video=None, audio=(), bit_rate=4_000_000, start_time=0.0, duration=60.0):
    return {
        "video": video,
        "audio": list(audio),
        "bit_rate": bit_rate,
        "start_time": start_time,
        "duration": duration,
    }


def stream_of(probe, variant):
    return Stream.of("/root/dir/a b$1.mkv", 1000, 1, probe, variant, "libx264")


def segment_url(index):
    return URL.format(f"{index}.m4s")


def expand(template, number):
    """A DASH template with ``$Number$`` filled in (and ``$$`` read as ``$``)."""
    names = {"": "$", "Number": str(number)}
    return re.sub(r"\$(\w*)\$", lambda match: names[match.group(1)], template)


def cuts_of(template):
    """``[start of each segment..., end]`` from a SegmentTimeline, checking that each
    S starts where the one before ends."""
    starts, t = [], 0
    for s in template.segment_timelines[0].Ss:
        if s.t is not None:
            assert not starts or s.t == t, "a gap or an overlap"
            t = s.t
        for _ in range((s.r or 0) + 1):
            starts.append(t)
            t += s.d
    return [*starts, t]


def seconds_of(duration):
    match = re.fullmatch(r"PT(\d+(?:\.\d+)?)S", duration)
    assert match, duration
    return float(match.group(1))


# -- codecs ------------------------------------------------------------------------------------


COPY_AAC = Variant("copy", "copy", 1)
PICTURE = Variant("copy", None, None)


def picture(codec, profile, level=None, depth=8):
    return {"codec": codec, "profile": profile, "level": level, "bit_depth": depth}


def track(codec="aac", profile="LC", index=1):
    return {"index": index, "codec": codec, "profile": profile, "channels": 2}


@pytest.mark.parametrize(
    ("video", "audio", "variant", "expected"),
    [
        (H264_HIGH, [AAC_LC], COPY_AAC, "avc1.640029,mp4a.40.2"),
        (picture("h264", "Main", 3.1), [AAC_LC], COPY_AAC, "avc1.4d001f,mp4a.40.2"),
        (picture("h264", "Constrained Baseline", 3.0), [], PICTURE, "avc1.42401e"),
        (picture("h264", "Baseline", 3.0), [], PICTURE, "avc1.42001e"),
        (picture("h264", "High 10"), [], PICTURE, "avc1.6e0028"),  # level unknown: 4.0
        (picture("hevc", "Main 10", 4.0, 10), [AAC_LC], COPY_AAC, "hvc1.2.4.L120.B0,mp4a.40.2"),
        (picture("hevc", "Main", 5.1), [], PICTURE, "hvc1.1.6.L153.B0"),
        (picture("vp9", "Profile 0"), [], PICTURE, "vp09.00.40.08"),
        (picture("vp9", "Profile 2", depth=10), [], PICTURE, "vp09.02.40.10"),
        (picture("av1", "Main", depth=10), [], PICTURE, "av01.0.08M.10"),
        # Converted: whatever the source, what the encoder makes.
        (
            picture("mpeg2video", "Main", 8),
            [track("ac3", None)],
            Variant("convert", "aac", 1),
            "avc1.640029,mp4a.40.2",
        ),
        (H264_HIGH, [track(profile="HE-AAC")], COPY_AAC, "avc1.640029,mp4a.40.5"),
        (H264_HIGH, [track(profile="HE-AACv2")], COPY_AAC, "avc1.640029,mp4a.40.29"),
        (H264_HIGH, [track("opus", None)], COPY_AAC, "avc1.640029,opus"),
        (H264_HIGH, [track("mp3", None)], COPY_AAC, "avc1.640029,mp4a.40.34"),
        # Sound only: just the sound, of the track asked for.
        (H264_HIGH, [AAC_LC, track("ac3", None, 2)], Variant(None, "flac", 2), "flac"),
        (H264_HIGH, [AAC_LC, track(profile="HE-AAC", index=2)], Variant(None, "copy", 2), "mp4a.40.5"),
        (None, [AAC_LC], Variant(None, "aac", 1), "mp4a.40.2"),
        # Unknown: no list at all rather than a partial one.
        (picture("mpeg4", "Simple Profile", 1), [AAC_LC], COPY_AAC, None),
        (H264_HIGH, [track("dts", "DTS")], COPY_AAC, None),
        (H264_HIGH, [AAC_LC], Variant("copy", "copy", 7), None),  # no such track
    ],
)
def test_codecs_name_what_the_segments_hold(video, audio, variant, expected):
    assert codecs(probe_of(video, audio), variant) == expected


# -- the MPD -----------------------------------------------------------------------------------


TIMELINES = {
    "converted from 0": (timelines.fixed(0.0, 61.5, fps=24000 / 1001), Variant("convert", "aac", 1)),
    "a TV recording from 11.4 s": (timelines.fixed(11.4, 1811.44, fps=25.0), Variant("convert", "aac", 1)),
    "uneven keyframes": (
        timelines.from_keyframes([11.4, 13.42, 15.44, 17.46, 17.9, 23.123, 29.0, 35.0], end=40.7),
        Variant("copy", "copy", 1),
    ),
    "sound only": (timelines.fixed(0.0, 185.3), Variant(None, "flac", 1)),
}


@pytest.mark.parametrize("name", TIMELINES)
def test_the_mpd_lists_exactly_the_timeline_cuts(name):
    timeline, variant = TIMELINES[name]
    probe = probe_of(
        H264_HIGH, [AAC_LC], start_time=timeline.starts[0], duration=timeline.end - timeline.starts[0]
    )
    text = mpd(timeline, stream_of(probe, variant), probe, INIT_URL, segment_url)
    assert ET.fromstring(text.encode()).tag == "{urn:mpeg:dash:schema:mpd:2011}MPD"

    document = MPEGDASHParser.parse(text)
    assert document.type == "static"
    assert document.profiles == "urn:mpeg:dash:profile:isoff-live:2011"
    first, end = round(timeline.starts[0] * 1000), round(timeline.end * 1000)
    assert seconds_of(document.media_presentation_duration) * 1000 == pytest.approx(end - first)
    assert seconds_of(document.media_presentation_duration) == pytest.approx(
        timeline.end - timeline.starts[0], abs=1e-3
    )
    [period] = document.periods
    assert (period.id, seconds_of(period.start)) == ("0", 0.0)
    [adaptation] = period.adaptation_sets
    [representation] = adaptation.representations
    [template] = representation.segment_templates
    assert template.timescale == 1000
    assert template.start_number == 0
    assert template.presentation_time_offset == first  # the presentation starts at 0
    cuts = cuts_of(template)
    assert cuts == [round(t * 1000) for t in (*timeline.starts, timeline.end)]
    assert len(cuts) - 1 == len(timeline)
    assert representation.bandwidth == 4_000_000
    assert representation.codecs == codecs(probe, variant)
    if variant.video:
        assert (adaptation.content_type, adaptation.mime_type) == ("video", "video/mp4")
    else:
        assert (adaptation.content_type, adaptation.mime_type) == ("audio", "audio/mp4")


def test_equal_segments_are_one_s_repeated():
    timeline = timelines.fixed(0.0, 185.3)
    probe = probe_of(None, [AAC_LC], duration=185.3)
    text = mpd(timeline, stream_of(probe, Variant(None, "aac", 1)), probe, INIT_URL, segment_url)
    [template] = MPEGDASHParser.parse(text).periods[0].adaptation_sets[0].representations[0].segment_templates
    ss = template.segment_timelines[0].Ss
    assert [(s.t, s.d, s.r) for s in ss] == [(0, 6000, 29), (180000, 5300, None)]


@pytest.mark.parametrize("index", [0, 1, 7, 299])
def test_the_templates_give_back_the_segment_urls(index):
    timeline = timelines.fixed(11.4, 1811.44, fps=25.0)
    probe = probe_of(H264_HIGH, [AAC_LC], start_time=11.4, duration=1800.04)
    text = mpd(timeline, stream_of(probe, COPY_AAC), probe, INIT_URL, segment_url)
    assert "&amp;sig=x" in text and "$$1.mkv" in text
    [template] = MPEGDASHParser.parse(text).periods[0].adaptation_sets[0].representations[0].segment_templates
    assert expand(template.media, index) == segment_url(index)
    assert expand(template.initialization, index) == INIT_URL


def test_an_unknown_codec_is_left_out():
    probe = probe_of(picture("mpeg4", "Simple Profile", 1), [AAC_LC], bit_rate=None)
    stream = stream_of(probe, COPY_AAC)
    text = mpd(timelines.fixed(0.0, 60.0), stream, probe, INIT_URL, segment_url)
    representation = MPEGDASHParser.parse(text).periods[0].adaptation_sets[0].representations[0]
    assert representation.codecs is None
    assert representation.bandwidth == 2_000_000
    variant = m3u8.loads(master(stream, probe, "http://h/playlist.m3u8")).playlists[0]
    assert variant.stream_info.codecs is None
    assert variant.stream_info.bandwidth == 2_000_000


# -- real probes, through the app's own parse() ------------------------------------------------


def ffprobe(format_name, start, duration, bit_rate, *streams):
    return {
        "format": {
            "format_name": format_name,
            "start_time": str(start),
            "duration": str(duration),
            "bit_rate": str(bit_rate),
        },
        "streams": [{"index": i, **s} for i, s in enumerate(streams)],
    }


def h264(profile, level, **more):
    return {"codec_type": "video", "codec_name": "h264", "profile": profile, "level": level, **more}


def sound(codec, profile=None, **more):
    return {"codec_type": "audio", "codec_name": codec, "profile": profile, "channels": 2, **more}


REAL = {
    "TV recording": (
        ffprobe(
            "mpegts", 11.4, 1800.04, 6_500_000,
            h264("High", 40, width=1920, height=1080, avg_frame_rate="25/1", field_order="tt"),
            sound("aac", "HE-AAC", sample_rate="48000"),
            sound("ac3", sample_rate="48000"),
        ),
        "a.ts", Variant("convert", "aac", 2), "avc1.640029,mp4a.40.2", None,
    ),
    "film, copied": (
        ffprobe(
            "matroska,webm", 0.0, 5423.1, 9_800_000,
            h264("High", 41, width=1920, height=800, avg_frame_rate="24000/1001", pix_fmt="yuv420p"),
            sound("aac", "LC", sample_rate="48000"),
        ),
        "film.mkv", Variant("copy", "copy", 1), "avc1.640029,mp4a.40.2", (1920, 800),
    ),
    "HEVC 10-bit": (
        ffprobe(
            "mov,mp4,m4a,3gp,3g2,mj2", 0.0, 120.0, 12_000_000,
            {"codec_type": "video", "codec_name": "hevc", "profile": "Main 10", "level": 120,
             "width": 3840, "height": 2160, "avg_frame_rate": "30/1", "pix_fmt": "yuv420p10le"},
            sound("aac", "HE-AAC", sample_rate="44100"),
        ),
        "phone.mp4", Variant("copy", "copy", 1), "hvc1.2.4.L120.B0,mp4a.40.5", (3840, 2160),
    ),
    "music": (
        ffprobe("flac", 0.0, 245.2, 900_000, sound("flac", sample_rate="44100")),
        "song.flac", Variant(None, "flac", 0), "flac", None,
    ),
}  # fmt: skip


@pytest.mark.parametrize("name", REAL)
def test_real_probes_round_trip(name):
    data, file_name, variant, expected, resolution = REAL[name]
    probe = parse(data, file_name)
    stream = stream_of(probe, variant)
    timeline = timelines.fixed(stream.start, stream.end, fps=stream.fps)
    assert codecs(probe, variant) == expected

    text = mpd(timeline, stream, probe, INIT_URL, segment_url)
    ET.fromstring(text.encode())  # well-formed
    document = MPEGDASHParser.parse(text)
    representation = document.periods[0].adaptation_sets[0].representations[0]
    [template] = representation.segment_templates
    assert representation.codecs == expected
    assert (representation.width, representation.height) == (resolution or (None, None))
    assert template.presentation_time_offset == round(stream.start * 1000)
    assert cuts_of(template) == [round(t * 1000) for t in (*timeline.starts, timeline.end)]
    assert expand(template.media, 3) == segment_url(3)

    playlist = m3u8.loads(master(stream, probe, "http://h/playlist/x.m3u8?exp=1&sig=x"))
    assert playlist.is_variant
    [entry] = playlist.playlists
    assert entry.uri == "http://h/playlist/x.m3u8?exp=1&sig=x"
    assert entry.stream_info.codecs == expected
    assert entry.stream_info.bandwidth == stream.bit_rate == probe["bit_rate"]
    assert entry.stream_info.resolution == resolution


def test_the_master_playlist_is_hls_7_with_independent_segments():
    probe = probe_of(H264_HIGH, [AAC_LC])
    text = master(stream_of(probe, COPY_AAC), probe, "http://h/p.m3u8")
    assert text.splitlines() == [
        "#EXTM3U",
        "#EXT-X-VERSION:7",
        "#EXT-X-INDEPENDENT-SEGMENTS",
        '#EXT-X-STREAM-INF:BANDWIDTH=4000000,CODECS="avc1.640029,mp4a.40.2",RESOLUTION=1920x1080',
        "http://h/p.m3u8",
    ]


def test_the_presentation_starts_where_the_file_does_when_its_picture_starts_later():
    # A picture 5 ms into the file: its first keyframe must not fall before the presentation.
    timeline = timelines.fixed(0.005, 30.0, fps=24)
    probe = probe_of(H264_HIGH, [AAC_LC], start_time=0.0, duration=30.0)
    document = MPEGDASHParser.parse(mpd(timeline, stream_of(probe, COPY_AAC), probe, INIT_URL, segment_url))
    [template] = document.periods[0].adaptation_sets[0].representations[0].segment_templates
    assert template.presentation_time_offset == 0
    assert cuts_of(template)[0] == 5
    assert seconds_of(document.media_presentation_duration) == pytest.approx(30.0)


@pytest.mark.parametrize("token", ["h264.aac.1.s3", "h264.none.x.s12", "h264.aac.2"])
def test_a_variant_with_subtitles_drawn_in_round_trips_as_a_token(token):
    assert Variant.parse(token).token == token


@pytest.mark.parametrize("token", ["copy.aac.1.s3", "none.aac.1.s3", "h264.aac.1.s", "h264.aac.1.3"])
def test_only_converted_video_has_subtitles_drawn_in(token):
    from mediacaster.errors import NotFound

    with pytest.raises(NotFound):
        Variant.parse(token)

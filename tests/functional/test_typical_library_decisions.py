"""What each file of a typical home library needs done, decided on real probes.

The files are made by ffmpeg and read by the app's own probing (real ffprobe),
so the facts the decisions rest on are the ones real files give, not the
hand-made probes of the unit tests.
"""

import itertools
import json

import pytest

from mediacaster.playback import browsers
from mediacaster.playback.decisions import (
    AUDIO_CODEC,
    AUDIO_TRACK,
    CONTAINER,
    CONVERT_ALL,
    CONVERT_AUDIO,
    DIRECT,
    REMUX,
    VIDEO_CODEC,
    VIDEO_LEVEL,
    VIDEO_PROFILE,
    decide,
)
from mediacaster.playback.verdicts import GEN1, GOOGLE_TV, SPEAKER, STREAMER, ULTRA
from mediacaster.services.conversion.keyframes import read_keyframes
from mediacaster.services.probe import ProbeService
from tests.common.typical_library import CHROMIUM_CAN, EXPECTED_IN_CHROMIUM, EXPECTED_ON_GEN1

pytestmark = pytest.mark.ffmpeg

SECONDS = 20

# The container as the probe names it.
CONTAINERS = {
    "ac3 5.1.mkv": "matroska",
    "dts 5.1.mkv": "matroska",
    "hevc 8-bit.mkv": "matroska",
    "hevc 10-bit eac3.mkv": "matroska",
    "h264 high10.mkv": "matroska",
    "xvid.avi": "avi",
    "wmv.wmv": "asf",
    "dvb.ts": "mpegts",
    "h264 level 5.1.mp4": "mp4",
    "phone.mp4": "mp4",
    "av1.mkv": "matroska",
    "alac.m4a": "mp4",
    "wma.wma": "asf",
    "flac.flac": "flac",
    "two languages.mkv": "matroska",
}
SMALL = (320, 180)
# The video: (codec, profile, pix_fmt, bit depth, interlaced, width, height).
VIDEO = {
    "ac3 5.1.mkv": ("h264", "High", "yuv420p", 8, False, *SMALL),
    "dts 5.1.mkv": ("h264", "High", "yuv420p", 8, False, *SMALL),
    "hevc 8-bit.mkv": ("hevc", "Main", "yuv420p", 8, False, *SMALL),
    "hevc 10-bit eac3.mkv": ("hevc", "Main 10", "yuv420p10le", 10, False, *SMALL),
    "h264 high10.mkv": ("h264", "High 10", "yuv420p10le", 10, False, *SMALL),
    "xvid.avi": ("mpeg4", "Simple Profile", "yuv420p", 8, False, *SMALL),
    "wmv.wmv": ("wmv2", None, "yuv420p", 8, False, *SMALL),
    "dvb.ts": ("mpeg2video", "Main", "yuv420p", 8, True, 720, 576),
    "h264 level 5.1.mp4": ("h264", "High", "yuv420p", 8, False, *SMALL),
    "phone.mp4": ("h264", "High", "yuv420p", 8, False, 180, 320),
    "av1.mkv": ("av1", "Main", "yuv420p", 8, False, *SMALL),
    "two languages.mkv": ("h264", "High", "yuv420p", 8, False, *SMALL),
}
# H.264 levels as flagged; HEVC's as x265 picks them for the size (ffprobe's 60 is 2.0).
LEVELS = {
    "ac3 5.1.mkv": 4.1,
    "dts 5.1.mkv": 4.1,
    "hevc 8-bit.mkv": 2.0,
    "hevc 10-bit eac3.mkv": 2.0,
    "h264 level 5.1.mp4": 5.1,
    "phone.mp4": 4.1,
    "two languages.mkv": 4.1,
}
# Sound streams: (index, codec, channels).
AUDIO = {
    "ac3 5.1.mkv": [(1, "ac3", 6)],
    "dts 5.1.mkv": [(1, "dts", 6)],
    "hevc 8-bit.mkv": [(1, "aac", 2)],
    "hevc 10-bit eac3.mkv": [(1, "eac3", 6)],
    "h264 high10.mkv": [(1, "aac", 2)],
    "xvid.avi": [(1, "mp3", 2)],
    "wmv.wmv": [(1, "wmav2", 2)],
    "dvb.ts": [(1, "mp2", 2)],
    "h264 level 5.1.mp4": [(1, "aac", 2)],
    "phone.mp4": [(1, "aac", 2)],
    "av1.mkv": [(1, "opus", 2)],
    "alac.m4a": [(0, "alac", 2)],
    "wma.wma": [(0, "wmav2", 2)],
    "flac.flac": [(0, "flac", 2)],
    "two languages.mkv": [(1, "ac3", 6), (2, "aac", 2)],
}
# DVB recordings start where the broadcast's clock was: 10 s of offset, plus
# the 1.4 s by which ffmpeg's MPEG-TS muxer delays the first packet.
DVB_START = 11.4
NAMES = sorted(EXPECTED_ON_GEN1)


def test_the_tables_cover_the_whole_set(typical_library):
    assert set(typical_library) == set(EXPECTED_ON_GEN1) == set(CONTAINERS) == set(AUDIO)
    assert set(VIDEO) == {name for name, row in EXPECTED_ON_GEN1.items() if row[1] is not None}


@pytest.fixture(scope="module")
def probes(typical_library):
    """``{name: probe}`` as the app reads them: run() is the probe without its cache."""
    service = ProbeService(redis_client=None)
    try:
        yield {name: service.run(str(path), path.stat().st_size) for name, path in typical_library.items()}
    finally:
        service.close()


@pytest.fixture(scope="module")
def ffprobe_json(typical_library):
    """ffprobe's own JSON, with ProbeService.run's arguments: what the probe is
    checked against (start time) or keeps only as a flag (field order)."""
    service = ProbeService(redis_client=None)
    args = ["-v", "error", "-print_format", "json", "-show_format", "-show_streams"]
    try:
        yield {
            name: json.loads(service.ffprobe.run([*args, str(path)], service.timeout))
            for name, path in typical_library.items()
        }
    finally:
        service.close()


@pytest.mark.parametrize("name", NAMES)
def test_the_probe_reads_what_the_file_is(probes, name):
    probe = probes[name]
    assert probe["ok"] and probe["container"] == CONTAINERS[name]
    assert probe["duration"] == pytest.approx(SECONDS, abs=0.1)
    assert [(s["index"], s["codec"], s["channels"]) for s in probe["audio"]] == AUDIO[name]
    assert all(s["sample_rate"] == 48000 for s in probe["audio"])
    video = probe["video"]
    if name not in VIDEO:
        assert video is None
        return
    fields = ("codec", "profile", "pix_fmt", "bit_depth", "interlaced", "width", "height")
    assert tuple(video[field] for field in fields) == VIDEO[name]
    assert video["fps"] == pytest.approx(25.0)
    if name in LEVELS:
        assert video["level"] == pytest.approx(LEVELS[name])
    elif video["codec"] == "h264":
        assert video["level"] <= 4.1  # chosen by x264 for the size


@pytest.mark.parametrize("name", NAMES)
def test_ffprobe_sees_the_recording_as_made(ffprobe_json, probes, name):
    data = ffprobe_json[name]
    start = float(data["format"]["start_time"])
    if name == "dvb.ts":
        assert start == pytest.approx(DVB_START, abs=0.05)
    else:
        # Opus and AC-3 may start a few milliseconds off zero.
        assert start == pytest.approx(0, abs=0.05)
    if "start_time" in probes[name]:
        assert probes[name]["start_time"] == pytest.approx(start)
    orders = {s.get("field_order") for s in data["streams"] if s["codec_type"] == "video"}
    if name == "dvb.ts":
        assert orders == {"tt"}  # top field first, coded as such
    else:
        assert orders <= {"progressive", "unknown", None}


@pytest.mark.parametrize("name", [name for name in NAMES if VIDEO.get(name, ("",))[0] in ("h264", "hevc")])
def test_copied_video_has_a_keyframe_every_two_seconds(typical_library, probes, name):
    service = ProbeService(redis_client=None)
    try:
        keyframes = read_keyframes(
            service.ffprobe, str(typical_library[name]), probes[name]["video"]["index"]
        )
    finally:
        service.close()
    assert len(keyframes) == SECONDS // 2
    assert [round(b - a, 2) for a, b in itertools.pairwise(keyframes)] == [2.0] * (SECONDS // 2 - 1)


@pytest.mark.parametrize("name", NAMES)
def test_the_decision_on_a_second_generation_chromecast(probes, name):
    decision = decide(probes[name], GEN1)
    assert (decision.delivery, decision.video, decision.audio, decision.reasons) == EXPECTED_ON_GEN1[name]
    assert bool(decision.why) == decision.converts
    assert decision.audio_index == AUDIO[name][0][0]
    # Converted sound says what it becomes; lossless music alone stays lossless.
    becomes = {"convert": "flac" if name == "alac.m4a" else "aac"}.get(decision.audio)
    assert decision.audio_codec == becomes


@pytest.mark.parametrize("name", NAMES)
def test_the_decision_in_debians_chromium(probes, name):
    decision = decide(probes[name], browsers.profile(CHROMIUM_CAN))
    assert outcome(decision) == EXPECTED_IN_CHROMIUM[name]
    assert decision.audio_codec == {"convert": "flac" if name == "alac.m4a" else "aac"}.get(decision.audio)


def test_a_browser_without_ac3_gets_another_track_as_it_is_or_repackaged(probes):
    profile = browsers.profile(CHROMIUM_CAN)
    # The AAC track of an MKV is copied into segments: the page cannot pick a
    # track of a file played as it is.
    chosen = decide(probes["two languages.mkv"], profile, audio_index=2)
    assert outcome(chosen) == (REMUX, "copy", "copy", (AUDIO_TRACK,))
    assert chosen.audio_index == 2 and chosen.why == "a sound track other than the file's default is chosen"
    # A browser that decodes AC-3 (Chrome on a Mac or Edge on Windows) plays the default as it is.
    assert decide(probes["two languages.mkv"], browsers.profile(CHROMIUM_CAN | {"ac3"})).delivery == DIRECT


def outcome(decision):
    return decision.delivery, decision.video, decision.audio, decision.reasons


def test_newer_models_copy_what_they_decode(probes):
    hevc10 = probes["hevc 10-bit eac3.mkv"]
    # Main 10 plays on 4K models: only the E-AC-3 is converted, in segments since MKV is not taken.
    for profile in (ULTRA, GOOGLE_TV):
        assert outcome(decide(hevc10, profile)) == (
            CONVERT_AUDIO,
            "copy",
            "convert",
            (CONTAINER, AUDIO_CODEC),
        )
    assert outcome(decide(probes["hevc 8-bit.mkv"], ULTRA)) == (REMUX, "copy", "copy", (CONTAINER,))
    assert decide(probes["h264 level 5.1.mp4"], ULTRA).reasons == (VIDEO_LEVEL,)
    assert outcome(decide(probes["h264 level 5.1.mp4"], GOOGLE_TV)) == (DIRECT, "copy", "copy", ())
    # High 10 plays nowhere on Cast.
    assert decide(probes["h264 high10.mkv"], STREAMER).reasons == (CONTAINER, VIDEO_PROFILE)


def test_av1_is_copied_only_to_the_streamer(probes):
    av1 = probes["av1.mkv"]
    assert outcome(decide(av1, GOOGLE_TV)) == (CONVERT_ALL, "convert", "convert", (CONTAINER, VIDEO_CODEC))
    # The Streamer decodes AV1 and Opus; the MKV is not taken, and segments carry AAC.
    assert outcome(decide(av1, STREAMER)) == (CONVERT_AUDIO, "copy", "convert", (CONTAINER,))


def test_what_no_cast_model_plays_is_converted_everywhere(probes):
    for name in ("xvid.avi", "wmv.wmv", "dvb.ts"):
        decision = decide(probes[name], STREAMER)
        assert (decision.delivery, VIDEO_CODEC in decision.reasons) == (CONVERT_ALL, True), name


def test_music_on_an_audio_device(probes):
    assert outcome(decide(probes["flac.flac"], SPEAKER)) == (DIRECT, None, "copy", ())
    alac = decide(probes["alac.m4a"], SPEAKER)
    assert (*outcome(alac), alac.audio_codec) == (CONVERT_AUDIO, None, "convert", (AUDIO_CODEC,), "flac")
    assert outcome(decide(probes["wma.wma"], SPEAKER)) == (
        CONVERT_AUDIO,
        None,
        "convert",
        (CONTAINER, AUDIO_CODEC),
    )


def test_an_audio_device_is_sent_no_picture(probes):
    # An MP4 that plays directly on every display; an audio device shows no picture,
    # so converting it there is wasted work, and the level is not the reason.
    decision = decide(probes["phone.mp4"], SPEAKER)
    assert (decision.video, decision.delivery) == (None, DIRECT)  # MP4 with AAC: the sound plays
    assert VIDEO_LEVEL not in decision.reasons


def test_a_sound_track_is_chosen(probes):
    film = probes["two languages.mkv"]
    english, french = film["audio"]
    assert (english["language"], english["default"], english["title"]) == ("eng", True, None)
    assert (french["language"], french["default"], french["title"]) == ("fra", False, "Commentaire")
    default = decide(film, GEN1)
    assert default.audio_index == english["index"] == 1
    assert outcome(default) == (CONVERT_AUDIO, "copy", "convert", (CONTAINER, AUDIO_CODEC))
    commentary = decide(film, GEN1, audio_index=french["index"])
    assert commentary.audio_index == french["index"] == 2
    # AAC stereo plays: both streams copied, into segments that carry only the chosen one.
    assert outcome(commentary) == (REMUX, "copy", "copy", (CONTAINER, AUDIO_TRACK))
    assert outcome(decide(film, GEN1, audio_index=1)) == outcome(default)
    # A stream that is not sound, or none at all, means the default one.
    assert decide(film, GEN1, audio_index=0).audio_index == 1
    assert decide(film, GEN1, audio_index=9).audio_index == 1

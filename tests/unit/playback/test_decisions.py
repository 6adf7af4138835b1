"""Per stream decisions for a typical home library, device model by device model."""

import pytest

from mediacaster.playback.decisions import (
    AUDIO_CODEC,
    CONTAINER,
    CONVERT_ALL,
    CONVERT_AUDIO,
    DIRECT,
    INTERLACED,
    REMUX,
    VIDEO_BIT_DEPTH,
    VIDEO_CODEC,
    VIDEO_LEVEL,
    VIDEO_PROFILE,
    VIDEO_RESOLUTION,
    decide,
)
from mediacaster.playback.verdicts import GEN1, GOOGLE_TV, ULTRA
from tests.common.probes import probed

LIBRARY = {
    "phone video": probed("mp4", "h264", 4.0, ["aac"], profile="High"),
    "scene MKV, AC-3 5.1": probed("matroska", "h264", 4.1, ["ac3"], channels=6, profile="High"),
    "scene MKV, DTS 5.1": probed("matroska", "h264", 4.1, ["dts"], channels=6, profile="High"),
    "HEVC 8-bit MKV": probed("matroska", "hevc", 4.0, ["aac"], profile="Main"),
    "HEVC 10-bit MKV": probed("matroska", "hevc", 5.0, ["eac3"], profile="Main 10", bit_depth=10),
    "H.264 High 10": probed("matroska", "h264", 4.1, ["aac"], profile="High 10", bit_depth=10),
    "H.264 level 5.1": probed("mp4", "h264", 5.1, ["aac"], profile="High"),
    "XviD AVI": probed("avi", "mpeg4", None, ["mp3"], width=720, height=400),
    "WMV": probed("asf", "wmv3", None, ["wmav2"], width=1280, height=720),
    "DVB recording": probed("mpegts", "mpeg2video", None, ["mp2"], width=720, height=576, interlaced=True),
    "AV1": probed("mp4", "av1", None, ["opus"]),
    "4K H.264": probed("mp4", "h264", 5.1, ["aac"], width=3840, height=2160, profile="High"),
    "ALAC music": probed("mp4", audio=["alac"]),
    "WMA music": probed("asf", audio=["wmav2"]),
    "MP3 music": probed("mp3", audio=["mp3"]),
}

# (delivery, video, audio, reasons) on a 2nd generation Chromecast.
ON_GEN1 = {
    "phone video": (DIRECT, "copy", "copy", ()),
    "scene MKV, AC-3 5.1": (CONVERT_AUDIO, "copy", "convert", (CONTAINER, AUDIO_CODEC)),
    "scene MKV, DTS 5.1": (CONVERT_AUDIO, "copy", "convert", (CONTAINER, AUDIO_CODEC)),
    "HEVC 8-bit MKV": (CONVERT_ALL, "convert", "copy", (CONTAINER, VIDEO_CODEC)),
    "HEVC 10-bit MKV": (CONVERT_ALL, "convert", "convert", (CONTAINER, VIDEO_CODEC, AUDIO_CODEC)),
    "H.264 High 10": (CONVERT_ALL, "convert", "copy", (CONTAINER, VIDEO_PROFILE)),
    "H.264 level 5.1": (CONVERT_ALL, "convert", "copy", (VIDEO_LEVEL,)),
    "XviD AVI": (CONVERT_ALL, "convert", "convert", (CONTAINER, VIDEO_CODEC)),
    "WMV": (CONVERT_ALL, "convert", "convert", (CONTAINER, VIDEO_CODEC, AUDIO_CODEC)),
    "DVB recording": (CONVERT_ALL, "convert", "convert", (VIDEO_CODEC, INTERLACED, AUDIO_CODEC)),
    "AV1": (CONVERT_ALL, "convert", "convert", (VIDEO_CODEC,)),
    "4K H.264": (CONVERT_ALL, "convert", "copy", (VIDEO_LEVEL, VIDEO_RESOLUTION)),
    "ALAC music": (CONVERT_AUDIO, None, "convert", (AUDIO_CODEC,)),
    "WMA music": (CONVERT_AUDIO, None, "convert", (CONTAINER, AUDIO_CODEC)),
    "MP3 music": (DIRECT, None, "copy", ()),
}


@pytest.mark.parametrize("name", sorted(LIBRARY))
def test_a_typical_library_on_a_second_generation_chromecast(name):
    decision = decide(LIBRARY[name], GEN1)
    assert (decision.delivery, decision.video, decision.audio, decision.reasons) == ON_GEN1[name]
    assert bool(decision.why) == decision.converts


def test_everything_but_the_direct_files_is_converted_yet_plays():
    deliveries = [decide(probe, GEN1).delivery for probe in LIBRARY.values()]
    assert deliveries.count(DIRECT) == 2 and len(deliveries) == 15


def test_newer_models_copy_what_they_decode():
    assert decide(LIBRARY["HEVC 10-bit MKV"], ULTRA).delivery == CONVERT_AUDIO
    assert decide(LIBRARY["HEVC 8-bit MKV"], ULTRA).delivery == REMUX
    assert decide(LIBRARY["H.264 level 5.1"], GOOGLE_TV).delivery == DIRECT
    assert decide(LIBRARY["4K H.264"], GOOGLE_TV).delivery == DIRECT
    # High 10 plays nowhere on Cast.
    assert decide(LIBRARY["H.264 High 10"], GOOGLE_TV).reasons == (CONTAINER, VIDEO_PROFILE)


def test_a_bit_depth_past_the_models_is_converted():
    twelve = probed("mp4", "hevc", 5.0, ["aac"], profile="Rext", bit_depth=12)
    assert decide(twelve, ULTRA).reasons == (VIDEO_BIT_DEPTH,)
    assert decide(LIBRARY["H.264 High 10"], GEN1).video == "convert"


def test_the_reasons_in_words():
    # The container is named only when nothing else is converted: a conversion changes it anyway.
    assert decide(LIBRARY["scene MKV, AC-3 5.1"], GEN1).why == (
        "AC-3 sound is not decoded by a 1st or 2nd generation Chromecast"
    )
    assert decide(probed("matroska", "h264", 4.0, ["aac"]), GEN1).why == "the MKV container is not supported"
    high10 = decide(LIBRARY["H.264 High 10"], GEN1).why
    assert "H.264 High 10 is not decoded by a 1st or 2nd generation Chromecast" in high10
    assert "interlaced" in decide(LIBRARY["DVB recording"], GEN1).why


def test_a_chosen_sound_stream_is_the_one_decided_on():
    probe = probed("matroska", "h264", 4.0, ["ac3", "aac"], profile="High")
    assert decide(probe, GEN1).audio_index == 1
    chosen = decide(probe, GEN1, audio_index=2)
    assert (chosen.delivery, chosen.audio, chosen.audio_index) == (REMUX, "copy", 2)


def test_sound_other_than_aac_is_converted_for_segments():
    # MP3 plays directly, but not inside fMP4 segments.
    decision = decide(probed("avi", "h264", 4.0, ["mp3"], profile="High"), GEN1)
    assert (decision.delivery, decision.audio, decision.reasons) == (CONVERT_AUDIO, "convert", (CONTAINER,))


def test_image_subtitles_to_burn_in_convert_the_video_even_where_it_plays():
    from mediacaster.playback.decisions import BURN_IN, CONVERT_ALL

    probe = probed("mp4", "h264", 4.0, ["aac"])
    decision = decide(probe, GEN1, burn_index=3)
    assert (decision.delivery, decision.video, decision.burn_index) == (CONVERT_ALL, "convert", 3)
    assert BURN_IN in decision.reasons and "drawn into the video" in decision.why
    assert decide(probe, GEN1).burn_index is None

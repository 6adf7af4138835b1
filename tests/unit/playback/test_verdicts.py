import pytest

from mediacaster.playback.verdicts import (
    GEN1,
    GOOGLE_TV,
    NO_SOUND,
    PLAYS,
    SPEAKER,
    STREAMER,
    ULTRA,
    UNKNOWN,
    WONT_PLAY,
    judge,
    misnamed_as,
    profile_for,
)
from mediacaster.services.probe import parse
from tests.common.probes import probed

IMAGE = {**probed("image"), "content_type": None, "width": 4000, "height": 3000}


def outcome(probe, model="Chromecast", kind="video", device_type="cast", content_type=None):
    verdict = judge(probe, kind, model, device_type, content_type)
    return verdict.verdict, verdict.reason


def test_the_hand_made_probes_have_the_shape_parse_returns():
    data = {"format": {"format_name": "mpegts"}, "streams": [{"codec_type": "video", "codec_name": "h264"}]}
    assert set(probed("mpegts", "h264")) == set(parse(data, "clip.ts"))
    assert set(probed("mpegts", "h264")["video"]) == set(parse(data, "clip.ts")["video"])


# -- profiles --------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "device_type", "profile"),
    [
        ("Chromecast", "cast", GEN1),
        ("Chromecast Ultra", "cast", ULTRA),
        ("Chromecast HD", "cast", GOOGLE_TV),
        ("Google TV Streamer", "cast", STREAMER),
        ("  chromecast ULTRA ", "cast", ULTRA),
        ("Google Nest Hub", "cast", None),
        ("", "cast", None),
        (None, "cast", None),
        ("Google Home Mini", "audio", SPEAKER),
        ("Chromecast Ultra", "audio", SPEAKER),
        ("Google Cast Group", "group", SPEAKER),
    ],
)
def test_profile_for_knows_models_by_name_and_speakers_by_device_type(model, device_type, profile):
    assert profile_for(model, device_type) is profile


# -- video codecs per model --------------------------------------------------


@pytest.mark.parametrize(
    ("model", "codec", "level", "verdict", "reason"),
    [
        ("Chromecast", "h264", 4.1, PLAYS, "H.264 level 4.1, AAC sound in MP4"),
        ("Chromecast", "h264", None, PLAYS, "H.264, AAC sound in MP4"),
        (
            "Chromecast",
            "h264",
            4.2,
            WONT_PLAY,
            "H.264 level 4.2 is above 4.1, the most a 1st or 2nd generation Chromecast decodes",
        ),
        ("Chromecast Ultra", "h264", 4.2, PLAYS, "H.264 level 4.2, AAC sound in MP4"),
        (
            "Chromecast Ultra",
            "h264",
            5.0,
            WONT_PLAY,
            "H.264 level 5 is above 4.2, the most a Chromecast Ultra decodes",
        ),
        ("Chromecast HD", "h264", 5.1, PLAYS, "H.264 level 5.1, AAC sound in MP4"),
        (
            "Google TV Streamer",
            "h264",
            5.2,
            WONT_PLAY,
            "H.264 level 5.2 is above 5.1, the most a Google TV Streamer decodes",
        ),
        (
            "Chromecast",
            "hevc",
            5.1,
            WONT_PLAY,
            "HEVC (H.265) video does not play on a 1st or 2nd generation Chromecast",
        ),
        ("Chromecast Ultra", "hevc", 5.1, PLAYS, "HEVC (H.265) level 5.1, AAC sound in MP4"),
        ("Chromecast HD", "hevc", 5.1, PLAYS, "HEVC (H.265) level 5.1, AAC sound in MP4"),
        (
            "Chromecast",
            "vp9",
            None,
            WONT_PLAY,
            "VP9 video does not play on a 1st or 2nd generation Chromecast",
        ),
        ("Chromecast Ultra", "vp9", None, PLAYS, "VP9, AAC sound in MP4"),
        ("Chromecast", "vp8", None, PLAYS, "VP8, AAC sound in MP4"),
        ("Chromecast HD", "av1", None, WONT_PLAY, "AV1 video does not play on a Chromecast with Google TV"),
        ("Google TV Streamer", "av1", None, PLAYS, "AV1, AAC sound in MP4"),
        (
            "Google TV Streamer",
            "mpeg4",
            None,
            WONT_PLAY,
            "MPEG-4 Part 2 video does not play on a Google TV Streamer",
        ),
        (
            "Google TV Streamer",
            "mpeg2video",
            None,
            WONT_PLAY,
            "MPEG-2 video does not play on a Google TV Streamer",
        ),
        ("Google TV Streamer", "wmv3", None, WONT_PLAY, "WMV3 video does not play on a Google TV Streamer"),
    ],
)
def test_video_codecs_and_h264_levels_are_judged_per_model(model, codec, level, verdict, reason):
    assert outcome(probed("mp4", codec, level, ["aac"]), model) == (verdict, reason)


# -- sound -----------------------------------------------------------------


@pytest.mark.parametrize("codec", ["ac3", "eac3", "dts", "truehd"])
def test_passthrough_sound_plays_without_sound_in_a_video(codec):
    assert outcome(probed("mp4", "h264", 4.0, [codec])) == (
        NO_SOUND,
        f"{codec.upper()} sound plays only by HDMI passthrough, usually silent",
    )


@pytest.mark.parametrize("codec", ["ac3", "dts"])
def test_passthrough_sound_alone_will_not_play(codec):
    assert outcome(probed("matroska", audio=[codec]), kind="audio") == (
        WONT_PLAY,
        f"{codec.upper()} sound plays only by HDMI passthrough",
    )


def test_unsupported_sound_plays_without_sound_in_a_video_and_not_at_all_alone():
    assert outcome(probed("mp4", "h264", 4.0, ["wmav2"])) == (NO_SOUND, "wmav2 sound is not supported")
    assert outcome(probed("mp4", audio=["wmav2"]), kind="audio") == (
        WONT_PLAY,
        "wmav2 sound is not supported",
    )


@pytest.mark.parametrize(
    ("container", "codec", "reason"),
    [
        ("mp3", "mp3", "MP3 sound in MP3"),
        ("mp4", "aac", "AAC sound in MP4"),
        ("ogg", "opus", "OPUS sound in OGG"),
        ("ogg", "vorbis", "VORBIS sound in OGG"),
        ("flac", "flac", "FLAC sound in FLAC"),
        ("wav", "pcm_s16le", "PCM_S16LE sound in WAV"),
    ],
)
def test_supported_sound_plays_alone(container, codec, reason):
    assert outcome(probed(container, audio=[codec]), kind="audio") == (PLAYS, reason)


def test_only_the_first_sound_track_counts_as_the_receiver_plays_the_default_one():
    assert outcome(probed("mp4", "h264", 4.0, ["ac3", "aac"]))[0] == NO_SOUND
    assert outcome(probed("mp4", "h264", 4.0, ["aac", "ac3"]))[0] == PLAYS


def test_a_video_without_sound_plays():
    assert outcome(probed("mp4", "h264", 4.0)) == (PLAYS, "H.264 level 4 in MP4")


def test_a_file_with_neither_picture_nor_sound_will_not_play():
    assert outcome(probed("mp4")) == (WONT_PLAY, "neither picture nor sound in it")


# -- containers ------------------------------------------------------------


def test_an_unsupported_container_will_not_play_even_with_supported_codecs():
    assert outcome(probed("avi", "h264", 4.0, ["aac"]), "Google TV Streamer") == (
        WONT_PLAY,
        "the avi container is not supported",
    )


@pytest.mark.parametrize("container", ["mp4", "mov", "webm", "mpegts"])
def test_listed_containers_play(container):
    assert outcome(probed(container, "vp8", None, ["opus"]))[0] == PLAYS


def test_matroska_plays_with_a_note_that_it_is_not_on_the_list():
    assert outcome(probed("matroska", "h264", 4.0, ["aac"])) == (
        PLAYS,
        "H.264 level 4, AAC sound in MKV; "
        "MKV is not on the supported list but usually plays with these codecs",
    )


def test_matroska_with_a_codec_the_model_lacks_says_only_why_it_will_not_play():
    assert outcome(probed("matroska", "hevc", 4.0, ["aac"])) == (
        WONT_PLAY,
        "HEVC (H.265) video does not play on a 1st or 2nd generation Chromecast",
    )


# -- pictures and speakers -------------------------------------------------


def test_a_picture_plays_on_a_display():
    assert outcome(IMAGE, kind="image") == (PLAYS, "a picture")


@pytest.mark.parametrize("device_type", ["audio", "group"])
def test_a_picture_will_not_play_on_a_speaker(device_type):
    assert outcome(IMAGE, "Google Home", kind="image", device_type=device_type) == (
        WONT_PLAY,
        "an audio device shows no pictures",
    )


def test_a_video_will_not_play_on_a_speaker():
    assert outcome(probed("mp4", "h264", 4.0, ["aac"]), "Google Home", device_type="audio") == (
        WONT_PLAY,
        "an audio device shows no picture",
    )


@pytest.mark.parametrize("device_type", ["audio", "group"])
def test_sound_plays_on_a_speaker(device_type):
    probe = probed("mp3", audio=["mp3"])
    assert outcome(probe, "Google Home", kind="audio", device_type=device_type) == (PLAYS, "MP3 sound in MP3")


# -- what is not known -----------------------------------------------------


def test_a_file_not_yet_read_is_unknown():
    assert outcome(None) == (UNKNOWN, "the file has not been read yet")


def test_an_unreadable_file_will_not_play_and_says_why():
    assert outcome({"ok": False, "error": "the file is empty"}) == (
        WONT_PLAY,
        "unreadable: the file is empty",
    )


@pytest.mark.parametrize("probe", [None, probed("mp4", "h264", 4.0, ["aac"])])
def test_what_is_not_video_audio_or_a_picture_will_not_play(probe):
    assert outcome(probe, kind="other") == (WONT_PLAY, "not video, audio or a picture")


def test_an_unknown_model_is_unknown_where_the_newest_model_would_play_it():
    assert outcome(probed("mp4", "av1", None, ["aac"]), "Google Nest Hub") == (
        UNKNOWN,
        "AV1, AAC sound in MP4; the model 'Google Nest Hub' is not one whose support is known",
    )


def test_an_unknown_model_keeps_the_verdicts_that_hold_on_every_model():
    assert outcome(probed("avi", "h264", 4.0, ["aac"]), "Google Nest Hub")[0] == WONT_PLAY
    assert outcome(probed("mp4", "h264", 4.0, ["ac3"]), "Google Nest Hub")[0] == NO_SOUND
    assert outcome(IMAGE, "Google Nest Hub", kind="image")[0] == UNKNOWN


# -- misnamed files --------------------------------------------------------


def test_a_misnamed_container_appends_what_it_really_is_and_how_it_is_cast():
    probe = probed("mpegts", "h264", 4.0, ["aac"])
    assert outcome(probe, content_type="video/mp4") == (
        PLAYS,
        "H.264 level 4, AAC sound in MPEG-TS; it is MPEG-TS despite its name, cast as video/mp2t",
    )


def test_a_misnamed_file_on_an_unknown_model_says_both():
    probe = probed("mpegts", "h264", 4.0, ["aac"])
    assert outcome(probe, "Google Nest Hub", content_type="video/mp4") == (
        UNKNOWN,
        "H.264 level 4, AAC sound in MPEG-TS; it is MPEG-TS despite its name, cast as video/mp2t; "
        "the model 'Google Nest Hub' is not one whose support is known",
    )


def test_a_misnamed_file_that_will_not_play_says_only_why():
    probe = probed("mpegts", "hevc", 4.0, ["aac"])
    assert outcome(probe, content_type="video/mp4") == (
        WONT_PLAY,
        "HEVC (H.265) video does not play on a 1st or 2nd generation Chromecast",
    )


@pytest.mark.parametrize(
    ("probe", "content_type", "actual"),
    [
        (probed("mpegts", "h264"), "video/mp4", "video/mp2t"),
        (probed("matroska", "h264"), "video/webm", "video/x-matroska"),
        (probed("mp4", audio=["aac"]), "audio/mp4", None),
        (probed("mp4", "h264"), "video/mp4", None),
        (probed("mp4", "h264"), None, None),
        (IMAGE, "image/jpeg", None),
        (None, "video/mp4", None),
    ],
    ids=["mpegts-as-mp4", "mkv-as-webm", "m4a", "same", "no-name-type", "image", "not-probed"],
)
def test_misnamed_as_compares_only_the_subtype(probe, content_type, actual):
    assert misnamed_as(probe, content_type) == actual

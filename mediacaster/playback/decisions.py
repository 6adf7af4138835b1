"""What a target needs done to a file, decided stream by stream.

The video stream is copied or converted, the sound copied or converted, the
container kept or changed, each with the reasons kept as flags (as Jellyfin
keeps its TranscodeReason), so the verdict can say which and why. Four
outcomes:

- ``direct``: the file as it is, through the range view;
- ``remux``: the streams copied into fMP4 HLS segments (a container the
  target does not take, such as AVI or MKV);
- ``convert_audio``: video copied, sound converted to AAC (AC-3, DTS, ALAC…);
- ``convert_all``: video converted to H.264 High, at most level 4.1, 8-bit
  4:2:0, progressive, at most the target's resolution; sound to AAC.

HLS segments carry AAC sound: other sound is converted whenever the file is
not played directly, since what a device decodes from a file it may not take
inside fMP4 segments.
"""

from dataclasses import dataclass

from mediacaster.services.conversion.streams import UNINDEXED

DIRECT, REMUX, CONVERT_AUDIO, CONVERT_ALL = "direct", "remux", "convert_audio", "convert_all"
DELIVERIES = (DIRECT, REMUX, CONVERT_AUDIO, CONVERT_ALL)

# Why a stream is converted or the container changed.
CONTAINER = "container_not_supported"
VIDEO_CODEC = "video_codec_not_supported"
VIDEO_PROFILE = "video_profile_not_supported"
VIDEO_LEVEL = "video_level_not_supported"
VIDEO_BIT_DEPTH = "video_bit_depth_not_supported"
VIDEO_RESOLUTION = "video_resolution_not_supported"
INTERLACED = "interlaced_video_not_supported"
AUDIO_CODEC = "audio_codec_not_supported"
AUDIO_CHANNELS = "audio_channels_not_supported"
AUDIO_TRACK = "audio_track_not_default"
BURN_IN = "subtitles_burned_in"
REASONS = (
    CONTAINER,
    VIDEO_CODEC,
    VIDEO_PROFILE,
    VIDEO_LEVEL,
    VIDEO_BIT_DEPTH,
    VIDEO_RESOLUTION,
    INTERLACED,
    AUDIO_CODEC,
    AUDIO_CHANNELS,
    AUDIO_TRACK,
    BURN_IN,
)

# H.264 profiles past High: 10-bit, 4:2:2 and 4:4:4 play on no Cast device.
H264_PROFILES_PAST_HIGH = ("high 10", "high 4:2:2", "high 4:4:4")
# Sound that HLS segments carry as it is.
SEGMENT_AUDIO = {"aac"}
# Lossless sound: music in it is converted to FLAC where the target plays FLAC, not to AAC.
LOSSLESS_AUDIO = {"alac", "wmalossless", "tta", "ape", "mlp", "truehd", "shorten"}
# Codecs by the names people know (others: ffmpeg's, in capitals); verdicts use them too.
CODEC_NAMES = {
    "h264": "H.264",
    "hevc": "HEVC (H.265)",
    "vp8": "VP8",
    "vp9": "VP9",
    "av1": "AV1",
    "mpeg4": "MPEG-4 Part 2",
    "mpeg2video": "MPEG-2",
    "ac3": "AC-3",
    "eac3": "E-AC-3",
    "dts": "DTS",
    "truehd": "TrueHD",
    "alac": "ALAC",
    "wmav2": "WMA",
    "wmapro": "WMA Pro",
    "mp2": "MPEG audio layer 2",
}
CONTAINER_NAMES = {"matroska": "MKV", "mpegts": "MPEG-TS", "asf": "ASF (WMV)", "avi": "AVI", "flv": "FLV"}


@dataclass(frozen=True)
class Decision:
    delivery: str  # one of DELIVERIES
    video: str | None  # "copy", "convert", None when there is no video
    audio: str | None  # "copy", "convert", None when there is no sound
    audio_codec: str | None  # what converted sound becomes: "aac" or "flac"; None when copied
    audio_index: int | None  # the stream index of the sound played
    reasons: tuple[str, ...]  # the flags above, in their order
    why: str  # the reasons in words, "" when played directly
    burn_index: int | None = None  # image subtitles drawn into the converted picture

    @property
    def converts(self):
        return self.delivery != DIRECT


def codec_name(codec):
    return CODEC_NAMES.get(codec, str(codec).upper())


def container_name(container):
    return CONTAINER_NAMES.get(container, str(container).upper())


def decide(probe, profile, audio_index=None, burn_index=None):
    """The :class:`Decision` for a readable ``probe`` on a device of ``profile``
    (see ``verdicts.Profile``); ``audio_index`` picks a sound stream (default: the
    file's default one, the one a player takes from the file as it is);
    ``burn_index``, image subtitles to draw into the picture (which converts it)."""
    # A device without a screen is sent the sound alone.
    video = probe.get("video") if profile.display else None
    streams = probe.get("audio") or []
    sound = pick_sound(streams, audio_index)
    reasons, words = [], []
    if sound is not None and sound is not pick_sound(streams, None):
        reasons.append(AUDIO_TRACK)
        words.append("a sound track other than the file's default is chosen")

    container_words = []
    if probe.get("container") not in profile.containers:
        reasons.append(CONTAINER)
        container_words.append(f"the {container_name(probe.get('container'))} container is not supported")

    video_action = None
    if video:
        video_reasons, video_words = _video_problems(video, profile)
        if burn_index is not None:
            video_reasons.append(BURN_IN)
            video_words.append("the chosen subtitles are pictures, drawn into the video")
        reasons += video_reasons
        words += video_words
        video_action = "convert" if video_reasons else "copy"

    audio_action = None
    if sound:
        codec, channels = sound.get("codec"), sound.get("channels") or 2
        if not profile.plays_audio(codec):
            reasons.append(AUDIO_CODEC)
            words.append(f"{codec_name(codec)} sound is not decoded by {profile.name}")
        elif channels > profile.max_channels:
            reasons.append(AUDIO_CHANNELS)
            words.append(f"{channels}-channel sound is more than {profile.name} plays")
        audio_action = "copy" if not (AUDIO_CODEC in reasons or AUDIO_CHANNELS in reasons) else "convert"

    audio_codec = None
    if not reasons:
        delivery = DIRECT
    else:
        # In segments, sound other than AAC is converted too; so is all sound along
        # converted video from a file without an index, cut exactly after a seek.
        unindexed = probe.get("container") in UNINDEXED and video_action == "convert"
        if audio_action == "copy" and (sound.get("codec") not in SEGMENT_AUDIO or unindexed):
            audio_action = "convert"
        if audio_action == "convert":
            lossless = sound.get("codec") in LOSSLESS_AUDIO or str(sound.get("codec")).startswith("pcm_")
            audio_codec = "flac" if lossless and not video and profile.segment_flac else "aac"
        if video_action == "convert":
            delivery = CONVERT_ALL
        elif audio_action == "convert":
            delivery = CONVERT_AUDIO
        else:
            delivery = REMUX
    return Decision(
        delivery=delivery,
        video=video_action,
        audio=audio_action,
        audio_codec=audio_codec,
        audio_index=sound.get("index") if sound else None,
        reasons=tuple(sorted(set(reasons), key=REASONS.index)),
        # The container is named only when it is the whole story: converting a stream changes it anyway.
        why="; ".join(words or container_words),
        burn_index=burn_index if video_action == "convert" and burn_index is not None else None,
    )


def pick_sound(streams, index):
    """The sound stream of ``index``, else the file's default one (what a player takes)."""
    if index is not None:
        for stream in streams:
            if stream.get("index") == index:
                return stream
    for stream in streams:
        if stream.get("default"):
            return stream
    return streams[0] if streams else None


def _video_problems(video, profile):
    codec, reasons, words = video.get("codec"), [], []
    depth = video.get("bit_depth") or 8
    if codec == "h264":
        level = video.get("level")
        name = str(video.get("profile") or "").lower()
        high10 = name.startswith("high 10") and profile.h264_high10
        if name.startswith(H264_PROFILES_PAST_HIGH) and not high10:
            reasons.append(VIDEO_PROFILE)
            words.append(f"H.264 {video['profile']} is not decoded by {profile.name}")
        elif depth > (10 if profile.h264_high10 else 8):
            reasons.append(VIDEO_BIT_DEPTH)
            words.append(f"{depth}-bit H.264 is not decoded by {profile.name}")
        if level and level > profile.h264_level + 1e-9:
            reasons.append(VIDEO_LEVEL)
            most = f"{profile.h264_level:g}, the most {profile.name} decodes"
            words.append(f"H.264 level {level:g} is above {most}")
    elif codec not in profile.codecs:
        reasons.append(VIDEO_CODEC)
        words.append(f"{codec_name(codec)} video does not play on {profile.name}")
    elif depth > profile.max_bit_depth:
        reasons.append(VIDEO_BIT_DEPTH)
        words.append(f"{depth}-bit {codec_name(codec)} is more than {profile.name} decodes")
    width, height = video.get("width") or 0, video.get("height") or 0
    if max(width, height) > profile.max_width or min(width, height) > profile.max_height:
        reasons.append(VIDEO_RESOLUTION)
        words.append(f"{width}\u00d7{height} is more than {profile.name} shows")
    if video.get("interlaced"):
        reasons.append(INTERLACED)
        words.append("interlaced video is shown with combing")
    return reasons, words

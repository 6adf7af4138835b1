"""Will it play? One verdict per file and device model, with the reason in words.

From the Default Media Receiver's published support: containers MP4, WebM,
MP3, OGG, WAV and MPEG-TS (MKV is not listed but usually plays with H.264 and
AAC, MP3 or Opus); H.264 up to level 4.1 on 1st and 2nd generation Chromecasts,
4.2 on the 3rd, 5.1 on Chromecast with Google TV; HEVC and VP9 on Ultra and
Google TV models; AV1 on the Google TV Streamer; VP8 everywhere; audio AAC, MP3,
Opus, Vorbis, FLAC and WAV; AC3, E-AC3 and DTS only by HDMI passthrough, which
usually means silence.
"""

from dataclasses import dataclass

from mediacaster.mediatypes import MEDIA_KINDS
from mediacaster.playback.decisions import codec_name, container_name

PLAYS, NO_SOUND, WONT_PLAY, UNKNOWN = "plays", "plays_without_sound", "will_not_play", "unknown"
CONVERTED = "plays_converted"
LABELS = {
    PLAYS: "Plays",
    CONVERTED: "Plays converted",
    NO_SOUND: "Plays without sound",
    WONT_PLAY: "Will not play",
    UNKNOWN: "Unknown",
}

CONTAINERS = {"mp4", "mov", "webm", "mp3", "ogg", "wav", "mpegts", "flac", "aac", "hls", "dash"}
AUDIO = {"aac", "mp3", "opus", "vorbis", "flac", "pcm"}
PASSTHROUGH_AUDIO = {"ac3", "eac3", "dts", "truehd"}


@dataclass(frozen=True)
class Profile:
    name: str
    h264_level: float
    codecs: frozenset[str]  # video codecs beyond H.264
    display: bool = True
    max_width: int = 1920  # of the longer side
    max_height: int = 1080  # of the shorter side
    max_bit_depth: int = 8  # of the codecs beyond H.264 (HEVC Main 10, VP9 profile 2)
    max_channels: int = 8  # of the sound; more is downmixed first
    containers: frozenset[str] = frozenset(CONTAINERS)
    audio: frozenset[str] = frozenset(AUDIO)  # sound codecs decoded, "pcm" for every PCM
    h264_high10: bool = False  # decodes H.264 High 10 (no Cast device does)
    segments: bool = True  # plays fMP4 segments of H.264 and AAC (HLS, DASH)
    segment_flac: bool = True  # and of FLAC, for lossless music

    def plays_audio(self, codec):
        return codec in self.audio or ("pcm" in self.audio and str(codec).startswith("pcm_"))


UHD = {"max_width": 3840, "max_height": 2160, "max_bit_depth": 10}
GEN1 = Profile("a 1st or 2nd generation Chromecast", 4.1, frozenset({"vp8"}))
ULTRA = Profile("a Chromecast Ultra", 4.2, frozenset({"vp8", "vp9", "hevc"}), **UHD)
GOOGLE_TV = Profile("a Chromecast with Google TV", 5.1, frozenset({"vp8", "vp9", "hevc"}), **UHD)
STREAMER = Profile("a Google TV Streamer", 5.1, frozenset({"vp8", "vp9", "hevc", "av1"}), **UHD)
SPEAKER = Profile("an audio device", 0, frozenset(), display=False)

# Model names as devices report them. "Chromecast" is every generation from the
# first to the 4K Google TV one, so it gets the most cautious profile.
MODELS = {
    "chromecast": GEN1,
    "chromecast ultra": ULTRA,
    "chromecast hd": GOOGLE_TV,
    "google tv streamer": STREAMER,
}


def profile_for(model, device_type):
    if device_type in ("audio", "group"):
        return SPEAKER
    return MODELS.get((model or "").strip().lower())


@dataclass(frozen=True)
class Verdict:
    verdict: str
    reason: str
    delivery: str = "direct"  # how the file reaches the device (playback.decisions.DELIVERIES)


def unjudged(probe, kind):
    """The verdict on a file there is nothing to judge of, on any target: not media,
    not read yet, or unreadable; None when its probe can be judged."""
    if kind not in MEDIA_KINDS:
        return Verdict(WONT_PLAY, "not video, audio or a picture")
    if probe is None:
        return Verdict(UNKNOWN, "the file has not been read yet")
    if not probe.get("ok"):
        return Verdict(WONT_PLAY, f"unreadable: {probe.get('error')}")
    return None


def judge(probe, kind, model, device_type, content_type=None):
    """The verdict for a file (its ``probe``, kind and content type by name) on a device."""
    early = unjudged(probe, kind)
    if early is not None:
        return early
    profile = profile_for(model, device_type)
    known = profile is not None
    profile = profile or STREAMER  # judge an unknown model by what the newest plays, then say so
    verdict = _judge(probe, kind, profile)
    actual = probe.get("content_type")
    if (
        verdict.verdict != WONT_PLAY
        and actual
        and content_type
        and actual.split("/")[1] != content_type.split("/")[1]
    ):
        verdict = Verdict(
            verdict.verdict,
            f"{verdict.reason}; it is {container_name(probe['container'])} despite its name, "
            f"cast as {actual}",
        )
    if not known and verdict.verdict == PLAYS:
        return Verdict(UNKNOWN, f"{verdict.reason}; the model {model!r} is not one whose support is known")
    return verdict


def misnamed_as(probe, content_type):
    """The content type the file really has, when its name says another container."""
    actual = (probe or {}).get("content_type")
    if actual and content_type and actual.split("/")[1] != content_type.split("/")[1]:
        return actual
    return None


def _judge(probe, kind, profile):
    container, video, audio = probe.get("container"), probe.get("video"), probe.get("audio") or []
    if kind == "image" or container == "image":
        if not profile.display:
            return Verdict(WONT_PLAY, f"{profile.name} shows no pictures")
        return Verdict(PLAYS, "a picture")
    notes = []
    if container == "matroska":
        notes.append("MKV is not on the supported list but usually plays with these codecs")
    elif container not in CONTAINERS:
        return Verdict(WONT_PLAY, f"the {container} container is not supported")
    if video:
        if not profile.display:
            return Verdict(WONT_PLAY, f"{profile.name} shows no picture")
        problem = _video_problem(video, profile)
        if problem:
            return Verdict(WONT_PLAY, problem)
    sound = audio[0]["codec"] if audio else None
    if sound in PASSTHROUGH_AUDIO:
        if not video:
            return Verdict(WONT_PLAY, f"{sound.upper()} sound plays only by HDMI passthrough")
        return Verdict(NO_SOUND, f"{sound.upper()} sound plays only by HDMI passthrough, usually silent")
    if sound and not profile.plays_audio(sound):
        if not video:
            return Verdict(WONT_PLAY, f"{sound} sound is not supported")
        return Verdict(NO_SOUND, f"{sound} sound is not supported")
    if not video and not sound:
        return Verdict(WONT_PLAY, "neither picture nor sound in it")
    return Verdict(PLAYS, "; ".join([describe(probe), *notes]))


def _video_problem(video, profile):
    codec, level = video.get("codec"), video.get("level")
    if codec == "h264":
        if level and level > profile.h264_level + 1e-9:
            return f"H.264 level {level:g} is above {profile.h264_level:g}, the most {profile.name} decodes"
        return None
    if codec in profile.codecs:
        return None
    return f"{codec_name(codec)} video does not play on {profile.name}"


def describe(probe):
    parts = []
    video = probe.get("video")
    if video:
        text = codec_name(video["codec"]) if video["codec"] != "h264" else "H.264"
        if video.get("level"):
            text += f" level {video['level']:g}"
        parts.append(text)
    for stream in (probe.get("audio") or [])[:1]:
        parts.append(f"{str(stream['codec']).upper()} sound")
    return f"{', '.join(parts)} in {container_name(probe.get('container', '?'))}"

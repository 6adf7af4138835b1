"""A typical home library, made small with real ffmpeg: the files people cast and
what each needs done on a 1st or 2nd generation Chromecast.

Each file is ``seconds`` long (picture from testsrc2, sound from sine, 48 kHz),
with groups of pictures of 2 s in the H.264 and HEVC ones, so copied video is
cut into regular segments.
"""

import os
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from mediacaster.playback.decisions import (
    AUDIO_CODEC,
    CONTAINER,
    CONVERT_ALL,
    CONVERT_AUDIO,
    DIRECT,
    INTERLACED,
    VIDEO_CODEC,
    VIDEO_LEVEL,
    VIDEO_PROFILE,
)

# libx264's ultrafast preset leaves 8x8 transforms off, which makes its output
# Constrained Baseline whatever the profile asked: turning them on makes it High.
X264 = ["-c:v", "libx264", "-preset", "ultrafast", "-g", "50", "-sc_threshold", "0"]
X264_HIGH = [*X264, "-x264-params", "8x8dct=1", "-profile:v", "high"]
X265 = ["-c:v", "libx265", "-preset", "ultrafast"]
X265 += ["-x265-params", "keyint=50:min-keyint=50:scenecut=0:log-level=none"]
AAC_STEREO = ["-c:a", "aac", "-ac", "2"]
MP4_AAC = [*AAC_STEREO, "-movflags", "+faststart"]
SVT_AV1 = ["-c:v", "libsvtav1", "-preset", "12", "-crf", "50", "-g", "50"]

# (delivery, video, audio, reasons) of decide(probe, GEN1), by the rules of
# mediacaster.playback.decisions: MKV, AVI and ASF are not containers the
# profile takes, and sound other than AAC is converted whenever the file is not
# played directly, so MP3 and Opus are converted without a reason of their own.
EXPECTED_ON_GEN1 = {
    "ac3 5.1.mkv": (CONVERT_AUDIO, "copy", "convert", (CONTAINER, AUDIO_CODEC)),
    "dts 5.1.mkv": (CONVERT_AUDIO, "copy", "convert", (CONTAINER, AUDIO_CODEC)),
    "hevc 8-bit.mkv": (CONVERT_ALL, "convert", "copy", (CONTAINER, VIDEO_CODEC)),
    # HEVC is not played at all, so its bit depth is not a reason besides.
    "hevc 10-bit eac3.mkv": (CONVERT_ALL, "convert", "convert", (CONTAINER, VIDEO_CODEC, AUDIO_CODEC)),
    "h264 high10.mkv": (CONVERT_ALL, "convert", "copy", (CONTAINER, VIDEO_PROFILE)),
    "xvid.avi": (CONVERT_ALL, "convert", "convert", (CONTAINER, VIDEO_CODEC)),
    "wmv.wmv": (CONVERT_ALL, "convert", "convert", (CONTAINER, VIDEO_CODEC, AUDIO_CODEC)),
    "dvb.ts": (CONVERT_ALL, "convert", "convert", (VIDEO_CODEC, INTERLACED, AUDIO_CODEC)),
    "h264 level 5.1.mp4": (CONVERT_ALL, "convert", "copy", (VIDEO_LEVEL,)),
    "phone.mp4": (DIRECT, "copy", "copy", ()),
    "av1.mkv": (CONVERT_ALL, "convert", "convert", (CONTAINER, VIDEO_CODEC)),
    "alac.m4a": (CONVERT_AUDIO, None, "convert", (AUDIO_CODEC,)),
    "wma.wma": (CONVERT_AUDIO, None, "convert", (CONTAINER, AUDIO_CODEC)),
    "flac.flac": (DIRECT, None, "copy", ()),
    "two languages.mkv": (CONVERT_AUDIO, "copy", "convert", (CONTAINER, AUDIO_CODEC)),
}


# The note of every file's sound, and of the second track of "two languages.mkv".
SOUND_HZ, SECOND_TRACK_HZ = 440, 1000
# What Debian's Chromium answers to the page's checks (mediacaster.playback.browsers):
# H.264 to level 5.2 and High 10, VP8/VP9/AV1 with 10-bit, no HEVC; no AC-3, E-AC-3
# or DTS; MP4, WebM, Matroska, Ogg, WAV, but neither QuickTime nor MPEG-TS files.
CHROMIUM_CAN = frozenset(
    [
        "h264",
        "h264_5.2",
        "h264_high10",
        "vp8",
        "vp9",
        "vp9_10",
        "av1",
        "av1_10",
        "aac",
        "mp3",
        "opus",
        "vorbis",
        "flac",
        "pcm",
        "mp4",
        "webm",
        "matroska",
        "ogg",
        "wav",
        "aac_file",
        "mse_h264",
        "mse_aac",
        "mse_flac",
    ]
)
# decide(probe, that browser's profile), as EXPECTED_ON_GEN1.
EXPECTED_IN_CHROMIUM = {
    "ac3 5.1.mkv": (CONVERT_AUDIO, "copy", "convert", (AUDIO_CODEC,)),
    "dts 5.1.mkv": (CONVERT_AUDIO, "copy", "convert", (AUDIO_CODEC,)),
    "hevc 8-bit.mkv": (CONVERT_ALL, "convert", "copy", (VIDEO_CODEC,)),
    "hevc 10-bit eac3.mkv": (CONVERT_ALL, "convert", "convert", (VIDEO_CODEC, AUDIO_CODEC)),
    "h264 high10.mkv": (DIRECT, "copy", "copy", ()),
    "xvid.avi": (CONVERT_ALL, "convert", "convert", (CONTAINER, VIDEO_CODEC)),
    "wmv.wmv": (CONVERT_ALL, "convert", "convert", (CONTAINER, VIDEO_CODEC, AUDIO_CODEC)),
    "dvb.ts": (CONVERT_ALL, "convert", "convert", (CONTAINER, VIDEO_CODEC, INTERLACED, AUDIO_CODEC)),
    "h264 level 5.1.mp4": (DIRECT, "copy", "copy", ()),
    "phone.mp4": (DIRECT, "copy", "copy", ()),
    "av1.mkv": (DIRECT, "copy", "copy", ()),
    "alac.m4a": (CONVERT_AUDIO, None, "convert", (AUDIO_CODEC,)),
    "wma.wma": (CONVERT_AUDIO, None, "convert", (CONTAINER, AUDIO_CODEC)),
    "flac.flac": (DIRECT, None, "copy", ()),
    "two languages.mkv": (CONVERT_AUDIO, "copy", "convert", (AUDIO_CODEC,)),
}


def ffmpeg(*args):
    binary = shutil.which("ffmpeg")
    if binary is None:
        raise RuntimeError("ffmpeg is not installed (make test installs it)")
    command = [binary, "-nostdin", "-loglevel", "error", "-y", *map(str, args)]
    # SVT-AV1 prints its banner past ffmpeg's log level, unless told by its own.
    subprocess.run(command, check=True, timeout=120, env={**os.environ, "SVT_LOG": "1"})


class Library(dict):
    """``{name: Path}`` of the files, and the ``folder`` that holds them."""

    def __init__(self, folder, files):
        super().__init__(files)
        self.folder = folder


def _commands(seconds):
    """``{name: ffmpeg arguments}`` of the set."""

    def picture(size="320x180", rate=25):
        return ["-f", "lavfi", "-i", f"testsrc2=size={size}:rate={rate}:duration={seconds}"]

    sound = ["-f", "lavfi", "-i", f"sine=frequency={SOUND_HZ}:sample_rate=48000:duration={seconds}"]
    film = [*picture(), *sound]
    return {
        "ac3 5.1.mkv": [*film, *X264_HIGH, "-level:v", "4.1", "-c:a", "ac3", "-ac", "6"],
        # ffmpeg's DTS encoder is experimental.
        "dts 5.1.mkv": [*film, *X264_HIGH, "-level:v", "4.1", "-c:a", "dca", "-strict", "-2", "-ac", "6"],
        "hevc 8-bit.mkv": [*film, *X265, "-pix_fmt", "yuv420p", *AAC_STEREO],
        "hevc 10-bit eac3.mkv": [*film, *X265, "-pix_fmt", "yuv420p10le", "-c:a", "eac3", "-ac", "6"],
        "h264 high10.mkv": [*film, *X264, "-pix_fmt", "yuv420p10le", *AAC_STEREO],
        "xvid.avi": [
            *film,
            "-c:v",
            "libxvid",
            "-q:v",
            "5",
            "-vtag",
            "XVID",
            "-c:a",
            "libmp3lame",
            "-ac",
            "2",
        ],
        "wmv.wmv": [*film, "-c:v", "wmv2", "-b:v", "500k", "-c:a", "wmav2", "-ac", "2"],
        # A DVB recording: interlaced SD, top field first, starting at an
        # arbitrary time as the broadcast's clock had it.
        "dvb.ts": [
            *picture("720x576"),
            *sound,
            "-c:v",
            "mpeg2video",
            "-b:v",
            "2M",
            "-g",
            "12",
            "-flags",
            "+ilme+ildct",
            "-top",
            "1",
            "-aspect",
            "16:9",
            "-c:a",
            "mp2",
            "-ac",
            "2",
            "-output_ts_offset",
            "10",
            "-f",
            "mpegts",
        ],
        "h264 level 5.1.mp4": [*film, *X264_HIGH, "-level:v", "5.1", *AAC_STEREO],
        "phone.mp4": [*picture("180x320"), *sound, *X264_HIGH, "-level:v", "4.1", *MP4_AAC],
        "av1.mkv": [*film, *SVT_AV1, "-c:a", "libopus", "-ac", "2"],
        "alac.m4a": [*sound, "-c:a", "alac", "-ac", "2"],
        "wma.wma": [*sound, "-c:a", "wmav2", "-ac", "2"],
        "flac.flac": [*sound, "-c:a", "flac", "-ac", "2"],
        # The second track sounds another note, so a player can tell which it plays.
        "two languages.mkv": [
            *film,
            "-f",
            "lavfi",
            "-i",
            f"sine=frequency={SECOND_TRACK_HZ}:sample_rate=48000:duration={seconds}",
            "-map",
            "0:v",
            "-map",
            "1:a",
            "-map",
            "2:a",
            *X264_HIGH,
            "-level:v",
            "4.1",
            "-c:a:0",
            "ac3",
            "-ac:a:0",
            "6",
            "-metadata:s:a:0",
            "language=eng",
            "-disposition:a:0",
            "default",
            "-c:a:1",
            "aac",
            "-ac:a:1",
            "2",
            "-metadata:s:a:1",
            "language=fra",
            "-metadata:s:a:1",
            "title=Commentaire",
            "-disposition:a:1",
            "0",
        ],
    }


def generate(folder, seconds=20):
    """Make the set in ``folder``; a :class:`Library`, ``{name: Path}``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    commands = _commands(seconds)
    # Several at a time: at these sizes most encoders keep one core busy at most.
    with ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 2)) as pool:
        runs = [pool.submit(ffmpeg, *args, folder / name) for name, args in commands.items()]
        for run in runs:
            run.result()
    return Library(folder, {name: folder / name for name in commands})

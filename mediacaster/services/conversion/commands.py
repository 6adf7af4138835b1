"""ffmpeg command lines that write a file's HLS segments from a given segment on.

One function, :func:`hls_command`, for every outcome of the playback layer's
decision (streams copied or converted) and every encoder: ``software``
(libx264, the default), ``vaapi`` (Intel and AMD on Linux), ``qsv`` (Intel
Quick Sync) and ``nvenc`` (NVIDIA). Timestamps are the source's (``-copyts``,
negative ones kept), so a segment made by a job started after a seek sits
exactly where the playlist says; segments are written under a temporary name
and renamed (``temp_file``), so a reader never sees half of one.
"""

from dataclasses import dataclass

from mediacaster.services.conversion.names import FFMPEG_PATTERN, INIT_NAME
from mediacaster.services.conversion.timeline import (
    EVERY_KEYFRAME,
    SEGMENT_SECONDS,
    force_keyframes_expression,
)
from mediacaster.settings import VIDEO_ENCODERS as ENCODERS

# Converted video: at most this size (a 1st/2nd generation Chromecast shows 1080p) and this rate.
MAX_WIDTH, MAX_HEIGHT = 1920, 1080
# H.264 level 4.1 decodes 1080p at 30 frames a second at most: faster video is made 720p.
MAX_FULL_HD_RATE = 30.5
FAST_WIDTH, FAST_HEIGHT = 1280, 720
MAX_VIDEO_BITRATE = 10_000_000
# ffmpeg seeks to 3/23 s before -ss when a stream has B-frames (its "dts heuristic"):
# a copied job's seek goes this far past its keyframe so that it lands on it.
SEEK_PAST_KEYFRAME = 3 / 23 + 0.001
AUDIO_BITRATE = "192k"
VAAPI_DEVICE = "/dev/dri/renderD128"
BURNED = "[v]"  # the filter graph's picture with image subtitles drawn in


@dataclass(frozen=True)
class Job:
    """What to make: the source, the streams and what to do with each, from where."""

    source: str  # path of the file
    video_index: int | None  # stream index, None for sound only
    video: str | None  # "copy" or "convert"
    audio_index: int | None
    audio: str | None  # "copy" or "convert"
    audio_codec: str = "aac"  # what converted sound becomes: "aac" or "flac"
    start_index: int = 0  # the first segment this job writes
    start_time: float | None = None  # where that segment starts; None: the file's start
    file_start: float = 0.0  # the source's first timestamp (MPEG-TS starts anywhere)
    origin: float = 0.0  # the source time of the job's first frame
    seek_margin: float = 0.0  # seconds to seek before the cut, then trim (files without an index)
    fps: float | None = None
    interlaced: bool = False
    bit_rate: int | None = None  # of the source's video, to stay under it
    encoder: str = "software"
    max_width: int = MAX_WIDTH
    max_height: int = MAX_HEIGHT
    burn_index: int | None = None  # image subtitles drawn into converted video
    length: float | None = None  # seconds of the source to read (one segment's job); None: to its end
    early_cut: float | None = None  # where the short first segment of converted video ends (timeline.py)


def hls_command(job, folder, seconds=SEGMENT_SECONDS):
    """The arguments after ``ffmpeg`` that write ``job``'s segments into ``folder``."""
    if job.encoder not in ENCODERS:
        raise ValueError(f"unknown encoder {job.encoder!r}; one of {', '.join(ENCODERS)}")
    convert_video = job.video == "convert"
    args = ["-nostdin", "-hide_banner", "-v", "error"]
    if convert_video and job.encoder == "vaapi":
        args += ["-vaapi_device", VAAPI_DEVICE]
    args += _seek(job)
    if job.length is not None:
        # A little past the last segment: a segment is complete once the next one begins.
        args += ["-t", f"{job.length + job.seek_margin + 1:.6f}"]
    args += ["-copyts", "-i", job.source, "-map_metadata", "-1", "-map_chapters", "-1"]
    if job.video is not None:
        args += ["-map", BURNED if job.burn_index is not None else f"0:{job.video_index}"]
    if job.audio is not None:
        args += ["-map", f"0:{job.audio_index}"]
    args += _video(job, seconds) if job.video is not None else ["-vn"]
    args += _audio(job) if job.audio is not None else ["-an"]
    args += [
        "-sn",
        "-dn",
        "-avoid_negative_ts",
        "disabled",
        "-max_muxing_queue_size",
        "4096",
        "-f",
        "hls",
        # With video, a cut at every keyframe (the timeline forces or reads them);
        # sound alone is cut every `seconds`.
        "-hls_time",
        EVERY_KEYFRAME if job.video is not None else f"{seconds:g}",
        "-hls_segment_type",
        "fmp4",
        # Each fragment carries its source time (tfdt) and the init segment no edit list
        # of the job's start: every job writes the same init, and segments of a job
        # started after a seek fit it.
        "-hls_segment_options",
        "movflags=+frag_discont",
        "-hls_playlist_type",
        "vod",
        "-hls_flags",
        "temp_file",
        "-start_number",
        str(job.start_index),
        "-hls_fmp4_init_filename",
        INIT_NAME,
        "-hls_segment_filename",
        f"{folder}/{FFMPEG_PATTERN}",
        f"{folder}/job.m3u8",
    ]
    return args


def _seek(job):
    """Input options that start the job at its segment. ``-ss`` counts from the file's
    first timestamp, and so does the trimming of an accurate seek."""
    if not _seeks(job):
        return []
    offset = job.start_time - job.file_start
    if job.video == "copy":
        # Copied video starts at the keyframe the demuxer lands on; the sound is not
        # trimmed either, so both start there.
        return ["-noaccurate_seek", "-ss", f"{offset + SEEK_PAST_KEYFRAME:.6f}"]
    if job.video == "convert":
        # Decoded from the keyframe before and trimmed: half a frame early, so the
        # frame that starts the segment is kept.
        offset -= 0.5 / (job.fps or 25)
    # Without an index (MPEG-TS) a seek can land past its point: land before, trim after.
    return ["-ss", f"{max(0.0, offset - job.seek_margin):.6f}"]


def _seeks(job):
    return job.start_time is not None and job.start_time > job.file_start + 1e-6


def _trim(job, name):
    """The filter that cuts exactly at the job's start after a seek with a margin."""
    if not (_seeks(job) and job.seek_margin):
        return []
    early = 0.5 / (job.fps or 25) if name == "trim" else 0.0
    return [f"{name}=start={job.start_time - early:.6f}"]


def _video(job, seconds):
    if job.video == "copy":
        return ["-c:v", "copy"]
    rate = min(job.bit_rate or MAX_VIDEO_BITRATE, MAX_VIDEO_BITRATE)
    keyframes = ["-force_key_frames", force_keyframes_expression(job.origin, seconds, job.early_cut)]
    # Keyframes only where forced: no scene cuts, and a maximum interval past the segment's.
    group = str(round((job.fps or 30) * seconds * 2))
    longest, shortest = job.max_width, job.max_height
    if (job.fps or 0) > MAX_FULL_HD_RATE:
        longest, shortest = min(longest, FAST_WIDTH), min(shortest, FAST_HEIGHT)
    # A box of the target's size, turned upright for portrait video (a phone's).
    size = (
        f"w='if(gte(iw,ih),min(iw,{longest}),min(iw,{shortest}))'"
        f":h='if(gte(iw,ih),min(ih,{shortest}),min(ih,{longest}))'"
        ":force_original_aspect_ratio=decrease:force_divisible_by=2"
    )
    deinterlace = [*_trim(job, "trim"), *(["yadif=mode=send_frame"] if job.interlaced else [])]
    if job.encoder == "vaapi":
        filters = [
            "format=nv12",
            "hwupload",
            f"scale_vaapi={size.replace(':force_divisible_by=2', '')}",
        ]
        codec = ["-c:v", "h264_vaapi", "-profile:v", "high", "-level", "41", "-rc_mode", "VBR"]
        codec += ["-b:v", str(rate * 3 // 4)]  # hardware encoders aim at a bit rate
    else:
        filters = [f"scale={size}", "format=yuv420p"]
        if job.encoder == "qsv":
            codec = ["-c:v", "h264_qsv", "-preset", "veryfast", "-profile:v", "high", "-level", "41"]
            codec += ["-b:v", str(rate * 3 // 4)]
        elif job.encoder == "nvenc":
            codec = [
                "-c:v",
                "h264_nvenc",
                "-preset",
                "p4",
                "-profile:v",
                "high",
                "-level",
                "4.1",
                "-forced-idr",
                "1",
                "-b:v",
                str(rate * 3 // 4),
            ]
        else:
            codec = ["-c:v", "libx264", "-preset", "veryfast", "-profile:v", "high", "-level:v", "4.1"]
            codec += ["-crf", "21", "-sc_threshold", "0"]
    return [
        *_filters(job, deinterlace, filters),
        *codec,
        "-g",
        group,
        *keyframes,
        "-maxrate",
        str(rate),
        "-bufsize",
        str(rate * 2),
        # The frames as they come: no frame made up or dropped, so cuts stay on the source's grid.
        "-fps_mode",
        "passthrough",
    ]


def _filters(job, before, after):
    """``-vf`` of the picture's filters; with subtitles to burn in, a graph that draws
    them on the picture at its own size (their canvas), between ``before`` and ``after``."""
    if job.burn_index is None:
        return ["-vf", ",".join([*before, *after])]
    picture = ",".join(before) or "null"
    graph = (
        f"[0:{job.video_index}]{picture}[picture];"
        f"[picture][0:{job.burn_index}]overlay=eof_action=pass[drawn];"
        f"[drawn]{','.join(after)}{BURNED}"
    )
    return ["-filter_complex", graph]


def _audio(job):
    if job.audio == "copy":
        return ["-c:a", "copy"]
    if job.audio_codec == "flac":
        # Lossless music stays lossless; ffmpeg 5 calls FLAC in MP4 experimental.
        return [*_trim_args(job), "-c:a", "flac", "-strict", "-2"]
    # Stereo: what every Cast device and browser decodes from AAC.
    return [*_trim_args(job), "-c:a", "aac", "-b:a", AUDIO_BITRATE, "-ac", "2"]


def _trim_args(job):
    trim = _trim(job, "atrim")
    return ["-af", trim[0]] if trim else []

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

from mediacaster.services.conversion.timeline import (
    EVERY_KEYFRAME,
    SEGMENT_SECONDS,
    force_keyframes_expression,
)

ENCODERS = ("software", "vaapi", "qsv", "nvenc")
INIT_NAME = "init.mp4"
SEGMENT_PATTERN = "%d.m4s"
# Converted video: at most this size (a 1st/2nd generation Chromecast shows 1080p) and this rate.
MAX_WIDTH, MAX_HEIGHT = 1920, 1080
MAX_VIDEO_BITRATE = 10_000_000
AUDIO_BITRATE = "192k"
VAAPI_DEVICE = "/dev/dri/renderD128"


@dataclass(frozen=True)
class Job:
    """What to make: the source, the streams and what to do with each, from where."""

    source: str  # path of the file
    video_index: int | None  # stream index, None for sound only
    video: str | None  # "copy" or "convert"
    audio_index: int | None
    audio: str | None  # "copy" or "convert"
    start_index: int = 0  # the first segment this job writes
    start_time: float | None = None  # where that segment starts; None: the file's start
    fps: float | None = None
    interlaced: bool = False
    bit_rate: int | None = None  # of the source's video, to stay under it
    encoder: str = "software"
    max_width: int = MAX_WIDTH
    max_height: int = MAX_HEIGHT


def hls_command(job, folder, seconds=SEGMENT_SECONDS):
    """The arguments after ``ffmpeg`` that write ``job``'s segments into ``folder``."""
    if job.encoder not in ENCODERS:
        raise ValueError(f"unknown encoder {job.encoder!r}; one of {', '.join(ENCODERS)}")
    convert_video = job.video == "convert"
    args = ["-nostdin", "-hide_banner", "-v", "error"]
    if convert_video and job.encoder == "vaapi":
        args += ["-vaapi_device", VAAPI_DEVICE]
    if job.start_time is not None and job.start_index > 0:
        # Before -i: a fast seek to the segment's first keyframe (copied video) or
        # decoding from the keyframe before it and dropping what precedes (converted).
        args += ["-ss", f"{job.start_time:.6f}"]
    args += ["-copyts", "-i", job.source, "-map_metadata", "-1", "-map_chapters", "-1"]
    if job.video is not None:
        args += ["-map", f"0:{job.video_index}"]
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
        "-hls_playlist_type",
        "vod",
        "-hls_flags",
        "temp_file",
        "-start_number",
        str(job.start_index),
        "-hls_fmp4_init_filename",
        INIT_NAME,
        "-hls_segment_filename",
        f"{folder}/{SEGMENT_PATTERN}",
        f"{folder}/job.m3u8",
    ]
    return args


def _video(job, seconds):
    if job.video == "copy":
        return ["-c:v", "copy"]
    rate = min(job.bit_rate or MAX_VIDEO_BITRATE, MAX_VIDEO_BITRATE)
    keyframes = ["-force_key_frames", force_keyframes_expression(seconds)]
    # Keyframes only where forced: no scene cuts, and a maximum interval past the segment's.
    group = str(round((job.fps or 30) * seconds * 2))
    size = (
        f"w='min(iw,{job.max_width})':h='min(ih,{job.max_height})'"
        ":force_original_aspect_ratio=decrease:force_divisible_by=2"
    )
    deinterlace = ["yadif=mode=send_frame"] if job.interlaced else []
    if job.encoder == "vaapi":
        filters = [
            *deinterlace,
            "format=nv12",
            "hwupload",
            f"scale_vaapi={size.replace(':force_divisible_by=2', '')}",
        ]
        codec = ["-c:v", "h264_vaapi", "-profile:v", "high", "-level", "41", "-rc_mode", "VBR"]
    else:
        filters = [*deinterlace, f"scale={size}", "format=yuv420p"]
        if job.encoder == "qsv":
            codec = ["-c:v", "h264_qsv", "-preset", "veryfast", "-profile:v", "high", "-level", "41"]
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
            ]
        else:
            codec = ["-c:v", "libx264", "-preset", "veryfast", "-profile:v", "high", "-level:v", "4.1"]
            codec += ["-crf", "21", "-sc_threshold", "0"]
    return [
        "-vf",
        ",".join(filters),
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


def _audio(job):
    if job.audio == "copy":
        return ["-c:a", "copy"]
    return ["-c:a", "aac", "-b:a", AUDIO_BITRATE, "-ac", "2"]

"""Small real media files, generated with ffmpeg, for the probe, verdict, subtitle
and picture tests."""

import shutil
import subprocess
from pathlib import Path

VIDEO = ["-f", "lavfi", "-i", "testsrc2=size=160x90:rate=15:duration=2"]
SOUND = ["-f", "lavfi", "-i", "sine=frequency=440:duration=2"]
SRT = """1
00:00:00,000 --> 00:00:01,000
Hello from the subtitles

2
00:00:01,000 --> 00:00:02,000
Café crème
"""


def ffmpeg(*args):
    binary = shutil.which("ffmpeg")
    if binary is None:
        raise RuntimeError("ffmpeg is not installed (make test installs it)")
    subprocess.run([binary, "-loglevel", "error", "-y", *args], check=True, timeout=120)


def generate(folder):
    folder = Path(folder)
    films = folder / "films"
    music = folder / "music"
    films.mkdir(parents=True)
    music.mkdir()
    h264 = ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]
    ffmpeg(
        *VIDEO,
        *SOUND,
        *h264,
        "-profile:v",
        "main",
        "-level:v",
        "4.0",
        "-c:a",
        "aac",
        films / "tail index.mp4",
    )
    ffmpeg(*VIDEO, *SOUND, *h264, "-c:a", "aac", "-movflags", "+faststart", films / "front index.mp4")
    ffmpeg(*VIDEO, *SOUND, *h264, "-level:v", "5.1", "-c:a", "aac", films / "level 5.1.mp4")
    ffmpeg(
        *VIDEO,
        *SOUND,
        "-c:v",
        "libx265",
        "-preset",
        "ultrafast",
        "-x265-params",
        "log-level=none",
        "-tag:v",
        "hvc1",
        "-c:a",
        "aac",
        films / "hevc.mp4",
    )
    ffmpeg(
        *VIDEO,
        *SOUND,
        "-c:v",
        "libvpx-vp9",
        "-deadline",
        "realtime",
        "-b:v",
        "100k",
        "-c:a",
        "libopus",
        films / "vp9.webm",
    )
    (films / "embedded.srt").write_text(SRT, encoding="utf-8")
    ffmpeg(
        *VIDEO,
        *SOUND,
        "-i",
        films / "embedded.srt",
        "-map",
        "0:v",
        "-map",
        "1:a",
        "-map",
        "2:s",
        *h264,
        "-c:a",
        "ac3",
        "-c:s",
        "srt",
        "-metadata:s:s:0",
        "language=eng",
        "-metadata:s:s:0",
        "title=English",
        films / "ac3 with subtitles.mkv",
    )
    (films / "embedded.srt").unlink()
    ffmpeg(*VIDEO, *SOUND, *h264, "-c:a", "aac", "-f", "mpegts", films / "really ts.mp4")
    # Sidecar subtitles for "tail index.mp4": UTF-8 English, Latin-1 French.
    (films / "tail index.en.srt").write_text(SRT, encoding="utf-8")
    (films / "tail index.fr.srt").write_bytes(SRT.replace("Hello from", "Bonjour des").encode("latin-1"))
    (films / "broken.mp4").write_bytes(b"this is not a video at all" * 100)
    (films / "empty.mp4").write_bytes(b"")
    (films / "truncated.mp4").write_bytes((films / "tail index.mp4").read_bytes()[:3000])
    cover = folder / "cover-source.png"
    ffmpeg("-f", "lavfi", "-i", "testsrc=size=64x64", "-frames:v", "1", cover)
    ffmpeg(
        *SOUND,
        "-i",
        cover,
        "-map",
        "0:a",
        "-map",
        "1:v",
        "-c:a",
        "libmp3lame",
        "-c:v",
        "png",
        "-disposition:v",
        "attached_pic",
        "-id3v2_version",
        "3",
        "-metadata",
        "title=Sine Song",
        "-metadata",
        "artist=The Oscillators",
        "-metadata",
        "album=Test Tones",
        music / "song.mp3",
    )
    ffmpeg(*SOUND, "-c:a", "flac", music / "tone.flac")
    cover.unlink()
    ffmpeg("-f", "lavfi", "-i", "testsrc=size=640x480", "-frames:v", "1", folder / "photo.jpg")
    return {"films": films, "music": music, "base": folder}


def long_film(path, seconds):
    """A film of ``seconds`` at one tiny grey frame a second, H.264 and AAC in MP4: long
    enough to be resumed, made in about a second, played as it is everywhere."""
    ffmpeg(
        *("-f", "lavfi", "-i", f"color=c=gray:size=64x36:rate=1:duration={seconds}"),
        *("-f", "lavfi", "-i", f"anullsrc=r=22050:cl=mono:d={seconds}"),
        *("-c:v", "libx264", "-preset", "ultrafast", "-g", "10", "-pix_fmt", "yuv420p"),
        *("-c:a", "aac", "-b:a", "16k", "-shortest", "-movflags", "+faststart"),
        str(path),
    )
    return path

"""A video's poster is made at a lower priority, from one keyframe: it is asked for
while its page starts the video, often beside the conversion of the first segment,
which the person waits for. Other pictures (an image's preview) are made at the normal
priority."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from mediacaster.services.diskcache import DiskCache
from mediacaster.services.ffmpeg import Tool
from mediacaster.services.pictures import POSTER_NICENESS, PictureService

pytestmark = pytest.mark.ffmpeg


@pytest.fixture
def pictures(tmp_path):
    """A PictureService whose ffmpeg (the real one, through a script) writes down the
    niceness it was started with: ``(service, record)``."""
    tools = tmp_path / "tools"
    tools.mkdir()
    record = tmp_path / "niceness"
    script = tools / "ffmpeg"
    # Field 19 of /proc/<pid>/stat is the process's niceness.
    script.write_text(
        f"#!/bin/sh\ncut -d' ' -f19 /proc/$$/stat >> {record}\necho \"$@\" >> {record}.args\n"
        f'exec {shutil.which("ffmpeg")} "$@"\n'
    )
    script.chmod(0o755)
    service = PictureService(DiskCache(tmp_path / "cache", 10 * 1024 * 1024), Tool("ffmpeg", str(tools)))
    return service, record


def test_a_poster_is_made_at_a_lower_priority(pictures, media_library):
    service, record = pictures
    film = media_library["films"] / "front index.mp4"
    made = service.picture(str(film), "video", {"ok": True, "duration": 2})
    assert made.endswith(".jpg")
    assert record.read_text().split() == [str(min(19, os.nice(0) + POSTER_NICENESS))]  # relative to ours


def test_an_image_preview_is_made_at_the_normal_priority(pictures, media_library):
    service, record = pictures
    service.picture(str(media_library["base"] / "photo.jpg"), "image", None)
    assert record.read_text().split() == [str(os.nice(0))]


def test_a_poster_decodes_one_keyframe(pictures, media_library):
    service, record = pictures
    made = service.picture(
        str(media_library["films"] / "front index.mp4"), "video", {"ok": True, "duration": 2}
    )
    assert Path(made).read_bytes()[:3] == b"\xff\xd8\xff"
    (run,) = (record.parent / "niceness.args").read_text().splitlines()
    assert "-skip_frame nokey -noaccurate_seek" in run


def test_a_video_without_keyframes_past_its_start_still_has_its_poster(pictures, tmp_path):
    """Intra refresh: no frame after the first is marked as a keyframe, so one keyframe
    from 10 % in gives nothing; the poster is then made from every frame."""
    service, record = pictures
    film = tmp_path / "intra refresh.ts"
    source = ["-f", "lavfi", "-i", "testsrc=d=20:s=320x180"]
    encoder = ["-c:v", "libx264", "-x264-params", "intra-refresh=1:keyint=48"]
    subprocess.run(
        [shutil.which("ffmpeg"), "-nostdin", "-loglevel", "error", *source, *encoder, str(film)], check=True
    )
    made = service.picture(str(film), "video", {"ok": True, "duration": 20})
    assert Path(made).read_bytes()[:3] == b"\xff\xd8\xff"
    runs = (record.parent / "niceness.args").read_text().splitlines()
    assert len(runs) == 2 and "-skip_frame" not in runs[1]

"""A video's poster is made at a lower priority: it is asked for while its page starts
the video, often beside the conversion of the first segment, which the person waits
for. Other pictures (an image's preview) are made at the normal priority."""

import os
import shutil

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
        f"#!/bin/sh\ncut -d' ' -f19 /proc/$$/stat >> {record}\nexec {shutil.which('ffmpeg')} \"$@\"\n"
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

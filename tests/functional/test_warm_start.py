"""An app started again on the same Redis and data folder lists a big folder from what
the one before it learnt: no file is read again by ffprobe, no row is built again."""

import os
import shutil
from urllib.parse import parse_qs, urlsplit

import pytest
import webtest
from pyramid_jinja2 import IJinja2Environment

from mediacaster.lifecycle import TEMPLATES, template_names
from mediacaster.presenters import RowCache
from tests.common.app import wait_for

MEDIA, OTHERS = 100, 150


@pytest.fixture
def big_folder(tmp_path, media_library):
    """A folder of 250 files: 100 real clips (hard links to one made by ffmpeg) and 150 notes."""
    folder = tmp_path / "big"
    folder.mkdir()
    clip = media_library["films"] / "tail index.mp4"
    for n in range(MEDIA):
        os.link(clip, folder / f"Clip {n:03d}.mp4")
    for n in range(OTHERS):
        (folder / f"Note {n:03d}.txt").write_text(f"note {n}")
    return folder


@pytest.fixture
def counted_ffprobe(tmp_path):
    """A folder for ``mediacaster.ffmpeg_dir`` whose ffprobe logs its runs, and how many of
    them read a file (others ask what it can do)."""
    tools, log = tmp_path / "tools", tmp_path / "ffprobe-runs.log"
    tools.mkdir()
    wrapper = tools / "ffprobe"
    wrapper.write_text(f'#!/bin/sh\necho "$@" >> "{log}"\nexec {shutil.which("ffprobe")} "$@"\n')
    wrapper.chmod(0o755)
    (tools / "ffmpeg").symlink_to(shutil.which("ffmpeg"))
    log.touch()
    return tools, lambda: sum("-show_streams" in line for line in log.read_text().splitlines())


def listing(app):
    return webtest.TestApp(app).get("/api/library/big").json


@pytest.mark.slow  # ffprobe reads a hundred files first
def test_a_restarted_app_lists_a_big_folder_without_reading_its_files_again(
    make_app, big_folder, counted_ffprobe, tmp_path
):
    tools, ffprobe_runs = counted_ffprobe
    settings = {
        "mediacaster.ffmpeg_dir": str(tools),
        "mediacaster.data_dir": str(tmp_path / "data"),
        "mediacaster.database_url": f"sqlite:///{tmp_path}/app.sqlite3",
    }
    app = make_app({"big": big_folder}, **settings)
    listing(app)  # the files are read in the background
    wait_for(lambda: listing(app)["probe"]["pending_here"] == 0, timeout=300, what="probes")
    assert ffprobe_runs() == MEDIA
    for _ in range(2):  # once more if the URLs' hour turned between the two listings
        before = listing(app)
        app.registry.services.close()
        app = make_app({"big": big_folder}, **settings)
        assert app.registry.services.warm.wait(60)
        after = listing(app)
        if expiry(after) == expiry(before):
            break
    assert ffprobe_runs() == MEDIA
    assert after["probe"]["pending_here"] == 0
    assert sum(e.get("probe_state") == "done" for e in after["entries"]) == MEDIA
    rows = app.registry.services.rows
    assert (rows.built, rows.restored) == (0, MEDIA + OTHERS)
    # The rows are what they were, and what building them again gives.
    assert after == before
    app.registry.services.rows = RowCache()
    assert listing(app) == after
    assert app.registry.services.rows.built == MEDIA + OTHERS


def expiry(body):
    """When the signed URLs of a listing expire (they name the hour)."""
    return parse_qs(urlsplit(body["entries"][-1]["stream_url"]).query)["exp"]


def test_the_pages_templates_are_compiled_at_the_start(app):
    assert app.registry.services.warm.wait(60)
    environment = app.registry.queryUtility(IJinja2Environment, name=".jinja2")
    compiled = {name for _, name in environment.cache}
    assert {"folder.jinja2", "file.jinja2", "base.jinja2", "macros.jinja2"} <= compiled


def test_the_templates_are_looked_through_once_and_again_when_one_changes(app):
    environment = app.registry.queryUtility(IJinja2Environment, name=".jinja2")
    names = template_names(environment)
    assert {"folder.jinja2", "base.jinja2", "macros.jinja2"} <= set(names)
    assert template_names(environment) is names  # the apps of a process parse them once
    base = TEMPLATES / "base.jinja2"
    stat = base.stat()
    try:
        os.utime(base, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
        again = template_names(environment)
        assert again is not names
        assert set(again) == set(names)
    finally:
        os.utime(base, ns=(stat.st_atime_ns, stat.st_mtime_ns))

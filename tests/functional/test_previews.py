"""Seek previews: made by real ffmpeg, offered in the DASH MPD (read with mpegdash) and as
a WebVTT thumbnail track (read with webvtt-py) whose sheets are JPEGs of the size it says,
kept within their cache's budget, and absent, without an error, when they cannot be made."""

import io
import shutil
import threading
import time
from urllib.parse import quote

import pytest
import redis
import requests
import webvtt
from mpegdash.parser import MPEGDASHParser
from PIL import Image

from mediacaster import main
from mediacaster.playback.previews import previews_of
from mediacaster.services.conversion.manifests import THUMBNAIL_TILE
from mediacaster.services.diskcache import DiskCache
from mediacaster.services.ffmpeg import Tool
from mediacaster.services.previews import PreviewService, PreviewsNotReady, PreviewsUnavailable
from mediacaster.services.probe import ProbeService
from tests.common.app import app_settings, wait_for
from tests.common.mediafiles import long_film
from tests.common.servers import LiveServer
from tests.common.typical_library import CHROMIUM_CAN

pytestmark = [pytest.mark.ffmpeg, pytest.mark.slow]

TIMEOUT = 60
CONVERTED = "hevc 8-bit.mkv"  # converted for Chromium: played through the MPD
DIRECT = "phone.mp4"  # played as it is
LONG = "long.mp4"  # 1,100 s: a picture every 10 s, two sheets of 10x10
LONG_SECONDS = 1100


@pytest.fixture(scope="module")
def library(typical_library, tmp_path_factory):
    folder = tmp_path_factory.mktemp("previews-library")
    for name in (CONVERTED, DIRECT):
        shutil.copy(typical_library[name], folder / name)
    long_film(folder / LONG, LONG_SECONDS)
    (folder / "song.flac").write_bytes(typical_library["flac.flac"].read_bytes())
    return folder


def serve(library, redis_server, data, **settings):
    app = main(
        {},
        **app_settings({"v": library}, redis_server.url, **{"mediacaster.data_dir": str(data), **settings}),
    )
    return app, LiveServer(app, threads=8)


@pytest.fixture(scope="module")
def site(library, redis_server, tmp_path_factory):
    app, server = serve(library, redis_server, tmp_path_factory.mktemp("previews-data"))
    try:
        with server:
            yield server
    finally:
        app.registry.services.close()


@pytest.fixture
def failing_site(library, redis_server, tmp_path_factory):
    """An app whose ffmpeg fails every seek preview (and does the rest for real), which
    has not tried any yet."""
    tools = tmp_path_factory.mktemp("failing-previews-tools")
    for name in ("ffmpeg", "ffprobe"):
        fail = 'case "$*" in *"tile="*) echo "Invalid data found when processing input" >&2; exit 1;; esac\n'
        (tools / name).write_text(
            f'#!/bin/sh\n{fail if name == "ffmpeg" else ""}exec {shutil.which(name)} "$@"\n'
        )
        (tools / name).chmod(0o755)
    data = tmp_path_factory.mktemp("failing-previews-data")
    app, server = serve(library, redis_server, data, **{"mediacaster.ffmpeg_dir": str(tools)})
    try:
        with server:
            yield server
    finally:
        app.registry.services.close()


def plan_of(site, name):
    url = f"{site.url}/api/playback/v/{quote(name)}"
    response = requests.get(url, params={"can": ",".join(sorted(CHROMIUM_CAN))}, timeout=TIMEOUT)
    assert response.status_code == 200, response.text
    return response.json()


def image_sets(mpd_text):
    mpd = MPEGDASHParser.parse(mpd_text)
    return [a for a in mpd.periods[0].adaptation_sets if a.content_type == "image"]


def vtt_url(site, name):
    """The file page's WebVTT thumbnail track, as the page gives it to its seek bar."""
    page = requests.get(f"{site.url}/library/v/{quote(name)}", timeout=TIMEOUT)
    assert page.status_code == 200
    marker = 'data-previews="'
    assert marker in page.text, "the page offers no seek previews"
    start = page.text.index(marker) + len(marker)
    return page.text[start : page.text.index('"', start)].replace("&amp;", "&")


def jpeg_size(url):
    response = requests.get(url, timeout=TIMEOUT)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == "image/jpeg"
    picture = Image.open(io.BytesIO(response.content))
    assert picture.format == "JPEG"
    return picture.size


def test_the_mpd_offers_the_previews_as_an_image_adaptation_set(site):
    plan = plan_of(site, CONVERTED)
    response = requests.get(plan["manifests"]["dash"], timeout=TIMEOUT)
    assert response.status_code == 200
    (images,) = image_sets(response.text)
    assert images.mime_type == "image/jpeg"
    (representation,) = images.representations
    (essential,) = representation.essential_properties
    assert essential.scheme_id_uri == THUMBNAIL_TILE and essential.value == "10x10"
    (template,) = representation.segment_templates
    # A 20 s film: a picture a second, all on the first sheet, which lasts 100 s.
    assert template.duration == 100 and template.timescale == 1 and template.start_number == 0
    sheet = template.media.replace("$Number$", "0").replace("$$", "$")
    assert jpeg_size(sheet) == (representation.width, representation.height)
    assert representation.width == 1600  # ten pictures of 160 px, the film's 16:9 kept
    assert representation.height == 900


def test_the_webvtt_track_names_every_picture_and_its_sheets_are_jpegs_of_that_size(site):
    response = requests.get(vtt_url(site, LONG), timeout=TIMEOUT)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/vtt")
    cues = list(webvtt.from_string(response.text))
    assert len(cues) == LONG_SECONDS // 10
    sheets, previous_end = {}, "00:00:00.000"
    for cue in cues:
        assert cue.start == previous_end  # one picture for every moment of the film
        previous_end = cue.end
        url, _, box = cue.text.partition("#xywh=")
        x, y, width, height = map(int, box.split(","))
        assert (width, height) == (160, 90)
        sheets.setdefault(url, []).append((x + width, y + height))
    assert previous_end == "00:18:20.000"
    assert len(sheets) == 2  # 110 pictures, 100 to a sheet
    for url, corners in sheets.items():
        size = jpeg_size(url)
        assert size == (1600, 900)
        assert all(x <= size[0] and y <= size[1] for x, y in corners)


def test_a_direct_file_has_previews_too_and_sound_has_none(site):
    assert plan_of(site, DIRECT)["manifests"] is None
    assert requests.get(vtt_url(site, DIRECT), timeout=TIMEOUT).status_code == 200
    page = requests.get(f"{site.url}/library/v/song.flac", timeout=TIMEOUT)
    assert page.status_code == 200 and "data-previews" not in page.text


def test_a_sheet_of_another_version_is_gone_and_a_stranger_name_not_found(site):
    track = vtt_url(site, DIRECT)
    sheet = webvtt.from_string(requests.get(track, timeout=TIMEOUT).text)[0].text.partition("#")[0]
    name = sheet.split("?")[0].rsplit("/", 1)[1]
    other = sheet.replace(name, "0123456789ab-0.jpg")
    assert requests.get(other, timeout=TIMEOUT).status_code == 410
    assert requests.get(sheet.replace(name, "secrets.txt"), timeout=TIMEOUT).status_code == 404
    unsigned = sheet.split("?")[0]
    assert requests.get(unsigned, timeout=TIMEOUT).status_code in (401, 403)


def test_previews_turned_off_are_offered_nowhere(library, redis_server, tmp_path):
    app, server = serve(library, redis_server, tmp_path, **{"mediacaster.previews": "false"})
    try:
        with server:
            plan = plan_of(server, CONVERTED)
            assert image_sets(requests.get(plan["manifests"]["dash"], timeout=TIMEOUT).text) == []
            page = requests.get(f"{server.url}/library/v/{quote(DIRECT)}", timeout=TIMEOUT)
            assert "data-previews" not in page.text
    finally:
        app.registry.services.close()


def test_previews_that_fail_are_no_error_to_the_player_and_offered_no_more(failing_site):
    plan = plan_of(failing_site, CONVERTED)
    assert plan["manifests"] is not None
    track = vtt_url(failing_site, CONVERTED)  # offered until tried
    cues = webvtt.from_string(requests.get(track, timeout=TIMEOUT).text)
    sheet = requests.get(cues[0].text.partition("#")[0], timeout=TIMEOUT)
    assert sheet.status_code == 404
    assert "Invalid data found when processing input" in sheet.text
    # Tried once and failed: the MPD plays without them, the page offers none.
    mpd = requests.get(plan["manifests"]["dash"], timeout=TIMEOUT)
    assert mpd.status_code == 200 and image_sets(mpd.text) == []
    assert requests.get(track, timeout=TIMEOUT).status_code == 404
    page = requests.get(f"{failing_site.url}/library/v/{quote(CONVERTED)}", timeout=TIMEOUT)
    assert page.status_code == 200 and "data-previews" not in page.text


def test_the_cache_keeps_to_its_budget(library, tmp_path, probe_of):
    """Three films' previews in a budget that holds about one set: the oldest go, the
    newest set is whole."""
    ffmpeg = Tool("ffmpeg")
    service = PreviewService(DiskCache(tmp_path / "sizes", 10**9), ffmpeg)
    sizes = []
    for name in (CONVERTED, DIRECT, LONG):
        previews = service.find(str(library / name), probe_of(library / name))
        sizes.append(sum(path.stat().st_size for path in service.make(previews)))
    budget = max(sizes[-1], sizes[-2]) + 1024
    service = PreviewService(DiskCache(tmp_path / "budget", budget), ffmpeg)
    made = []
    for name in (CONVERTED, DIRECT, LONG):
        previews = service.find(str(library / name), probe_of(library / name))
        service.start(previews).result(TIMEOUT)
        made.append(previews)
        total = sum(p.stat().st_size for p in (tmp_path / "budget").rglob("*") if p.is_file())
        assert total <= budget
    assert service.sheets(made[-1]) is not None  # the newest set is whole
    assert service.sheets(made[0]) is None  # the oldest went
    service.close()


def test_a_sheet_asked_for_while_it_is_made_is_a_retry_later(tmp_path, library, probe_of):
    service = PreviewService(DiskCache(tmp_path / "cache", 10**9), Tool("ffmpeg"))
    previews = service.find(str(library / LONG), probe_of(library / LONG))
    with pytest.raises(PreviewsNotReady) as raised:
        service.sheet(previews, 0, timeout=0)
    assert raised.value.status == 503 and raised.value.headers["Retry-After"] == "15"
    assert service.sheet(previews, 0, timeout=TIMEOUT).stat().st_size > 0  # made meanwhile
    service.close()


def test_a_file_ffmpeg_cannot_read_has_no_previews(tmp_path, library, probe_of):
    broken = tmp_path / "broken.mp4"
    broken.write_bytes((library / DIRECT).read_bytes()[:4000])
    service = PreviewService(DiskCache(tmp_path / "cache", 10**7), Tool("ffmpeg"))
    probe = probe_of(library / DIRECT)  # its length and shape, as if it had been read whole
    previews = service.find(str(broken), probe)
    with pytest.raises(PreviewsUnavailable):
        service.start(previews).result(TIMEOUT)
    with pytest.raises(PreviewsUnavailable, match="no seek previews could be made"):
        service.find(str(broken), probe)
    service.close()


class TimedTool(Tool):
    """The real ffmpeg, noting when each run starts."""

    def run(self, *args, **kwargs):
        self.started = time.monotonic()
        return super().run(*args, **kwargs)


def test_previews_wait_for_a_conversion_a_player_waits_for(tmp_path, library, probe_of):
    ffmpeg, starting = TimedTool("ffmpeg"), threading.Event()
    starting.set()  # a conversion's first segments are being made
    service = PreviewService(DiskCache(tmp_path / "cache", 10**9), ffmpeg, yield_to=starting.is_set)
    made = service.start(service.find(str(library / DIRECT), probe_of(library / DIRECT)))
    time.sleep(1.0)
    assert not made.done() and not hasattr(ffmpeg, "started")  # no ffmpeg beside the conversion's
    released = time.monotonic()
    starting.clear()
    assert made.result(TIMEOUT) and ffmpeg.started >= released
    service.close()


@pytest.fixture
def probe_of(redis_server):
    client = redis.Redis.from_url(redis_server.url)
    service = ProbeService(client, Tool("ffprobe"))
    yield lambda path: service.probe(str(path), path.stat().st_size, path.stat().st_mtime_ns)
    service.close()
    client.close()


def test_the_latest_videos_previews_are_made_in_idle_time(make_app, library):
    app = make_app(roots={"v": library}, **{"mediacaster.previews_idle_interval": "0.3"})
    services = app.registry.services
    sets = []
    for name in (CONVERTED, DIRECT, LONG):
        entry = services.library.entry("v", [name])
        sets.append(previews_of(services, entry))
    # No player asked for them: made one after another, with nothing else running.
    wait_for(lambda: all(services.previews.sheets(found) for found in sets), TIMEOUT, "the idle previews")
    assert services.idle_previews.once() == 0  # nothing left to make

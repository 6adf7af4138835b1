"""The file page's player in Debian's headless Chromium: every file of a typical
library plays and seeks, as it is or converted (Shaka Player over the DASH MPD,
and over the HLS playlists), with the sound track and the subtitles chosen on
the page, and no request leaving the app's origin.

The app runs on a real waitress with real ffmpeg; the pages' Content-Security-Policy
forbids eval, so conditions are polled with ``page.evaluate``.
"""

import contextlib
import shutil
import time
from urllib.parse import quote

import m3u8
import pytest
import requests
from mpegdash.parser import MPEGDASHParser

from mediacaster import main
from mediacaster.playback.decisions import DIRECT
from tests.common import vobsub
from tests.common.app import REPO, app_settings
from tests.common.chromium import chromium
from tests.common.servers import LiveServer
from tests.common.typical_library import (
    CHROMIUM_CAN,
    EXPECTED_IN_CHROMIUM,
    SECOND_TRACK_HZ,
    SOUND_HZ,
    ffmpeg,
)

pytestmark = [pytest.mark.browser, pytest.mark.ffmpeg]

ARTIFACTS = REPO / "test-artifacts"
NAMES = sorted(EXPECTED_IN_CHROMIUM)
CONVERTED = [name for name in NAMES if EXPECTED_IN_CHROMIUM[name][0] != DIRECT]
TIMEOUT = 60
# Cues on the file's clock; the DVB recording's clock starts 11.4 s in, its player's at 0.
BOX = (40, 120, 240, 40)  # x, y, width, height of the DVD subtitle, in the 320x180 picture
SUBTITLES = """1
00:00:12,000 --> 00:00:14,000
Twelve to fourteen

2
00:00:16,000 --> 00:00:18,000
Sixteen to eighteen
"""


@pytest.fixture(scope="module")
def library(typical_library, media_library, tmp_path_factory):
    folder = tmp_path_factory.mktemp("player-library")
    for name, path in typical_library.items():
        shutil.copy(path, folder / name)
    (folder / "dvb.en.srt").write_text(SUBTITLES)
    (folder / "phone.en.srt").write_text(SUBTITLES)
    shutil.copy(media_library["films"] / "broken.mp4", folder / "broken.mp4")
    # DVD subtitles (pictures): a white box from 12 to 14 s, in an MKV that plays as it is.
    vobsub.write(folder / ".dvd", [(2.0, 4.0, BOX), (12.0, 14.0, BOX)])
    ffmpeg(
        "-i", typical_library["two languages.mkv"], "-i", folder / ".dvd.idx",
        "-map", "0:v", "-map", "0:a:1", "-map", "1", "-c", "copy", folder / "dvd subtitles.mkv",
    )  # fmt: skip
    return folder


@contextlib.contextmanager
def serving(library, redis_server, data, **settings):
    """The app over ``library`` on a real waitress, with a data folder of its own."""
    settings = {"mediacaster.data_dir": str(data), **settings}
    app = main({}, **app_settings({"typical": library}, redis_server.url, **settings))
    try:
        with LiveServer(app, threads=8) as server:
            yield server
    finally:
        app.registry.services.close()


@pytest.fixture(scope="module")
def site(library, redis_server, tmp_path_factory):
    with serving(library, redis_server, tmp_path_factory.mktemp("player-data")) as server:
        yield server


@pytest.fixture(scope="module")
def browser():
    with chromium("--autoplay-policy=no-user-gesture-required") as browser:
        yield browser


@pytest.fixture
def page(browser, site):
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    page = context.new_page()
    fetched, errors = [], []
    page.on("request", lambda request: fetched.append(request.url))
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        yield page
    finally:
        context.close()
    assert not errors
    # Everything the page fetched came from the app (Shaka Player included), or from itself.
    assert fetched and all(url.startswith((site.url + "/", "blob:", "data:")) for url in fetched), fetched


@pytest.fixture(scope="module")
def failing_site(library, redis_server, tmp_path_factory):
    """An app whose ffmpeg fails every conversion (and does the rest, posters, for real)."""
    tools = tmp_path_factory.mktemp("failing-tools")
    for name in ("ffmpeg", "ffprobe"):
        real = shutil.which(name)
        fail = 'case "$*" in *"-f hls"*) echo "Decoder not found for this stream" >&2; exit 1;; esac\n'
        (tools / name).write_text(f'#!/bin/sh\n{fail if name == "ffmpeg" else ""}exec {real} "$@"\n')
        (tools / name).chmod(0o755)
    data = tmp_path_factory.mktemp("failing-data")
    with serving(library, redis_server, data, **{"mediacaster.ffmpeg_dir": str(tools)}) as server:
        yield server


def until(page, expression, timeout=TIMEOUT, what=None):
    """Poll ``expression`` in the page until it is true; its value on timeout fails the test."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            state = page.evaluate("document.getElementById('player-state').textContent")
            pytest.fail(f"{what or expression} did not happen in {timeout} s; the page says: {state}")
        time.sleep(0.05)


def open_file(page, site, name, query=""):
    """Open the file page of ``name`` and wait until its player is ready; its state line."""
    page.goto(f"{site.url}/library/typical/{quote(name)}{query}")
    until(
        page,
        "(() => { const box = document.getElementById('player-box');"
        " return box.dataset.manifest !== undefined || document.getElementById('player-state').dataset.kind"
        " === 'error'; })()",
        what="the player getting ready",
    )
    state = page.evaluate(
        "[document.getElementById('player-state').dataset.kind, document.getElementById("
        "'player-state').textContent]"
    )
    assert state[0] != "error", state[1]
    return state[1]


def current_time(page):
    return page.evaluate("document.getElementById('player').currentTime")


def plays_from(page, position, seconds=1.0):
    """The player plays on from ``position`` for ``seconds`` of media."""
    until(
        page,
        f"(() => {{ const v = document.getElementById('player');"
        f" return !v.paused && v.currentTime > {position + seconds}; }})()",
        what=f"playing on from {position:.1f} s",
    )


def seek(page, position):
    page.evaluate(f"document.getElementById('player').currentTime = {position}")


def until_delivery(page, delivery):
    until(page, f"document.getElementById('player-box').dataset.delivery === '{delivery}'", what=delivery)


def box(page, key):
    return page.evaluate(f"document.getElementById('player-box').dataset.{key}")


@pytest.mark.parametrize("name", NAMES)
def test_every_file_plays_and_seeks_in_the_page(page, site, name):
    said = open_file(page, site, name)
    delivery = EXPECTED_IN_CHROMIUM[name][0]
    assert box(page, "delivery") == delivery
    assert box(page, "manifest") == ("file" if delivery == DIRECT else "dash")
    page.evaluate("void document.getElementById('player').play()")
    plays_from(page, 0)
    duration = page.evaluate("document.getElementById('player').duration")
    assert duration == pytest.approx(20, abs=0.5)
    seek(page, duration * 0.6)
    plays_from(page, duration * 0.6)
    said = page.evaluate("document.getElementById('player-state').textContent")
    if delivery == DIRECT:
        assert said.startswith("Plays as it is: ")
    else:
        assert said.startswith(("Plays after converting", "Plays after repackaging")), said
    if name == "hevc 10-bit eac3.mkv":
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "player-converted.png"))


@pytest.mark.parametrize("name", CONVERTED)
def test_converted_files_play_from_the_hls_playlists_too(page, site, name):
    open_file(page, site, name, "?manifest=hls")
    assert box(page, "manifest") == "hls"
    page.evaluate("void document.getElementById('player').play()")
    plays_from(page, 0)
    seek(page, 12)
    plays_from(page, 12)


def test_the_page_says_what_is_converted_and_why(page, site):
    said = open_file(page, site, "ac3 5.1.mkv")
    assert said == "Plays after converting the sound: AC-3 sound is not decoded by this browser. Ready."
    said = open_file(page, site, "dvb.ts")
    assert said.startswith("Plays after converting: MPEG-2 video does not play on this browser;")


def test_a_file_that_will_not_play_says_why_in_words(page, site):
    page.goto(f"{site.url}/library/typical/broken.mp4")
    until(page, "document.getElementById('player-state').dataset.kind === 'error'", what="an error shown")
    said = page.evaluate("document.getElementById('player-state').textContent")
    assert said.startswith("This file will not play here: unreadable: "), said


def test_a_failed_conversion_says_ffmpegs_reason_at_once(browser, failing_site):
    page = browser.new_page()
    segments = []
    page.on("request", lambda request: "/segment/" in request.url and segments.append(request.url))
    try:
        page.goto(f"{failing_site.url}/library/typical/{quote('ac3 5.1.mkv')}?play=1")
        until(page, "document.getElementById('player-state').dataset.kind === 'error'", what="an error shown")
        said = page.evaluate("document.getElementById('player-state').textContent")
        assert said.startswith("The conversion failed: "), said
        assert "Decoder not found for this stream" in said
        # Said at once: a failed conversion is not asked for again and again.
        assert len([url for url in segments if "/init.mp4?" in url]) == 1, segments
    finally:
        page.close()


def test_a_link_resumes_at_a_position_and_plays(page, site):
    open_file(page, site, "hevc 8-bit.mkv", "?t=12&play=1")
    plays_from(page, 12)
    assert current_time(page) < 16  # from 12 s, not from the start


# -- sound tracks ---------------------------------------------------------------------

LOUDEST = """(() => {
  const v = document.getElementById('player');
  if (!window.__analyser) {
    const context = new AudioContext();
    const source = context.createMediaElementSource(v);
    window.__analyser = context.createAnalyser();
    window.__analyser.fftSize = 8192;
    source.connect(window.__analyser);
    window.__analyser.connect(context.destination);
    window.__rate = context.sampleRate;
  }
  const bins = new Float32Array(window.__analyser.frequencyBinCount);
  window.__analyser.getFloatFrequencyData(bins);
  let best = 0;
  for (let i = 1; i < bins.length; i++) if (bins[i] > bins[best]) best = i;
  return bins[best] > -90 ? best * window.__rate / window.__analyser.fftSize : null;
})()"""


def loudest(page, near, timeout=20):
    """Wait until the note heard is ``near`` Hz (within 3 %); what was heard last."""
    deadline, heard = time.monotonic() + timeout, None
    while time.monotonic() < deadline:
        heard = page.evaluate(LOUDEST)
        if heard and abs(heard - near) < near * 0.03:
            return heard
        time.sleep(0.1)
    pytest.fail(f"heard {heard} Hz, not {near} Hz")


def test_choosing_another_sound_track_changes_what_plays(page, site):
    open_file(page, site, "two languages.mkv")
    options = page.evaluate(
        "Array.from(document.getElementById('audio-track').options).map(o => [o.value, o.text, o.selected])"
    )
    assert options == [
        ["1", "ENG (AC-3 5.1)", True],
        ["2", "Commentaire (AAC stereo)", False],
    ]
    assert page.is_visible("#audio-track")
    page.evaluate(LOUDEST)  # listen before it plays
    page.evaluate("void document.getElementById('player').play()")
    plays_from(page, 0)
    loudest(page, SOUND_HZ)
    position = current_time(page)
    page.select_option("#audio-track", "2")
    until_delivery(page, "remux")
    plays_from(page, position)
    loudest(page, SECOND_TRACK_HZ)
    assert current_time(page) > position  # went on from where it was, not from the start
    said = page.evaluate("document.getElementById('player-state').textContent")
    assert "a sound track other than the file's default is chosen" in said


# -- subtitles ----------------------------------------------------------------------------

SHOWN_CUES = """(() => {
  const texts = [];
  for (const track of document.getElementById('player').textTracks) {
    if (track.mode !== 'showing') continue;
    for (const cue of Array.from(track.activeCues || [])) texts.push(cue.text);
  }
  return texts;
})()"""


@pytest.mark.parametrize("name", ["dvb.ts", "phone.mp4"])
def test_a_subtitle_cue_shows_at_its_time_after_a_seek(page, site, name):
    open_file(page, site, name)
    options = page.evaluate("Array.from(document.getElementById('subtitle-track').options).map(o => o.text)")
    assert options == ["Off", "English"], options
    page.select_option("#subtitle-track", label="English")
    page.evaluate("void document.getElementById('player').play()")
    plays_from(page, 0)
    seek(page, 12.3)
    until(page, f"{SHOWN_CUES}.includes('Twelve to fourteen')", what="the cue of 12-14 s")
    assert 12 <= current_time(page) < 14.2
    until(page, f"{SHOWN_CUES}.length === 0", what="the cue ending at 14 s")
    assert current_time(page) >= 13.9
    seek(page, 16.5)
    until(page, f"{SHOWN_CUES}.includes('Sixteen to eighteen')", what="the cue of 16-18 s")
    page.select_option("#subtitle-track", label="Off")
    until(page, f"{SHOWN_CUES}.length === 0", what="no cue once turned off")


# Whether the picture shown at the middle of the subtitle box is white.
BOX_IS_WHITE = f"""(() => {{
  const v = document.getElementById('player');
  const canvas = document.createElement('canvas');
  canvas.width = v.videoWidth; canvas.height = v.videoHeight;
  const context = canvas.getContext('2d');
  context.drawImage(v, 0, 0);
  const [r, g, b] = context.getImageData({BOX[0] + BOX[2] // 2}, {BOX[1] + BOX[3] // 2}, 1, 1).data;
  return Math.min(r, g, b) > 215;
}})()"""


def test_image_subtitles_are_drawn_into_the_picture_when_chosen(page, site):
    open_file(page, site, "dvd subtitles.mkv")
    assert box(page, "delivery") == DIRECT  # H.264 and AAC in MKV: as it is, until subtitles are chosen
    options = page.evaluate("Array.from(document.getElementById('subtitle-track').options).map(o => o.text)")
    assert options == ["Off", "EN (DVD, drawn into the picture)"]
    page.evaluate("void document.getElementById('player').play()")
    plays_from(page, 0)
    page.select_option("#subtitle-track", label="EN (DVD, drawn into the picture)")
    until_delivery(page, "convert_all")
    seek(page, 12.3)
    plays_from(page, 12.3, 0.3)
    assert page.evaluate(BOX_IS_WHITE), "no subtitle drawn at 12-14 s"
    seek(page, 8)
    plays_from(page, 8, 0.3)
    assert not page.evaluate(BOX_IS_WHITE), "a subtitle drawn where there is none"
    said = page.evaluate("document.getElementById('player-state').textContent")
    assert "the chosen subtitles are pictures, drawn into the video" in said
    # Turned off: the file as it is again.
    page.select_option("#subtitle-track", label="Off")
    until_delivery(page, "direct")


# -- manifests over HTTP --------------------------------------------------------------------


def plan_of(site, name, **query):
    url = f"{site.url}/api/playback/typical/{quote(name)}"
    response = requests.get(url, params={"can": ",".join(sorted(CHROMIUM_CAN)), **query}, timeout=TIMEOUT)
    assert response.status_code == 200, response.text
    return response.json()


def mpd_segments(text):
    """``(init URL, [(start ms, duration ms, URL)…])`` of a static MPD's one Representation."""
    mpd = MPEGDASHParser.parse(text)
    assert mpd.type == "static"
    # The media's one adaptation set; a video's seek previews are another (test_previews.py).
    (adaptation,) = [a for a in mpd.periods[0].adaptation_sets if a.content_type != "image"]
    (representation,) = adaptation.representations
    template = adaptation.segment_templates[0] if adaptation.segment_templates else None
    template = template or representation.segment_templates[0]
    segments, number, t = [], template.start_number, None
    for s in template.segment_timelines[0].Ss:
        t = s.t if s.t is not None else t
        for _ in range((s.r or 0) + 1):
            url = template.media.replace("$Number$", str(number)).replace("$$", "$")
            segments.append((t, s.d, url))
            t, number = t + s.d, number + 1
    return template.initialization.replace("$$", "$"), segments, template


@pytest.mark.parametrize("name", CONVERTED)
def test_the_dash_and_hls_manifests_list_the_same_segments(site, name):
    plan = plan_of(site, name)
    assert plan["delivery"] == EXPECTED_IN_CHROMIUM[name][0]
    mpd = requests.get(plan["manifests"]["dash"], timeout=TIMEOUT)
    assert mpd.status_code == 200 and mpd.headers["Content-Type"].startswith("application/dash+xml")
    init, segments, template = mpd_segments(mpd.text)
    master = m3u8.loads(requests.get(plan["manifests"]["hls"], timeout=TIMEOUT).text)
    assert master.is_variant and len(master.playlists) == 1
    codecs = master.playlists[0].stream_info.codecs
    assert codecs and codecs.split(",")[-1] in ("mp4a.40.2", "flac")
    media = m3u8.loads(requests.get(master.playlists[0].absolute_uri, timeout=TIMEOUT).text)
    assert media.is_endlist and media.playlist_type == "vod"
    # One list of cuts: same count, same lengths (the MPD's in whole milliseconds).
    assert len(segments) == len(media.segments)
    for (_, duration, _), segment in zip(segments, media.segments, strict=True):
        assert duration == pytest.approx(segment.duration * 1000, abs=1)
    assert sum(d for _, d, _ in segments) / 1000 == pytest.approx(20, abs=0.5)
    # The presentation starts where the file does: at or before the first cut.
    assert template.presentation_time_offset <= segments[0][0]
    # And the same bytes: the init segment and a segment after the middle, from either list.
    assert init == media.segment_map[0].absolute_uri
    middle = len(segments) * 2 // 3
    assert segments[middle][2] == media.segments[middle].absolute_uri
    body = requests.get(segments[middle][2], timeout=TIMEOUT)
    assert body.status_code == 200 and body.content[4:8] in (b"styp", b"moof")

"""The playback layer over a real LibraryService on files made here.

The probe, subtitle and picture services and the URL builder are stand-ins that
answer from tables and record what they were asked: the app's probe service
needs Redis and ffprobe, and what is tested here is what Playback does with
their answers.
"""

import os

import pytest

from mediacaster.errors import NotFound
from mediacaster.playback import DIRECT, Plan, Playback, SubtitleTrack, Target
from mediacaster.playback.verdicts import NO_SOUND, PLAYS, UNKNOWN, WONT_PLAY, Verdict
from mediacaster.services.cast.model import CastMedia, Device, Track
from mediacaster.services.library import LibraryService
from mediacaster.services.probe import TEXT_SUBTITLES, parse
from tests.common.probes import probed

# -- probes as mediacaster.services.probe.parse returns them --------------------


def subtitle_stream(index, codec, language=None, title=None):
    return {
        "index": index,
        "codec": codec,
        "language": language,
        "title": title,
        "text": codec in TEXT_SUBTITLES,
    }


UNREADABLE = {"ok": False, "error": "not readable as media (Invalid data found when processing input)"}

# What the stand-in ffprobe says of each file, by name.
PROBES = {
    "film.mp4": probed(
        "mp4",
        "h264",
        4.0,
        ["aac"],
        subtitles=[
            subtitle_stream(2, "subrip", "spa"),
            subtitle_stream(3, "hdmv_pgs_subtitle", "eng"),  # a picture track: not text
            subtitle_stream(4, "mov_text", title="Commentary"),
        ],
        tags={"title": "A Film"},
    ),
    "hevc.mp4": probed("mp4", "hevc", 4.0, ["aac"]),
    "dolby.mp4": probed("mp4", "h264", 4.0, ["ac3"]),
    "misnamed.mp4": probed("mpegts", "h264", 4.0, ["aac"]),
    "broken.mp4": UNREADABLE,
    "book.m4a": probed("mp4", audio=["aac"], tags={"title": "Chapter One"}),
    "photo.jpg": probed("image"),
    "cover.jpg": probed("image"),
    "Folder.PNG": probed("image"),
    "song.mp3": probed(
        "mp3",
        audio=["mp3"],
        subtitles=[subtitle_stream(1, "text", "eng")],  # lyrics: audio has no subtitle tracks
        tags={"title": "Song Title", "artist": "The Band", "album": "The Album"},
    ),
    "track.mp3": probed("mp3", audio=["mp3"], tags={"artist": "Solo"}),
    "art.mp3": probed("mp3", audio=["mp3"], picture=True),
    "tune.mp3": probed("mp3", audio=["mp3"]),
    "loud.mp3": probed("mp3", audio=["mp3"]),
    "notes.txt": UNREADABLE,  # never asked for: what is not media is not read
}


def test_the_hand_made_probes_have_the_shape_parse_returns():
    data = {
        "format": {"format_name": "mov,mp4,m4a,3gp,3g2,mj2", "tags": {"title": "A Film"}},
        "streams": [
            {"codec_type": "video", "codec_name": "h264", "level": 40},
            {"codec_type": "audio", "codec_name": "aac"},
            {"index": 2, "codec_type": "subtitle", "codec_name": "subrip", "tags": {"language": "spa"}},
        ],
    }
    real = parse(data, "film.mp4")
    made = PROBES["film.mp4"]
    assert set(made) == set(real)
    assert set(made["video"]) == set(real["video"])
    assert set(made["audio"][0]) == set(real["audio"][0])
    assert made["subtitles"][0] == real["subtitles"][0]
    assert (made["container"], made["content_type"], made["tags"]) == (
        real["container"],
        real["content_type"],
        real["tags"],
    )


# -- stand-ins ---------------------------------------------------------------------


class StandInProbe:
    """The probe service's interface: answers from PROBES, caches what it is given to cache."""

    def __init__(self, available=True):
        self.available = available
        self.cache = {}  # (path, size, mtime_ns) -> probe
        self.probed = []
        self.scheduled = []

    def cached_many(self, files):
        return {file: self.cache[file] for file in files if file in self.cache}

    def schedule(self, path, size, mtime_ns):
        if not self.available:
            return False
        self.scheduled.append((path, size, mtime_ns))
        return True

    def probe(self, path, size, mtime_ns):
        self.probed.append((path, size, mtime_ns))
        if not self.available:
            return None
        return self.cache.get((path, size, mtime_ns)) or PROBES[os.path.basename(path)]

    def state(self):
        return {"available": self.available, "detail": None, "pending": len(self.scheduled)}


class StandInSubtitles:
    def __init__(self):
        self.converted = []

    def webvtt(self, video_path, video_st, track):
        self.converted.append((video_path, video_st.st_size, track.key))
        return b"WEBVTT\n\n00:00.000 --> 00:01.000\n" + track.key.encode() + b"\n"


class StandInPictures:
    def __init__(self):
        self.made = []

    def picture(self, path, kind, probe, folder_names=(), screen=None):
        self.made.append((path, kind, probe, sorted(folder_names)))
        return "/cache/pictures/made.jpg"


class StandInUrls:
    def stream(self, entry):
        return f"/media/{entry.root}/{entry.path}?sig=s"

    def picture(self, entry):
        return f"/picture/{entry.root}/{entry.path}?sig=s"

    def subtitles(self, entry, track_id):
        return f"/subtitles/{entry.root}/{entry.path}?sig=s&track={track_id}"


URLS = StandInUrls()


def on(model, device_type):
    return Target.device(Device("id", f"the {model}", model, device_type, "10.0.0.2", 8009, 0.0, True))


BROWSER = Target.browser()
CHROMECAST = on("Chromecast", "cast")
SPEAKER = on("Google Home Mini", "audio")
NEST_HUB = on("Google Nest Hub", "cast")  # a model whose support is not known


# -- the library on disk --------------------------------------------------------------

FILES = [
    "film.mp4",
    "film.en.srt",
    "film.fr.srt",
    ".film.de.srt",  # a dot file: hidden
    "subs/film.es.srt",  # linked from the root: a symlink that stays inside
    "trailer.en.srt",  # another video's
    "hevc.mp4",
    "dolby.mp4",
    "misnamed.mp4",
    "broken.mp4",
    "book.m4a",
    "photo.jpg",
    "notes.txt",
    "album/song.mp3",
    "album/cover.jpg",
    "album/liner-notes.txt",
    "singles/track.mp3",
    "singles/art.mp3",
    "linked/tune.mp3",
    "shouting/loud.mp3",
    "shouting/Folder.PNG",
]
OUTSIDE = ["film.it.srt", "cover.jpg"]
# link inside the root -> where it points, from the directory holding both root and outside
LINKS = {
    "film.es.srt": "library/subs/film.es.srt",
    "film.it.srt": "outside/film.it.srt",
    "linked/cover.jpg": "outside/cover.jpg",
}
ROOT_MEDIA = {"film.mp4", "hevc.mp4", "dolby.mp4", "misnamed.mp4", "broken.mp4", "book.m4a", "photo.jpg"}


@pytest.fixture(scope="module")
def library(tmp_path_factory):
    top = tmp_path_factory.mktemp("playback")
    for name in FILES:
        (top / "library" / name).parent.mkdir(parents=True, exist_ok=True)
        (top / "library" / name).write_bytes(b"x" * (len(name) + 10))
    for name in OUTSIDE:
        (top / "outside").mkdir(exist_ok=True)
        (top / "outside" / name).write_bytes(b"outside the root")
    for link, target in LINKS.items():
        os.symlink(top / target, top / "library" / link)
    return LibraryService({"media": str(top / "library")})


def at(library, path):
    return library.entry("media", tuple(path.split("/")))


@pytest.fixture
def probe():
    return StandInProbe()


@pytest.fixture
def playback(library, probe):
    return Playback(library, probe, StandInSubtitles(), StandInPictures())


def cached(probe, library, *paths):
    """Put the probes of ``paths`` in the stand-in's cache, as a background probe would."""
    for path in paths:
        probe.cache[library.file_key(at(library, path))] = PROBES[path.rsplit("/", 1)[-1]]


# -- targets and verdicts ----------------------------------------------------------------


def test_a_device_target_is_named_by_its_device_and_the_browser_is_not_a_device():
    assert (CHROMECAST.name, CHROMECAST.model, CHROMECAST.device_type) == (
        "the Chromecast",
        "Chromecast",
        "cast",
    )
    assert CHROMECAST.is_device and SPEAKER.is_device
    assert not BROWSER.is_device


@pytest.mark.parametrize(
    "path", ["film.mp4", "hevc.mp4", "broken.mp4", "album/song.mp3", "photo.jpg", "notes.txt", "album"]
)
@pytest.mark.parametrize("wait", [True, False])
def test_the_browser_gets_an_unknown_verdict_with_its_reason_and_is_never_refused(
    playback, library, path, wait
):
    plan = playback.plan(at(library, path), BROWSER, URLS, wait=wait)
    assert plan.verdict == Verdict(UNKNOWN, "this browser tries the file as it is")
    assert plan.will_not_play is False


@pytest.mark.parametrize(
    ("target", "path", "verdict", "reason", "will_not_play"),
    [
        (CHROMECAST, "film.mp4", PLAYS, "H.264 level 4, AAC sound in MP4", False),
        (CHROMECAST, "hevc.mp4", WONT_PLAY, "HEVC (H.265) video does not play on a 1st or 2nd", True),
        (CHROMECAST, "dolby.mp4", NO_SOUND, "AC3 sound plays only by HDMI passthrough", False),
        (CHROMECAST, "misnamed.mp4", PLAYS, "it is MPEG-TS despite its name, cast as video/mp2t", False),
        (CHROMECAST, "broken.mp4", WONT_PLAY, "unreadable: not readable as media", True),
        (CHROMECAST, "photo.jpg", PLAYS, "a picture", False),
        (CHROMECAST, "album/song.mp3", PLAYS, "MP3 sound in MP3", False),
        (CHROMECAST, "notes.txt", WONT_PLAY, "not video, audio or a picture", False),
        (CHROMECAST, "album", WONT_PLAY, "not video, audio or a picture", False),
        (SPEAKER, "film.mp4", WONT_PLAY, "an audio device shows no picture", True),
        (SPEAKER, "album/song.mp3", PLAYS, "MP3 sound in MP3", False),
        (
            NEST_HUB,
            "film.mp4",
            UNKNOWN,
            "the model 'Google Nest Hub' is not one whose support is known",
            False,
        ),
    ],
)
def test_a_device_gets_the_verdict_of_its_model_and_type_and_will_not_play_only_for_media(
    playback, library, target, path, verdict, reason, will_not_play
):
    plan = playback.plan(at(library, path), target, URLS)
    assert plan.verdict.verdict == verdict
    assert reason in plan.verdict.reason
    assert plan.will_not_play is will_not_play


@pytest.mark.parametrize("wait", [True, False])
def test_a_text_file_is_never_will_not_play_even_with_an_unreadable_probe_at_hand(
    playback, library, probe, wait
):
    cached(probe, library, "notes.txt")  # an unreadable probe is there for the taking
    plan = playback.plan(at(library, "notes.txt"), CHROMECAST, URLS, wait=wait)
    assert plan.verdict.verdict == WONT_PLAY
    assert plan.will_not_play is False
    assert (plan.probe, plan.probe_state) == (None, None)
    assert (probe.probed, probe.scheduled) == ([], [])


# Every entry of the library: what a listing shows, and its folders.
ENTRIES = [*(path for path in FILES if not path.startswith(".")), "film.es.srt", "album", "subs"]


@pytest.mark.parametrize("path", ENTRIES)
def test_plan_never_raises_whatever_the_file_target_way_of_reading_and_ffprobe(library, path):
    entry = at(library, path)
    for target in (BROWSER, CHROMECAST, SPEAKER, NEST_HUB):
        for available in (True, False):
            for wait, warm in ((True, False), (False, True), (False, False)):
                probe = StandInProbe(available)
                if warm and entry.is_media:
                    cached(probe, library, path)
                playback = Playback(library, probe, StandInSubtitles(), StandInPictures())
                assert isinstance(playback.plan(entry, target, URLS, wait=wait), Plan)


# -- reading the file: now, from the cache or in the background ------------------------------


def test_wait_reads_the_probe_now_once(playback, library, probe):
    film = at(library, "film.mp4")
    plan = playback.plan(film, CHROMECAST, URLS, wait=True)
    assert probe.probed == [library.file_key(film)]
    assert probe.scheduled == []
    assert (plan.probe_state, plan.probe) == ("done", PROBES["film.mp4"])


def test_without_wait_a_cached_probe_is_used_and_probe_is_never_called(playback, library, probe):
    cached(probe, library, "hevc.mp4")
    plan = playback.plan(at(library, "hevc.mp4"), CHROMECAST, URLS, wait=False)
    assert (plan.probe_state, plan.probe) == ("done", PROBES["hevc.mp4"])
    assert plan.will_not_play is True
    assert (probe.probed, probe.scheduled) == ([], [])


def test_without_wait_an_unread_file_is_scheduled_and_pending(playback, library, probe):
    hevc = at(library, "hevc.mp4")
    plan = playback.plan(hevc, CHROMECAST, URLS, wait=False)
    assert (plan.probe_state, plan.probe) == ("pending", None)
    assert probe.scheduled == [library.file_key(hevc)]
    assert probe.probed == []
    assert plan.verdict == Verdict(UNKNOWN, "the file has not been read yet")
    assert plan.will_not_play is False


@pytest.mark.parametrize("wait", [True, False])
def test_without_ffprobe_the_state_is_unavailable_and_nothing_is_scheduled(library, wait):
    probe = StandInProbe(available=False)
    playback = Playback(library, probe, StandInSubtitles(), StandInPictures())
    plan = playback.plan(at(library, "hevc.mp4"), CHROMECAST, URLS, wait=wait)
    assert (plan.probe_state, plan.probe) == ("unavailable", None)
    assert plan.verdict.verdict == UNKNOWN
    assert plan.will_not_play is False
    assert probe.scheduled == []
    assert len(probe.probed) <= (1 if wait else 0)


@pytest.mark.parametrize("path", ["notes.txt", "film.en.srt", "album"])
@pytest.mark.parametrize("wait", [True, False])
@pytest.mark.parametrize("available", [True, False])
def test_what_is_not_media_has_no_probe_state_and_is_not_read(library, path, wait, available):
    probe = StandInProbe(available)
    plan = Playback(library, probe, StandInSubtitles(), StandInPictures()).plan(
        at(library, path), BROWSER, URLS, wait=wait
    )
    assert (plan.probe_state, plan.probe) == (None, None)
    assert (probe.probed, probe.scheduled) == ([], [])


# -- what the target is told ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "wait", "content_type"),
    [
        ("misnamed.mp4", True, "video/mp2t"),  # the name lies: it is MPEG-TS
        ("misnamed.mp4", False, "video/mp4"),  # not read yet: the name is all there is
        ("film.mp4", True, "video/mp4"),
        ("broken.mp4", True, "video/mp4"),
        ("book.m4a", True, "audio/mp4"),  # probed as "mp4" (video/mp4): the same container
        ("photo.jpg", True, "image/jpeg"),
        ("album/song.mp3", True, "audio/mpeg"),
    ],
)
def test_the_content_type_is_the_probed_one_when_the_name_lies(playback, library, path, wait, content_type):
    plan = playback.plan(at(library, path), CHROMECAST, URLS, wait=wait)
    assert plan.content_type == content_type
    assert plan.cast_media().content_type == content_type


@pytest.mark.parametrize(
    ("path", "wait", "title", "artist", "album"),
    [
        ("film.mp4", True, "A Film", None, None),
        ("film.mp4", False, "film", None, None),  # not read yet
        ("hevc.mp4", True, "hevc", None, None),
        ("broken.mp4", True, "broken", None, None),
        ("album/song.mp3", True, "Song Title", "The Band", "The Album"),
        ("singles/track.mp3", True, "track", "Solo", None),
        ("book.m4a", True, "Chapter One", None, None),
        ("notes.txt", True, "notes", None, None),
    ],
)
def test_the_title_comes_from_the_tags_else_the_file_name_and_audio_has_artist_and_album(
    playback, library, path, wait, title, artist, album
):
    plan = playback.plan(at(library, path), BROWSER, URLS, wait=wait)
    assert (plan.title, plan.artist, plan.album) == (title, artist, album)


@pytest.mark.parametrize(
    ("path", "available", "has_picture"),
    [
        ("film.mp4", True, True),
        ("film.mp4", False, True),  # a frame of it, read or not
        ("broken.mp4", True, True),
        ("photo.jpg", True, True),
        ("photo.jpg", False, True),
        ("album/song.mp3", True, True),  # cover.jpg beside it
        ("album/song.mp3", False, True),
        ("shouting/loud.mp3", True, True),  # Folder.PNG: names compared in lower case
        ("singles/art.mp3", True, True),  # a picture embedded in it
        ("singles/art.mp3", False, False),  # ... which only a probe tells
        ("singles/track.mp3", True, False),  # neither
        ("linked/tune.mp3", True, False),  # cover.jpg is a symlink out of the root
        ("notes.txt", True, False),
        ("album/liner-notes.txt", True, False),  # beside a cover, but not audio
        ("film.en.srt", True, False),
        ("album", True, False),
    ],
)
def test_video_and_images_have_a_picture_and_audio_only_with_art_embedded_or_beside_it(
    library, path, available, has_picture
):
    playback = Playback(library, StandInProbe(available), StandInSubtitles(), StandInPictures())
    entry = at(library, path)
    plan = playback.plan(entry, BROWSER, URLS)
    assert plan.picture_url == (URLS.picture(entry) if has_picture else None)


def film_tracks(entry, *, embedded):
    sidecars = [("English", "en"), ("Español", "es"), ("Français", "fr")]
    streams = [("Español", "spa"), ("Commentary", None)] if embedded else []
    return tuple(
        SubtitleTrack(n, label, language, URLS.subtitles(entry, n))
        for n, (label, language) in enumerate(sidecars + streams, start=1)
    )


def test_subtitle_tracks_are_the_sidecars_then_the_embedded_text_streams_numbered_from_one(playback, library):
    # Not tracks: film.it.srt (a symlink out of the root), trailer.en.srt (another video's), the
    # picture-based stream 3, and .film.de.srt (a dot file, though its name could not match "film." anyway).
    film = at(library, "film.mp4")
    assert playback.plan(film, BROWSER, URLS).tracks == film_tracks(film, embedded=True)


def test_a_sidecar_linked_out_of_the_root_is_not_a_track_though_one_linked_inside_is(playback, library):
    languages = {track.language for track in playback.plan(at(library, "film.mp4"), BROWSER, URLS).tracks}
    assert "es" in languages
    assert "it" not in languages


def test_a_video_not_read_yet_has_its_sidecars_only(playback, library):
    film = at(library, "film.mp4")
    assert playback.plan(film, BROWSER, URLS, wait=False).tracks == film_tracks(film, embedded=False)


@pytest.mark.parametrize("path", ["album/song.mp3", "photo.jpg", "notes.txt"])
def test_what_is_not_video_has_no_subtitle_tracks(playback, library, path):
    assert playback.plan(at(library, path), BROWSER, URLS).tracks == ()


def test_a_plan_sends_the_file_as_it_is_from_its_stream_url(playback, library):
    film = at(library, "film.mp4")
    plan = playback.plan(film, CHROMECAST, URLS)
    assert (plan.entry, plan.target, plan.delivery, plan.url) == (film, CHROMECAST, DIRECT, URLS.stream(film))


def test_cast_media_of_a_video_carries_everything_the_device_loads(playback, library):
    film = at(library, "film.mp4")
    tracks = film_tracks(film, embedded=True)
    assert playback.plan(film, CHROMECAST, URLS).cast_media(start=12.5) == CastMedia(
        url=URLS.stream(film),
        content_type="video/mp4",
        kind="video",
        title="A Film",
        thumb=URLS.picture(film),
        artist=None,
        album=None,
        start=12.5,
        tracks=tuple(Track(t.id, t.url, t.language, t.label) for t in tracks),
        duration=PROBES["film.mp4"]["duration"],
    )


def test_cast_media_of_a_song_carries_its_artist_album_and_cover_from_the_start(playback, library):
    song = at(library, "album/song.mp3")
    assert playback.plan(song, SPEAKER, URLS).cast_media() == CastMedia(
        url=URLS.stream(song),
        content_type="audio/mpeg",
        kind="audio",
        title="Song Title",
        thumb=URLS.picture(song),
        artist="The Band",
        album="The Album",
        start=0.0,
        tracks=(),
        duration=PROBES["song.mp3"]["duration"],
    )


# -- folder listings ------------------------------------------------------------------------


def test_details_give_cached_probes_as_done_and_queue_the_others_without_probing(playback, library, probe):
    _, entries = library.listing("media", ())
    cached(probe, library, "film.mp4", "photo.jpg")
    details = playback.details(entries)
    assert set(details) == ROOT_MEDIA
    assert details["film.mp4"] == ("done", PROBES["film.mp4"])
    assert details["photo.jpg"] == ("done", PROBES["photo.jpg"])
    pending = ROOT_MEDIA - {"film.mp4", "photo.jpg"}
    assert {path for path, (state, _) in details.items() if state == "pending"} == pending
    assert sorted(probe.scheduled) == sorted(library.file_key(at(library, path)) for path in pending)
    assert probe.probed == []


@pytest.mark.parametrize(
    ("target", "verdicts"),
    [
        (None, {}),
        (BROWSER, dict.fromkeys(ROOT_MEDIA, UNKNOWN)),
        (
            CHROMECAST,
            {
                **dict.fromkeys(ROOT_MEDIA, UNKNOWN),  # not read yet
                "film.mp4": PLAYS,
                "hevc.mp4": WONT_PLAY,
            },
        ),
    ],
    ids=["no target", "browser", "chromecast"],
)
def test_a_listing_has_details_for_its_media_and_verdicts_only_for_a_target(
    playback, library, probe, target, verdicts
):
    _, entries = library.listing("media", ())
    cached(probe, library, "film.mp4", "hevc.mp4")
    details, got = playback.listing(entries, target)
    assert set(details) == ROOT_MEDIA
    assert {path: verdict.verdict for path, verdict in got.items()} == verdicts
    assert probe.probed == []


def test_a_listing_without_ffprobe_says_unavailable_and_schedules_nothing(library):
    probe = StandInProbe(available=False)
    _, entries = library.listing("media", ())
    details, verdicts = Playback(library, probe, StandInSubtitles(), StandInPictures()).listing(
        entries, CHROMECAST
    )
    assert details == dict.fromkeys(ROOT_MEDIA, ("unavailable", None))
    assert set(verdicts) == ROOT_MEDIA
    assert (probe.probed, probe.scheduled) == ([], [])


# -- the files a plan points to ---------------------------------------------------------------


@pytest.mark.parametrize("track_id", ["9", "0", "", "one", "6"])
def test_webvtt_of_a_track_the_video_does_not_have_is_not_found_naming_the_file(playback, library, track_id):
    with pytest.raises(NotFound, match=rf"film\.mp4 has no subtitle track '{track_id}'"):
        playback.webvtt(at(library, "film.mp4"), track_id)
    assert playback.subtitles.converted == []


@pytest.mark.parametrize(
    ("track_id", "key"),
    [("1", "file:film.en.srt"), ("2", "file:film.es.srt"), ("4", "stream:2"), ("5", "stream:4")],
)
def test_webvtt_converts_the_track_of_that_number(playback, library, track_id, key):
    film = at(library, "film.mp4")
    vtt = playback.webvtt(film, track_id)
    assert playback.subtitles.converted == [(library.file_path(film), film.size, key)]
    assert vtt.startswith(b"WEBVTT") and key.encode() in vtt


@pytest.mark.parametrize(
    ("path", "beside"),
    [("album/song.mp3", ["cover.jpg", "liner-notes.txt", "song.mp3"]), ("linked/tune.mp3", ["tune.mp3"])],
)
def test_picture_is_made_from_the_file_its_probe_and_what_a_listing_shows_beside_it(
    playback, library, probe, path, beside
):
    entry = at(library, path)
    assert playback.picture(entry) == "/cache/pictures/made.jpg"
    assert playback.pictures.made == [(library.file_path(entry), "audio", PROBES[entry.name], beside)]
    assert probe.probed == [library.file_key(entry)]

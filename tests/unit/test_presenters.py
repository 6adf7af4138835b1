"""The JSON shapes the API answers: entries, folders (spliced from cached rows), status and casts."""

import json
import uuid
from datetime import datetime
from types import SimpleNamespace
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyramid import testing

from mediacaster import presenters
from mediacaster.playback import DIRECT, Plan, SubtitleTrack, Target
from mediacaster.playback.verdicts import CONVERTED, LABELS, NO_SOUND, PLAYS, UNKNOWN, WONT_PLAY, Verdict
from mediacaster.schemas import replies
from mediacaster.services.cast.model import Device, MediaStatus, PlayerStatus, ReceiverStatus, Track
from mediacaster.services.diskcache import DiskCache
from mediacaster.services.library import Entry
from mediacaster.signing import UrlSigner
from mediacaster.urls import EntryUrls

FOLDER = Entry("video", "Films", "Films", True, 0, 1_700_000_000.0, "folder", None)
FILM = Entry(
    "video", "Films/Le café #2.mp4", "Le café #2.mp4", False, 1234, 1_700_000_000.5, "video", "video/mp4"
)
SONG = Entry("video", "Films/theme.mp3", "theme.mp3", False, 99, 0.0, "audio", "audio/mpeg")
NOTES = Entry("video", "Films/notes.txt", "notes.txt", False, 5, 1.25, "other", "text/plain")
PROBE = {"ok": True, "container": "mp4", "duration": 12.5, "tags": {"title": "Le café"}}


class StandInUrls:
    """Builds URLs as :class:`mediacaster.urls.EntryUrls` does, deterministically, and counts its work."""

    def __init__(self, base=None, expires=2_000_000_000):
        self.generation = (base or f"http://nas-{uuid.uuid4().hex[:8]}.test", expires)
        self.built = 0

    def links(self, entry):
        self.built += 1
        base, expires = self.generation[:2]
        path = quote(f"{entry.root}/{entry.path}".rstrip("/"), errors="surrogateescape")
        links = {"url": f"{base}/library/{path}", "api_url": f"{base}/api/library/{path}"}
        if not entry.is_dir:
            signature = f"?exp={expires}&sig={len(entry.path)}"
            links["stream_url"] = f"{base}/media/{path}{signature}"
            links["download_url"] = f"{base}/download/{path}{signature}"
            if entry.is_media:
                links["picture_url"] = f"{base}/picture/{path}{signature}"
        return links


@pytest.fixture(scope="module")
def real_urls():
    """The app's own URL builder, on a dummy request (no server)."""
    with testing.testConfig() as config:
        for name, pattern in [
            ("library.folder", "/library/{root}*path"),
            ("api.library", "/api/library/{root}*path"),
            ("media.stream", "/media/{root}*path"),
            ("media.download", "/download/{root}*path"),
            ("media.picture", "/picture/{root}*path"),
        ]:
            config.add_route(name, pattern)
        request = testing.DummyRequest()
        request.registry.services = SimpleNamespace(signer=UrlSigner("unit-test-secret-0123", 3600))
        yield EntryUrls(request)


def verdict_of(entry, probe):
    return Verdict(PLAYS, "H.264 and AAC") if probe else Verdict(UNKNOWN, "the file has not been read yet")


CACHE = presenters.RowCache()


def folder_body(head, entries, urls, details, verdict=None, cache=CACHE):
    """folder_json, with the verdicts ``verdict(entry, probe)`` gives the entries that have details."""
    verdicts = {}
    if verdict is not None:
        verdicts = {e.path: verdict(e, details[e.path][1]) for e in entries if e.path in details}
    return presenters.folder_json(head, entries, urls, details, verdicts, cache)


# -- entries ---------------------------------------------------------------------


def test_an_entry_has_its_fields_and_its_links_and_nothing_else_when_nothing_is_known():
    urls = StandInUrls()
    assert presenters.entry_json(FILM, urls) == {
        "name": "Le café #2.mp4",
        "root": "video",
        "path": "Films/Le café #2.mp4",
        "kind": "video",
        "size": 1234,
        "mtime": "2023-11-14T22:13:20.500000+00:00",
        "content_type": "video/mp4",
        **urls.links(FILM),
    }


@pytest.mark.parametrize(
    ("mtime", "iso"),
    [
        (0.0, "1970-01-01T00:00:00+00:00"),
        (1_700_000_000.0, "2023-11-14T22:13:20+00:00"),
        (1_700_000_000.5, "2023-11-14T22:13:20.500000+00:00"),
        (951_782_400.0, "2000-02-29T00:00:00+00:00"),
    ],
)
def test_mtime_is_iso_8601_in_utc(mtime, iso):
    text = presenters.entry_json(NOTES._replace(mtime=mtime), StandInUrls())["mtime"]
    assert text == iso
    parsed = datetime.fromisoformat(text)
    assert parsed.utcoffset().total_seconds() == 0 and parsed.timestamp() == mtime


@pytest.mark.parametrize(
    ("entry", "links"),
    [
        (FOLDER, {"url", "api_url"}),
        (NOTES, {"url", "api_url", "stream_url", "download_url"}),
        (FILM, {"url", "api_url", "stream_url", "download_url", "picture_url"}),
        (SONG, {"url", "api_url", "stream_url", "download_url", "picture_url"}),
    ],
)
def test_files_carry_media_urls_folders_do_not_and_media_carry_a_picture(real_urls, entry, links):
    data = presenters.entry_json(entry, real_urls)
    assert set(data) == {"name", "root", "path", "kind", "size", "mtime", "content_type"} | links
    for name in links - {"url", "api_url"}:
        assert "?exp=" in data[name] and "&sig=" in data[name]
    replies.Entry.model_validate(data)


@pytest.mark.parametrize(
    ("details", "verdict", "extra"),
    [
        (None, None, {}),
        (("done", PROBE), None, {"probe_state": "done", "probe": PROBE}),
        (("pending", None), None, {"probe_state": "pending", "probe": None}),
        (("unavailable", None), None, {"probe_state": "unavailable", "probe": None}),
        (
            ("done", PROBE),
            Verdict(NO_SOUND, "AC3 audio"),
            {
                "probe_state": "done",
                "probe": PROBE,
                "verdict": {
                    "verdict": NO_SOUND,
                    "label": "Plays without sound",
                    "reason": "AC3 audio",
                    "delivery": "direct",
                },
            },
        ),
        (
            None,
            Verdict(WONT_PLAY, "AV1"),
            {
                "verdict": {
                    "verdict": WONT_PLAY,
                    "label": "Will not play",
                    "reason": "AV1",
                    "delivery": "direct",
                }
            },
        ),
    ],
)
def test_probe_state_probe_and_verdict_appear_only_when_given(real_urls, details, verdict, extra):
    data = presenters.entry_json(FILM, real_urls, details, verdict)
    assert data == {**presenters.entry_json(FILM, real_urls), **extra}
    replies.Entry.model_validate(data)


@pytest.mark.parametrize("verdict", [PLAYS, NO_SOUND, WONT_PLAY, UNKNOWN])
def test_a_verdict_carries_its_label(verdict):
    assert presenters.verdict_json(Verdict(verdict, "why")) == {
        "verdict": verdict,
        "label": LABELS[verdict],
        "reason": "why",
        "delivery": "direct",
    }


def test_a_converted_verdict_says_how():
    verdict = Verdict(CONVERTED, "plays after converting the sound: AC-3 …", "convert_audio")
    data = presenters.verdict_json(verdict)
    assert (data["label"], data["delivery"]) == ("Plays converted", "convert_audio")
    replies.Verdict.model_validate(data)


# -- folders -----------------------------------------------------------------------

HEAD = {
    "root": "video",
    "path": "Films",
    "parent": "",
    "parent_url": "http://nas.test/api/library/video",
    "sort": "name",
    "order": "asc",
    "total": 4,
    "probe": {"available": True, "detail": None, "pending": 1, "pending_here": 1},
}
ENTRIES = [FOLDER._replace(path="Films/Extras", name="Extras"), FILM, SONG, NOTES]
DETAILS = {FILM.path: ("done", PROBE), SONG.path: ("pending", None)}


def expected_folder(head, entries, urls, details, verdict=None):
    """What folder_json promises: the head and each entry as entry_json gives it."""
    rows = []
    for entry in entries:
        detail = details.get(entry.path)
        found = verdict(entry, detail[1]) if detail is not None and verdict is not None else None
        rows.append(presenters.entry_json(entry, urls, detail, found))
    return {**head, "entries": rows}


@pytest.mark.parametrize("verdict", [None, verdict_of])
def test_a_folder_is_its_head_and_its_entries_as_entry_json_gives_them(verdict):
    urls = StandInUrls()
    body = folder_body(HEAD, ENTRIES, urls, DETAILS, verdict)
    assert isinstance(body, bytes)
    assert json.loads(body) == expected_folder(HEAD, ENTRIES, urls, DETAILS, verdict)


def test_a_folder_made_with_the_real_urls_matches_the_api_document(real_urls):
    body = folder_body(HEAD, ENTRIES, real_urls, DETAILS, verdict_of)
    replies.Folder.model_validate_json(body)
    assert json.loads(body) == expected_folder(HEAD, ENTRIES, real_urls, DETAILS, verdict_of)


def test_an_empty_folder_has_an_empty_list_of_entries():
    assert json.loads(folder_body({**HEAD, "total": 0}, [], StandInUrls(), {})) == {
        **HEAD,
        "total": 0,
        "entries": [],
    }


def test_rows_are_reused_across_listings_and_give_identical_output():
    urls = StandInUrls()
    first = folder_body(HEAD, ENTRIES, urls, DETAILS, verdict_of)
    assert urls.built == len(ENTRIES)
    again = folder_body(HEAD, ENTRIES, urls, DETAILS, verdict_of)
    assert again == first
    assert urls.built == len(ENTRIES)  # no URL built again


def test_details_and_verdicts_are_fresh_on_every_listing_even_from_a_kept_row():
    urls = StandInUrls()
    folder_body(HEAD, [FILM], urls, {FILM.path: ("pending", None)}, verdict_of)
    body = folder_body(HEAD, [FILM], urls, {FILM.path: ("done", PROBE)}, verdict_of)
    [row] = json.loads(body)["entries"]
    assert (row["probe_state"], row["probe"], row["verdict"]["verdict"]) == ("done", PROBE, PLAYS)
    assert urls.built == 1


@pytest.mark.parametrize(
    "change",
    [{"size": 4321}, {"mtime": 1_800_000_000.0}, {"mtime_ns": 5, "inode": 7}, {"size": 0, "mtime": 2.0}],
)
def test_a_changed_file_gets_a_fresh_row(change):
    urls = StandInUrls()
    folder_body(HEAD, [FILM], urls, {})
    changed = FILM._replace(**change)
    [row] = json.loads(folder_body(HEAD, [changed], urls, {}))["entries"]
    assert urls.built == 2
    assert row == presenters.entry_json(changed, urls)


@pytest.mark.parametrize(
    "other", [{"base": "http://192.168.1.5:6543"}, {"expires": 2_000_003_600}], ids=["base", "expiry"]
)
def test_a_new_generation_gets_fresh_urls(other):
    old = StandInUrls(base="http://nas.test", expires=2_000_000_000)
    new = StandInUrls(**{"base": "http://nas.test", "expires": 2_000_000_000, **other})
    before = json.loads(folder_body(HEAD, ENTRIES, old, {}))
    after = json.loads(folder_body(HEAD, ENTRIES, new, {}))
    assert after == expected_folder(HEAD, ENTRIES, new, {})
    assert before["entries"] != after["entries"]
    assert new.built == 2 * len(ENTRIES)  # expected_folder built them once more
    # The old generation still answers correctly if it is asked again.
    assert json.loads(folder_body(HEAD, ENTRIES, old, {})) == expected_folder(HEAD, ENTRIES, old, {})


names = st.text(min_size=1, max_size=20).filter(lambda s: "/" not in s)
entries = st.builds(
    lambda name, is_dir, kind, size, mtime: Entry(
        "video",
        f"Films/{name}",
        name,
        is_dir,
        0 if is_dir else size,
        mtime,
        "folder" if is_dir else kind,
        None if is_dir else "video/mp4",
    ),
    names,
    st.booleans(),
    st.sampled_from(["video", "audio", "image", "other"]),
    st.integers(0, 2**53),
    st.floats(0, 4_000_000_000, allow_nan=False),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    listing=st.lists(entries, max_size=8, unique_by=lambda e: e.path),
    states=st.lists(st.sampled_from(["done", "pending", "unavailable", None]), min_size=8, max_size=8),
)
def test_any_folder_equals_its_entries_as_entry_json_gives_them(listing, states):
    details = {
        e.path: (state, PROBE if state == "done" else None)
        for e, state in zip(listing, states[: len(listing)], strict=True)
        if state is not None and e.is_media
    }
    urls = StandInUrls(base="http://nas.test", expires=2_000_000_000)  # rows kept across examples
    for _ in range(2):
        body = folder_body(HEAD, listing, urls, details, verdict_of)
        assert json.loads(body) == expected_folder(HEAD, listing, urls, details, verdict_of)


def test_a_folder_holding_a_name_that_is_not_utf8_lists():
    odd = NOTES._replace(path="Films/caf\udce9.txt", name="caf\udce9.txt")
    urls = StandInUrls()
    assert json.loads(json.dumps(presenters.entry_json(odd, urls)))["name"] == "caf\udce9.txt"
    body = folder_body(HEAD, [odd], urls, {})
    assert json.loads(body)["entries"][0]["name"] == "caf\udce9.txt"


def test_the_row_cache_keeps_the_newest_generations_only():
    cache = presenters.RowCache(rows=100, generations=2)
    first, second, third = StandInUrls(), StandInUrls(), StandInUrls()
    for urls in (first, second, third):
        folder_body(HEAD, ENTRIES, urls, {}, cache=cache)
    folder_body(HEAD, ENTRIES, third, {}, cache=cache)
    folder_body(HEAD, ENTRIES, first, {}, cache=cache)
    assert (first.built, second.built, third.built) == (2 * len(ENTRIES), len(ENTRIES), len(ENTRIES))


def test_the_row_cache_holds_at_most_its_rows_per_generation():
    cache = presenters.RowCache(rows=10, generations=1)
    urls = StandInUrls()
    many = [NOTES._replace(path=f"Films/{n}.txt", name=f"{n}.txt") for n in range(25)]
    body = folder_body(HEAD, many, urls, {}, cache=cache)
    assert len(json.loads(body)["entries"]) == 25
    fixed, probed = cache.rows(urls.generation)
    assert len(fixed) <= 10 and len(probed) <= 10


# -- rows kept on disk, across a restart ------------------------------------------------

MANY = [NOTES._replace(path=f"Films/{n}.txt", name=f"{n}.txt") for n in range(presenters.RowCache.KEEP_FROM)]


def kept_cache(tmp_path, secret=b"key"):
    """A row cache as a newly started app has: empty, over the disk cache in ``tmp_path``."""
    return presenters.RowCache(store=DiskCache(tmp_path / "cache", 10**8), signed_with=secret)


def test_a_big_folders_rows_are_read_back_by_an_app_started_again(tmp_path):
    urls = StandInUrls()
    body = folder_body(HEAD, MANY, urls, {}, cache=kept_cache(tmp_path))
    again = StandInUrls(base=urls.generation[0])
    cache = kept_cache(tmp_path)
    assert folder_body(HEAD, MANY, again, {}, cache=cache) == body
    assert (again.built, cache.built, cache.restored) == (0, 0, len(MANY))
    assert cache.kept_folders() == [("video", "Films")]


def test_a_starts_warm_up_reads_the_kept_rows_whose_signatures_are_current(tmp_path):
    urls = StandInUrls(expires=2_000_000_000)
    body = folder_body(HEAD, MANY, urls, {}, cache=kept_cache(tmp_path))
    late = kept_cache(tmp_path)
    late.warm(now=2_000_000_000)  # the URLs have expired: nothing to read
    assert late.restored == 0
    cache = kept_cache(tmp_path)
    cache.warm(now=1_999_999_000)
    assert cache.restored == len(MANY)
    again = StandInUrls(base=urls.generation[0])
    assert folder_body(HEAD, MANY, again, {}, cache=cache) == body
    assert (again.built, cache.built, cache.restored) == (0, 0, len(MANY))


def test_rows_kept_for_another_user_hour_address_or_secret_are_not_read(tmp_path):
    urls = StandInUrls(base="http://nas.test")
    folder_body(HEAD, MANY, urls, {}, cache=kept_cache(tmp_path))
    for other, secret in [
        (StandInUrls(base="http://nas.test", expires=2_000_003_600), b"key"),  # the next hour
        (StandInUrls(base="http://other.test"), b"key"),
        (StandInUrls(base="http://nas.test"), b"another key"),
    ]:
        cache = kept_cache(tmp_path, secret)
        folder_body(HEAD, MANY, other, {}, cache=cache)
        assert (other.built, cache.restored) == (len(MANY), 0)
    member = StandInUrls(base="http://nas.test")
    member.generation = (*member.generation, "member")  # as EntryUrls binds URLs to a user
    cache = kept_cache(tmp_path)
    folder_body(HEAD, MANY, member, {}, cache=cache)
    assert (member.built, cache.restored) == (len(MANY), 0)


def test_small_folders_are_not_kept_and_unreadable_kept_rows_are_built_again(tmp_path):
    urls = StandInUrls(base="http://nas.test")
    folder_body(HEAD, ENTRIES, urls, {}, cache=kept_cache(tmp_path))
    assert kept_cache(tmp_path).kept_folders() == []
    folder_body(HEAD, MANY, urls, {}, cache=kept_cache(tmp_path))
    for path in (tmp_path / "cache" / "rows").glob("*.marshal"):
        path.write_bytes(b"not marshal")
    again = StandInUrls(base="http://nas.test")
    cache = kept_cache(tmp_path)
    assert json.loads(folder_body(HEAD, MANY, again, {}, cache=cache))["entries"][0]["name"] == "0.txt"
    assert (again.built, cache.restored) == (len(MANY), 0)


# -- devices, status and casts -------------------------------------------------------

TV = Device("uuid-1", "Living Room TV", "Chromecast", "cast", "192.168.1.20", 8009, 1_700_000_000.0, True)
RECEIVER = ReceiverStatus("uuid-1", "Living Room TV", 0.5, False, "Default Media Receiver", "CC1AD845")
MEDIA = MediaStatus(
    player_state="PLAYING",
    current_time=12.5,
    duration=3600.0,
    title="Le café",
    content_id="http://192.168.1.5:6543/media/video/a.mp4?exp=1&sig=x",
    content_type="video/mp4",
    idle_reason=None,
    tracks=(Track(1, "http://x/1.vtt", "fr", "Français"), Track(2, None, None, None)),
    active_tracks=(1,),
)


def test_a_device_is_shown_without_its_port():
    assert presenters.device_json(TV) == {
        "id": "uuid-1",
        "name": "Living Room TV",
        "model": "Chromecast",
        "type": "cast",
        "online": True,
        "problem": None,
        "host": "192.168.1.20",
        "last_seen": 1_700_000_000.0,
    }
    replies.Device.model_validate(presenters.device_json(TV))


def test_a_status_with_media_lists_its_tracks_without_their_urls():
    data = presenters.status_json(PlayerStatus(RECEIVER, MEDIA))
    assert data == {
        "interrupted": None,
        "device": {
            "id": "uuid-1",
            "name": "Living Room TV",
            "volume": 0.5,
            "muted": False,
            "app": "Default Media Receiver",
            "app_id": "CC1AD845",
        },
        "media": {
            "player_state": "PLAYING",
            "current_time": 12.5,
            "duration": 3600.0,
            "title": "Le café",
            "content_id": MEDIA.content_id,
            "content_type": "video/mp4",
            "idle_reason": None,
            "tracks": [
                {"id": 1, "name": "Français", "language": "fr"},
                {"id": 2, "name": None, "language": None},
            ],
            "active_tracks": [1],
        },
        "audio_tracks": [],  # not cast by this app: its tracks are not known
    }
    assert json.loads(json.dumps(data)) == data
    replies.Status.model_validate(data)


def test_a_status_without_media_has_null_media():
    idle = ReceiverStatus("uuid-1", "Living Room TV", None, None, None, None)
    data = presenters.status_json(PlayerStatus(idle, None))
    assert data["media"] is None and data["device"]["volume"] is None
    replies.Status.model_validate(data)


def test_a_cast_answers_the_device_the_media_url_the_delivery_the_status_and_the_verdict():
    sounds = [
        {"index": 1, "codec": "ac3", "channels": 6, "language": "eng", "title": None, "default": True},
        {
            "index": 2,
            "codec": "aac",
            "channels": 2,
            "language": "fra",
            "title": "Commentaire",
            "default": False,
        },
    ]
    plan = Plan(
        entry=FILM,
        target=Target.device(TV),
        verdict=Verdict(PLAYS, "H.264 and AAC"),
        delivery=DIRECT,
        url="http://192.168.1.5:6543/media/video/a.mp4?exp=1&sig=x",
        content_type="video/mp4",
        picture_url=None,
        tracks=(SubtitleTrack(1, "Français", "fr", "http://192.168.1.5:6543/subtitles/video/a.mp4"),),
        title="Le café",
        artist=None,
        album=None,
        probe={**PROBE, "audio": sounds},
        probe_state="done",
        audio_index=2,
    )
    status = PlayerStatus(RECEIVER, MEDIA)
    data = presenters.cast_json(TV, plan, status)
    # The status carries the sound tracks of the file cast, the one playing chosen.
    assert [(t["index"], t["label"], t["chosen"]) for t in data["status"]["audio_tracks"]] == [
        (1, "ENG (AC-3 5.1)", False),
        (2, "Commentaire (AAC stereo)", True),
    ]
    assert data == {
        "device": presenters.device_json(TV),
        "media_url": plan.url,
        "delivery": "direct",
        "status": presenters.status_json(status, plan),
        "verdict": {"verdict": PLAYS, "label": "Plays", "reason": "H.264 and AAC", "delivery": "direct"},
    }
    replies.CastResult.model_validate(data)
    assert presenters.tracks_json(plan.tracks) == [
        {
            "id": 1,
            "label": "Français",
            "language": "fr",
            "url": "http://192.168.1.5:6543/subtitles/video/a.mp4",
        }
    ]
    replies.SubtitleTrack.model_validate(presenters.tracks_json(plan.tracks)[0])


def test_the_row_cache_keeps_each_users_rows_while_they_take_turns():
    # Each user's URLs are signed for them: a generation each. Three listing the same
    # folder by turns each build its rows once.
    cache = presenters.RowCache(rows=100, generations=8)
    users = [StandInUrls(), StandInUrls(), StandInUrls()]
    for _ in range(3):
        for urls in users:
            folder_body(HEAD, ENTRIES, urls, {}, cache=cache)
    assert [urls.built for urls in users] == [len(ENTRIES)] * 3


def test_the_row_cache_forgets_the_least_recently_used_generation_first():
    many = [NOTES._replace(path=f"Films/{n}.txt", name=f"{n}.txt") for n in range(40)]
    cache = presenters.RowCache(rows=100, generations=8)
    first, second, third = StandInUrls(), StandInUrls(), StandInUrls()
    for urls in (first, second, first, third):  # 120 rows in all: over the budget
        folder_body(HEAD, many, urls, {}, cache=cache)
    folder_body(HEAD, many, first, {}, cache=cache)
    folder_body(HEAD, many, second, {}, cache=cache)
    assert (first.built, second.built, third.built) == (40, 80, 40)  # the second was forgotten

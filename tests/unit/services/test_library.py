import os
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mediacaster.services.library import LibraryService, NotFound, natural_key


@pytest.fixture(scope="module")
def library(library_roots):
    return LibraryService(library_roots)


def test_resolves_inside_the_root(library, library_roots):
    real, found = library.resolve("video", ("Series", "Season 1", "Episode 2.mkv"))
    assert real == str(library_roots["video"] / "Series" / "Season 1" / "Episode 2.mkv")
    assert found == ("Series", "Season 1", "Episode 2.mkv")


@pytest.mark.parametrize(
    "segments",
    [
        ("..",),
        ("Series", "..", "..", "audio"),
        (".",),
        ("/etc/passwd",),
        ("Series/../..",),
        ("..\\..\\etc",),
        ("movie.mp4\0.txt",),
        (".hidden.mp4",),
        ("escape.mp4",),
        ("escape-dir", "secret.mp4"),
        ("movie.mp4", "extra"),
        ("missing.mp4",),
    ],
)
def test_refuses_what_leaves_the_root_or_is_missing(library, segments):
    with pytest.raises(NotFound):
        library.resolve("video", segments)


def test_unknown_root(library):
    with pytest.raises(NotFound):
        library.entry("nope", ())


def test_symlink_inside_the_root_is_followed(library):
    entry = library.entry("video", ("inside-link.mp4",))
    assert entry.kind == "video" and entry.size > 0


def test_nfc_and_nfd_names_both_open(library):
    nfc, nfd = "Café.webm", unicodedata.normalize("NFD", "Café.webm")
    assert library.entry("video", (nfc,)).path == nfc
    assert library.entry("video", (nfd,)).path == nfc  # found under its on-disk form
    stored_nfd = "Cafe\u0301 noir.webm"
    assert library.entry("video", (unicodedata.normalize("NFC", stored_nfd),)).path == stored_nfd


def test_listing_folders_first_natural_order_no_dot_files(library):
    _, entries = library.listing("video", ())
    names = [e.name for e in entries]
    assert names[0] == "Series" and entries[0].kind == "folder"
    assert ".hidden.mp4" not in names
    assert "escape.mp4" not in names and "escape-dir" not in names
    assert "inside-link.mp4" in names
    _, episodes = library.listing("video", ("Series", "Season 1"))
    assert [e.name for e in episodes] == ["Episode 2.mkv", "Episode 10.mkv"]
    _, by_size = library.listing("video", ("Series", "Season 1"), sort="size", descending=True)
    assert [e.name for e in by_size] == ["Episode 10.mkv", "Episode 2.mkv"]


def test_listing_a_file_is_not_found(library):
    with pytest.raises(NotFound):
        library.listing("video", ("movie.mp4",))


def test_kinds_and_types(library):
    _, entries = library.listing("video", ())
    kinds = {e.name: (e.kind, e.content_type) for e in entries}
    assert kinds["movie.mp4"] == ("video", "video/mp4")
    assert kinds["Café.webm"] == ("video", "video/webm")
    assert kinds["notes.txt"] == ("other", "text/plain")


def test_natural_key():
    assert sorted(["b10", "B2", "a"], key=natural_key) == ["a", "B2", "b10"]


segment = st.one_of(
    st.sampled_from(
        [
            "..",
            ".",
            "",
            "/",
            "\\",
            "\0",
            "%2e%2e",
            "..%2f",
            "escape.mp4",
            "escape-dir",
            "Series",
            "Season 1",
            "secret.mp4",
            "/etc",
            "C:\\",
            "~",
        ]
    ),
    st.text(min_size=1, max_size=12),
)


@settings(max_examples=400, deadline=None)
@given(st.lists(segment, max_size=6))
def test_no_generated_path_escapes_its_root(library, library_roots, segments):
    base = os.path.realpath(library_roots["video"])
    try:
        real, _ = library.resolve("video", tuple(segments))
    except NotFound:
        return
    assert os.path.commonpath([real, base]) == base
    assert os.path.exists(real)


def test_query_words_are_folded_distinct_and_bounded():
    from mediacaster.services.library import MAX_WORDS, query_words

    assert query_words("  Café  CAFÉ cafe\u0301 film ") == ["café", "film"]
    assert len(query_words(" ".join(f"w{n}" for n in range(100)))) == MAX_WORDS


def test_the_next_file_is_the_next_of_its_kind_in_listing_order(tmp_path):
    season = tmp_path / "Show" / "Season 1"
    season.mkdir(parents=True)
    for name in (
        "Episode 10.mkv",
        "Episode 2.mkv",
        "Episode 1.mkv",
        ".Episode 3.mkv",
        "cover.jpg",
        "theme.mp3",
    ):
        (season / name).write_bytes(b"")
    (season / "Episode 4.mkv").mkdir()  # a folder, whatever its name
    library = LibraryService({"tv": tmp_path})

    def following(name, kinds=("video",)):
        found = library.next_file(library.entry("tv", ("Show", "Season 1", name)), kinds)
        return found and found.path

    assert following("Episode 1.mkv") == "Show/Season 1/Episode 2.mkv"
    assert following("Episode 2.mkv") == "Show/Season 1/Episode 10.mkv"  # not 3 (hidden), not 4 (a folder)
    assert following("Episode 10.mkv") is None  # the last
    assert following("Episode 1.mkv", ("audio",)) == "Show/Season 1/theme.mp3"


def test_the_warm_up_lists_the_folders_named_and_reads_their_media_files_probes(tmp_path):
    (tmp_path / "big").mkdir()
    for name in ("b.mp4", "a.mkv", "c.mp3", "notes.txt"):
        (tmp_path / "big" / name).write_bytes(b"x")
    library = LibraryService({"video": tmp_path})
    asked = []
    folders = [("video", "gone"), ("nowhere", ""), ("video", "big"), ("video", "")]
    assert library.warm(folders, asked.extend, limit=2) == 4
    assert sorted(os.path.basename(path) for path, _, _ in asked) == ["a.mkv", "b.mp4"]
    assert library.warm([("video", "big")], asked.extend, limit=0) == 0

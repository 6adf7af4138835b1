import os
import time

from mediacaster.services.search import SearchIndex


def test_finds_by_name_across_roots(library_roots):
    index = SearchIndex(library_roots)
    index.scan()
    hits, total = index.query("episode")
    assert [h.path for h in hits] == ["Series/Season 1/Episode 2.mkv", "Series/Season 1/Episode 10.mkv"]
    assert total == 2
    hits, _ = index.query("SONG")
    assert [(h.root, h.path) for h in hits] == [("audio", "Album/01 Song.mp3")]


def test_every_word_must_match_and_names_rank_first(library_roots):
    index = SearchIndex(library_roots)
    index.scan()
    hits, _ = index.query("season 10")
    assert [h.path for h in hits] == ["Series/Season 1/Episode 10.mkv"]
    hits, _ = index.query("series")
    assert hits[0].path == "Series" and hits[0].is_dir


def test_accents_and_case_are_folded(library_roots):
    index = SearchIndex(library_roots)
    index.scan()
    hits, _ = index.query("CAFÉ")
    assert {h.path for h in hits} == {"Café.webm", "Cafe\u0301 noir.webm"}


def test_hidden_and_outside_files_are_not_indexed(library_roots):
    index = SearchIndex(library_roots)
    index.scan()
    assert index.query("hidden")[1] == 0
    assert index.query("secret")[1] == 0


def test_rescan_sees_new_and_removed_files(tmp_path):
    (tmp_path / "a").mkdir()
    index = SearchIndex({"v": tmp_path}, interval=0.05)
    index.start()
    try:
        assert index.ready.wait(5)
        assert index.query("newfile")[1] == 0
        (tmp_path / "a" / "newfile.mp4").write_bytes(b"x")
        # Some file systems keep whole-second mtimes: make the change visible.
        later = time.time() + 5
        os.utime(tmp_path / "a", (later, later))
        deadline = time.monotonic() + 5
        while index.query("newfile")[1] == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert index.query("newfile")[1] == 1
        (tmp_path / "a" / "newfile.mp4").unlink()
        os.utime(tmp_path / "a", (later + 5, later + 5))
        deadline = time.monotonic() + 5
        while index.query("newfile")[1] == 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert index.query("newfile")[1] == 0
    finally:
        index.close()


def test_unchanged_folders_are_not_listed_again(tmp_path):
    for n in range(3):
        (tmp_path / f"d{n}").mkdir()
        (tmp_path / f"d{n}" / "f.mp4").write_bytes(b"x")
    index = SearchIndex({"v": tmp_path})
    index.scan()
    before = dict(index._folders)
    index.scan()
    assert all(index._folders[key] is folder for key, folder in before.items())


def test_a_closing_index_stops_its_scan_and_keeps_what_it_had(tmp_path):
    (tmp_path / "a.mp4").touch()
    index = SearchIndex({"t": tmp_path}, interval=3600)
    assert index.scan() == 1
    (tmp_path / "b.mp4").touch()
    index.close()
    assert index.scan() == 1  # stopped at its first folder
    assert [hit.path for hit in index.query("mp4")[0]] == ["a.mp4"]


def test_what_arrived_last_comes_first_films_alone_and_songs_by_album(tmp_path):
    """Arrival is the inode's change time: a file copied with its old mtime still counts as new."""
    for folder in ("Films", "Albums/Blue", "Albums/Kind of", "Photos"):
        (tmp_path / folder).mkdir(parents=True)
    for name in (
        "Films/Old.mkv",
        "Albums/Kind of/1.flac",
        "Photos/beach.jpg",
        "Films/New.mp4",
        "Albums/Blue/1.mp3",
        "Albums/Blue/2.mp3",
        "Films/notes.txt",
    ):
        (tmp_path / name).write_bytes(b"x")
        os.utime(tmp_path / name, (0, 0))  # an mtime from elsewhere: ignored
        time.sleep(0.01)
    index = SearchIndex({"v": tmp_path, "w": tmp_path / "Films"})
    index.scan()
    recent = [(hit.root, hit.path, count) for hit, count in index.recent(roots=["v"])]
    assert recent == [
        ("v", "Albums/Blue/2.mp3", 2),
        ("v", "Films/New.mp4", 1),
        ("v", "Albums/Kind of/1.flac", 1),
        ("v", "Films/Old.mkv", 1),
    ]
    assert [hit.path for hit, _ in index.recent(limit=2, roots=["w"])] == ["New.mp4", "Old.mkv"]

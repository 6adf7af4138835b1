"""Files made once and kept on disk, named by version, written atomically, trimmed to a budget."""

import errno
import os
from pathlib import Path

import pytest

from mediacaster.services.diskcache import LOW_WATER, CacheFull, DiskCache


def files_in(folder):
    """Every file below ``folder``, as paths relative to it, hidden ones included."""
    return sorted(str(p.relative_to(folder)) for p in Path(folder).rglob("*") if p.is_file())


def write(data):
    return lambda partial: Path(partial).write_bytes(data)


def set_last_use(path, seconds):
    """Make ``path`` look used at ``seconds`` (its access time), keeping its modification time."""
    os.utime(path, ns=(seconds * 10**9, os.stat(path).st_mtime_ns))


@pytest.fixture
def cache(tmp_path):
    return DiskCache(tmp_path / "cache", max_bytes=1000)


def test_a_file_put_is_got_back_by_the_same_kind_version_and_suffix(cache):
    path = cache.put("pictures", "/media/a.mp4\0 100\0 123", ".jpg", write(b"jpeg bytes"))
    assert path.read_bytes() == b"jpeg bytes"
    assert cache.get("pictures", "/media/a.mp4\0 100\0 123", ".jpg") == path
    assert path.parent == cache.folder / "pictures" and path.suffix == ".jpg"


@pytest.mark.parametrize(
    ("kind", "version", "suffix"),
    [
        ("pictures", "v2", ".jpg"),  # another version
        ("subtitles", "v1", ".jpg"),  # another kind
        ("pictures", "v1", ".vtt"),  # another suffix
    ],
)
def test_anything_else_misses(cache, kind, version, suffix):
    cache.put_bytes("pictures", "v1", ".jpg", b"one")
    assert cache.get(kind, version, suffix) is None


def test_bytes_put_are_read_back_and_a_miss_reads_none(cache):
    cache.put_bytes("rows", "v1", ".bin", b"rows")
    assert cache.read_bytes("rows", "v1", ".bin") == b"rows"
    assert cache.read_bytes("rows", "v2", ".bin") is None


def test_a_different_version_is_a_different_file(cache):
    first = cache.put_bytes("subtitles", "film.mkv 1", ".vtt", b"WEBVTT\n\none")
    second = cache.put_bytes("subtitles", "film.mkv 2", ".vtt", b"WEBVTT\n\ntwo")
    assert first != second
    assert (first.read_bytes(), second.read_bytes()) == (b"WEBVTT\n\none", b"WEBVTT\n\ntwo")


def test_an_empty_cache_misses_without_making_its_folder(cache):
    assert cache.get("pictures", "v", ".jpg") is None
    assert not cache.folder.exists()


def test_putting_a_version_again_replaces_its_file(cache):
    path = cache.put_bytes("pictures", "v", ".jpg", b"old")
    assert cache.put_bytes("pictures", "v", ".jpg", b"new") == path
    assert path.read_bytes() == b"new"
    assert files_in(cache.folder) == [f"pictures/{path.name}"]


@pytest.mark.parametrize(
    "version",
    [
        "../../etc/passwd\0x",
        "../../../../../../tmp/evil",
        "/etc/passwd",
        "a/b/c",
        "..",
        "",
        "\\..\\..\\windows",
        "caf\udce9.mp4",  # a file name that is not UTF-8, as Python reads it from the disk
        "x" * 10_000,
    ],
)
def test_files_stay_in_their_kind_folder_whatever_the_version(cache, version):
    path = cache.put_bytes("pictures", version, ".jpg", b"data")
    assert path.parent == cache.folder / "pictures"
    assert os.path.realpath(path).startswith(os.path.realpath(cache.folder / "pictures") + os.sep)
    assert len(path.name) == 40 + len(".jpg")
    assert cache.get("pictures", version, ".jpg") == path
    assert files_in(cache.folder) == [f"pictures/{path.name}"]


class Broken(Exception):
    pass


def fail_after_writing(partial):
    Path(partial).write_bytes(b"half a file")
    raise Broken("ffmpeg died")


def fail_after_deleting(partial):
    os.unlink(partial)
    raise Broken("gone")


def interrupt(partial):
    Path(partial).write_bytes(b"half")
    raise KeyboardInterrupt


@pytest.mark.parametrize(
    ("make", "raised"),
    [(fail_after_writing, Broken), (fail_after_deleting, Broken), (interrupt, KeyboardInterrupt)],
)
def test_a_failing_make_leaves_no_file_nor_partial_file_and_propagates(cache, make, raised):
    with pytest.raises(raised):
        cache.put("pictures", "v", ".jpg", make)
    assert files_in(cache.folder) == []
    assert cache.get("pictures", "v", ".jpg") is None
    assert cache.size == 0


def test_a_failing_make_keeps_the_previous_file_of_that_version(cache):
    path = cache.put_bytes("pictures", "v", ".jpg", b"complete")
    with pytest.raises(Broken):
        cache.put("pictures", "v", ".jpg", fail_after_writing)
    assert path.read_bytes() == b"complete"
    assert files_in(cache.folder) == [f"pictures/{path.name}"]


def test_make_writes_beside_the_final_file_and_the_reader_never_sees_it_before_the_end(cache):
    seen = {}

    def make(partial):
        seen["partial"] = Path(partial)
        Path(partial).write_bytes(b"done")
        seen["visible"] = cache.get("pictures", "v", ".jpg")

    path = cache.put("pictures", "v", ".jpg", make)
    assert seen["partial"].parent == path.parent and seen["partial"].name.startswith(".part-")
    assert seen["visible"] is None
    assert not seen["partial"].exists()


def test_get_refreshes_the_access_time_but_not_the_modification_time(cache):
    path = cache.put_bytes("pictures", "v", ".jpg", b"data")
    os.utime(path, ns=(1_000_000_000_000_000_000, 1_000_000_000_123_456_789))
    assert cache.get("pictures", "v", ".jpg") == path
    st = os.stat(path)
    assert st.st_mtime_ns == 1_000_000_000_123_456_789  # what the ETag is made from
    assert st.st_atime_ns > 1_600_000_000 * 10**9


def test_size_counts_what_is_put(cache):
    assert cache.size == 0  # counted now, from the empty folder
    cache.put_bytes("pictures", "a", ".jpg", b"x" * 100)
    cache.put_bytes("subtitles", "b", ".vtt", b"x" * 250)
    cache.put_bytes("pictures", "c", ".jpg", b"")
    assert cache.size == 350


@pytest.mark.parametrize("already_there", [0, 300])
def test_the_first_put_counts_its_file_once(tmp_path, already_there):
    if already_there:
        DiskCache(tmp_path, max_bytes=10_000).put_bytes("pictures", "old", ".jpg", b"x" * already_there)
    cache = DiskCache(tmp_path, max_bytes=10_000)
    cache.put_bytes("pictures", "new", ".jpg", b"x" * 100)
    assert cache.size == already_there + 100


def test_size_is_counted_from_the_files_already_there_on_first_use(tmp_path):
    earlier = DiskCache(tmp_path, max_bytes=10_000)
    earlier.put_bytes("pictures", "a", ".jpg", b"x" * 300)
    earlier.put_bytes("subtitles", "b", ".vtt", b"x" * 200)
    (tmp_path / "pictures" / ".part-leftover.jpg").write_bytes(b"x" * 5000)  # a crash mid-write
    (tmp_path / "stray-file").write_bytes(b"x" * 7000)  # not in a kind folder
    later = DiskCache(tmp_path, max_bytes=10_000)
    assert later.size == 500
    later.put_bytes("pictures", "c", ".jpg", b"x" * 50)
    assert later.size == 550


def test_within_the_budget_nothing_is_removed(cache):
    paths = [cache.put_bytes("pictures", str(n), ".jpg", b"x" * 100) for n in range(10)]
    assert cache.size == 1000 == cache.max_bytes
    assert all(p.exists() for p in paths)


def test_going_over_the_budget_removes_the_least_recently_used_down_to_the_low_water_mark(cache):
    assert cache.size == 0  # counted before the first put: see test_the_first_put_counts_its_file_once
    paths = [cache.put_bytes("pictures", str(n), ".jpg", b"x" * 100) for n in range(10)]
    for n, path in enumerate(paths):
        set_last_use(path, 1_000_000 + n)
    newest = cache.put_bytes("pictures", "10", ".jpg", b"x" * 100)
    # 1100 bytes: the two least recently used go, leaving 900 = 90 % of 1000.
    assert [p.exists() for p in paths] == [False, False] + [True] * 8
    assert newest.exists()
    assert cache.size == 900 <= cache.max_bytes * LOW_WATER
    assert sum(p.stat().st_size for p in Path(cache.folder).rglob("*") if p.is_file()) == 900


def test_a_file_got_recently_survives_the_eviction_of_older_ones(cache):
    assert cache.size == 0
    paths = [cache.put_bytes("pictures", str(n), ".jpg", b"x" * 300) for n in range(3)]
    for n, path in enumerate(paths):
        set_last_use(path, 1_000_000 + n)
    assert cache.get("pictures", "0", ".jpg") == paths[0]  # the oldest, used again now
    cache.put_bytes("subtitles", "new", ".vtt", b"x" * 300)  # 1200 bytes: down to 900
    assert [p.exists() for p in paths] == [True, False, True]
    assert cache.get("pictures", "1", ".jpg") is None
    assert cache.size == 900


def test_eviction_spans_kinds_and_counts_files_left_by_an_earlier_run(tmp_path):
    earlier = DiskCache(tmp_path, max_bytes=10_000)
    old = [earlier.put_bytes(kind, kind, ".bin", b"x" * 400) for kind in ("pictures", "subtitles")]
    for n, path in enumerate(old):
        set_last_use(path, 1_000_000 + n)
    cache = DiskCache(tmp_path, max_bytes=1000)
    new = cache.put_bytes("segments", "s", ".ts", b"x" * 400)  # 1200 bytes
    assert [p.exists() for p in [*old, new]] == [False, True, True]
    assert cache.size == 800


def test_a_single_file_larger_than_the_budget_is_itself_evicted(cache):
    path = cache.put_bytes("pictures", "huge", ".jpg", b"x" * 2000)
    assert not path.exists()
    assert cache.size == 0


def test_a_folder_an_eviction_removed_before_the_file_reached_it_is_made_again(cache, tmp_path):
    # An eviction removes the folder it empties; a write into that folder, made a moment
    # before, finds it gone. The file lands all the same.
    source = tmp_path / "segment"
    source.write_bytes(b"made")
    folder = cache.path("stream", "1", ".m4s").parent
    folder.mkdir(parents=True)
    real_replace, calls = os.replace, []

    def replace_after_the_eviction(src, dst):
        calls.append(dst)
        if len(calls) == 1:
            os.rmdir(folder)
        return real_replace(src, dst)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(os, "replace", replace_after_the_eviction)
        path = cache.adopt("stream", "1", ".m4s", source)
    assert path.read_bytes() == b"made" and len(calls) == 2


def out_of_space(times):
    """A ``make`` that meets a full disk ``times`` times, having written a little, then writes."""
    calls = []

    def make(partial):
        calls.append(partial)
        Path(partial).write_bytes(b"half")
        if len(calls) <= times:
            raise OSError(errno.ENOSPC, "No space left on device")
        Path(partial).write_bytes(b"whole")

    return make, calls


def test_a_write_that_meets_a_full_disk_is_tried_again_once_room_is_made(cache):
    make, calls = out_of_space(1)
    path = cache.put("pictures", "v", ".jpg", make)
    assert path.read_bytes() == b"whole" and len(calls) == 2
    assert files_in(cache.folder) == [f"pictures/{path.name}"]


def test_a_write_that_meets_a_full_disk_twice_is_refused_and_leaves_no_partial_file(cache):
    kept = cache.put_bytes("pictures", "old", ".jpg", b"old")
    make, calls = out_of_space(2)
    with pytest.raises(CacheFull) as raised:
        cache.put("pictures", "v", ".jpg", make)
    assert len(calls) == 2 and raised.value.status == 507 and raised.value.errno == errno.ENOSPC
    assert "disk" in raised.value.detail and "full" in raised.value.detail
    assert isinstance(raised.value, OSError)  # who keeps a file only to spare work goes on without it
    assert files_in(cache.folder) == [f"pictures/{kept.name}"]


def test_making_room_on_a_disk_with_room_removes_nothing(cache):
    path = cache.put_bytes("pictures", "v", ".jpg", b"kept")
    assert cache.make_room(1)
    assert path.exists()

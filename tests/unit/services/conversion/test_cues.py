"""Keyframe times from a Matroska file's Cues are the ones ffprobe finds by reading every packet.

Files made by real ffmpeg (H.264 and VP9, video as first or second stream, two
videos, the index reserved or moved to the front), files edited byte for byte
into rarer layouts (no SeekHead, unknown sizes, an index for another track),
small files built element by element, and damaged ones, which give None and
leave read_keyframes to ffprobe.
"""

import random
import subprocess
import time

import pytest

from mediacaster.services.conversion.cues import matroska_keyframes
from mediacaster.services.conversion.keyframes import read_keyframes, scan_keyframes
from mediacaster.services.ffmpeg import Tool, ToolFailed

SEGMENT = 0x18538067
SEEKHEAD = 0x114D9B74
CLUSTER = 0x1F43B675
CUES = 0x1C53BB6B
CUEPOINT = 0xBB
CUETRACKPOSITIONS = 0xB7
CUETRACK = 0xF7


def ffmpeg(*args):
    subprocess.run(["ffmpeg", "-v", "error", "-y", *map(str, args)], check=True, timeout=120)


@pytest.fixture(scope="module")
def ffprobe():
    return Tool("ffprobe")


@pytest.fixture(scope="module")
def sources(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cues")
    picture = ["-f", "lavfi", "-i", "testsrc2=size=320x180:rate=25:duration=20"]
    sound = ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=20"]
    # Groups of pictures of 2 s (no scene-cut keyframes) and one forced at 9.6 s.
    x264 = ["-c:v", "libx264", "-preset", "ultrafast", "-g", "50", "-sc_threshold", "0"]
    ffmpeg(*picture, *sound, *x264, "-force_key_frames", "9.6", "-c:a", "ac3", folder / "h264.mkv")
    ffmpeg(*picture, *sound, *x264, "-map", "1:a", "-map", "0:v", "-c:a", "ac3", folder / "audio_first.mkv")
    vp9 = ["-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8", "-g", "50"]
    ffmpeg(*picture, *sound, *vp9, "-c:a", "libopus", "-t", 10, folder / "vp9.webm")
    copy = ["-i", folder / "h264.mkv", "-c", "copy"]
    ffmpeg(*copy, "-reserve_index_space", 2048, folder / "reserved.mkv")
    if b"cues_to_front" in subprocess.run(["ffmpeg", "-h", "muxer=matroska"], capture_output=True).stdout:
        ffmpeg(*copy, "-cues_to_front", 1, folder / "front.mkv")
    small = ["-f", "lavfi", "-i", "testsrc=size=160x90:rate=30:duration=10"]
    ffmpeg(*picture, *small, "-map", "0:v", "-map", "1:v", "-t", 10, *x264, "-g:v:1", 36, folder / "two.mkv")
    ffmpeg(*copy, "-an", folder / "h264.mp4")
    return folder


@pytest.fixture(scope="module")
def long_film(sources):
    """Ten minutes of 320x180 H.264 and AC-3: the 20-s file repeated, copied."""
    path = sources / "long.mkv"
    ffmpeg("-stream_loop", 29, "-i", sources / "h264.mkv", "-c", "copy", path)
    return path


def assert_same_times(found, expected):
    assert found is not None
    assert len(found) == len(expected)
    assert found == pytest.approx(expected, abs=0.001)


@pytest.mark.parametrize(
    ("name", "stream"),
    [
        ("h264.mkv", 0),
        ("audio_first.mkv", 1),
        ("vp9.webm", 0),
        ("reserved.mkv", 0),
        ("front.mkv", 0),
        ("two.mkv", 0),
        ("two.mkv", 1),
    ],
)
def test_cues_give_the_keyframes_ffprobe_finds(sources, ffprobe, name, stream):
    path = sources / name
    if not path.exists():
        pytest.skip("this ffmpeg cannot move the Cues to the front")
    assert_same_times(matroska_keyframes(str(path), stream), scan_keyframes(ffprobe, str(path), stream))


def test_regular_and_forced_keyframes_are_all_listed(sources):
    times = matroska_keyframes(sources / "h264.mkv", 0)
    offset = times[0]
    assert [round(t - offset, 3) for t in times] == [0, 2, 4, 6, 8, 9.6, 11.6, 13.6, 15.6, 17.6, 19.6]


def test_the_second_video_has_its_own_keyframes(sources):
    assert matroska_keyframes(sources / "two.mkv", 0) != matroska_keyframes(sources / "two.mkv", 1)


def test_a_sound_stream_or_a_stream_past_the_last_gives_none(sources):
    assert matroska_keyframes(sources / "h264.mkv", 1) is None
    assert matroska_keyframes(sources / "h264.mkv", 2) is None
    assert matroska_keyframes(sources / "audio_first.mkv", 0) is None


def test_read_keyframes_uses_the_cues_without_running_ffprobe(sources, ffprobe):
    class NoFFprobe:
        def run(self, args, timeout):
            raise AssertionError("ffprobe was run")

    path = str(sources / "h264.mkv")
    assert read_keyframes(NoFFprobe(), path, 0) == matroska_keyframes(path, 0)


# ffmpeg's files edited in place into layouts other writers make, offsets unchanged.


def parse(data, position):
    """``(id, size offset, size length, body offset, size or None)`` of the element at ``position``."""
    id_length = 9 - data[position].bit_length()
    element = int.from_bytes(data[position : position + id_length], "big")
    at = position + id_length
    length = 9 - data[at].bit_length()
    mask = (1 << (7 * length)) - 1
    size = int.from_bytes(data[at : at + length], "big") & mask
    return element, at, length, at + length, None if size == mask else size


def children(data, start, end):
    """``(offset, id, size offset, size length, body offset, size)`` of the elements in start..end."""
    while start < end:
        element, at, length, body, size = parse(data, start)
        yield start, element, at, length, body, size
        start = body + size


def top_level(data):
    *_, body, size = parse(data, 0)  # the EBML header
    element, _, _, start, size = parse(data, body + size)
    assert element == SEGMENT
    return list(children(data, start, start + size))


def find(data, element):
    return next(child for child in top_level(data) if child[1] == element)


def make_unknown(data, at, length):
    data[at : at + length] = bytes([0xFF >> (length - 1)] + [0xFF] * (length - 1))


def void_seekhead(data):
    offset, _, _, _, body, size = find(data, SEEKHEAD)
    total = body + size - offset
    data[offset : body + size] = b"\xec" + (1 << 56 | total - 9).to_bytes(8, "big") + bytes(total - 9)


def unknown_sizes(data):
    """Unknown-size Segment and Clusters, as a live writer leaves them, and no SeekHead."""
    void_seekhead(data)
    clusters = [child for child in top_level(data) if child[1] == CLUSTER]
    *_, body, size = parse(data, 0)
    _, at, length, _, _ = parse(data, body + size)
    make_unknown(data, at, length)
    for _, _, at, length, _, _ in clusters:
        make_unknown(data, at, length)


def cues_for_the_sound_only(data):
    _, _, _, _, body, size = find(data, CUES)
    for _, point, _, _, point_body, point_size in children(data, body, body + size):
        if point != CUEPOINT:
            continue
        for _, positions, _, _, positions_body, positions_size in children(
            data, point_body, point_body + point_size
        ):
            if positions != CUETRACKPOSITIONS:
                continue
            for _, element, _, _, value, value_size in children(
                data, positions_body, positions_body + positions_size
            ):
                if element == CUETRACK:
                    assert value_size == 1 and data[value] == 1
                    data[value] = 2  # the AC-3 track


def seekhead_pointing_wrong(data):
    """The SeekHead's entry for the Cues points at the SeekHead itself."""
    _, _, _, _, body, size = find(data, SEEKHEAD)
    for _, seek, _, _, seek_body, seek_size in children(data, body, body + size):
        if seek != 0x4DBB:
            continue
        entries = {e[1]: e for e in children(data, seek_body, seek_body + seek_size)}
        *_, id_body, id_size = entries[0x53AB]
        if data[id_body : id_body + id_size] == CUES.to_bytes(4, "big"):
            *_, position, position_size = entries[0x53AC]
            data[position : position + position_size] = bytes(position_size)


def edited(sources, tmp_path, edit):
    data = bytearray((sources / "h264.mkv").read_bytes())
    edit(data)
    path = tmp_path / "edited.mkv"
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("edit", [void_seekhead, unknown_sizes, seekhead_pointing_wrong])
def test_the_cues_are_found_without_a_usable_seekhead(sources, tmp_path, edit):
    expected = matroska_keyframes(sources / "h264.mkv", 0)
    assert matroska_keyframes(edited(sources, tmp_path, edit), 0) == expected


def test_cues_for_other_tracks_only_give_none(sources, tmp_path, ffprobe):
    path = str(edited(sources, tmp_path, cues_for_the_sound_only))
    assert matroska_keyframes(path, 0) is None
    assert read_keyframes(ffprobe, path, 0) == scan_keyframes(ffprobe, str(sources / "h264.mkv"), 0)


# Damaged files and other formats: None, and ffprobe answers where it can.


def test_a_file_cut_before_its_cues_gives_none_and_ffprobe_answers(sources, tmp_path, ffprobe):
    data = (sources / "h264.mkv").read_bytes()
    path = tmp_path / "cut.mkv"
    path.write_bytes(data[: find(data, CUES)[0]])
    assert matroska_keyframes(path, 0) is None
    assert read_keyframes(ffprobe, str(path), 0) == scan_keyframes(ffprobe, str(sources / "h264.mkv"), 0)


def test_a_file_cut_after_4_kib_gives_none(sources, tmp_path, ffprobe):
    path = tmp_path / "cut.mkv"
    path.write_bytes((sources / "h264.mkv").read_bytes()[:4096])
    assert matroska_keyframes(path, 0) is None
    try:
        times = read_keyframes(ffprobe, str(path), 0)
    except ToolFailed:
        return  # ffprobe found no keyframe either
    assert times == scan_keyframes(ffprobe, str(path), 0)


def test_an_mp4_gives_none_and_ffprobe_answers(sources, ffprobe):
    path = str(sources / "h264.mp4")
    assert matroska_keyframes(path, 0) is None
    assert_same_times(read_keyframes(ffprobe, path, 0), matroska_keyframes(sources / "h264.mkv", 0))


@pytest.mark.parametrize(
    "data",
    [
        b"",
        random.Random(1).randbytes(100_000),
        b"\x1a\x45\xdf\xa3" + random.Random(2).randbytes(100_000),
    ],
    ids=["empty", "random", "random-after-ebml-magic"],
)
def test_not_matroska_gives_none_and_ffprobe_fails(tmp_path, ffprobe, data):
    path = tmp_path / "film.mkv"
    path.write_bytes(data)
    assert matroska_keyframes(path, 0) is None
    with pytest.raises(ToolFailed):
        read_keyframes(ffprobe, str(path), 0)


def test_a_missing_file_raises_oserror_and_read_keyframes_reports_ffprobes_error(tmp_path, ffprobe):
    with pytest.raises(OSError):
        matroska_keyframes(tmp_path / "gone.mkv", 0)
    with pytest.raises(ToolFailed):
        read_keyframes(ffprobe, str(tmp_path / "gone.mkv"), 0)


# Files built element by element, for what ffmpeg does not write.

UNKNOWN = object()


def el(element, *parts, size=None):
    """An element with an 8-byte size: its payload's, ``size``, or unknown (UNKNOWN)."""
    payload = b"".join(parts)
    if size is UNKNOWN:
        size_field = b"\x01" + b"\xff" * 7
    else:
        size_field = (1 << 56 | (len(payload) if size is None else size)).to_bytes(8, "big")
    return element.to_bytes((element.bit_length() + 7) // 8, "big") + size_field + payload


def uint(value):
    return value.to_bytes(max(1, (value.bit_length() + 7) // 8), "big")


def cue(time, *tracks, size=None):
    positions = b"".join(el(CUETRACKPOSITIONS, el(CUETRACK, uint(t)), el(0xF1, uint(0))) for t in tracks)
    return el(CUEPOINT, el(0xB3, uint(time)), positions, size=size)


HEADER = el(0x1A45DFA3, el(0x4286, uint(1)), el(0x4282, b"matroska"))
INFO = el(0x1549A966, el(0xBF, bytes(4)), el(0x2AD7B1, uint(100_000)))  # ticks of 0.1 ms
SOUND_ENTRY = el(0xAE, el(0xD7, uint(1)), el(0x83, uint(2)), el(0x86, b"A_AC3"))
VIDEO_ENTRY = el(
    0xAE, el(0xD7, uint(7)), el(0x83, uint(1)), el(0x86, b"V_MPEG4/ISO/AVC"), el(0xE0, el(0xB0, uint(320)))
)
TRACKS = el(0x1654AE6B, SOUND_ENTRY, VIDEO_ENTRY)
BLOCKS = el(0xE7, uint(0)) + el(0xA3, b"\x87\x00\x00\x80", bytes(100))
CUES_ELEMENT = el(
    CUES,
    cue(20_000, 1, 7),
    cue(0, 7),
    cue(5_000, 1),
    cue(10_000, 7, size=UNKNOWN),
    el(0xEC, bytes(10)),
    cue(30_000, 7),
)
BUILT_TIMES = [0.0, 1.0, 2.0, 3.0]  # the video's CueTimes, sorted, in seconds


def build(tmp_path, *children, segment_size=UNKNOWN, header=HEADER, segment=SEGMENT):
    path = tmp_path / "built.mkv"
    path.write_bytes(header + el(segment, *children, size=segment_size))
    return path


def test_a_live_layout_with_voids_and_unknown_sizes_and_no_seekhead(tmp_path):
    cluster = el(CLUSTER, BLOCKS, size=UNKNOWN)
    path = build(tmp_path, el(0xEC, bytes(50)), INFO, TRACKS, cluster, cluster, CUES_ELEMENT)
    assert matroska_keyframes(path, 1) == BUILT_TIMES
    assert matroska_keyframes(path, 0) is None  # the sound


def test_an_unknown_size_index_ends_at_the_next_top_level_element(tmp_path):
    cues = el(CUES, cue(0, 7), cue(10_000, 7), size=UNKNOWN)
    path = build(tmp_path, INFO, TRACKS, cues, el(0x1254C367, el(0x7373, bytes(20))))
    assert matroska_keyframes(path, 1) == [0.0, 1.0]


def test_a_seekhead_that_lists_itself_is_read_once(tmp_path):
    def seekhead(*seeks):
        entries = (el(0x4DBB, el(0x53AB, uint(i)), el(0x53AC, p.to_bytes(8, "big"))) for i, p in seeks)
        return el(SEEKHEAD, *entries)

    size = len(seekhead((SEEKHEAD, 0), (0x1654AE6B, 0), (CUES, 0)))  # positions of a fixed length
    cluster = el(CLUSTER, BLOCKS)
    head = seekhead((SEEKHEAD, 0), (0x1654AE6B, size), (CUES, size + len(TRACKS) + len(cluster)))
    path = build(tmp_path, head, TRACKS, cluster, CUES_ELEMENT, segment_size=None)
    assert matroska_keyframes(path, 1) == [0.0, 10.0, 20.0, 30.0]  # no Info: ticks of 1 ms


@pytest.mark.parametrize(
    "children",
    [
        pytest.param((INFO, TRACKS, el(CLUSTER, BLOCKS)), id="no-cues"),
        pytest.param((INFO, TRACKS, el(CUES, bytes(64), size=65 << 20)), id="huge-cues"),
        pytest.param((INFO, TRACKS, CUES_ELEMENT[:-20]), id="cues-cut"),
        pytest.param((el(0x1549A966, el(0x2AD7B1, uint(0))), TRACKS, CUES_ELEMENT), id="scale-of-zero"),
        pytest.param(
            (INFO, TRACKS, el(CLUSTER, el(0xA3, b"\x87"), size=UNKNOWN), b"\x00" * 40), id="zero-byte"
        ),
        pytest.param(
            (INFO, TRACKS, el(CLUSTER, el(0xA0, BLOCKS, size=UNKNOWN), size=UNKNOWN)), id="unknown-block"
        ),
        pytest.param(
            (INFO, el(0x1654AE6B, el(0xAE, el(0xD7, uint(1)), el(0x83, uint(2))), VIDEO_ENTRY), CUES_ELEMENT),
            id="a-track-ffmpeg-skips-before",
        ),
        pytest.param((INFO, TRACKS, el(CUES, cue(0, 7)[:-1])), id="child-past-its-parent"),
        pytest.param((INFO, TRACKS, el(CUES, el(CUEPOINT, el(0xB3, bytes(9))))), id="nine-byte-integer"),
        pytest.param((INFO, TRACKS[:-10], CUES_ELEMENT), id="tracks-cut"),
    ],
)
def test_damaged_or_useless_indexes_give_none(tmp_path, children):
    assert matroska_keyframes(build(tmp_path, *children), 1) is None


def test_a_segment_that_is_not_one_gives_none(tmp_path):
    assert matroska_keyframes(build(tmp_path, INFO, TRACKS, CUES_ELEMENT, segment=0x1254C367), 1) is None


def test_another_doctype_gives_none(tmp_path):
    header = el(0x1A45DFA3, el(0x4282, b"notmkv"))
    assert matroska_keyframes(build(tmp_path, INFO, TRACKS, CUES_ELEMENT, header=header), 1) is None
    assert matroska_keyframes(build(tmp_path, INFO, TRACKS, CUES_ELEMENT), 1) == BUILT_TIMES


def test_webm_doctype_is_read(tmp_path):
    header = el(0x1A45DFA3, el(0x4282, b"webm"))
    assert matroska_keyframes(build(tmp_path, INFO, TRACKS, CUES_ELEMENT, header=header), 1) == BUILT_TIMES


def test_the_index_is_read_much_faster_than_every_packet(long_film, ffprobe):
    path = str(long_film)
    started = time.perf_counter()
    from_cues = matroska_keyframes(path, 0)
    cues_seconds = time.perf_counter() - started
    started = time.perf_counter()
    scanned = scan_keyframes(ffprobe, path, 0)
    scan_seconds = time.perf_counter() - started
    assert_same_times(from_cues, scanned)
    print(
        f"\n{len(from_cues)} keyframes of a {long_film.stat().st_size >> 20} MiB, 10-minute MKV: "
        f"Cues {cues_seconds * 1000:.1f} ms, ffprobe scan {scan_seconds * 1000:.0f} ms, "
        f"{scan_seconds / cues_seconds:.0f} times faster"
    )

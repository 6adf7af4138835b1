"""fMP4 segments read by their box headers: how many tracks a fragment holds, whether a
segment is whole."""

from mediacaster.services.conversion.fmp4 import fragment_tracks, init_complete, segment_complete


def box(kind, payload=b""):
    return (8 + len(payload)).to_bytes(4, "big") + kind + payload


def test_a_fragment_is_counted_by_its_tracks(tmp_path):
    segment = tmp_path / "1.m4s"
    segment.write_bytes(box(b"styp") + box(b"moof", box(b"mfhd", b"\0" * 8) + box(b"traf") + box(b"traf")))
    assert fragment_tracks(segment) == 2
    segment.write_bytes(box(b"styp") + box(b"moof", box(b"traf")))
    assert fragment_tracks(segment) == 1
    segment.write_bytes(b"not a segment")
    assert fragment_tracks(segment) == 0
    assert fragment_tracks(tmp_path / "missing.m4s") == 0


def test_a_segment_cut_short_or_empty_is_not_complete(tmp_path):
    # ffmpeg 5's HLS muxer ignores write errors: a full disk leaves such files behind.
    whole = box(b"styp") + box(b"moof", box(b"traf")) + box(b"mdat", b"\x00" * 100)
    segment = tmp_path / "2.m4s"
    segment.write_bytes(whole)
    assert segment_complete(segment)
    for damaged in (whole[:-10], b"", box(b"styp") + box(b"moof", box(b"traf"))):
        segment.write_bytes(damaged)
        assert not segment_complete(segment)


def test_an_init_segment_cut_short_is_not_complete(tmp_path):
    whole = box(b"ftyp", b"iso6" + b"\0" * 12) + box(b"moov", box(b"mvhd", b"\0" * 100) + box(b"trak"))
    init = tmp_path / "init.mp4"
    init.write_bytes(whole)
    assert init_complete(init)
    for damaged in (whole[:-1], b"", box(b"ftyp", b"iso6")):
        init.write_bytes(damaged)
        assert not init_complete(init)
    assert not init_complete(tmp_path / "missing.mp4")

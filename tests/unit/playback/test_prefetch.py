"""When the next item is made ready, and how a file's start is read ahead."""

from mediacaster.playback import prefetch


def test_due_is_the_last_half_minute_or_four_fifths_played():
    assert not prefetch.due(100.0, 3600.0)
    assert prefetch.due(3570.0, 3600.0) and prefetch.due(80.0, 100.0)
    assert not prefetch.due(60.0, 100.0)
    assert prefetch.due(0.0, 20.0)  # a short file: at once
    assert not prefetch.due(10.0, None) and not prefetch.due(10.0, 0.0)


def test_read_ends_reads_the_head_and_the_tail_of_a_file(tmp_path):
    path = tmp_path / "film.mp4"
    path.write_bytes(b"x" * 3000)
    assert prefetch.read_ends(str(path), head=1000, tail=500) == 1500
    assert prefetch.read_ends(str(path), head=4000, tail=500) == 3000  # small: read once
    assert prefetch.read_ends(str(tmp_path / "gone.mp4")) == 0

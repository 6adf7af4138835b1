"""Segment file names: the names ffmpeg writes and URLs end with, read back."""

import pytest

from mediacaster.services.conversion.names import (
    FFMPEG_PATTERN,
    INIT_NAME,
    cache_key,
    segment_index,
    segment_name,
)


@pytest.mark.parametrize("index", [0, 1, 42, 9_999_999])
def test_a_segment_name_reads_back_as_its_index(index):
    assert segment_index(segment_name(index)) == index
    assert segment_name(index) == FFMPEG_PATTERN % index


@pytest.mark.parametrize(
    "name",
    [
        INIT_NAME,
        "x.m4s",
        "1.ts",
        "-1.m4s",
        "12345678.m4s",
        "1.m4s.tmp",
        "init.m4s",
        ".m4s",
        "1.m4s\n",
        "\u0661.m4s",
    ],
)
def test_other_names_name_no_segment(name):
    assert segment_index(name) is None


def test_the_init_segment_and_the_segments_have_distinct_cache_keys():
    keys = {cache_key(None), *(cache_key(index) for index in range(3))}
    assert len(keys) == 4

"""What ffmpeg wrote, read from the box headers of fragmented MP4 segments."""

import os
import struct


def segment_complete(path):
    """Whether the fMP4 segment's boxes fill the file exactly, a fragment and its data
    among them (read box headers only)."""
    return {b"moof", b"mdat"} <= _whole_boxes(path)


def init_complete(path):
    """Whether the init segment's boxes fill the file exactly, its file type and the
    tracks' description among them."""
    return {b"ftyp", b"moov"} <= _whole_boxes(path)


def _whole_boxes(path):
    """The kinds of the top-level boxes of a file they fill exactly; none if they do not."""
    kinds = set()
    try:
        with open(path, "rb") as file:
            size = os.fstat(file.fileno()).st_size
            position = 0
            while position < size:
                file.seek(position)
                header = file.read(16)
                if len(header) < 8:
                    return set()
                length, kind = struct.unpack(">I4s", header[:8])
                if length == 1 and len(header) == 16:
                    length = struct.unpack(">Q", header[8:16])[0]
                if length < 8:
                    return set()
                kinds.add(kind)
                position += length
    except OSError:
        return set()
    return kinds if position == size else set()


def fragment_tracks(path):
    """How many tracks the first fragment (``moof``) of an fMP4 segment has data for."""
    try:
        with open(path, "rb") as file:
            data = file.read(1 << 16)
    except OSError:
        return 0
    position = 0
    while position + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[position : position + 8])
        if kind == b"moof":
            end, inner, tracks = min(position + size, len(data)), position + 8, 0
            while inner + 8 <= end:
                box, name = struct.unpack(">I4s", data[inner : inner + 8])
                tracks += name == b"traf"
                if box < 8:
                    break
                inner += box
            return tracks
        if size < 8:
            break
        position += size
    return 0

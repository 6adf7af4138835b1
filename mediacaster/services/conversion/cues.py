"""A Matroska video track's keyframe times, read from the file's index (its Cues).

ffprobe finds keyframes by demuxing every packet, a minute for a large film on a
NAS; the Cues list them in a few kilobytes, found through the SeekHead at the
Segment's start. Only what is needed is read: the EBML header, the SeekHead,
Info (TimestampScale), Tracks (to map ffprobe's stream index to a TrackNumber)
and the Cues. Anything unexpected (not Matroska, no Cues, a damaged or
truncated file) gives None, and the caller falls back to ffprobe.
"""

import os

EBML_MAGIC = b"\x1a\x45\xdf\xa3"

EBML = 0x1A45DFA3
DOCTYPE = 0x4282
SEGMENT = 0x18538067
SEEKHEAD = 0x114D9B74
SEEK = 0x4DBB
SEEKID = 0x53AB
SEEKPOSITION = 0x53AC
INFO = 0x1549A966
TIMESTAMPSCALE = 0x2AD7B1
TRACKS = 0x1654AE6B
TRACKENTRY = 0xAE
TRACKNUMBER = 0xD7
TRACKTYPE = 0x83
CODECID = 0x86
CODECDELAY = 0x56AA
CLUSTER = 0x1F43B675
CUES = 0x1C53BB6B
CUEPOINT = 0xBB
CUETIME = 0xB3
CUETRACKPOSITIONS = 0xB7
CUETRACK = 0xF7

# The Segment's children (and the EBML header and Segment themselves): one of
# these ends an unknown-size element, since it cannot be that element's child.
TOP_LEVEL = {
    EBML,
    SEGMENT,
    SEEKHEAD,
    INFO,
    TRACKS,
    CLUSTER,
    CUES,
    0x1941A469,  # Attachments
    0x1043A770,  # Chapters
    0x1254C367,  # Tags
}

VIDEO = 1
# Track types ffmpeg makes a stream of; any other is skipped, shifting stream indexes.
STREAM_TYPES = {VIDEO, 2, 0x11, 0x21}

# Bytes read at most for each element: Cues of a long film with a keyframe per
# second are a few hundred kilobytes; anything far larger is damage.
LIMITS = {SEEKHEAD: 1 << 20, INFO: 1 << 20, TRACKS: 16 << 20, CUES: 64 << 20}
EBML_HEADER_LIMIT = 4096
# Top-level elements looked at when the SeekHead does not locate everything:
# a known-size Cluster is one, so this covers days of film, yet a file of
# unknown-size Clusters (whose every block is one) is not read through.
SCAN_LIMIT = 100_000
HEADER_BYTES = 12  # the longest element header: a 4-byte ID and an 8-byte size


class Corrupt(Exception):
    """The bytes are not the Matroska they claim to be."""


def matroska_keyframes(path, stream_index):
    """Sorted keyframe times, in seconds, of video stream ``stream_index`` (numbered as
    ffprobe numbers them), from the Cues; None when the file is not Matroska or WebM,
    has no usable Cues, or is damaged. Raises only OSError (the file cannot be read)."""
    with open(path, "rb") as file:
        if file.read(4) != EBML_MAGIC:
            return None
        try:
            return _keyframes(file, stream_index)
        except Corrupt:
            return None


def _keyframes(file, stream_index):
    file_size = os.fstat(file.fileno()).st_size
    doctype, header_end = _ebml_header(file)
    if doctype not in (b"matroska", b"webm"):
        return None
    segment, size, start = _header_at(file, header_end)
    if segment != SEGMENT:
        return None
    end = file_size if size is None else min(start + size, file_size)
    try:
        found = _locate(file, start, end, use_seekhead=True)
        bodies = {element: _body(file, position, end, element) for element, position in found.items()}
    except Corrupt:
        # A SeekHead pointing at the wrong place (or past the end of a cut file):
        # look for the elements themselves.
        found = _locate(file, start, end, use_seekhead=False)
        bodies = {element: _body(file, position, end, element) for element, position in found.items()}
    if CUES not in bodies or TRACKS not in bodies:
        return None
    track = _track_number(bodies[TRACKS], stream_index)
    if track is None:
        return None
    scale = _timestamp_scale(bodies.get(INFO, b""))
    ticks = _cue_times(bodies[CUES], track)
    if not ticks:
        return None
    return [tick * scale / 1e9 for tick in sorted(ticks)]


def _ebml_header(file):
    """The DocType ("matroska" when absent, as the specification says) and where the
    EBML header ends."""
    element, size, start = _header_at(file, 0)
    if element != EBML or size is None or size > EBML_HEADER_LIMIT:
        raise Corrupt("bad EBML header")
    data = _read(file, start, size)
    doctype = b"matroska"
    for child, payload in _walk(data, ()):
        if child == DOCTYPE:
            doctype = payload.rstrip(b"\0")
    return doctype, start + size


def _locate(file, start, end, use_seekhead):
    """Where Info, Tracks and Cues begin, ``{id: offset}``: from the SeekHead (and the
    SeekHeads it lists), else by walking the Segment's children, Clusters skipped."""
    wanted = (INFO, TRACKS, CUES)
    found = {}
    seekheads = set()
    position = start
    for _ in range(SCAN_LIMIT):
        if position >= end or all(element in found for element in wanted):
            break
        element, size, body = _header_at(file, position)
        if element in wanted:
            found.setdefault(element, position)
        elif element == CLUSTER and TRACKS in found and CUES in found:
            break  # Info, if any, comes before the Clusters
        elif element == SEEKHEAD and use_seekhead:
            _follow_seekheads(file, position, start, end, found, seekheads)
        if size is not None:
            position = body + size
        elif element == CLUSTER:
            position = body  # a live-written Cluster: step through its blocks to its end
        else:
            break  # its end could only be found by parsing its children
    return found


def _follow_seekheads(file, position, start, end, found, seen):
    """Add the positions a SeekHead lists, and those of the SeekHeads it lists."""
    pending = [position]
    while pending and len(seen) < 16:
        position = pending.pop()
        if position in seen:
            continue
        seen.add(position)
        target = None
        for element, payload in _walk(_body(file, position, end, SEEKHEAD), (SEEK,)):
            if element == SEEK:
                target = None
            elif element == SEEKID:
                target = int.from_bytes(payload, "big")
            elif element == SEEKPOSITION and target is not None:
                if target == SEEKHEAD:
                    pending.append(start + _uint(payload))
                elif target in (INFO, TRACKS, CUES):
                    found.setdefault(target, start + _uint(payload))


def _body(file, position, end, expected):
    """The whole payload of the element at ``position``, which must be ``expected``."""
    element, size, start = _header_at(file, position)
    if element != expected:
        raise Corrupt(f"{element:#x} where {expected:#x} was expected")
    if size is None:
        # Unknown size: only taken when what follows fits the limit (_walk stops at
        # the next top-level element), as it does for an index written last.
        size = end - start
    if size > LIMITS[element]:
        raise Corrupt(f"{element:#x} of {size} bytes")
    data = _read(file, start, size)
    if len(data) < size:
        raise Corrupt("truncated")
    return data


def _track_number(tracks, stream_index):
    """The TrackNumber of the ``stream_index``-th TrackEntry, if it is a video track."""
    entries = []
    for element, payload in _walk(tracks, (TRACKENTRY,)):
        if element == TRACKENTRY:
            entries.append({})
        elif entries and element in (TRACKNUMBER, TRACKTYPE, CODECDELAY):
            entries[-1][element] = _uint(payload)
        elif entries and element == CODECID:
            entries[-1][element] = payload
    if not 0 <= stream_index < len(entries):
        return None
    # ffmpeg makes no stream of some tracks; past one of those, indexes would not match.
    if any(e.get(TRACKTYPE) not in STREAM_TYPES or not e.get(CODECID) for e in entries[: stream_index + 1]):
        return None
    entry = entries[stream_index]
    # A CodecDelay would shift ffmpeg's timestamps away from the Cues'.
    if entry[TRACKTYPE] != VIDEO or not entry.get(TRACKNUMBER) or entry.get(CODECDELAY, 0):
        return None
    return entry[TRACKNUMBER]


def _timestamp_scale(info):
    """Nanoseconds per timestamp tick (1 ms unless Info says otherwise)."""
    scale = 1_000_000
    for element, payload in _walk(info, ()):
        if element == TIMESTAMPSCALE:
            scale = _uint(payload)
    if scale == 0:
        raise Corrupt("TimestampScale of 0")
    return scale


def _cue_times(cues, track):
    """The CueTimes (in ticks) of the CuePoints that list a position in ``track``."""
    times = set()
    time, tracks = None, []
    for element, payload in _walk(cues, (CUEPOINT, CUETRACKPOSITIONS)):
        if element == CUEPOINT:
            if time is not None and track in tracks:
                times.add(time)
            time, tracks = None, []
        elif element == CUETIME:
            time = _uint(payload)
        elif element == CUETRACK:
            tracks.append(_uint(payload))
    if time is not None and track in tracks:
        times.add(time)
    return times


def _walk(data, enter):
    """Yield ``(id, payload)`` of the elements in ``data``, going into the masters in
    ``enter`` (yielded with a payload of None) rather than over them, so that their
    children come as if they were siblings: a master of unknown size then needs no
    end. Stops at a top-level element, which ends an unknown-size parent."""
    position = 0
    while position < len(data):
        element, size, position = _parse_header(data, position)
        if element in TOP_LEVEL:
            return
        if element in enter:
            yield element, None
            continue
        if size is None or position + size > len(data):
            raise Corrupt(f"{element:#x} runs past its parent")
        yield element, data[position : position + size]
        position += size


def _header_at(file, position):
    """``(id, size or None when unknown, payload offset)`` of the element at ``position``."""
    element, size, length = _parse_header(_read(file, position, HEADER_BYTES), 0)
    return element, size, position + length


def _parse_header(data, position):
    """``(id, size or None, offset after the header)`` of the element at ``position``."""
    length = _vint_length(data, position, 4)
    element = int.from_bytes(data[position : position + length], "big")  # IDs keep their marker
    position += length
    length = _vint_length(data, position, 8)
    all_ones = (1 << (7 * length)) - 1
    size = int.from_bytes(data[position : position + length], "big") & all_ones
    return element, None if size == all_ones else size, position + length


def _vint_length(data, position, longest):
    """The length of the EBML variable-length integer at ``position``, from its first byte."""
    if position >= len(data) or not data[position]:
        raise Corrupt("bad variable-length integer")
    length = 9 - data[position].bit_length()
    if length > longest or position + length > len(data):
        raise Corrupt("bad variable-length integer")
    return length


def _uint(payload):
    if payload is None or len(payload) > 8:
        raise Corrupt("bad unsigned integer")
    return int.from_bytes(payload, "big")


def _read(file, position, size):
    file.seek(position)
    return file.read(size)

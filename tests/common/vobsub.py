"""Image subtitles for tests: a VobSub pair (.idx and .sub) drawn by hand.

ffmpeg encodes image subtitles only from image subtitles, so the first ones
must be made some other way: each cue here is a filled rectangle, run-length
encoded as a DVD subpicture (SPU) and wrapped in one MPEG-2 program stream
pack, which ffmpeg's VobSub demuxer reads and can copy into an MKV.
"""

import struct

# Palette entries the SPU colour indexes point to: black, white, a bright red, grey.
PALETTE = ["000000", "ffffff", "ff0000", "808080"] + ["000000"] * 12
SPU_TICKS = 90000 / 1024  # the SPU's clock: display delays are in 1024/90000 s


def _nibbles_of_run(length, colour):
    """The RLE code of ``length`` pixels of ``colour`` (0 for the rest of the line)."""
    if 1 <= length <= 3:
        return [(length << 2) | colour]
    code = (length << 2) | colour
    if 4 <= length <= 15:
        return [code >> 4, code & 0xF]
    if 16 <= length <= 63:
        return [code >> 8, (code >> 4) & 0xF, code & 0xF]
    return [code >> 12, (code >> 8) & 0xF, (code >> 4) & 0xF, code & 0xF]  # 64..255, or 0: to the end


def _line(width, colour):
    nibbles = []
    left = width
    while left > 255:
        nibbles += _nibbles_of_run(255, colour)
        left -= 255
    nibbles += _nibbles_of_run(left, colour)
    if len(nibbles) % 2:
        nibbles.append(0)  # each line ends on a whole byte
    return bytes((nibbles[i] << 4) | nibbles[i + 1] for i in range(0, len(nibbles), 2))


def spu(x, y, width, height, seconds):
    """A subpicture: a ``width`` x ``height`` rectangle of colour 1 at ``x``, ``y``, shown
    for ``seconds``."""
    line = _line(width, 1)
    top = line * ((height + 1) // 2)  # even lines, then odd lines
    bottom = line * (height // 2)
    pixels_at = 4
    first_dcsq = pixels_at + len(top) + len(bottom)
    commands = (
        b"\x01"  # start showing
        + b"\x03\x32\x10"  # colour indexes of emphasis 2, emphasis 1, pattern, background
        + b"\x04\xff\xf0"  # contrast: the background transparent, the rest opaque
        + b"\x05"
        + _coordinates(x, x + width - 1, y, y + height - 1)
        + b"\x06"
        + struct.pack(">HH", pixels_at, pixels_at + len(top))
        + b"\xff"
    )
    second_dcsq = first_dcsq + 4 + len(commands)
    first = struct.pack(">HH", 0, second_dcsq) + commands
    second = struct.pack(">HH", round(seconds * SPU_TICKS), second_dcsq) + b"\x02\xff"
    body = top + bottom + first + second
    return struct.pack(">HH", 4 + len(body), first_dcsq) + body


def _coordinates(x1, x2, y1, y2):
    value = (x1 << 36) | (x2 << 24) | (y1 << 12) | y2
    return value.to_bytes(6, "big")


def _timestamp(seconds):
    """A 33-bit 90 kHz timestamp in the 5 bytes of a PES PTS (or the pack's SCR fields)."""
    t = round(seconds * 90000)
    return bytes(
        [
            0x21 | ((t >> 29) & 0x0E),
            (t >> 22) & 0xFF,
            0x01 | ((t >> 14) & 0xFE),
            (t >> 7) & 0xFF,
            0x01 | ((t << 1) & 0xFE),
        ]
    )


def _pack(seconds, payload):
    # An MPEG-2 pack header with a zero clock reference: the PES timestamp is what counts.
    pack = b"\x00\x00\x01\xba\x44\x00\x04\x00\x04\x01\x01\x89\xc3\xf8"
    header = b"\x81\x80\x05" + _timestamp(seconds)
    data = header + b"\x20" + payload  # sub-stream 0x20: the first subtitle track
    return pack + b"\x00\x00\x01\xbd" + struct.pack(">H", len(data)) + data


def write(base, cues, size=(320, 180), language="en"):
    """``base``.idx and ``base``.sub with ``cues``: (start, end, (x, y, width, height)) each."""
    sub, positions = b"", []
    for start, end, (x, y, width, height) in cues:
        positions.append((start, len(sub)))
        sub += _pack(start, spu(x, y, width, height, end - start))
    lines = [
        "# VobSub index file, v7 (do not modify this line!)",
        f"size: {size[0]}x{size[1]}",
        "palette: " + ", ".join(PALETTE),
        f"id: {language}, index: 0",
    ]
    for start, position in positions:
        ms = round(start * 1000)
        stamp = f"{ms // 3600000:02}:{ms // 60000 % 60:02}:{ms // 1000 % 60:02}:{ms % 1000:03}"
        lines.append(f"timestamp: {stamp}, filepos: {position:09x}")
    with open(f"{base}.idx", "w") as idx:
        idx.write("\n".join(lines) + "\n")
    with open(f"{base}.sub", "wb") as file:
        file.write(sub)

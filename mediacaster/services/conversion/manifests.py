"""Manifests of a converted stream for players that build their own MediaSource.

A browser player (Shaka Player) fed the HLS media playlist alone must guess
the codecs from the first segment; given them up front, in an HLS
multivariant playlist or a DASH MPD, it sets up MediaSource at once. The MPD
lists the same cuts as the HLS playlist (:class:`~.timeline.Timeline`), and
since segments keep the source's clock (``-copyts``), a
``presentationTimeOffset`` of the file's start makes the presentation start at
zero where the file's clock does: subtitles are timed on it, and the first
frame is never before it (a first cut after it, where a picture starts a few
milliseconds into a file, would put the first keyframe before the player's
append window, and the first segment would be dropped).
"""

import itertools
import xml.etree.ElementTree as ET

# What the encoder makes: libx264 High, level 4.1, 8-bit 4:2:0 (commands.py).
CONVERTED_VIDEO = "avc1.640029"
CONVERTED_SOUND = {"aac": "mp4a.40.2", "flac": "flac"}
# profile_idc of ffprobe's H.264 profile names, and the constraint flags that tell
# Constrained Baseline from Baseline (constraint_set1).
H264_PROFILES = {
    "Baseline": 0x42,
    "Constrained Baseline": 0x42,
    "Main": 0x4D,
    "Extended": 0x58,
    "High": 0x64,
    "High 10": 0x6E,
    "High 4:2:2": 0x7A,
    "High 4:4:4 Predictive": 0xF4,
}
H264_CONSTRAINTS = {"Constrained Baseline": 0x40}
# general_profile_idc and its compatibility flags, in RFC 6381's spelling.
HEVC_PROFILES = {"Main": "1.6", "Main 10": "2.4"}
AAC_PROFILES = {"LC": "mp4a.40.2", "HE-AAC": "mp4a.40.5", "HE-AACv2": "mp4a.40.29"}
COPIED_SOUND = {"opus": "opus", "flac": "flac", "mp3": "mp4a.40.34", "ac3": "ac-3", "eac3": "ec-3"}
DEFAULT_BANDWIDTH = 2_000_000
NAMESPACE = "urn:mpeg:dash:schema:mpd:2011"
# An index no URL can hold (a NUL is never in one): where $Number$ goes.
SENTINEL = "\0number\0"


def video_codec(video):
    """RFC 6381 name of a copied video stream, or None when it has none we know."""
    codec, profile, level = video.get("codec"), video.get("profile"), video.get("level")
    depth = video.get("bit_depth") or 8
    if codec == "h264":
        # An unnamed profile is most likely High, whose decoders play Main and Baseline too.
        profile_idc = H264_PROFILES.get(profile or "High")
        if profile_idc is None:
            return None
        level_idc = round(level * 10) if level else 40  # unknown: 4.0, what most files are
        return f"avc1.{profile_idc:02x}{H264_CONSTRAINTS.get(profile, 0):02x}{level_idc:02x}"
    if codec == "hevc":
        spelt = HEVC_PROFILES.get(profile or ("Main 10" if depth > 8 else "Main"))
        return f"hvc1.{spelt}.L{round(level * 30) if level else 120}.B0" if spelt else None
    if codec == "vp9":
        # ffprobe rarely knows a VP9 level; when it does it may be 4.1 or 41.
        level10 = 40 if not level else round(level * 10) if level < 10 else round(level)
        return f"vp09.{0 if depth <= 8 else 2:02}.{level10:02}.{depth:02}"
    if codec == "av1":
        return f"av01.0.08M.{depth:02}"
    return None


def sound_codec(probe, variant):
    if variant.audio != "copy":
        return CONVERTED_SOUND.get(variant.audio)
    track = next((a for a in probe.get("audio") or [] if a.get("index") == variant.audio_index), None)
    if track is None:
        return None
    if track.get("codec") == "aac":
        return AAC_PROFILES.get(track.get("profile") or "LC")
    return COPIED_SOUND.get(track.get("codec"))


def codecs(probe, variant):
    """The RFC 6381 ``codecs`` of the stream's segments, picture first, or None when
    one of them is unknown: a wrong or partial list fails MediaSource, none is guessed."""
    names = []
    if variant.video:
        names.append(CONVERTED_VIDEO if variant.video == "convert" else video_codec(probe.get("video") or {}))
    if variant.audio:
        names.append(sound_codec(probe, variant))
    return ",".join(names) if names and None not in names else None


def bandwidth(stream, probe):
    """Bits a second, for players to pick and buffer by: the source's rate is the
    best estimate known before ffmpeg runs."""
    return max(1, int(stream.bit_rate or probe.get("bit_rate") or DEFAULT_BANDWIDTH))


def resolution(stream, probe):
    """``(width, height)`` of a copied picture; None otherwise (a converted one may be scaled)."""
    source = probe.get("video") or {}
    if stream.variant.video == "copy" and source.get("width") and source.get("height"):
        return source["width"], source["height"]
    return None


def _template(url):
    """A URL as a DASH template's literal text: ``$`` is written ``$$``."""
    return url.replace("$", "$$")


def mpd(timeline, stream, probe, init_url, segment_url):
    """The DASH MPD of a converted stream: static, one Representation, the timeline's
    own cuts (``segment_url(i)`` is the absolute URL of segment ``i``)."""
    # Whole milliseconds of the source's clock: each S ends exactly where the next starts.
    cuts = [round(start * 1000) for start in (*timeline.starts, timeline.end)]
    origin = min(cuts[0], round(stream.start * 1000))
    video = bool(stream.variant.video)
    root = ET.Element(
        "MPD",
        xmlns=NAMESPACE,
        type="static",
        profiles="urn:mpeg:dash:profile:isoff-live:2011",
        mediaPresentationDuration=f"PT{(cuts[-1] - origin) / 1000:.3f}S",
        minBufferTime="PT2S",
    )
    period = ET.SubElement(root, "Period", id="0", start="PT0S")
    adaptation = ET.SubElement(
        period,
        "AdaptationSet",
        contentType="video" if video else "audio",
        mimeType="video/mp4" if video else "audio/mp4",
        segmentAlignment="true",
        startWithSAP="1",
    )
    representation = ET.SubElement(adaptation, "Representation", id="0")
    if names := codecs(probe, stream.variant):
        representation.set("codecs", names)
    representation.set("bandwidth", str(bandwidth(stream, probe)))
    if size := resolution(stream, probe):
        representation.set("width", str(size[0]))
        representation.set("height", str(size[1]))
    before, after = segment_url(SENTINEL).split(SENTINEL)  # raises unless it holds the index once
    template = ET.SubElement(
        representation,
        "SegmentTemplate",
        timescale="1000",
        presentationTimeOffset=str(origin),
        startNumber="0",
        initialization=_template(init_url),
        media=f"{_template(before)}$Number${_template(after)}",
    )
    segments = ET.SubElement(template, "SegmentTimeline")
    last = None
    for start, following in itertools.pairwise(cuts):
        if last is not None and following - start == int(last.get("d")):
            last.set("r", str(int(last.get("r", "0")) + 1))
        else:
            last = ET.SubElement(segments, "S", t=str(start), d=str(following - start))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


THUMBNAIL_TILE = "http://dashif.org/thumbnail_tile"
SHEET_NUMBER = "_number_"  # where $Number$ goes in a sheet's URL


def with_thumbnails(text, layout, sheet_url):
    """The MPD ``text`` with the seek previews as an image adaptation set (DASH-IF IOP
    6.2.6, what Shaka Player's ``getThumbnails`` reads): one sheet of ``layout.tile``
    pictures a segment; ``sheet_url(i)`` is the absolute URL of sheet ``i``."""
    adaptation = ET.Element("AdaptationSet", id="1", contentType="image", mimeType="image/jpeg")
    representation = ET.SubElement(
        adaptation,
        "Representation",
        id="thumbnails",
        bandwidth=str(max(1, 8 * 12_000 * layout.per_sheet // layout.sheet_seconds)),  # ~12 kB a picture
        width=str(layout.width * layout.columns),
        height=str(layout.height * layout.rows),
    )
    ET.SubElement(representation, "EssentialProperty", schemeIdUri=THUMBNAIL_TILE, value=layout.tile)
    # The sheet's name comes last, quoted as a path is: its index is found from the end.
    before, after = sheet_url(SHEET_NUMBER).rsplit(SHEET_NUMBER, 1)
    ET.SubElement(
        representation,
        "SegmentTemplate",
        timescale="1",
        duration=str(layout.sheet_seconds),
        startNumber="0",
        media=f"{_template(before)}$Number${_template(after)}",
    )
    ET.indent(adaptation, level=2)
    snippet = ET.tostring(adaptation, encoding="unicode").rstrip()
    head, tail = text.rsplit("</Period>", 1)
    return f"{head}  {snippet}\n  </Period>{tail}"


def master(stream, probe, playlist_url):
    """The HLS multivariant playlist of a converted stream: its one media playlist,
    with the codecs a player needs before it loads a segment."""
    attributes = [f"BANDWIDTH={bandwidth(stream, probe)}"]
    if names := codecs(probe, stream.variant):
        attributes.append(f'CODECS="{names}"')
    if size := resolution(stream, probe):
        attributes.append(f"RESOLUTION={size[0]}x{size[1]}")
    lines = [
        "#EXTM3U",
        "#EXT-X-VERSION:7",
        "#EXT-X-INDEPENDENT-SEGMENTS",
        f"#EXT-X-STREAM-INF:{','.join(attributes)}",
        playlist_url,
    ]
    return "\n".join(lines) + "\n"

"""Embedded tags and cover art, read with mutagen: the second thing trusted."""

import logging
import re

import mutagen

log = logging.getLogger(__name__)


def read(path):
    """``{"title", "artist", "albumartist", "album", "year", "track", "disc",
    "compilation", "cover"}`` (those present) of the media file at ``path``; ``cover``
    True when the file holds a picture. ``{}`` when mutagen knows no tags there."""
    try:
        easy = mutagen.File(path, easy=True)
    except Exception:  # mutagen raises many kinds on damaged files; a file without tags then
        log.debug("no tags read from %s", path, exc_info=True)
        return {}
    found = {}
    if easy is not None and easy.tags is not None:
        for name in ("title", "artist", "albumartist", "album"):
            value = _first(easy.tags, name)
            if value:
                found[name] = value
        year = re.match(r"\s*(\d{4})", _first(easy.tags, "date") or "")
        if year:
            found["year"] = int(year.group(1))
        for name, tag in (("track", "tracknumber"), ("disc", "discnumber")):
            number = re.match(r"\s*(\d+)", _first(easy.tags, tag) or "")
            if number:
                found[name] = int(number.group(1))
        if (_first(easy.tags, "compilation") or "").strip().lower() in ("1", "true", "yes"):
            found["compilation"] = True
    if _has_cover(path):
        found["cover"] = True
    return found


def _first(tags, name):
    try:
        values = tags.get(name)
    except (KeyError, ValueError):
        return None
    if not values:
        return None
    value = values[0] if isinstance(values, list) else values
    return str(value).strip() or None


def _has_cover(path):
    try:
        full = mutagen.File(path)
    except Exception:
        return False
    if full is None:
        return False
    if getattr(full, "pictures", None):  # FLAC
        return True
    tags = full.tags
    if tags is None:
        return False
    if hasattr(tags, "getall"):  # ID3
        return bool(tags.getall("APIC"))
    keys = set(tags.keys()) if hasattr(tags, "keys") else set()
    return bool(keys & {"covr", "metadata_block_picture", "METADATA_BLOCK_PICTURE"})

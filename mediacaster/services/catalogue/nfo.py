"""Kodi ``.nfo`` files: what a person wrote about a film, a show or an episode, the
first thing trusted.

Read with defusedxml: an ``.nfo`` comes from wherever the media came from, and an XML
entity bomb or an external entity must not cost memory or reach the network or disk.
Kodi allows a URL line after the XML; what follows the root element is left out.
"""

import re
from datetime import date

from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException

from mediacaster.errors import NotFound
from mediacaster.services.library import open_regular

MAX_BYTES = 1024 * 1024
ROOTS = ("movie", "tvshow", "episodedetails")


def read(path):
    """``{"kind": movie|tvshow|episodedetails, "title", "year", ...}`` of the ``.nfo`` at
    ``path``, or None when it cannot be read or is not one of those."""
    try:
        with open_regular(path) as file:  # never a FIFO's endless wait
            data = file.read(MAX_BYTES)
    except (OSError, NotFound):
        return None
    root = _parse(data)
    if root is None or root.tag not in ROOTS:
        return None
    found = {"kind": root.tag}
    for name in ("title", "showtitle", "sorttitle", "edition"):
        text = _text(root, name)
        if text:
            found[name] = text
    for name in ("year", "season", "episode"):
        number = _number(_text(root, name))
        if number is not None:
            found[name] = number
    for name in ("aired", "premiered"):
        day = _date(_text(root, name))
        if day is not None:
            found[name] = day
    if "year" not in found and "premiered" in found:
        found["year"] = found["premiered"].year
    return found


def _parse(data):
    for attempt in (data, _up_to_root_end(data)):
        if attempt is None:
            continue
        try:
            return ElementTree.fromstring(attempt, forbid_dtd=True)
        except (ElementTree.ParseError, DefusedXmlException, ValueError):
            continue
    return None


def _up_to_root_end(data):
    ends = [data.rfind(f"</{name}>".encode()) for name in ROOTS]
    end = max(ends)
    if end < 0:
        return None
    return data[: data.index(b">", end) + 1]


def _text(root, name):
    element = root.find(name)
    text = element.text if element is not None else None
    return text.strip() if text and text.strip() else None


def _number(text):
    if text and re.fullmatch(r"-?\d{1,6}", text):
        return int(text)
    return None


def _date(text):
    try:
        return date.fromisoformat(text[:10]) if text else None
    except ValueError:
        return None

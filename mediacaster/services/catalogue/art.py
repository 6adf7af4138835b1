"""Local art: the pictures people and media managers (Kodi, Jellyfin) put beside media.

Each function takes the names in a folder and answers the name of the picture to use,
or None; embedded cover art comes after these (services/catalogue/identify.py).
"""

import re

from mediacaster.services.catalogue.listing import Listing, pictures
from mediacaster.services.catalogue.names import stem

FOLDER_POSTERS = ("poster", "folder", "cover")
ALBUM_COVERS = ("cover", "folder", "front", "album", "poster")
ART_NAME = re.compile(
    r"(?i)^(?:poster|folder|cover|front|back|album|fanart|banner|clearlogo|logo|thumb|landscape|disc"
    r"|season\d+-poster|season-specials-poster|season-all-poster|.+-(?:poster|fanart|thumb|banner))"
    r"\.(?:jpe?g|png|webp)$"
)


def is_art(name):
    """Whether a picture is art for media rather than a photo."""
    return bool(ART_NAME.match(name))


def _find(names, stems):
    # A scan's listings know their pictures already: each folder's are sorted out once.
    by_stem = names.pictures if isinstance(names, Listing) else pictures(names)
    for wanted in stems:
        found = by_stem.get(wanted.lower())
        if found:
            return sorted(found)[0]
    return None


def film_poster(names, file_name, alone):
    """``<name>-poster.jpg``, then, for a film alone in its folder, ``poster.jpg``,
    ``folder.jpg`` or ``cover.jpg``."""
    own = stem(file_name)
    return _find(names, [f"{own}-poster", own] + (list(FOLDER_POSTERS) if alone else []))


def film_fanart(names, file_name, alone):
    own = stem(file_name)
    return _find(names, [f"{own}-fanart"] + (["fanart"] if alone else []))


def show_poster(names):
    return _find(names, ["poster", "folder", "cover"])


def show_fanart(names):
    return _find(names, ["fanart"])


def season_poster(show_names, season_names, season):
    """``season01-poster.jpg`` (``season-specials-poster.jpg``) in the show's folder, then
    ``poster.jpg`` or ``folder.jpg`` in the season's own folder."""
    own = "season-specials-poster" if season == 0 else f"season{season:02d}-poster"
    return _find(show_names, [own]) or (_find(season_names, ["poster", "folder"]) if season_names else None)


def album_cover(names):
    return _find(names, list(ALBUM_COVERS))

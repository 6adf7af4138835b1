"""What the catalogue knows of one file, for what plays it: the film, the episode or the
song it holds, with its art, as plain data (a device's LOAD carries it: services/cast)."""

from sqlalchemy import select

from mediacaster import bytenames
from mediacaster.models.catalogue import CatalogueFile, Episode, Film, Track


def item_of(session, root, path):
    """``{"type": "film", "title", "year", "edition", …}``, ``{"type": "episode", "show",
    "season", "number", "title", "aired", …}`` or ``{"type": "track", "title", "artist",
    "album", "album_artist", "disc", "number", "year", …}`` for the present file at ``path``
    (below ``root``), each with ``"art"``: a path below the root or None, and
    ``"art_embedded"``: whether that path is a media file whose embedded cover is meant.
    None for a file the catalogue does not hold as one of these."""
    file_id = session.scalar(
        select(CatalogueFile.id).where(
            CatalogueFile.root == root,
            CatalogueFile.path == bytenames.encode(path),
            CatalogueFile.present.is_(True),
        )
    )
    if file_id is None:
        return None
    for kind, describe in ((Episode, _episode), (Film, _film), (Track, _track)):
        found = session.scalar(select(kind).where(kind.file_id == file_id))
        if found is not None:
            return describe(found)
    return None


def _path(data):
    return bytenames.decode(data) if data is not None else None


def _episode(episode):
    season = episode.season
    return {
        "type": "episode",
        "show": season.show.title,
        "season": season.number,
        "number": episode.number,
        "title": episode.title,
        "aired": episode.aired,
        "art": _path(season.poster or season.show.poster),
        "art_embedded": False,
    }


def _film(film):
    return {
        "type": "film",
        "title": film.title,
        "year": film.year,
        "edition": film.edition,
        "art": _path(film.poster),
        "art_embedded": film.poster_embedded,
    }


def _track(track):
    album = track.album
    return {
        "type": "track",
        "title": track.title,
        "artist": track.artist.name,
        "album": album.title,
        "album_artist": album.artist.name,
        "disc": track.disc,
        "number": track.number,
        "year": album.year,
        "art": _path(album.cover),
        "art_embedded": album.cover_embedded,
    }

"""What one media file is — a film, an episode, a song or a photo — from what is on the
disk, in this order of trust: an ``.nfo``, embedded tags, the release name and the
folders' names (guessit), the file name.

Knows nothing of the database: the scanner hands the answer to the store.
"""

import functools
import re
import unicodedata

from mediacaster.services.catalogue import art, names, nfo, photos, tags
from mediacaster.services.catalogue.listing import Listing

VARIOUS_ARTISTS = "Various Artists"
UNKNOWN_ARTIST, UNKNOWN_ALBUM = "Unknown artist", "Unknown album"
# Folders up from a video where a tvshow.nfo is looked for (Show/Season 1/file.mkv).
SHOW_FOLDER_DEPTH = 2


# A scan asks for the same show, artist and album names once per file: each folded once.
@functools.lru_cache(maxsize=4096)
def comparable(text):
    """Folded, without punctuation or a trailing year: 'The.Expanse (2015)' -> 'the expanse'."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = re.sub(r"[\(\[]\d{4}[\)\]]\s*$", "", text)
    return " ".join(re.sub(r"[\W_]+", " ", text).split())


@functools.lru_cache(maxsize=4096)
def sort_title(title):
    """Sorted without a leading article: 'The Expanse' among the E."""
    text = unicodedata.normalize("NFKC", title).casefold().strip()
    return re.sub(r"^(the|a|an)\s+", "", text) or text


def parent(path):
    return path.rpartition("/")[0]


def join(folder, name):
    return f"{folder}/{name}" if folder else name


def identify(path, kind, real_path, folders, real_of):
    """The item ``path`` (below its root; on disk at ``real_path``) stands for, as a dict
    with ``type`` film, episode, track or photo; None for a picture that is art.
    ``real_of(relative path)`` is where another file of the root is on disk."""
    if kind == "video":
        return _video(path, real_path, folders, real_of)
    if kind == "audio":
        return _track(path, real_path, folders)
    if kind == "image":
        return _photo(path, real_path, folders)
    return None


def _video(path, real_path, folders, real_of):
    folder, name = parent(path), path.rpartition("/")[2]
    here = folders.names(folder)
    own = _nfo(here, folder, [f"{names.stem(name)}.nfo"], real_of)
    show_folder, show_nfo = _tvshow_nfo(folder, folders, real_of)
    if own is None and show_nfo is None and _alone(here):
        own = _nfo(here, folder, ["movie.nfo"], real_of)  # a film's folder's own .nfo
    guess = names.video(path)
    if (own and own["kind"] == "episodedetails") or show_nfo is not None:
        guess["kind"] = "episode"
    if guess["kind"] == "episode" and not (own and own["kind"] == "movie"):
        return _episode(path, guess, own or {}, show_folder, show_nfo or {}, folders)
    return _film(path, real_path, guess, own or {}, here)


def _alone(here):
    """Whether a folder (a :class:`Listing`) holds one video at most: a film's own folder,
    whose poster.jpg, fanart.jpg and movie.nfo are that film's."""
    return here.kinds["video"] <= 1


def _nfo(here, folder, wanted, real_of):
    for candidate in wanted:
        found = here.lowered.get(candidate.lower())
        if found:
            read = nfo.read(real_of(join(folder, found)))
            if read is not None:
                return read
    return None


def _tvshow_nfo(folder, folders, real_of):
    """``(show folder, tvshow.nfo's fields)`` from the nearest tvshow.nfo up the tree."""
    current = folder
    for _ in range(SHOW_FOLDER_DEPTH):
        read = _nfo(folders.names(current), current, ["tvshow.nfo"], real_of)
        if read is not None and read["kind"] == "tvshow":
            return current, read
        if not current:
            break
        current = parent(current)
    return None, None


def _film(path, real_path, guess, own, here):
    name = path.rpartition("/")[2]
    embedded = tags.read(real_path)
    alone = _alone(here)
    poster = art.film_poster(here, name, alone)
    folder = parent(path)
    title = own.get("title") or embedded.get("title") or guess["title"]
    return {
        "type": "film",
        "title": title,
        "sort_title": sort_title(own.get("sorttitle") or title),
        "year": own.get("year") or embedded.get("year") or guess.get("year"),
        "edition": own.get("edition") or guess.get("edition"),
        "poster": join(folder, poster) if poster else (path if embedded.get("cover") else None),
        "poster_embedded": poster is None and bool(embedded.get("cover")),
        "fanart": _joined(folder, art.film_fanart(here, name, alone)),
    }


def _episode(path, guess, own, show_folder, show_nfo, folders):
    folder = parent(path)
    show = show_nfo.get("title") or own.get("showtitle") or guess.get("show") or names.stem(path)
    if show_folder is None:
        show_folder = _show_folder(folder, show)
    season = own.get("season", guess.get("season", 1))
    number = own.get("episode", guess.get("episode"))
    last = guess.get("last_episode") if "episode" not in own else number
    show_names = folders.names(show_folder) if show_folder is not None else Listing()
    season_names = folders.names(folder) if folder != show_folder else None
    return {
        "type": "episode",
        "show": show,
        "show_key": comparable(show),
        "show_sort_title": sort_title(show_nfo.get("sorttitle") or show),
        "show_year": show_nfo.get("year") or guess.get("year"),
        "show_poster": _joined(show_folder, art.show_poster(show_names)) if show_folder is not None else None,
        "show_fanart": _joined(show_folder, art.show_fanart(show_names)) if show_folder is not None else None,
        "season": season,
        "season_poster": _joined_either(show_folder, folder, show_names, season_names, season),
        "number": number,
        "last_number": last if last is not None else number,
        "absolute_number": guess.get("absolute") if "episode" not in own else None,
        "aired": own.get("aired") or guess.get("aired"),
        "title": own.get("title") or guess.get("title"),
    }


def _joined_either(show_folder, folder, show_names, season_names, season):
    found = art.season_poster(show_names, season_names, season)
    if found is None:
        return None
    in_show = (
        show_folder is not None
        and found in show_names
        and (season_names is None or found not in season_names)
    )
    return join(show_folder if in_show else folder, found)


def _show_folder(folder, show):
    """The folder of the show: the season folder's parent, or the file's folder when its
    name is the show's (not a flat folder of many shows' releases)."""
    wanted = comparable(show)
    current = folder
    for _ in range(SHOW_FOLDER_DEPTH):
        name = current.rpartition("/")[2]
        if current and comparable(name) == wanted:
            return current
        if not current or names.season_of_folder(name) is None:
            return None
        current = parent(current)
    return None


def _joined(folder, name):
    return join(folder, name) if name else None


def _track(path, real_path, folders):
    folder = parent(path)
    embedded = tags.read(real_path)
    named = names.track(path)
    compilation = bool(embedded.get("compilation"))
    artist = embedded.get("artist") or named.get("artist") or UNKNOWN_ARTIST
    album_artist = embedded.get("albumartist") or (VARIOUS_ARTISTS if compilation else None) or artist
    album = embedded.get("album") or named.get("album") or UNKNOWN_ALBUM
    album_folder = parent(folder) if names.disc_of_folder(folder.rpartition("/")[2]) is not None else folder
    cover = art.album_cover(folders.names(album_folder)) or art.album_cover(folders.names(folder))
    cover_folder = album_folder if cover in folders.names(album_folder) else folder
    return {
        "type": "track",
        "title": embedded.get("title") or named["title"],
        "artist": artist,
        "album_artist": album_artist,
        "album": album,
        "year": embedded.get("year") or names.album_year(album_folder.rpartition("/")[2]),
        "disc": embedded.get("disc") or named.get("disc"),
        "number": embedded.get("track") or named.get("track"),
        "compilation": compilation or album_artist == VARIOUS_ARTISTS,
        "cover": join(cover_folder, cover) if cover else (path if embedded.get("cover") else None),
        "cover_embedded": cover is None and bool(embedded.get("cover")),
    }


def _photo(path, real_path, folders):
    name = path.rpartition("/")[2]
    if art.is_art(name):
        return None
    # Pictures among songs or films are their covers and stills, not photos.
    here = folders.names(parent(path)).kinds
    if here["audio"] or here["video"]:
        return None
    found = photos.read(real_path)
    return {
        "type": "photo",
        "taken_at": found.get("taken_at"),
        "width": found.get("width"),
        "height": found.get("height"),
    }

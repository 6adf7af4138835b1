"""What release names and folder names say: guessit for films and episodes, the
``Artist/Album/01 Title.mp3`` layout for music, and the bare file name last."""

import re
from datetime import date

SEASON_FOLDER = re.compile(r"(?i)^(?:season|series|saison|staffel|s)[\s._-]*(\d{1,4})$|^(specials?)$")
DISC_FOLDER = re.compile(r"(?i)^(?:cd|disc|disk)[\s._-]*(\d{1,2})$")
TRACK_NAME = re.compile(
    r"^(?:(?P<disc>\d)[-.](?P<both>\d{2})|(?P<track>\d{1,3}))(?:[\s._]*-?[\s._]*)(?P<title>.*)$"
)


def stem(name):
    dot = name.rfind(".")
    return name[:dot] if dot > 0 else name


def season_of_folder(name):
    """The season a folder name stands for (``Season 2``: 2, ``Specials``: 0), or None."""
    match = SEASON_FOLDER.match(name.strip())
    if not match:
        return None
    return 0 if match.group(2) else int(match.group(1))


def disc_of_folder(name):
    match = DISC_FOLDER.match(name.strip())
    return int(match.group(1)) if match else None


def _guessit(path, options=None):
    from guessit import guessit  # its rules take a second to build: only when a video is read

    try:
        return dict(guessit(path, options or {}))
    except Exception:  # guessit gives up on some names; the file name is what is left then
        return {}


def _one(value):
    return value[0] if isinstance(value, list) else value


# The names media managers (Sonarr, Radarr) and Jellyfin's and Plex's guides give:
# "Show (2019)/Season 01/Show - S01E02 - Title.mkv" and "Film (1999)/Film (1999).mkv".
# Read without guessit, whose ~50 ms a name would be most of a first scan's time.
PLAIN_SHOW = re.compile(r"^(?P<show>[^/]+?)(?: \((?P<year>\d{4})\))?$")
PLAIN_EPISODE = re.compile(
    r"^(?P<show>[^/]+?) - [Ss](?P<season>\d{1,2})[Ee](?P<episode>\d{1,3})(?:-?[Ee](?P<last>\d{1,3}))?"
    r" - (?P<title>[^/]*?\w[^/]*?)\.\w{2,4}$"
)
PLAIN_FILM = re.compile(r"^(?P<title>[\w' ,&!-]+?) \((?P<year>(?:19|20)\d{2})\)\.\w{2,4}$")


def _plain(segments):
    """What a name of the plain layouts above says, or None for any other name."""
    name = segments[-1]
    episode = PLAIN_EPISODE.match(name)
    if episode and len(segments) >= 3 and season_of_folder(segments[-2]) == int(episode["season"]):
        show = PLAIN_SHOW.match(segments[-3])
        if show and show["show"] == episode["show"]:
            found = {"kind": "episode", "show": show["show"], "season": int(episode["season"])}
            found["episode"] = int(episode["episode"])
            found["last_episode"] = int(episode["last"] or episode["episode"])
            if show["year"]:
                found["year"] = int(show["year"])
            found["title"] = episode["title"].strip()
            return found
    film = PLAIN_FILM.match(name)
    if film and not re.search(r"(?i)\b(?:s\d|e\d|episode|season|part|cd|disc)\b", film["title"]):
        return {"kind": "film", "title": film["title"].strip(), "year": int(film["year"])}
    return None


def video(path):
    """What the path below its root says of a video: ``{"kind": "episode", "show",
    "season", "episode", "last_episode", "absolute", "aired", "title", "year"}`` or
    ``{"kind": "film", "title", "year", "edition"}`` (those found)."""
    segments = path.split("/")
    plain = _plain(segments)
    if plain is not None:
        return plain
    # The show's and the season's folders are hint enough; guessit's time grows with the text.
    guess = _guessit("/".join(segments[-3:]))
    numbered = any(key in guess for key in ("season", "episode", "date"))
    if guess.get("type") == "episode" and numbered:
        return _episode(guess, segments)
    if guess.get("type") == "episode":
        guess = _guessit("/".join(segments[-2:]), {"type": "movie"})
    found = {"kind": "film", "title": _text(guess.get("title")) or stem(segments[-1])}
    if isinstance(guess.get("year"), int):
        found["year"] = guess["year"]
    edition = guess.get("edition")
    if edition:
        found["edition"] = ", ".join(edition) if isinstance(edition, list) else str(edition)
    return found


def _episode(guess, segments):
    found = {"kind": "episode", "show": _text(guess.get("title")) or _show_folder_name(segments)}
    episodes = guess.get("episode")
    numbers = sorted(episodes) if isinstance(episodes, list) else [episodes] if episodes is not None else []
    season = _one(guess.get("season"))
    if season is None:
        season = _season_from_folders(segments)
    if isinstance(guess.get("date"), date):
        found["aired"] = guess["date"]
        if season is None and not numbers:
            season = guess["date"].year
    if numbers:
        found["episode"], found["last_episode"] = numbers[0], numbers[-1]
        if season is None:
            # Anime and other long runs number their episodes from the first, with no season.
            found["absolute"] = numbers[0]
    found["season"] = season if season is not None else 1
    if isinstance(guess.get("year"), int):
        found["year"] = guess["year"]
    title = _text(guess.get("episode_title"))
    if title:
        found["title"] = title
    return found


def _season_from_folders(segments):
    for name in reversed(segments[:-1]):
        season = season_of_folder(name)
        if season is not None:
            return season
    return None


def _show_folder_name(segments):
    folders = [name for name in segments[:-1] if season_of_folder(name) is None]
    return folders[-1] if folders else stem(segments[-1])


def _text(value):
    value = _one(value)
    return str(value).strip() if value else None


def track(path):
    """What ``Artist/Album/01 Title.mp3`` says of a song: ``{"title", "artist", "album",
    "track", "disc"}`` (those found)."""
    segments = path.split("/")
    folders = segments[:-1]
    found = {}
    if folders and disc_of_folder(folders[-1]) is not None:
        found["disc"] = disc_of_folder(folders.pop())
    if folders:
        found["album"] = _album_name(folders[-1])
    if len(folders) > 1:
        found["artist"] = folders[-2]
    name = stem(segments[-1])
    match = TRACK_NAME.match(name)
    if match and match.group("title"):
        if match.group("both"):
            found.setdefault("disc", int(match.group("disc")))
            found["track"] = int(match.group("both"))
        else:
            found["track"] = int(match.group("track"))
        name = match.group("title")
    found["title"] = name.strip() or stem(segments[-1])
    return found


def _album_name(folder):
    """``Album (2019)`` and ``2019 - Album`` name the album ``Album``."""
    name = re.sub(r"\s*[\(\[]\d{4}[\)\]]\s*$", "", folder)
    name = re.sub(r"^\d{4}\s*-\s*", "", name)
    return name.strip() or folder


def album_year(folder):
    match = re.search(r"[\(\[](\d{4})[\)\]]\s*$", folder) or re.match(r"^(\d{4})\s*-\s*", folder)
    return int(match.group(1)) if match else None

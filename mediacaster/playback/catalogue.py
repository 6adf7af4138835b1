"""The catalogue as its pages and the API show it: what the catalogue's queries answer
(mediacaster/services/catalogue/queries.py), for the roots the user sees, with the URLs
of each item's file (its page, its API entry, its stream) and art, and what Play plays.

Pages and the API call the same functions here, so that they cannot disagree. Art is
served through the signed picture URL of the file it is (``media.picture``): a path
below a root, read through the library as any file is, made into a cached JPEG.
"""

import calendar
from typing import NamedTuple

from mediacaster.errors import BadRequest, NotFound
from mediacaster.services.catalogue import queries

# The largest id or number an INTEGER column holds (on PostgreSQL): none is above it.
NUMBER_MAX = 2**31 - 1
# What a season or an album queues at most (the device queue's QUEUE_MAX).
PLAYED_MAX = 1000


class Ref(NamedTuple):
    """A file by root and path: all that entry URLs need of it."""

    root: str
    path: str


def number(text, what):
    """A whole number from a URL's segment, or NotFound naming ``what``."""
    value = int(text) if text.isascii() and text.isdigit() else -1
    if not 0 <= value <= NUMBER_MAX:
        raise NotFound(f"no such {what}")
    return value


def _asked(function, *args, **kwargs):
    """A query's answer; its ValueError (a sort or month it does not know) as a 400."""
    try:
        return function(*args, **kwargs)
    except ValueError as error:
        raise BadRequest(str(error)) from None


class Shelves:
    """The catalogue read for one request: its database session, the roots the user
    sees, whose progress is shown, and the request's URLs."""

    def __init__(self, session, roots, user_id, urls):
        self.session = session
        self.roots = list(roots)
        self.user_id = user_id
        self.urls = urls
        self.route = urls.request.route_url

    # -- links -------------------------------------------------------------------------

    def art(self, root, path):
        return self.urls.picture(Ref(root, path)) if path else None

    def file(self, file):
        ref = Ref(file["root"], file["path"])
        added = file["added_at"]
        return {
            **file,
            "added_at": added.isoformat() if added is not None else None,
            "url": self.urls.url("library.folder", *ref),
            "api_url": self.urls.url("api.library", *ref),
            "stream_url": self.urls.stream(ref),
            "picture_url": self.urls.picture(ref),
        }

    @staticmethod
    def progress(place):
        if place is None:
            return None
        updated = place["updated_at"]
        return {**place, "updated_at": updated.isoformat() if updated is not None else None}

    def film(self, film):
        file = self.file(film["file"])
        return {
            "id": film["id"],
            "title": film["title"],
            "year": film["year"],
            "edition": film["edition"],
            # A film without art of its own shows a frame of itself.
            "poster_url": self.art(file["root"], film["poster"]) or file["picture_url"],
            "fanart_url": self.art(file["root"], film["fanart"]),
            "file": file,
            "progress": self.progress(film["progress"]),
        }

    def show_summary(self, show):
        return {
            "id": show["id"],
            "title": show["title"],
            "year": show["year"],
            "poster_url": self.art(show["root"], show["poster"]),
            "fanart_url": self.art(show["root"], show["fanart"]),
            "seasons": show["seasons"],
            "episodes": show["episodes"],
            "watched": show["watched"],
            "url": self.route("catalogue.show", id=show["id"]),
            "api_url": self.route("api.show", id=show["id"]),
        }

    def season_summary(self, show, season):
        return {
            "id": season["id"],
            "number": season["number"],
            "name": season_name(season["number"]),
            "poster_url": self.art(show["root"], season["poster"]) or self.art(show["root"], show["poster"]),
            "episodes": season.get("episodes"),
            "watched": season.get("watched"),
            "url": self.route("catalogue.season", id=show["id"], number=season["number"]),
            "api_url": self.route("api.season", id=show["id"], number=season["number"]),
        }

    def episode(self, episode):
        found = {
            "id": episode["id"],
            "show_id": episode["show_id"],
            "season": episode["season"],
            "number": episode["number"],
            "last_number": episode["last_number"],
            "absolute_number": episode["absolute_number"],
            "aired": episode["aired"].isoformat() if episode["aired"] is not None else None,
            "title": episode["title"],
            "label": episode_label(episode),
            "name": episode_name(episode),
            "file": self.file(episode["file"]),
            "progress": self.progress(episode["progress"]),
        }
        show = episode.get("show")
        if show is not None:
            found["show"] = {
                "id": show["id"],
                "title": show["title"],
                "poster_url": self.art(episode["file"]["root"], show["poster"]),
                "url": self.route("catalogue.show", id=show["id"]),
            }
        return found

    def artist_summary(self, artist):
        return {
            "id": artist["id"],
            "name": artist["name"],
            "albums": artist["albums"],
            "url": self.route("catalogue.artist", id=artist["id"]),
            "api_url": self.route("api.artist", id=artist["id"]),
        }

    def album_summary(self, album):
        return {
            "id": album["id"],
            "title": album["title"],
            "year": album["year"],
            "artist_id": album["artist_id"],
            "artist": album["artist"],
            "compilation": album["compilation"],
            "cover_url": self.art(album["root"], album["cover"]),
            "tracks": album["tracks"],
            "url": self.route("catalogue.album", id=album["id"]),
            "api_url": self.route("api.album", id=album["id"]),
        }

    def track(self, track):
        return {
            "id": track["id"],
            "title": track["title"],
            "artist_id": track["artist_id"],
            "artist": track["artist"],
            "disc": track["disc"],
            "number": track["number"],
            "file": self.file(track["file"]),
        }

    def photo(self, photo):
        return {
            "id": photo["id"],
            "month": photo["month"],
            "taken_at": photo["taken_at"].isoformat(),
            "taken_from_exif": photo["taken_from_exif"],
            "width": photo["width"],
            "height": photo["height"],
            "file": self.file(photo["file"]),
        }

    @staticmethod
    def _page(page, item, **extra):
        return {**extra, **page, "items": [item(found) for found in page["items"]]}

    # -- what pages and the API ask ----------------------------------------------------

    def films(self, sort="title", order=None, unwatched=False, offset=0, limit=50):
        """Films; ``order`` asc or desc (default: the latest first by date added, else asc)."""
        order = order or ("desc" if sort == "added" else "asc")
        page = _asked(
            queries.films,
            self.session,
            self.roots,
            self.user_id,
            sort=sort,
            descending=order == "desc",
            unwatched=unwatched,
            offset=offset,
            limit=limit,
        )
        return self._page(page, self.film, sort=sort, order=order, unwatched=unwatched)

    def shows(self, sort="title", order="asc", offset=0, limit=50):
        page = _asked(
            queries.shows,
            self.session,
            self.roots,
            self.user_id,
            offset=offset,
            limit=limit,
            sort=sort,
            descending=order == "desc",
        )
        return self._page(page, self.show_summary, sort=sort, order=order)

    def show(self, show_id):
        """A show with its seasons, its Next up and what its Play plays."""
        found = queries.show(self.session, self.roots, self.user_id, show_id)
        if found is None:
            raise NotFound("no such show")
        raw = found["show"]
        next_up = found["next_up"]
        return {
            "show": self.show_summary(raw),
            "seasons": [self.season_summary(raw, season) for season in found["seasons"]],
            "next_up": self.episode(next_up) if next_up else None,
            # Play: Next up, else (nothing watched yet, or all of it) from the start.
            "play": self.episode(next_up or found["first"]),
        }

    def season(self, show_id, season_number, offset=0, limit=100):
        """A season's episodes in order, with ``play``: the paths its Play queues."""
        found = queries.season(
            self.session, self.roots, self.user_id, show_id, season_number, offset=offset, limit=limit
        )
        if found is None:
            raise NotFound("no such season")
        raw = found["show"]
        page = found["episodes"]
        if page["total"] > page["limit"] or page["offset"]:
            every = queries.episodes(
                self.session, self.roots, self.user_id, found["season"]["id"], 0, PLAYED_MAX
            )["items"]
        else:
            every = page["items"]
        return {
            "show": self.show_summary(raw),
            "season": self.season_summary(raw, found["season"]),
            "episodes": self._page(page, self.episode),
            "play": [played(episode["file"]) for episode in every],
        }

    def next_up(self, offset=0, limit=20, show_id=None):
        page = queries.next_up(self.session, self.roots, self.user_id, show_id, offset=offset, limit=limit)
        return self._page(page, self.episode)

    def artists(self, order="asc", offset=0, limit=100):
        page = queries.artists(
            self.session, self.roots, offset=offset, limit=limit, descending=order == "desc"
        )
        return self._page(page, self.artist_summary, order=order)

    def artist(self, artist_id, sort="year", order="asc", offset=0, limit=100):
        found = queries.artist(self.session, self.roots, artist_id)
        if found is None:
            raise NotFound("no such artist")
        page = _asked(
            queries.albums,
            self.session,
            self.roots,
            artist_id,
            offset=offset,
            limit=limit,
            sort=sort,
            descending=order == "desc",
        )
        return {
            "artist": self.artist_summary(found),
            "albums": self._page(page, self.album_summary, sort=sort, order=order),
        }

    def album(self, album_id):
        """An album's tracks in disc and track order, with ``play``: the paths its Play queues."""
        found = queries.album(self.session, self.roots, album_id)
        if found is None:
            raise NotFound("no such album")
        tracks = found["tracks"]
        return {
            "album": self.album_summary(found["album"]),
            "tracks": [self.track(track) for track in tracks],
            "play": [played(track["file"]) for track in tracks[:PLAYED_MAX]],
        }

    def photos(self, month=None, order="desc", offset=0, limit=100):
        """Photos by date taken, with the months that have any."""
        page = _asked(
            queries.photos,
            self.session,
            self.roots,
            month=month,
            offset=offset,
            limit=limit,
            oldest_first=order == "asc",
        )
        months = [
            {**month, "name": month_name(month["month"])}
            for month in queries.photo_months(self.session, self.roots)
        ]
        return self._page(page, self.photo, month=month, order=order, months=months)

    def search(self, text, limit=12):
        found = queries.search(self.session, self.roots, text, limit=limit)
        return {
            "films": self._page(found["films"], self.film),
            "shows": self._page(found["shows"], self.show_summary),
            "artists": self._page(found["artists"], self.artist_summary),
            "albums": self._page(found["albums"], self.album_summary),
        }


def played(file):
    """A file as queues name it: ``"<root>/<path>"``."""
    return f"{file['root']}/{file['path']}"


def month_name(month):
    """ "2023-07" as "July 2023"."""
    year, number = month.split("-")
    return f"{calendar.month_name[int(number)]} {year}"


# A season numbered as a year: a show named by date has a season per year.
FIRST_YEAR = 1900


def season_name(number):
    if number == 0:
        return "Specials"
    return str(number) if number >= FIRST_YEAR else f"Season {number}"


def episode_name(episode):
    """Its title, else what people call it: Episode 4 (or, of a show by date, its date)."""
    if episode["title"]:
        return episode["title"]
    number = episode["number"] if episode["number"] is not None else episode["absolute_number"]
    if number is not None:
        return f"Episode {number}"
    return episode_label(episode) or episode["file"]["path"].rpartition("/")[2]


def episode_label(episode):
    """``S01E02``, ``S01E01-E02`` or, for a show named by date, ``2024-05-06``."""
    season, number, last = episode["season"], episode["number"], episode["last_number"]
    if number is None:
        aired = episode["aired"]
        return aired.isoformat() if aired is not None else None
    label = f"S{season:02d}E{number:02d}"
    return f"{label}-E{last:02d}" if last is not None and last != number else label


def scan_progress(catalogue):
    """The scan's progress (``GET /api/scan``, the home page); ``enabled`` false with the
    catalogue off."""
    if catalogue is None:
        return {
            **dict.fromkeys(("enabled", "running", "first", "watching"), False),
            **dict.fromkeys(("seen", "total", "read"), 0),
            **dict.fromkeys(("root", "started", "finished")),
        }
    progress = catalogue.progress()
    # The first scan: none has finished since the start (a restart's first scan is quick).
    return {**progress, "enabled": True, "first": progress["finished"] is None}


def shelves(catalogue, session, roots, user_id, urls, search=None):
    """What the home page and the search page add from the catalogue: Next up across
    shows and the scan's progress, or what a search finds by title and name."""
    if catalogue is None:
        return {"next_up": None, "scan": scan_progress(None), "found": None}
    reader = Shelves(session, roots, user_id, urls)
    if search is not None:
        return {"next_up": None, "scan": scan_progress(catalogue), "found": reader.search(search)}
    return {"next_up": reader.next_up(0, 12)["items"], "scan": scan_progress(catalogue), "found": None}

"""What the catalogue's pages ask: films, shows with their seasons and episodes, Next up,
music by artist and album, photos by month, and search; plain data, no HTTP.

Every function takes the request's database session and the roots the user sees
(mediacaster.security.visible_roots): nothing of another root is answered, counted or
hinted at. ``user_id`` is whose progress is shown (None: everyone, logins off). Lists come
as pages: ``{"items": [...], "total": n, "offset": n, "limit": n}``. Paths are below their
root, '/'-joined, as the library names them; art is ``None`` or such a path, and
``*_embedded`` True when that path is a media file whose embedded cover is meant.
"""

import re
from collections import defaultdict
from datetime import datetime

from sqlalchemy import and_, case, distinct, func, literal_column, or_, select
from sqlalchemy.orm import aliased

from mediacaster import bytenames
from mediacaster.models.accounts import as_utc
from mediacaster.models.catalogue import (
    Album,
    Artist,
    CatalogueFile,
    Episode,
    Film,
    Photo,
    Season,
    Show,
    Track,
)
from mediacaster.models.history import Progress
from mediacaster.services.catalogue.identify import comparable
from mediacaster.services.catalogue.store import watching_order as _order
from mediacaster.services.history import Place

FILM_SORTS = ("title", "year", "added")
SHOW_SORTS = ("title", "year")
ALBUM_SORTS = ("year", "title")
MAX_LIMIT = 500


def _visible(roots):
    return and_(CatalogueFile.present.is_(True), CatalogueFile.root.in_(list(roots)))


def _progress_of(user_id, progress=Progress, record=CatalogueFile):
    # As the history's unique index has it (uq_progress_file), so that each file's row is
    # found through that index rather than among all of the user's rows: its 0 written
    # out, as an index on an expression is only used for the same expression.
    return and_(
        _whose(user_id, progress),
        progress.root == record.root,
        progress.path == record.path,
    )


def _whose(user_id, progress=Progress):
    return func.coalesce(progress.user_id, literal_column("0")) == (user_id or 0)


def _page(items, total, offset, limit):
    return {"items": items, "total": total, "offset": offset, "limit": limit}


def _paged(session, query, offset, limit, item):
    """The page of ``query``'s rows from ``offset``, each made into ``item(*row)``."""
    rows = session.execute(query.offset(offset).limit(limit)).all()
    return _page([item(*row) for row in rows], _count(session, query), offset, limit)


def _bounds(offset, limit):
    return max(0, int(offset)), max(1, min(MAX_LIMIT, int(limit)))


def _path(data):
    return bytenames.decode(data) if data is not None else None


def _file(record):
    return {
        "id": record.id,
        "root": record.root,
        "path": bytenames.decode(record.path),
        "kind": record.kind,
        "size": record.size,
        "added_at": as_utc(record.added_at),
    }


def _place(progress):
    if progress is None:
        return None
    place = Place.of(progress)
    return {
        "position": place.position,
        "duration": place.duration,
        "watched": place.watched,
        "fraction": place.fraction,
        "resume_at": place.resume_at,
        "updated_at": place.updated_at,
    }


def _count(session, query):
    return session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))


# -- films -------------------------------------------------------------------------------


def films(session, roots, user_id, sort="title", descending=False, unwatched=False, offset=0, limit=50):
    """A page of ``{"id", "title", "year", "edition", "poster", "poster_embedded",
    "fanart", "file", "progress"}``; ``sort`` title, year or added (date added)."""
    if sort not in FILM_SORTS:
        raise ValueError(f"sort must be one of {', '.join(FILM_SORTS)}")
    offset, limit = _bounds(offset, limit)
    query = (
        select(Film, CatalogueFile, Progress)
        .join(CatalogueFile, Film.file_id == CatalogueFile.id)
        .outerjoin(Progress, _progress_of(user_id))
        .where(_visible(roots))
    )
    if unwatched:
        query = query.where(or_(Progress.id.is_(None), Progress.watched.is_(False)))
    first = {"title": Film.sort_title, "year": Film.year, "added": CatalogueFile.added_at}[sort]
    first = first.desc() if descending else first.asc()
    query = query.order_by(first.nulls_last(), Film.sort_title, Film.year, Film.id)
    return _paged(session, query, offset, limit, _film)


def _film(film, record, progress):
    return {
        "id": film.id,
        "title": film.title,
        "year": film.year,
        "edition": film.edition,
        "poster": _path(film.poster),
        "poster_embedded": film.poster_embedded,
        "fanart": _path(film.fanart),
        "file": _file(record),
        "progress": _place(progress),
    }


# -- shows, seasons, episodes ------------------------------------------------------------


def _show(show, episodes=0, watched=0, seasons=0):
    return {
        "id": show.id,
        "root": show.root,
        "title": show.title,
        "year": show.year,
        "poster": _path(show.poster),
        "fanart": _path(show.fanart),
        "seasons": seasons,
        "episodes": episodes,
        "watched": watched,
    }


def _episode_rows(session, roots, user_id):
    return (
        select(Episode, Season.number, CatalogueFile, Progress)
        .join(Season, Episode.season_id == Season.id)
        .join(CatalogueFile, Episode.file_id == CatalogueFile.id)
        .outerjoin(Progress, _progress_of(user_id))
        .where(_visible(roots))
    )


def _row_order(row):
    episode, season_number, record, _progress = row
    return _order(season_number, episode.number, episode.aired, record.path)


def _episode(episode, season_number, record, progress, show=None):
    found = {
        "id": episode.id,
        "show_id": episode.show_id,
        "season_id": episode.season_id,
        "season": season_number,
        "number": episode.number,
        "last_number": episode.last_number,
        "absolute_number": episode.absolute_number,
        "aired": episode.aired,
        "title": episode.title,
        "file": _file(record),
        "progress": _place(progress),
    }
    if show is not None:
        found["show"] = {"id": show.id, "title": show.title, "poster": _path(show.poster)}
    return found


def shows(session, roots, user_id, offset=0, limit=50, sort="title", descending=False):
    """A page of shows by title (or year): ``{"id", "root", "title", "year", "poster",
    "fanart", "seasons", "episodes", "watched"}`` (counts of what the user sees)."""
    if sort not in SHOW_SORTS:
        raise ValueError(f"sort must be one of {', '.join(SHOW_SORTS)}")
    offset, limit = _bounds(offset, limit)
    first = {"title": Show.sort_title, "year": Show.year}[sort]
    query = (
        select(Show)
        .where(Show.id.in_(_with_present(Episode, Episode.show_id, roots)))
        .order_by((first.desc() if descending else first.asc()).nulls_last(), Show.sort_title, Show.id)
    )
    page = session.scalars(query.offset(offset).limit(limit)).all()
    # Counted for the page's shows only, not for every show of the library.
    watched = func.count(distinct(Progress.id)).filter(Progress.watched.is_(True))
    counted = {
        show_id: numbers
        for show_id, *numbers in session.execute(
            select(
                Episode.show_id,
                func.count(distinct(Episode.id)),
                watched,
                func.count(distinct(Episode.season_id)),
            )
            .join(CatalogueFile, Episode.file_id == CatalogueFile.id)
            .outerjoin(Progress, _progress_of(user_id))
            .where(_visible(roots), Episode.show_id.in_([show.id for show in page]))
            .group_by(Episode.show_id)
        )
    }
    items = [_show(show, *counted.get(show.id, (0, 0, 0))) for show in page]  # (gone meanwhile: 0)
    return _page(items, _count(session, query), offset, limit)


def show(session, roots, user_id, show_id):
    """``{"show": …, "seasons": [{"id", "number", "poster", "episodes", "watched"}],
    "next_up": episode or None}``, or None for a show the user does not see."""
    rows = _show_episodes(session, roots, user_id, show_id)
    if not rows:
        return None
    found = session.get(Show, show_id)
    seasons = {}
    for episode, number, _record, progress in rows:
        season = seasons.setdefault(
            number, {"id": episode.season_id, "number": number, "episodes": 0, "watched": 0}
        )
        season["episodes"] += 1
        season["watched"] += bool(progress is not None and progress.watched)
    posters = dict(session.execute(select(Season.id, Season.poster).where(Season.show_id == show_id)).all())
    for season in seasons.values():
        season["poster"] = _path(posters.get(season["id"]))
    ordered = sorted(seasons.values(), key=lambda s: (s["number"] == 0, s["number"]))
    watched = sum(s["watched"] for s in ordered)
    return {
        "show": _show(found, len(rows), watched, len(ordered)),
        "seasons": ordered,
        "next_up": _next_of(rows, lambda row: (row[1], row[3] is not None and row[3].watched), _episode_of),
        # Where a show starts: what its Play plays before anything is watched, or once all is.
        "first": _episode(*rows[0]),
    }


def season(session, roots, user_id, show_id, number, offset=0, limit=100):
    """``{"show": …, "season": {"id", "number", "poster"}, "episodes": page}`` of the
    show's season ``number``, or None for one the user does not see."""
    found = session.execute(
        select(Season, Show)
        .join(Show, Season.show_id == Show.id)
        .where(Season.show_id == show_id, Season.number == number)
    ).first()
    if found is None:
        return None
    page = episodes(session, roots, user_id, found[0].id, offset, limit)
    if not page["total"]:
        return None
    return {
        "show": _show(found[1]),
        "season": {"id": found[0].id, "number": found[0].number, "poster": _path(found[0].poster)},
        "episodes": page,
    }


def _show_episodes(session, roots, user_id, show_id):
    rows = session.execute(_episode_rows(session, roots, user_id).where(Episode.show_id == show_id)).all()
    return sorted(rows, key=_row_order)


def episodes(session, roots, user_id, season_id, offset=0, limit=100):
    """A page of the season's episodes in order: ``{"id", "show_id", "season_id",
    "season", "number", "last_number", "absolute_number", "aired", "title", "file",
    "progress"}``; an empty page for a season the user does not see."""
    offset, limit = _bounds(offset, limit)
    rows = session.execute(_episode_rows(session, roots, user_id).where(Episode.season_id == season_id)).all()
    rows.sort(key=_row_order)
    return _page([_episode(*row) for row in rows[offset : offset + limit]], len(rows), offset, limit)


def _episode_of(row):
    return _episode(*row)


def _next_of(ordered, facts, make):
    """``make(row)`` of the next unwatched episode after the last one watched, among a
    show's ``ordered`` rows, across seasons, specials left out; None before any is watched
    or after the last. ``facts(row)`` is ``(season number, watched)``."""
    rows = [(row, watched) for row in ordered for season, watched in [facts(row)] if season != 0]
    last = max((i for i, (_row, watched) in enumerate(rows) if watched), default=None)
    if last is None:
        return None
    for row, watched in rows[last + 1 :]:
        if not watched:
            return make(row)
    return None


def next_up(session, roots, user_id, show_id=None, offset=0, limit=20):
    """A page of Next up episodes (each with ``"show": {"id", "title", "poster"}``), the
    show watched last first; of one show only with ``show_id``.

    From the user's own rows of the history: for each show played, the last episode
    watched in watching order (:attr:`Episode.watch_order`, specials left out) and when
    it was last played; then, through the index on that order, the first episode after
    it that the user sees and has not watched."""
    offset, limit = _bounds(offset, limit)
    played = (
        select(
            Episode.show_id,
            func.max(case((Progress.watched, Episode.watch_order))).label("last"),
            func.max(Progress.updated_at).label("played"),
        )
        .select_from(Progress)
        .join(CatalogueFile, and_(CatalogueFile.root == Progress.root, CatalogueFile.path == Progress.path))
        .join(Episode, Episode.file_id == CatalogueFile.id)
        .where(_whose(user_id), _visible(roots))
        .group_by(Episode.show_id)
    )
    if show_id is not None:
        played = played.where(Episode.show_id == show_id)
    played = played.subquery("played")
    later, its_file = aliased(Episode), aliased(CatalogueFile)
    # No episode the user sees after the last one watched is watched (it would be the last):
    # the first one after it is the answer, with no look at the history, so the database
    # reads it from the index in order and stops there, whatever it thinks of the history.
    following = (
        select(later.id)
        .join(its_file, later.file_id == its_file.id)
        .where(
            later.show_id == played.c.show_id,
            later.watch_order > played.c.last,
            its_file.present.is_(True),
            its_file.root.in_(list(roots)),
        )
        .order_by(later.watch_order)
        .limit(1)
        .correlate(played)
        .scalar_subquery()
    )
    rows = session.execute(
        select(following, played.c.played)
        .where(played.c.last.is_not(None))
        .order_by(played.c.played.desc(), played.c.show_id)
    ).all()
    ids = [episode_id for episode_id, _played in rows if episode_id is not None]
    page = ids[offset : offset + limit]
    found = session.execute(_episode_rows(session, roots, user_id).where(Episode.id.in_(page))).all()
    by_id = {row[0].id: row for row in found}
    shown = session.scalars(select(Show).where(Show.id.in_({row[0].show_id for row in found})))
    shows_by_id = {show.id: show for show in shown}
    items = [
        _episode(*by_id[episode_id], show=shows_by_id[by_id[episode_id][0].show_id])
        for episode_id in page
        if episode_id in by_id  # else gone since the first query
    ]
    return _page(items, len(ids), offset, limit)


def episode_after(session, roots, root, path):
    """``{"next": {"root", "path", "season", "number", "title"} or None}`` for the file at
    ``path`` below ``root`` when it is an episode the user sees: the show's next one,
    across seasons, specials neither followed nor offered (None after the last); None for
    a file the catalogue does not hold as an episode."""
    current = session.execute(
        select(Episode.show_id, Episode.id)
        .join(CatalogueFile, Episode.file_id == CatalogueFile.id)
        .where(_visible(roots), CatalogueFile.root == root, CatalogueFile.path == bytenames.encode(path))
    ).first()
    if current is None:
        return None
    rows = session.execute(
        select(Episode.id, Season.number, Episode.number, Episode.aired, CatalogueFile.path)
        .add_columns(CatalogueFile.root, Episode.title)
        .join(Season, Episode.season_id == Season.id)
        .join(CatalogueFile, Episode.file_id == CatalogueFile.id)
        .where(_visible(roots), Episode.show_id == current.show_id)
    ).all()
    rows.sort(key=lambda row: _order(*row[1:5]))
    ids = [row[0] for row in rows]
    at = ids.index(current.id)
    following = next((row for row in rows[at + 1 :] if row[1] != 0), None) if rows[at][1] != 0 else None
    if following is None:
        return {"next": None}
    _id, season, number, _aired, data, found_root, title = following
    return {
        "next": {
            "root": found_root,
            "path": bytenames.decode(data),
            "season": season,
            "number": number,
            "title": title,
        }
    }


# -- music -------------------------------------------------------------------------------


def _album_tracks(roots):
    """Albums with how many of their tracks are seen, and their album artist."""
    return (
        select(Album, func.count(distinct(Track.id)), Artist)
        .join(Track, Track.album_id == Album.id)
        .join(CatalogueFile, Track.file_id == CatalogueFile.id)
        .join(Artist, Album.artist_id == Artist.id)
        .where(_visible(roots))
        .group_by(Album.id, Artist.id)
    )


def _artist_albums(roots):
    """Album artists with how many of their albums have a track the user sees."""
    return (
        select(Artist, func.count(distinct(Album.id)))
        .join(Album, Album.artist_id == Artist.id)
        .join(Track, Track.album_id == Album.id)
        .join(CatalogueFile, Track.file_id == CatalogueFile.id)
        .where(_visible(roots))
        .group_by(Artist.id)
    )


def artists(session, roots, offset=0, limit=100, descending=False):
    """A page of album artists by name: ``{"id", "root", "name", "albums"}``."""
    offset, limit = _bounds(offset, limit)
    name = Artist.sort_name.desc() if descending else Artist.sort_name
    return _paged(session, _artist_albums(roots).order_by(name, Artist.id), offset, limit, _artist)


def artist(session, roots, artist_id):
    """``{"id", "root", "name", "albums"}`` of an album artist, or None for one the user
    does not see (no album with a track in their roots)."""
    row = session.execute(_artist_albums(roots).where(Artist.id == artist_id)).first()
    return _artist(*row) if row is not None else None


def _artist(artist, albums=None):
    return {"id": artist.id, "root": artist.root, "name": artist.name, "albums": albums}


def _album(album, tracks, artist):
    return {
        "id": album.id,
        "root": album.root,
        "title": album.title,
        "year": album.year,
        "artist_id": album.artist_id,
        "artist": artist.name,
        "compilation": album.compilation,
        "cover": _path(album.cover),
        "cover_embedded": album.cover_embedded,
        "tracks": tracks,
    }


def albums(session, roots, artist_id=None, offset=0, limit=100, sort=None, descending=False):
    """A page of albums (of one album artist with ``artist_id``), by year then title for
    an artist's, by title for all (or as ``sort`` says: year or title): ``{"id", "root",
    "title", "year", "artist_id", "artist", "compilation", "cover", "cover_embedded",
    "tracks"}``."""
    offset, limit = _bounds(offset, limit)
    sort = sort or ("year" if artist_id is not None else "title")
    if sort not in ALBUM_SORTS:
        raise ValueError(f"sort must be one of {', '.join(ALBUM_SORTS)}")
    query = _album_tracks(roots)
    if artist_id is not None:
        query = query.where(Album.artist_id == artist_id)
    first = {"year": Album.year, "title": Album.sort_title}[sort]
    first = (first.desc() if descending else first.asc()).nulls_last()
    query = query.order_by(first, Album.sort_title, Album.id)
    return _paged(session, query, offset, limit, _album)


def album(session, roots, album_id):
    """``{"album": …, "tracks": [{"id", "title", "artist_id", "artist", "disc", "number",
    "file"}]}`` in disc and track order, or None for an album the user does not see."""
    row = session.execute(_album_tracks(roots).where(Album.id == album_id)).first()
    if row is None:
        return None
    rows = session.execute(
        select(Track, Artist, CatalogueFile)
        .join(Artist, Track.artist_id == Artist.id)
        .join(CatalogueFile, Track.file_id == CatalogueFile.id)
        .where(Track.album_id == album_id, _visible(roots))
    ).all()
    rows.sort(key=lambda r: (r[0].disc or 1, r[0].number if r[0].number is not None else 1 << 30, r[2].path))
    tracks = [
        {
            "id": track.id,
            "title": track.title,
            "artist_id": artist.id,
            "artist": artist.name,
            "disc": track.disc,
            "number": track.number,
            "file": _file(record),
        }
        for track, artist, record in rows
    ]
    return {"album": _album(*row), "tracks": tracks}


# -- photos ------------------------------------------------------------------------------


def _month(moment):
    return f"{moment.year:04d}-{moment.month:02d}"


def photo_months(session, roots):
    """``[{"month": "YYYY-MM", "photos": n}]``, latest first."""
    rows = session.execute(
        select(Photo.taken_at).join(CatalogueFile, Photo.file_id == CatalogueFile.id).where(_visible(roots))
    ).scalars()
    counts = defaultdict(int)
    for taken in rows:
        counts[_month(taken)] += 1
    return [{"month": month, "photos": counts[month]} for month in sorted(counts, reverse=True)]


def photos(session, roots, month=None, offset=0, limit=100, oldest_first=False):
    """A page of photos, latest first (of one ``"YYYY-MM"`` month if given):
    ``{"id", "month", "taken_at", "taken_from_exif", "width", "height", "file"}``."""
    offset, limit = _bounds(offset, limit)
    query = (
        select(Photo, CatalogueFile)
        .join(CatalogueFile, Photo.file_id == CatalogueFile.id)
        .where(_visible(roots))
    )
    if month is not None:
        if not re.fullmatch(r"[1-9]\d{3}-(0[1-9]|1[0-2])", month):
            raise ValueError("month must be of the form YYYY-MM, from 1000-01")
        year, number = (int(part) for part in month.split("-"))
        query = query.where(Photo.taken_at >= _first_of(year, number))
        if (year, number) != (9999, 12):  # the last month there is has no next one
            query = query.where(Photo.taken_at < _first_of(year + number // 12, number % 12 + 1))
    query = query.order_by(Photo.taken_at.asc() if oldest_first else Photo.taken_at.desc(), Photo.id)
    return _paged(session, query, offset, limit, _photo)


def _photo(photo, record):
    return {
        "id": photo.id,
        "month": _month(photo.taken_at),
        "taken_at": photo.taken_at,
        "taken_from_exif": photo.taken_from_exif,
        "width": photo.width,
        "height": photo.height,
        "file": _file(record),
    }


def _first_of(year, month):
    return datetime(year, month, 1)


# -- search ------------------------------------------------------------------------------


def _like(column, words):
    return and_(*(column.contains(word, autoescape=True) for word in words))


def search(session, roots, text, limit=20):
    """``{"films", "shows", "artists", "albums"}``, each a page of at most ``limit`` of
    what holds every word of ``text`` in its title or name."""
    words = comparable(text or "").split()[:16]
    limit = max(1, min(MAX_LIMIT, int(limit)))
    if not words:
        empty = _page([], 0, 0, limit)
        return {"films": empty, "shows": empty, "artists": empty, "albums": empty}
    film_query = (
        select(Film, CatalogueFile)
        .join(CatalogueFile, Film.file_id == CatalogueFile.id)
        .where(_visible(roots), _like(Film.key, words))
        .order_by(Film.sort_title, Film.id)
    )
    film_rows = session.execute(film_query.limit(limit)).all()
    found = {
        "films": _page(
            [_film(f, record, None) for f, record in film_rows], _count(session, film_query), 0, limit
        )
    }
    show_query = (
        select(Show)
        .where(_like(Show.key, words), Show.id.in_(_with_present(Episode, Episode.show_id, roots)))
        .order_by(Show.sort_title, Show.id)
    )
    found["shows"] = _page(
        [_show(s) for s in session.scalars(show_query.limit(limit))], _count(session, show_query), 0, limit
    )
    albums_seen = _with_present(Track, Track.album_id, roots)
    artist_query = (
        select(Artist)
        .where(
            _like(Artist.key, words), Artist.id.in_(select(Album.artist_id).where(Album.id.in_(albums_seen)))
        )
        .order_by(Artist.sort_name, Artist.id)
    )
    found["artists"] = _page(
        [_artist(a) for a in session.scalars(artist_query.limit(limit))],
        _count(session, artist_query),
        0,
        limit,
    )
    album_query = (
        select(Album, Artist)
        .join(Artist, Album.artist_id == Artist.id)
        .where(_like(Album.key, words), Album.id.in_(albums_seen))
        .order_by(Album.sort_title, Album.id)
    )
    found["albums"] = _page(
        [_album(a, None, artist) for a, artist in session.execute(album_query.limit(limit))],
        _count(session, album_query),
        0,
        limit,
    )
    return found


def _with_present(item, column, roots):
    return select(column).join(CatalogueFile, item.file_id == CatalogueFile.id).where(_visible(roots))

"""The catalogue's pages (films, shows, music, photos) and its JSON API.

Both read through :class:`mediacaster.playback.catalogue.Shelves`, for the roots the
user sees: an item of another root is not found, and counts leave it out.
"""

import math

from pyramid.view import view_config

from mediacaster.lifecycle import services_of
from mediacaster.playback.catalogue import Shelves, number, scan_progress
from mediacaster.schemas.requests import (
    AlbumsQuery,
    ArtistsQuery,
    EpisodesQuery,
    FilmsQuery,
    NextUpQuery,
    PhotosQuery,
    ShowsQuery,
)
from mediacaster.security import LIBRARY, visible_roots
from mediacaster.views.inputs import parse_query

# Items on one page of a grid: rows of 2 on a phone, of 6 or so on a desktop.
PAGE_SIZE = 60


def catalogue(request):
    return Shelves(
        request.dbsession(), visible_roots(request), request.identity.user_id, request.entry_urls()
    )


def matched(request, name, what):
    return number(request.matchdict[name], what)


def api(route):
    return view_config(route_name=route, permission=LIBRARY, request_method="GET", renderer="json")


def page(route, template):
    return view_config(
        route_name=route, permission=LIBRARY, request_method="GET", renderer=f"catalogue/{template}.jinja2"
    )


def paged(request, model):
    """A page's query (bad values fall back to defaults) and its ``?page=``, as offset."""
    query = parse_query(request, model, lenient=True)
    asked = request.GET.get("page", "1")
    wanted = int(asked) if asked.isascii() and asked.isdigit() else 1
    return query, max(1, min(wanted, 100_000))


def pages(found, at):
    """What a page's pager needs: this page, how many, and the items' place."""
    count = max(1, math.ceil(found["total"] / found["limit"]))
    return {"page": min(at, count), "pages": count}


def state(request):
    """What every catalogue page shows besides its items: whether the catalogue is on,
    and the first scan's progress while it runs."""
    return {"scan": scan_progress(services_of(request).catalogue)}


# -- the API -----------------------------------------------------------------------------


def asked(request, model):
    """The query's values by name, as the Shelves's methods take them."""
    return parse_query(request, model).model_dump()


@api("api.films")
def films_api(request):
    return catalogue(request).films(**asked(request, FilmsQuery))


@api("api.shows")
def shows_api(request):
    return catalogue(request).shows(**asked(request, ShowsQuery))


@api("api.show")
def show_api(request):
    return catalogue(request).show(matched(request, "id", "show"))


@api("api.season")
def season_api(request):
    show_id, season = matched(request, "id", "show"), matched(request, "number", "season")
    return catalogue(request).season(show_id, season, **asked(request, EpisodesQuery))


@api("api.next_up")
def next_up_api(request):
    return catalogue(request).next_up(**asked(request, NextUpQuery))


@api("api.artists")
def artists_api(request):
    return catalogue(request).artists(**asked(request, ArtistsQuery))


@api("api.artist")
def artist_api(request):
    return catalogue(request).artist(matched(request, "id", "artist"), **asked(request, AlbumsQuery))


@api("api.album")
def album_api(request):
    return catalogue(request).album(matched(request, "id", "album"))


@api("api.photos")
def photos_api(request):
    return catalogue(request).photos(**asked(request, PhotosQuery))


@api("api.scan")
def scan_api(request):
    return scan_progress(services_of(request).catalogue)


# -- the pages ---------------------------------------------------------------------------


@page("catalogue.films", "films")
def films_page(request):
    query, at = paged(request, FilmsQuery)
    found = catalogue(request).films(
        query.sort, query.order, query.unwatched, (at - 1) * PAGE_SIZE, PAGE_SIZE
    )
    return {**state(request), **pages(found, at), "films": found}


@page("catalogue.shows", "shows")
def shows_page(request):
    query, at = paged(request, ShowsQuery)
    found = catalogue(request).shows(query.sort, query.order, (at - 1) * PAGE_SIZE, PAGE_SIZE)
    return {**state(request), **pages(found, at), "shows": found}


@page("catalogue.show", "show")
def show_page(request):
    return {**state(request), **catalogue(request).show(matched(request, "id", "show"))}


@page("catalogue.season", "season")
def season_page(request):
    show_id, season = matched(request, "id", "show"), matched(request, "number", "season")
    return {**state(request), **catalogue(request).season(show_id, season, 0, 500)}


@page("catalogue.music", "music")
def music_page(request):
    _query, at = paged(request, ArtistsQuery)
    found = catalogue(request).artists("asc", (at - 1) * PAGE_SIZE * 2, PAGE_SIZE * 2)
    return {**state(request), **pages(found, at), "artists": found}


@page("catalogue.artist", "artist")
def artist_page(request):
    return {**state(request), **catalogue(request).artist(matched(request, "id", "artist"), limit=500)}


@page("catalogue.album", "album")
def album_page(request):
    return {**state(request), **catalogue(request).album(matched(request, "id", "album"))}


@page("catalogue.photos", "photos")
def photos_page(request):
    query, at = paged(request, PhotosQuery)
    found = catalogue(request).photos(query.month, "desc", (at - 1) * PAGE_SIZE * 2, PAGE_SIZE * 2)
    return {**state(request), **pages(found, at), "photos": found}

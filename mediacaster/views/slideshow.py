"""Slideshows: a folder's pictures on a device (the API), or full screen in the browser
(a page). The showing lives in :mod:`mediacaster.playback.slideshow`."""

from pyramid.view import view_config

from mediacaster import presenters
from mediacaster.errors import Conflict, NotFound, Unprocessable
from mediacaster.lifecycle import services_of
from mediacaster.playback.slideshow import SlideshowError
from mediacaster.schemas.requests import SLIDESHOW_ACTIONS, SlideshowRequest, StatusQuery
from mediacaster.security import CAST, LIBRARY, library_entry, library_lookup
from mediacaster.services.pictures import SCREENS
from mediacaster.views.devices import device_action, target_device
from mediacaster.views.inputs import entry_path, parse_body, parse_query


def pictures(request, folder):
    """The pictures of ``folder``, by name."""
    if not folder.is_dir:
        raise NotFound(f"{folder.name} is a file, not a folder")
    entries = services_of(request).library.listing(folder.root, folder.segments)[1]
    return [e for e in entries if not e.is_dir and e.kind == "image"]


def reply(show):
    return {"slideshow": presenters.slideshow_json(show) if show is not None else None}


@view_config(route_name="api.slideshow", permission=CAST, request_method="GET", renderer="json")
def show(request):
    device = target_device(request, parse_query(request, StatusQuery).device)
    return reply(services_of(request).slideshows.view(device.id))


@view_config(route_name="api.slideshow", permission=CAST, request_method="POST", renderer="json")
def start(request):
    body = parse_body(request, SlideshowRequest)
    folder = library_lookup(request, body.folder)
    images = [(e.root, e.path) for e in pictures(request, folder)]
    device = target_device(request, body.device)
    services_of(request).casting.take_device(device)
    try:
        shown = services_of(request).slideshows.start(
            request.identity.user_id,
            device,
            (folder.root, folder.path),
            images,
            request.application_url,
            body.interval,
            min(body.start, max(len(images) - 1, 0)),
        )
    except SlideshowError as error:
        raise Unprocessable(str(error)) from None
    return reply(shown)


@view_config(route_name="api.slideshow.action", permission=CAST, request_method="POST", renderer="json")
def action(request):
    name, body, device = device_action(request, SLIDESHOW_ACTIONS, "slideshow")
    shows = services_of(request).slideshows
    try:
        if name in ("next", "previous"):
            shown = shows.move(device.id, 1 if name == "next" else -1)
        elif name in ("pause", "play"):
            shown = shows.pause(device.id, name == "pause")
        elif name == "interval":
            shown = shows.set_interval(device.id, body.seconds)
        else:
            shown = shows.stop(device.id)
    except SlideshowError as error:
        raise Conflict(str(error)) from None
    return reply(shown)


@view_config(
    route_name="library.slideshow", permission=LIBRARY, request_method="GET", renderer="slideshow.jinja2"
)
def page(request):
    """A folder's pictures, full screen in the browser: the page picks the size its screen needs."""
    folder = library_entry(request, *entry_path(request))
    urls = request.entry_urls()
    slides = [
        {"name": e.name, "url": urls.picture(e), "page": urls.folder(e.root, e.segments)}
        for e in pictures(request, folder)
    ]
    if not slides:
        raise NotFound(f"{folder.name} has no pictures")
    return {"folder": folder, "slides": slides, "screens": sorted(SCREENS)}

"""The JSON cast API: devices, the session's device, cast, status and player controls."""

import functools

from pyramid.view import view_config, view_defaults

from mediacaster import presenters
from mediacaster import session as sessions
from mediacaster.errors import NotFound
from mediacaster.lifecycle import services_of
from mediacaster.schemas.requests import PLAYER_ACTIONS, CastRequest, ChooseDevice, StatusQuery
from mediacaster.security import CAST, library_entry, library_lookup
from mediacaster.urls import device_urls
from mediacaster.views.devices import device_action, target_device
from mediacaster.views.inputs import parse_body, parse_query


@view_config(route_name="api.devices", permission=CAST, request_method="GET", renderer="json")
def devices(request):
    cast = services_of(request).cast
    return {"devices": [presenters.device_json(d) for d in cast.devices()], "discovery": cast.state()}


@view_defaults(route_name="api.session.device", permission=CAST, renderer="json")
class SessionDevice:
    def __init__(self, request):
        self.request = request

    @view_config(request_method="GET")
    def get(self):
        return {"device": sessions.chosen_device(self.request.session)}

    @view_config(request_method="PUT")
    def put(self):
        body = parse_body(self.request, ChooseDevice)
        device = target_device(self.request, body.device)
        sessions.choose_device(self.request.session, device)
        return {"device": presenters.device_json(device)}


def status_reply(request, status):
    """The status's JSON, with the sound tracks of the file this app cast there, and
    whether another sender took over or stopped it."""
    cast = services_of(request).cast
    return presenters.status_json(status, cast.source(status), cast.interruption(status))


@view_config(route_name="api.cast", permission=CAST, request_method="POST", renderer="json")
def cast(request):
    body = parse_body(request, CastRequest)
    entry = library_lookup(request, body.path)
    if entry.is_dir:
        raise NotFound(f"{body.path} is a folder, not a file")
    device = target_device(request, body.device)
    services = services_of(request)
    urls = device_urls(request, services.cast.local_address(device.id))
    plan, status = services.casting.cast(
        device,
        entry,
        urls,
        body.start,
        request.identity.user_id,
        direct=body.direct,
        audio=body.audio,
        force=body.force,
    )
    if sessions.has_session(request):
        sessions.remember_cast(request.session, entry, device)
    return presenters.cast_json(device, plan, status)


@view_config(route_name="api.status", permission=CAST, request_method="GET", renderer="json")
def status(request):
    device = target_device(request, parse_query(request, StatusQuery).device)
    return status_reply(request, services_of(request).cast.status(device.id))


@view_config(route_name="api.player", permission=CAST, request_method="POST", renderer="json")
def player(request):
    action, body, device = device_action(request, PLAYER_ACTIONS, "player")
    cast = services_of(request).cast
    if action == "seek":
        result = cast.seek(device.id, body.position)
    elif action == "volume":
        result = cast.set_volume(device.id, body.level)
    elif action == "subtitles":
        result = cast.set_subtitles(device.id, body.track)
    elif action == "mute":
        result = cast.set_muted(device.id, body.muted)
    elif action == "audio":
        urls = device_urls(request, cast.local_address(device.id))
        find_entry = functools.partial(library_entry, request)
        casting = services_of(request).casting
        result = casting.change_sound(device, body.track, urls, find_entry, request.identity.user_id)
    else:
        result = {"play": cast.play, "pause": cast.pause, "stop": cast.stop_media}[action](device.id)
    return status_reply(request, result)

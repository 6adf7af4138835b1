"""The JSON cast API: devices, the session's device, cast, status and player controls."""

from pyramid.view import view_config, view_defaults

from mediacaster import presenters
from mediacaster import session as sessions
from mediacaster.bytenames import shown
from mediacaster.errors import Conflict, NotFound, Unprocessable
from mediacaster.playback import Target, WillNotPlay
from mediacaster.schemas.requests import PLAYER_ACTIONS, CastRequest, ChooseDevice, StatusQuery
from mediacaster.security import CAST, library_entry, library_lookup
from mediacaster.urls import device_urls
from mediacaster.views.inputs import parse_body, parse_query


def target_device(request, wanted):
    """The device named in the request, else the one chosen in this session."""
    cast = request.registry.services.cast
    if wanted:
        return cast.find(wanted)
    chosen = sessions.chosen_device(request.session) if sessions.has_session(request) else None
    if chosen is None:
        raise Conflict("no device chosen: name one as device, or choose one with PUT /api/session/device")
    return cast.find(chosen["id"])


def take_device(request, device):
    """Something new is cast to the device: the queue or slideshow this app played there stops."""
    services = request.registry.services
    services.queue_player.replaced(device.id)
    services.slideshows.replaced(device.id)


def device_action(request, actions, what):
    """``(name, body, device)`` of a POST to an action of ``what`` (the player, a queue, a
    slideshow): the action named in the URL, among ``actions`` (name -> body model)."""
    name = request.matchdict["action"]
    if name not in actions:
        raise NotFound(f"no {what} action {name!r}; actions: {', '.join(actions)}")
    body = parse_body(request, actions[name])
    return name, body, target_device(request, body.device)


@view_config(route_name="api.devices", permission=CAST, request_method="GET", renderer="json")
def devices(request):
    cast = request.registry.services.cast
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


def device_plan(request, device, entry, direct=False, audio=None):
    """The plan for ``entry`` on ``device``, playing sound track ``audio`` if given."""
    services = request.registry.services
    urls = device_urls(request, services.cast.local_address(device.id))
    plan = services.playback.plan(entry, Target.device(device), urls, direct=direct, audio_index=audio)
    if audio is not None and plan.audio_index != audio:
        # Only a converted stream carries another track than the file's default.
        why = "direct: true sends the file as it is" if direct else "it cannot be converted here"
        raise Unprocessable(f"{shown(entry.name)} plays only its default sound track on {device.name}: {why}")
    return plan


def cast_plan(request, device, plan, start, **how):
    """Cast ``plan`` from ``start`` seconds for the user asking (their place in it is saved
    as it plays); ``how``: fields of the CastMedia (autoplay, subtitle)."""
    return request.registry.services.caster.cast_plan(device, plan, start, request.identity.user_id, **how)


def change_sound(request, device, track):
    """Play sound track ``track`` of what this app cast to ``device``.

    A receiver cannot switch the sound of a stream with one rendition: the
    file is cast again with that track, where it was, playing or paused as it
    was, with the same subtitles.
    """
    services = request.registry.services
    status, was = services.cast.now_playing(device.id)
    if was.audio_index == track:
        return status
    # Looked up again: the file may have changed or gone since.
    entry = library_entry(request, was.entry.root, tuple(was.entry.path.split("/")))
    plan = device_plan(request, device, entry, audio=track)
    media = status.media
    subtitle = next((t.id for t in plan.tracks if t.id in media.active_tracks), None)
    paused = media.player_state == "PAUSED"
    # In a queue, the queue goes on from this cast.
    return request.registry.services.queue_player.recast(
        device,
        plan,
        media.current_time or 0.0,
        request.identity.user_id,
        autoplay=not paused,
        subtitle=subtitle,
    )


def status_reply(request, status):
    """The status's JSON, with the sound tracks of the file this app cast there, and
    whether another sender took over or stopped it."""
    cast = request.registry.services.cast
    return presenters.status_json(status, cast.source(status), cast.interruption(status))


@view_config(route_name="api.cast", permission=CAST, request_method="POST", renderer="json")
def cast(request):
    body = parse_body(request, CastRequest)
    entry = library_lookup(request, body.path)
    if entry.is_dir:
        raise NotFound(f"{body.path} is a folder, not a file")
    device = target_device(request, body.device)
    plan = device_plan(request, device, entry, direct=body.direct, audio=body.audio)
    if plan.will_not_play and not (body.force or body.direct):  # direct: the user insists
        reason = plan.verdict.reason
        raise WillNotPlay(f"{entry.name} will not play on {device.name}: {reason}; send force: true to try")
    take_device(request, device)
    status = cast_plan(request, device, plan, body.start)
    if sessions.has_session(request):
        sessions.remember_cast(request.session, entry, device)
    return presenters.cast_json(device, plan, status)


@view_config(route_name="api.status", permission=CAST, request_method="GET", renderer="json")
def status(request):
    device = target_device(request, parse_query(request, StatusQuery).device)
    return status_reply(request, request.registry.services.cast.status(device.id))


@view_config(route_name="api.player", permission=CAST, request_method="POST", renderer="json")
def player(request):
    action, body, device = device_action(request, PLAYER_ACTIONS, "player")
    cast = request.registry.services.cast
    if action == "seek":
        result = cast.seek(device.id, body.position)
    elif action == "volume":
        result = cast.set_volume(device.id, body.level)
    elif action == "subtitles":
        result = cast.set_subtitles(device.id, body.track)
    elif action == "mute":
        result = cast.set_muted(device.id, body.muted)
    elif action == "audio":
        result = change_sound(request, device, body.track)
    else:
        result = {"play": cast.play, "pause": cast.pause, "stop": cast.stop_media}[action](device.id)
    return status_reply(request, result)

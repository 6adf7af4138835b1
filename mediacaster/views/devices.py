"""The device a request is about, read from it for the cast, queue and slideshow views:
named in the request, else the one chosen in this session."""

from mediacaster import session as sessions
from mediacaster.errors import Conflict, NotFound
from mediacaster.lifecycle import services_of
from mediacaster.views.inputs import parse_body


def target_device(request, wanted):
    """The device named in the request, else the one chosen in this session."""
    cast = services_of(request).cast
    if wanted:
        return cast.find(wanted)
    chosen = sessions.chosen_device(request.session) if sessions.has_session(request) else None
    if chosen is None:
        raise Conflict("no device chosen: name one as device, or choose one with PUT /api/session/device")
    return cast.find(chosen["id"])


def device_action(request, actions, what):
    """``(name, body, device)`` of a POST to an action of ``what`` (the player, a queue, a
    slideshow): the action named in the URL, among ``actions`` (name -> body model)."""
    name = request.matchdict["action"]
    if name not in actions:
        raise NotFound(f"no {what} action {name!r}; actions: {', '.join(actions)}")
    body = parse_body(request, actions[name])
    return name, body, target_device(request, body.device)

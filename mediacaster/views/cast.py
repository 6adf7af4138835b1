"""The JSON cast API: devices, the session's device, cast, status and player controls."""

import math
import os

from pyramid.httpexceptions import HTTPBadRequest, HTTPConflict, HTTPNotFound, HTTPUnprocessableEntity
from pyramid.view import view_config, view_defaults

from mediacaster import session as sessions
from mediacaster.services.cast import CastMedia
from mediacaster.services.library import split_path
from mediacaster.services.pictures import FOLDER_COVERS
from mediacaster.urls import device_media_url
from mediacaster.verdicts import WONT_PLAY, misnamed_as
from mediacaster.views.entries import (
    MEDIA_KINDS,
    folder_names,
    load_entry,
    probe_now,
    subtitle_tracks,
    verdict_for,
)

PLAYER_ACTIONS = ("play", "pause", "stop", "seek", "volume", "mute", "subtitles")


class WillNotPlay(HTTPUnprocessableEntity):
    """The file will not play on the device, and the request did not insist."""

    error_code = "will_not_play"


def device_json(device):
    return {
        "id": device.id,
        "name": device.name,
        "model": device.model,
        "type": device.type,
        "online": device.online,
        "host": device.host,
        "last_seen": device.last_seen,
    }


def json_body(request):
    """The request's JSON object; an empty body is an empty object."""
    if not request.body:
        return {}
    try:
        body = request.json_body
    except ValueError as error:
        raise HTTPBadRequest(f"the body is not valid JSON: {error}") from None
    if not isinstance(body, dict):
        raise HTTPBadRequest("the body must be a JSON object")
    return body


def number(body, name, default=None, lowest=0.0, highest=math.inf):
    value = body.get(name, default)
    if value is None:
        raise HTTPBadRequest(f"{name} is required")
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise HTTPBadRequest(f"{name} must be a number")
    if not lowest <= value <= highest:
        span = f"from {lowest:g} to {highest:g}" if highest != math.inf else f"{lowest:g} or more"
        raise HTTPUnprocessableEntity(f"{name} must be {span}")
    return float(value)


def target_device(request, wanted):
    """The device named in the request, else the one chosen in this session."""
    cast = request.registry.cast
    if wanted not in (None, ""):
        if not isinstance(wanted, str):
            raise HTTPBadRequest("device must be a device id or name")
        return cast.find(wanted)
    chosen = sessions.chosen_device(request.session) if sessions.has_session(request) else None
    if chosen is None:
        raise HTTPConflict("no device chosen: name one as device, or choose one with PUT /api/session/device")
    return cast.find(chosen["id"])


def has_folder_cover(request, entry):
    return entry.kind == "audio" and any(n.lower() in FOLDER_COVERS for n in folder_names(request, entry))


@view_config(route_name="api.devices", request_method="GET", renderer="json")
def devices(request):
    cast = request.registry.cast
    return {"devices": [device_json(d) for d in cast.devices()], "discovery": cast.state()}


@view_defaults(route_name="api.session.device", renderer="json")
class SessionDevice:
    def __init__(self, request):
        self.request = request

    @view_config(request_method="GET")
    def get(self):
        return {"device": sessions.chosen_device(self.request.session)}

    @view_config(request_method="PUT")
    def put(self):
        wanted = json_body(self.request).get("device")
        if not wanted:
            raise HTTPBadRequest("device is required: a device id or name")
        device = target_device(self.request, wanted)
        sessions.choose_device(self.request.session, device)
        return {"device": device_json(device)}


@view_config(route_name="api.cast", request_method="POST", renderer="json")
def cast(request):
    body = json_body(request)
    path = body.get("path")
    if not isinstance(path, str) or not path.strip("/"):
        raise HTTPBadRequest('path is required: "<root>/<path to the file>"')
    root, *segments = split_path(path)
    entry = load_entry(request, root, tuple(segments))
    if entry.is_dir:
        raise HTTPNotFound(f"{path} is a folder, not a file")
    start = number(body, "start", default=0)
    force = body.get("force", False)
    if not isinstance(force, bool):
        raise HTTPBadRequest("force must be true or false")
    device = target_device(request, body.get("device"))
    probe = probe_now(request, entry)
    verdict = verdict_for(entry, probe, device)
    # Files that are not media at all are the cast service's to refuse (415).
    if verdict.verdict == WONT_PLAY and entry.kind in MEDIA_KINDS and not force:
        raise WillNotPlay(
            f"{entry.name} will not play on {device.name}: {verdict.reason}; send force: true to try"
        )
    service = request.registry.cast
    media = cast_media(request, entry, probe, service.local_address(device.id), start)
    status = service.cast(device.id, media)
    if sessions.has_session(request):
        sessions.remember_cast(request.session, entry, device)
    return {
        "device": device_json(device),
        "media_url": media.url,
        "status": status,
        "verdict": verdict.as_json(),
    }


def cast_media(request, entry, probe, address, start):
    """What the device is told to load: URLs it can reach, the real content type,
    the file's own tags, its subtitle tracks and its picture."""
    tags = (probe or {}).get("tags") or {}
    tracks = tuple(
        {
            "id": t.id,
            "url": device_media_url(request, entry, address, "media.subtitles", f"&track={t.id}"),
            "language": t.language,
            "name": t.label,
        }
        for t in subtitle_tracks(request, entry, probe)
    )
    has_picture = (
        entry.kind in ("video", "image") or (probe or {}).get("picture") or has_folder_cover(request, entry)
    )
    return CastMedia(
        url=device_media_url(request, entry, address),
        # A .mp4 that is really MPEG-TS is announced as what it is.
        content_type=misnamed_as(probe, entry.content_type) or entry.content_type,
        kind=entry.kind,
        title=tags.get("title") or os.path.splitext(entry.name)[0],
        thumb=device_media_url(request, entry, address, "media.picture") if has_picture else None,
        artist=tags.get("artist"),
        album=tags.get("album"),
        start=start,
        tracks=tracks,
    )


@view_config(route_name="api.status", request_method="GET", renderer="json")
def status(request):
    device = target_device(request, request.params.get("device"))
    return request.registry.cast.status(device.id)


@view_config(route_name="api.player", request_method="POST", renderer="json")
def player(request):
    action = request.matchdict["action"]
    if action not in PLAYER_ACTIONS:
        raise HTTPNotFound(f"no player action {action!r}; actions: {', '.join(PLAYER_ACTIONS)}")
    body = json_body(request)
    device = target_device(request, body.get("device"))
    service = request.registry.cast
    if action == "seek":
        return service.seek(device.id, number(body, "position"))
    if action == "volume":
        return service.set_volume(device.id, number(body, "level", highest=1.0))
    if action == "subtitles":
        track = body.get("track")
        if track is not None and (isinstance(track, bool) or not isinstance(track, int)):
            raise HTTPBadRequest("track must be a track id, or null for none")
        try:
            return service.set_subtitles(device.id, track)
        except ValueError as error:
            raise HTTPUnprocessableEntity(str(error)) from None
    if action == "mute":
        muted = body.get("muted", True)
        if not isinstance(muted, bool):
            raise HTTPBadRequest("muted must be true or false")
        return service.set_muted(device.id, muted)
    return {"play": service.play, "pause": service.pause, "stop": service.stop_media}[action](device.id)

"""The queue API: play files one after the other on a device (a list, a folder's, a
search's), and move in it. The playing lives in :mod:`mediacaster.playback.queue`."""

import contextlib

from pyramid.view import view_config

from mediacaster import presenters
from mediacaster.errors import AppError, Conflict, NotFound, Unprocessable
from mediacaster.lifecycle import services_of
from mediacaster.schemas.requests import QUEUE_ACTIONS, QUEUE_MAX, QueueRequest, StatusQuery
from mediacaster.security import CAST, library_lookup, visible_roots
from mediacaster.services.history import PLAYED_KINDS
from mediacaster.services.queues import QueueError
from mediacaster.views.devices import device_action, target_device
from mediacaster.views.inputs import parse_body, parse_query

SEARCH_MAX = 500


def played(entries):
    """``[(root, path)]`` of the video and audio files among ``entries``."""
    return [(e.root, e.path) for e in entries if not e.is_dir and e.kind in PLAYED_KINDS]


def files_of(request, body):
    """The files a queue request names, among the roots the user sees."""
    services = services_of(request)
    if body.paths:
        entries = [library_lookup(request, path) for path in body.paths]
    elif body.folder:
        folder = library_lookup(request, body.folder)
        if not folder.is_dir:
            raise NotFound(f"{body.folder} is a file, not a folder")
        entries = services.library.listing(folder.root, folder.segments)[1]
    elif body.search:
        roots = visible_roots(request)
        entries = services.library.search(services.search, body.search, SEARCH_MAX, roots)[0]
    else:
        raise Unprocessable("name what to play: paths, a folder or a search")
    return played(entries)[:QUEUE_MAX]


def reply(request, queue):
    """The reply with the user's queue on the device (None: they have none there)."""
    return {"queue": presenters.queue_json(queue, request.entry_urls()) if queue else None}


@view_config(route_name="api.queue", permission=CAST, request_method="GET", renderer="json")
def show(request):
    device = target_device(request, parse_query(request, StatusQuery).device)
    player, user_id = services_of(request).queue_player, request.identity.user_id
    with contextlib.suppress(AppError):  # the device is out of reach: the queue is shown as it was
        player.follow(user_id, device, request.application_url)  # after a restart
    return reply(request, player.view(user_id, device))


@view_config(route_name="api.queue", permission=CAST, request_method="POST", renderer="json")
def start(request):
    body = parse_body(request, QueueRequest)
    files = files_of(request, body)
    device = target_device(request, body.device)
    player = services_of(request).queue_player
    services_of(request).casting.take_device(device)
    try:
        queue = player.start(
            request.identity.user_id,
            device,
            files,
            request.application_url,
            start=min(body.start, max(len(files) - 1, 0)),
            shuffle=body.shuffle,
            repeat=body.repeat,
        )
    except QueueError as error:
        raise Unprocessable(str(error)) from None
    return reply(request, queue)


@view_config(route_name="api.queue.action", permission=CAST, request_method="POST", renderer="json")
def action(request):
    name, body, device = device_action(request, QUEUE_ACTIONS, "queue")
    player, user_id, app_url = (
        services_of(request).queue_player,
        request.identity.user_id,
        request.application_url,
    )
    try:
        if name == "next":
            queue = player.next(user_id, device, app_url)
        elif name == "previous":
            queue = player.previous(user_id, device, app_url)
        elif name == "jump":
            queue = player.jump(user_id, device, app_url, body.position)
        elif name == "shuffle":
            queue = player.change(user_id, device, shuffle=body.on)
        elif name == "repeat":
            queue = player.change(user_id, device, repeat=body.mode)
        elif name == "add":
            entries = [library_lookup(request, path) for path in body.paths]
            queue = player.change(user_id, device, add=played(entries), next_up=body.next)
        else:
            queue = player.stop(user_id, device)
    except QueueError as error:
        raise Conflict(str(error)) from None
    return reply(request, queue)

"""The browser's player: how a file plays in this browser, asked by the file page."""

from pyramid.view import view_config

from mediacaster import presenters
from mediacaster.errors import NotFound
from mediacaster.lifecycle import services_of
from mediacaster.playback import Target, browsers
from mediacaster.schemas.requests import PlaybackQuery
from mediacaster.security import LIBRARY, library_entry
from mediacaster.views.inputs import entry_path, parse_query


@view_config(route_name="api.playback", permission=LIBRARY, request_method="GET", renderer="json")
def playback(request):
    query = parse_query(request, PlaybackQuery)
    services, urls = services_of(request), request.entry_urls()
    entry = library_entry(request, *entry_path(request))
    if entry.is_dir:
        raise NotFound(f"{entry.name} is a folder, not a file")
    target = Target.browser(browsers.names(query.can) if query.can else None)
    plan = services.playback.plan(
        entry, target, urls, direct=query.direct, audio_index=query.audio, burn_index=query.burn
    )
    return presenters.browser_plan_json(plan, urls)

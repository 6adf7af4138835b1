"""Media files: streamed for players and sent as downloads."""

from pyramid.httpexceptions import HTTPNotFound
from pyramid.response import FileResponse
from pyramid.view import view_config

from mediacaster.views.entries import load_entry, matched_entry_path


@view_config(route_name="media.stream", request_method=("GET", "HEAD"))
@view_config(route_name="media.download", request_method=("GET", "HEAD"))
def media(request):
    root, segments = matched_entry_path(request)
    entry = load_entry(request, root, segments)
    if entry.is_dir:
        raise HTTPNotFound("a folder is not a media file")
    real, _ = request.library.resolve(root, entry.segments)
    response = FileResponse(real, request=request, content_type=entry.content_type)
    if request.matched_route.name == "media.download":
        response.content_disposition = f'attachment; filename="{entry.name}"'
    return response

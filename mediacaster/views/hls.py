"""Converted files as HLS and DASH: the manifests and their segments, for devices and players.

The playlist lists absolute, signed segment URLs (a device sends no cookie)
that name the file's version: a segment asked for after the file changed is
refused (410) instead of mixed into another version's stream.
"""

import re

from pyramid.response import Response
from pyramid.security import NO_PERMISSION_REQUIRED
from pyramid.view import view_config

from mediacaster.bytenames import shown
from mediacaster.errors import Gone, NotFound
from mediacaster.lifecycle import services_of
from mediacaster.services.conversion import manifests
from mediacaster.services.conversion.jobs import NoSuchSegment
from mediacaster.views.media import CACHE_CONTROL, cached_response, signed_entry

PLAYLIST_TYPE = "application/vnd.apple.mpegurl"
MPD_TYPE = "application/dash+xml"
SEGMENT_NAME = re.compile(r"^(\d{1,7})\.m4s$")


def text_response(text, content_type):
    """A manifest: the same for as long as the file's version, which its URLs name."""
    response = Response(body=text.encode(), content_type=content_type, charset=None)
    response.cache_control = CACHE_CONTROL
    return response


@view_config(route_name="media.playlist", permission=NO_PERMISSION_REQUIRED, request_method=("GET", "HEAD"))
def playlist(request):
    entry = signed_entry(request)
    stream = services_of(request).playback.converted(entry, request.matchdict["variant"])
    init, segment = request.entry_urls().segments(entry, stream.variant.token, stream.version)
    return text_response(services_of(request).conversion.playlist(stream, init, segment), PLAYLIST_TYPE)


@view_config(route_name="media.manifest", permission=NO_PERMISSION_REQUIRED, request_method=("GET", "HEAD"))
def manifest(request):
    """The HLS multivariant playlist or the DASH MPD (players that set up MediaSource
    need the codecs up front): both over the segments of the media playlist."""
    entry = signed_entry(request)
    playback, urls = services_of(request).playback, request.entry_urls()
    stream = playback.converted(entry, request.matchdict["variant"])
    name, probe = request.matchdict["name"], playback.read(entry)
    if name == "master.m3u8":
        text, content_type = (
            manifests.master(stream, probe, urls.playlist(entry, stream.variant.token)),
            PLAYLIST_TYPE,
        )
    elif name == "stream.mpd":
        init, segment = urls.segments(entry, stream.variant.token, stream.version)
        text, content_type = services_of(request).conversion.mpd(stream, probe, init, segment), MPD_TYPE
    else:
        raise NotFound(f"{name!r} is not a manifest of this app: master.m3u8 or stream.mpd")
    return text_response(text, content_type)


@view_config(route_name="media.segment", permission=NO_PERMISSION_REQUIRED, request_method=("GET", "HEAD"))
def segment(request):
    entry, name = signed_entry(request, suffix=True)
    services = services_of(request)
    stream = services.playback.converted(entry, request.matchdict["variant"])
    if request.matchdict["version"] != stream.version:
        raise Gone(f"{shown(entry.name)} changed since its playlist was made: load it again")
    match = SEGMENT_NAME.match(name)
    if name != "init.mp4" and match is None:
        raise NoSuchSegment(f"{name!r} is not a segment's name")
    for attempt in (1, 2):  # evicted between the wait and the open: made again, once
        if match is None:
            path = services.conversion.init(stream, request.client_addr)
        else:
            path = services.conversion.segment(stream, int(match.group(1)), request.client_addr)
        try:
            response = cached_response(request, path, entry, name, "the segment")
            break
        except NotFound:
            if attempt == 2:
                raise
    if response.status_code in (200, 206):
        response.content_type = "video/mp4" if stream.variant.video else "audio/mp4"
    return response

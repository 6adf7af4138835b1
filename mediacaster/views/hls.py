"""Converted files as HLS and DASH: the manifests and their segments, for devices and players.

A video's seek previews are here too: its WebVTT thumbnail track, written from the
file's length alone and asking for the pictures to be made (a player loading it is a
first play), and the sheets of pictures it names, which wait for them a while.

The playlist lists absolute, signed segment URLs (a device sends no cookie)
that name the file's version: a segment asked for after the file changed is
refused (410) instead of mixed into another version's stream.
"""

from pyramid.response import Response
from pyramid.security import NO_PERMISSION_REQUIRED
from pyramid.view import view_config

from mediacaster.bytenames import shown
from mediacaster.errors import Gone, NotFound
from mediacaster.lifecycle import services_of
from mediacaster.playback.previews import previews_of, sheet_urls
from mediacaster.services.conversion import manifests
from mediacaster.services.previews import VTT_NAME, PreviewsUnavailable
from mediacaster.views.responses import CACHE_CONTROL, cached_response, open_cached_response, signed_entry

PLAYLIST_TYPE = "application/vnd.apple.mpegurl"
MPD_TYPE = "application/dash+xml"
VTT_TYPE = "text/vtt"
# Seconds a sheet of seek previews waits for its pictures to be made: a player's picture
# request is in no hurry, and a film's previews take a few seconds.
SHEET_WAIT = 20.0


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
        if stream.variant.video:
            text = with_previews(request, entry, text)
    else:
        raise NotFound(f"{name!r} is not a manifest of this app: master.m3u8 or stream.mpd")
    return text_response(text, content_type)


def with_previews(request, entry, text):
    """The MPD with the file's seek previews, asked for now (a player loading it is a
    first play); as it is when the file has none."""
    services = services_of(request)
    try:
        found = previews_of(services, entry)
    except PreviewsUnavailable:
        return text
    services.previews.start(found)
    return manifests.with_thumbnails(text, found.layout, sheet_urls(request.entry_urls(), entry, found))


@view_config(route_name="media.segment", permission=NO_PERMISSION_REQUIRED, request_method=("GET", "HEAD"))
def segment(request):
    entry, name = signed_entry(request, suffix=True)
    services = services_of(request)
    stream = services.playback.converted(entry, request.matchdict["variant"])
    if request.matchdict["version"] != stream.version:
        raise Gone(f"{shown(entry.name)} changed since its playlist was made: load it again")
    file = services.conversion.open(stream, name, request.client_addr)
    response = open_cached_response(request, file, entry, name)
    if response.status_code in (200, 206):
        response.content_type = "video/mp4" if stream.variant.video else "audio/mp4"
    return response


@view_config(route_name="media.previews", permission=NO_PERMISSION_REQUIRED, request_method=("GET", "HEAD"))
def previews(request):
    entry, name = signed_entry(request, suffix=True)
    services = services_of(request)
    found = previews_of(services, entry)
    if name == VTT_NAME:
        services.previews.start(found)
        return text_response(found.vtt(sheet_urls(request.entry_urls(), entry, found)), VTT_TYPE)
    sheet = services.previews.sheet(found, found.sheet_index(name), SHEET_WAIT)
    return cached_response(request, sheet, entry, name, "the picture")

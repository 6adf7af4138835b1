"""The LOAD protocol: what a device is told to play, and proof that it took it.

pychromecast's ``play_media`` defaults to ``stream_type="LIVE"``; files are
sent ``BUFFERED``. Its request callback fires on the connection's socket
thread, so it only sets an event and the waiting happens in the caller's
thread. A LOAD counts once the MEDIA_STATUS that answers it arrived; an
unanswered LOAD is sent once more.
"""

import logging
import threading

from pychromecast.controllers.media import STREAM_TYPE_BUFFERED
from pychromecast.error import PyChromecastError
from pychromecast.response_handler import WaitResponse

from mediacaster.services.cast.connections import wait_connected
from mediacaster.services.cast.errors import DeviceTimeout, LoadFailed

log = logging.getLogger(__name__)

# Cast's MediaMetadata types: generic, movie, TV show, music track, photo.
METADATA_GENERIC, METADATA_MOVIE, METADATA_TV_SHOW, METADATA_MUSIC, METADATA_PHOTO = 0, 1, 2, 3, 4
# detailedErrorCode values of a receiver's LOAD_FAILED, in words
# (https://developers.google.com/cast/docs/web_receiver/error_codes). 104, the media
# element's "source not supported", is also what a fetch that failed gives.
LOAD_ERRORS = {
    100: "the media could not be played (generic media error)",
    101: "the media was aborted",
    102: "the media could not be decoded",
    103: "the media could not be fetched (network error)",
    104: "the receiver could not fetch the media",
    110: "the media source is not supported",
    301: "the media could not be loaded",
    311: "a media segment could not be fetched",
    321: "the media manifest could not be fetched",
    411: "the media could not be fetched (network error)",
    412: "the media could not be fetched (HTTP error)",
}


def load(cast, device, media, timeout, reconnect_timeout):
    """Send the LOAD (twice at most) and return once the device confirmed it."""
    for attempt in (1, 2):
        waiter = _Waiter()
        try:
            cast.media_controller.play_media(
                media.url,
                media.content_type,
                current_time=media.start or None,
                autoplay=media.autoplay,
                stream_type=STREAM_TYPE_BUFFERED,
                metadata=metadata(media),
                media_info=media_info(media),
                callback_function=waiter,
            )
        except PyChromecastError as error:
            log.warning("LOAD on %s failed to send (attempt %d): %s", device.name, attempt, error)
            wait_connected(cast, reconnect_timeout)
            continue
        if waiter.event.wait(timeout) and waiter.sent:
            _check(device, waiter.response)
            return
        log.warning("LOAD on %s unanswered (attempt %d)", device.name, attempt)
    raise DeviceTimeout(f"{device.name} did not confirm the cast within {timeout:g} s, twice")


def enqueue(cast, device, media, timeout):
    """Queue ``media`` after what the device plays (QUEUE_INSERT) and wait for its answer."""
    waiter = _Waiter()
    try:
        cast.media_controller.play_media(
            media.url,
            media.content_type,
            autoplay=True,
            stream_type=STREAM_TYPE_BUFFERED,
            metadata=metadata(media),
            media_info=media_info(media),
            enqueue=True,
            callback_function=waiter,
        )
    except PyChromecastError as error:
        raise DeviceTimeout(f"{device.name} could not be told what comes next: {error}") from None
    if not (waiter.event.wait(timeout) and waiter.sent):
        raise DeviceTimeout(f"{device.name} did not confirm what comes next within {timeout:g} s")
    _check(device, waiter.response)


def repeat_command(cast):
    """The call that sets the device's repeat mode, for :func:`controls.command` (pychromecast
    has none): a QUEUE_UPDATE on the media session, answered by its status."""
    controller = cast.media_controller

    def set_repeat(mode, timeout):
        waiter = WaitResponse(timeout, f"repeat {mode}")
        message = {
            "type": "QUEUE_UPDATE",
            "repeatMode": mode,
            "mediaSessionId": controller.status.media_session_id,
        }
        controller.send_message(message, inc_session_id=True, callback_function=waiter.callback)
        waiter.wait_response()

    return set_repeat


def describe_error(code):
    """A receiver's detailedErrorCode in words (None: it gave none)."""
    if code is None:
        return "it stopped with an error"
    return LOAD_ERRORS.get(code, f"error {code}")


def _check(device, response):
    kind = (response or {}).get("type")
    if kind in ("LOAD_FAILED", "LOAD_CANCELLED", "INVALID_REQUEST"):
        code = response.get("detailedErrorCode")
        reason = LOAD_ERRORS.get(code) or response.get("reason") or kind.replace("_", " ").lower()
        raise LoadFailed(f"{device.name} could not play it: {reason}")


class _Waiter:
    """A request callback that the socket thread fires and the caller waits on."""

    def __init__(self):
        self.event = threading.Event()
        self.sent = None
        self.response = None

    def __call__(self, sent, response):
        self.sent, self.response = sent, response
        self.event.set()


def media_info(media):
    """What the LOAD's media carries besides its URL, type and metadata: the text
    tracks, and for HLS the segments' format (a receiver assumes MPEG-TS) and the
    duration (known before any segment is made)."""
    info = text_tracks(media.tracks) or {}
    if media.segments:
        info["hlsSegmentFormat"] = info["hlsVideoSegmentFormat"] = media.segments
    if media.duration:
        info["duration"] = round(media.duration, 3)
    return info or None


def text_tracks(tracks):
    """The LOAD's text tracks, shown as outlined white text like the TV's own captions."""
    if not tracks:
        return None
    return {
        "tracks": [
            {
                "trackId": t.id,
                "type": "TEXT",
                "subtype": "SUBTITLES",
                "trackContentId": t.url,
                "trackContentType": "text/vtt",
                "language": t.language or "und",
                "name": t.name,
            }
            for t in tracks
        ],
        "textTrackStyle": {"backgroundColor": "#00000000", "edgeType": "OUTLINE", "edgeColor": "#000000FF"},
    }


def metadata(media):
    if media.item is not None:
        return item_metadata(media.item, media.title, media.thumb)
    if media.kind == "image":
        data = {"metadataType": METADATA_PHOTO, "title": media.title}
    elif media.kind == "audio":
        data = {"metadataType": METADATA_MUSIC, "title": media.title}
        if media.artist:
            data["artist"] = media.artist
        if media.album:
            data["albumName"] = media.album
    else:
        data = {"metadataType": METADATA_GENERIC, "title": media.title}
    if media.thumb:
        data["images"] = [{"url": media.thumb}]
    return data


def item_metadata(item, title, thumb=None):
    """The MediaMetadata of a film, an episode or a song of the catalogue
    (https://developers.google.com/cast/docs/media/messages#MediaInformation): what the TV
    shows as its title, its series and numbers, its artist and album, and its art.
    ``title`` and ``thumb``: the file's, for what the catalogue does not know."""
    kind = item["type"]
    if kind == "episode":
        data = {"metadataType": METADATA_TV_SHOW, "seriesTitle": item["show"], "season": item["season"]}
        if item.get("number") is not None:
            data["episode"] = item["number"]
        if item.get("aired") is not None:
            data["originalAirdate"] = item["aired"].isoformat()
    elif kind == "film":
        data = {"metadataType": METADATA_MOVIE}
        if item.get("edition"):
            data["subtitle"] = item["edition"]
    else:
        data = {"metadataType": METADATA_MUSIC}
        for field, name in (("artist", "artist"), ("album", "albumName"), ("album_artist", "albumArtist")):
            if item.get(field):
                data[name] = item[field]
        for field, name in (("number", "trackNumber"), ("disc", "discNumber")):
            if item.get(field) is not None:
                data[name] = item[field]
    data["title"] = item.get("title") or title
    if kind != "episode" and item.get("year"):
        data["releaseDate"] = f"{item['year']:04d}"  # ISO 8601 with the year alone
    image = item.get("image") or thumb
    if image:
        data["images"] = [{"url": image}]
    return data

"""Player controls and status, on a device's shared connection."""

from pychromecast.error import PyChromecastError, RequestFailed, RequestTimeout

from mediacaster.services.cast.errors import DeviceUnreachable, NothingPlaying, UnknownTrack
from mediacaster.services.cast.model import MediaStatus, PlayerStatus, ReceiverStatus, Track


def require_media(device, cast):
    """Raise :class:`NothingPlaying` unless a media session is open on the device."""
    status = cast.media_controller.status
    if status is None or status.media_session_id is None or status.player_state in ("IDLE", "UNKNOWN"):
        raise NothingPlaying(f"nothing is playing on {device.name}")


def command(device, call, *args, timeout):
    """Send one command and wait for its answer; pychromecast's errors in words."""
    try:
        call(*args, timeout=timeout)
    except RequestTimeout:
        raise DeviceUnreachable(f"{device.name} did not answer within {timeout:g} s") from None
    except RequestFailed as error:
        raise NothingPlaying(f"{device.name} refused it: {error}") from None
    except PyChromecastError as error:
        raise DeviceUnreachable(f"{device.name}: {error}") from None


def subtitle_command(device, cast, track_id):
    """The call that shows subtitle track ``track_id``, or none for None."""
    controller = cast.media_controller
    if track_id is None:
        return controller.disable_subtitle, ()
    known = {t.get("trackId") for t in controller.status.subtitle_tracks or []}
    if track_id not in known:
        raise UnknownTrack(f"no subtitle track {track_id}; tracks: {sorted(known) or 'none'}")
    return controller.enable_subtitle, (int(track_id),)


def read_status(device, cast):
    receiver = cast.status
    media = cast.media_controller.status
    has_media = media is not None and media.media_session_id is not None
    return PlayerStatus(
        device=ReceiverStatus(
            id=device.id,
            name=device.name,
            volume=receiver.volume_level if receiver else None,
            muted=receiver.volume_muted if receiver else None,
            app=receiver.display_name if receiver else None,
            app_id=receiver.app_id if receiver else None,
        ),
        media=MediaStatus(
            player_state=media.player_state,
            current_time=media.adjusted_current_time,
            duration=media.duration,
            title=media.title,
            content_id=media.content_id,
            content_type=media.content_type,
            idle_reason=media.idle_reason,
            tracks=tuple(
                Track(id=t.get("trackId"), url=None, language=t.get("language"), name=t.get("name"))
                for t in media.subtitle_tracks or []
                if t.get("type") == "TEXT"
            ),
            active_tracks=tuple(media.current_subtitle_tracks or ()),
        )
        if has_media
        else None,
    )

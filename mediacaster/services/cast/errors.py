"""What can go wrong with a cast device, each with a message a person can act on."""

from mediacaster.errors import AppError, Conflict, NotFound, Unavailable, Unprocessable
from mediacaster.errors import UnsupportedMedia as _Unsupported


class CastError(AppError):
    status, code = 502, "cast_error"


class UnknownDevice(CastError, NotFound):
    status, code = 404, "unknown_device"


class DeviceUnreachable(CastError, Unavailable):
    status, code = 503, "device_unreachable"


class DeviceTimeout(DeviceUnreachable):
    """The device is connected but did not answer in time."""

    status, code = 504, "device_timeout"


class UnsupportedMedia(CastError, _Unsupported):
    status, code = 415, "unsupported_media"


class LoadFailed(CastError):
    """The receiver answered the LOAD with LOAD_FAILED or the like."""

    status, code = 502, "load_failed"


class NothingPlaying(CastError, Conflict):
    status, code = 409, "nothing_playing"


class NotCastHere(CastError, Conflict):
    """The device plays media this app did not cast, or cast before it restarted."""

    status, code = 409, "conflict"


class UnknownTrack(CastError, Unprocessable):
    status, code = 422, "unprocessable_entity"


class OutOfRange(CastError, Unprocessable):
    """A position or a level the device cannot take."""

    status, code = 422, "unprocessable_entity"

"""Cast service: discover Chromecasts, keep one connection per device, cast and control.

Knows nothing of HTTP and returns plain data (:mod:`.model`). Built on
pychromecast 14 and one shared Zeroconf, in one module per job: :mod:`.service`
(the one object the app holds),
:mod:`.discovery` (the registry of devices), :mod:`.connections` (one shared
connection per device, made serial by :mod:`.tls`), :mod:`.loading` (the LOAD
protocol), :mod:`.controls` (player controls and status) and :mod:`.watching`
(what plays where this app cast: positions, ends, other senders). Nothing ever
waits inside pychromecast's socket thread.
"""

from mediacaster.services.cast.discovery import outside_event_loops
from mediacaster.services.cast.errors import (
    CastError,
    DeviceTimeout,
    DeviceUnreachable,
    LoadFailed,
    NotCastHere,
    NothingPlaying,
    OutOfRange,
    UnknownDevice,
    UnknownTrack,
    UnsupportedMedia,
)
from mediacaster.services.cast.model import (
    CastMedia,
    Device,
    MediaStatus,
    PlayerStatus,
    ReceiverStatus,
    Track,
)
from mediacaster.services.cast.service import CastService
from mediacaster.services.cast.watching import (
    ADVANCED,
    ENDED,
    FAILED,
    GONE,
    NEAR_END,
    PLAYED,
    RETURNED,
    STOPPED,
    TAKEN_OVER,
)

__all__ = [
    "ADVANCED",
    "ENDED",
    "FAILED",
    "GONE",
    "NEAR_END",
    "PLAYED",
    "RETURNED",
    "STOPPED",
    "TAKEN_OVER",
    "CastError",
    "CastMedia",
    "CastService",
    "Device",
    "DeviceTimeout",
    "DeviceUnreachable",
    "LoadFailed",
    "MediaStatus",
    "NotCastHere",
    "NothingPlaying",
    "OutOfRange",
    "PlayerStatus",
    "ReceiverStatus",
    "Track",
    "UnknownDevice",
    "UnknownTrack",
    "UnsupportedMedia",
    "outside_event_loops",
]

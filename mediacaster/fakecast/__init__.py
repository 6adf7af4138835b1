"""A fake Chromecast that speaks the real CASTV2 protocol, in three parts:
:mod:`.protocol` (TLS, framing, connections, mDNS and eureka_info), :mod:`.receiver`
(the Default Media Receiver's state: sessions, media status, queue, errors) and
:mod:`.hls` (fetching media and playlists as a device does).
``python -m mediacaster.fakecast`` runs one until Ctrl-C."""

from mediacaster.fakecast.hls import FETCH_BYTES, Fetch, Playlist, parse_playlist
from mediacaster.fakecast.protocol import Eureka
from mediacaster.fakecast.receiver import DEFAULT_MEDIA_RECEIVER, FakeChromecast

__all__ = [
    "DEFAULT_MEDIA_RECEIVER",
    "FETCH_BYTES",
    "Eureka",
    "FakeChromecast",
    "Fetch",
    "Playlist",
    "parse_playlist",
]

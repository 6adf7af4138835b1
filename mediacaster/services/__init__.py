"""Create the services once at startup and keep them on the registry.

Services are plain objects that know nothing about HTTP; views reach them as
``request.registry.library``, ``.search``, ``.probe``, ``.subtitles``,
``.pictures``, ``.cast``, ``.redis`` and ``.signer``. (Not as reified
request properties: Pyramid builds a new request class for every
request that has any, about 20 µs that every media range request would pay.)
"""

import atexit
import os

from mediacaster.services.cast import CastService
from mediacaster.services.library import LibraryService
from mediacaster.services.pictures import PictureService
from mediacaster.services.probe import ProbeService
from mediacaster.services.redis_store import connect
from mediacaster.services.search import SearchIndex
from mediacaster.services.subtitles import SubtitleService
from mediacaster.signing import UrlSigner


def includeme(config):
    settings = config.registry.app_settings
    registry = config.registry
    registry.redis = connect(settings)
    registry.library = LibraryService(settings.roots)
    registry.search = SearchIndex(settings.roots, interval=settings.rescan_interval)
    registry.search.start()
    atexit.register(registry.search.stop)
    registry.signer = UrlSigner(settings.secret, settings.signed_url_ttl)
    tools = settings.ffmpeg_dir
    ffprobe, ffmpeg = (os.path.join(tools, name) if tools else name for name in ("ffprobe", "ffmpeg"))
    registry.probe = ProbeService(registry.redis, ffprobe=ffprobe)
    registry.subtitles = SubtitleService(settings.data_dir / "cache" / "subtitles", ffmpeg=ffmpeg)
    registry.pictures = PictureService(settings.data_dir / "cache" / "pictures", ffmpeg=ffmpeg)
    atexit.register(registry.probe.stop)
    registry.cast = CastService(
        known_hosts=settings.known_hosts, interfaces=list(settings.discovery_interfaces) or None
    )
    if settings.discovery:
        # Discovery runs from startup on, so no request ever waits for a scan.
        registry.cast.start()
        atexit.register(registry.cast.stop)

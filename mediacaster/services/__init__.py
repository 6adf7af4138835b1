"""Create the services once at startup and hand them to views on the request.

Services are plain objects that know nothing about HTTP; views reach them as
``request.library``, ``request.search``, ``request.redis`` and ``request.signer``.
"""

import atexit

from mediacaster.services.library import LibraryService
from mediacaster.services.redis_store import connect
from mediacaster.services.search import SearchIndex
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

    for name in ("redis", "library", "search", "signer"):
        config.add_request_method(_registry_getter(name), name, reify=True)


def _registry_getter(name):
    return lambda request: getattr(request.registry, name)

"""Create the services once at startup and hand them to views on the request.

Services are plain objects that know nothing about HTTP; views reach them as
``request.library``, ``request.search`` and ``request.redis``.
"""

import atexit

from mediacaster.services.library import LibraryService
from mediacaster.services.redis_store import connect
from mediacaster.services.search import SearchIndex


def includeme(config):
    settings = config.registry.app_settings
    registry = config.registry
    registry.redis = connect(settings)
    registry.library = LibraryService(settings.roots)
    registry.search = SearchIndex(settings.roots, interval=settings.rescan_interval)
    registry.search.start()
    atexit.register(registry.search.stop)

    for name in ("redis", "library", "search"):
        config.add_request_method(_registry_getter(name), name, reify=True)


def _registry_getter(name):
    return lambda request: getattr(request.registry, name)

"""Health check for monitoring: Redis, each root, the search index and device discovery."""

from pyramid.security import NO_PERMISSION_REQUIRED
from pyramid.view import view_config


@view_config(route_name="health", permission=NO_PERMISSION_REQUIRED, request_method="GET", renderer="json")
def health(request):
    services = request.registry.services
    roots = {name: {"readable": services.library.readable(name)} for name in services.library.roots}
    redis_ok = services.store.reachable()
    ok = redis_ok and all(r["readable"] for r in roots.values())
    request.response.status_int = 200 if ok else 503
    request.response.cache_control = "no-store"
    return {
        "status": "ok" if ok else "degraded",
        "redis": {"reachable": redis_ok},
        "roots": roots,
        "search": services.search.state(),
        "discovery": services.cast.state(),
    }

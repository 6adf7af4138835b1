"""Health check for monitoring: Redis, each root, the search index and device discovery."""

from pyramid.view import view_config

from mediacaster.services.redis_store import reachable


@view_config(route_name="health", request_method="GET", renderer="json")
def health(request):
    library = request.registry.library
    roots = {name: {"readable": library.readable(name)} for name in library.roots}
    redis_ok = reachable(request.registry.redis)
    ok = redis_ok and all(r["readable"] for r in roots.values())
    request.response.status_int = 200 if ok else 503
    request.response.cache_control = "no-store"
    return {
        "status": "ok" if ok else "degraded",
        "redis": {"reachable": redis_ok},
        "roots": roots,
        "search": request.registry.search.state(),
        "discovery": request.registry.cast.state(),
    }

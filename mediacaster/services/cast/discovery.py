"""Continuous discovery: mDNS and polled known hosts fill a registry of devices.

Devices are never forgotten: one that vanishes turns offline, so a session
that chose it can say so instead of "unknown device".
"""

import logging
import threading
import time
from dataclasses import replace
from uuid import UUID

import pychromecast
from pychromecast.discovery import AbstractCastListener
from zeroconf import Zeroconf

from mediacaster.services.cast.errors import UnknownDevice
from mediacaster.services.cast.model import Device, device_type

log = logging.getLogger(__name__)


class Discovery:
    def __init__(self, known_hosts=(), interfaces=None):
        self.known_hosts = list(known_hosts)
        self.interfaces = interfaces
        self.zeroconf = None
        self.browser = None
        self._devices = {}  # UUID -> Device
        self._lock = threading.Lock()
        self.on_found = []  # callbacks given each device that comes online, in a thread of their own

    def start(self):
        kwargs = {"interfaces": self.interfaces} if self.interfaces else {}
        self.zeroconf = outside_event_loops(lambda: Zeroconf(**kwargs))
        self.browser = pychromecast.CastBrowser(_Listener(self), self.zeroconf, self.known_hosts or None)
        self.browser.start_discovery()

    def stop(self):
        if self.browser is not None:
            outside_event_loops(self.browser.stop_discovery)
            self.browser = None
        if self.zeroconf is not None:
            outside_event_loops(self.zeroconf.close)
            self.zeroconf = None

    @property
    def running(self):
        return self.browser is not None

    def cast_info(self, uuid):
        """pychromecast's CastInfo for a device (what a connection is made from), or None."""
        return self.browser.devices.get(uuid) if self.browser else None

    # -- the registry ------------------------------------------------------

    def _seen(self, uuid):
        info = self.cast_info(uuid)
        if info is None:
            return
        device = Device(
            id=str(uuid),
            name=info.friendly_name or str(uuid),
            model=info.model_name or "",
            type=device_type(info.model_name, info.port, info.cast_type),
            host=info.host,
            port=info.port,
            last_seen=time.time(),
            online=True,
        )
        with self._lock:
            known = self._devices.get(uuid)
            self._devices[uuid] = device
        log.info("cast device %s (%s) at %s:%s", device.name, device.model, device.host, device.port)
        if known is None or not known.online:
            for callback in self.on_found:
                # Not on discovery's thread: a callback may connect to the device.
                thread = threading.Thread(target=_call, args=(callback, device), name="device-found")
                thread.daemon = True
                thread.start()

    def _vanished(self, uuid):
        with self._lock:
            device = self._devices.get(uuid)
            if device is not None:
                self._devices[uuid] = replace(device, online=False)
        log.info("cast device %s went offline", device.name if device else uuid)

    def devices(self):
        """Every device seen, online ones first, by name."""
        with self._lock:
            return sorted(self._devices.values(), key=lambda d: (not d.online, d.name.casefold()))

    def find(self, id_or_name):
        """A device by its id or its friendly name (case-insensitive)."""
        text = str(id_or_name or "").strip()
        with self._lock:
            try:
                device = self._devices.get(UUID(text))
            except ValueError:
                device = None
            if device is None:
                matches = [d for d in self._devices.values() if d.name.casefold() == text.casefold()]
                device = next((d for d in matches if d.online), matches[0] if matches else None)
        if device is None:
            names = ", ".join(d.name for d in self.devices())
            raise UnknownDevice(f"no cast device {text!r} is known; known: {names or 'none yet'}")
        return device

    def state(self):
        devices = self.devices()
        return {
            "running": self.running,
            "devices": len(devices),
            "online": sum(d.online for d in devices),
            "known_hosts": self.known_hosts,
        }


class _Listener(AbstractCastListener):
    def __init__(self, discovery):
        self.discovery = discovery

    def add_cast(self, uuid, service):
        self.discovery._seen(uuid)

    def update_cast(self, uuid, service):
        self.discovery._seen(uuid)

    def remove_cast(self, uuid, service, cast_info):
        self.discovery._vanished(uuid)


def _call(callback, device):
    try:
        callback(device)
    except Exception:  # one callback failing must not pass unseen
        log.exception("handling device %s coming online failed", device.name)


def outside_event_loops(call):
    """Run ``call`` in a thread of its own and return its result.

    Zeroconf adopts an asyncio loop running in the calling thread, and skips its
    blocking calls there; discovery must not depend on whoever starts the
    service (an async server, a browser driver), so it never sees such a loop.
    """
    result = {}

    def run():
        try:
            result["value"] = call()
        except BaseException as error:  # re-raised in the caller's thread
            result["error"] = error

    thread = threading.Thread(target=run, name="zeroconf-call")
    thread.start()
    thread.join()
    if "error" in result:
        raise result["error"]
    return result.get("value")

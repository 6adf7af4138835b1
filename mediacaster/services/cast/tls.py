"""One thread at a time in a device's TLS socket.

pychromecast reads its TLS socket on the connection's own thread while the
threads that send commands write to it, with no lock. OpenSSL objects are not
thread-safe: interleaved reads and writes corrupt records, which shows as
``SSLV3_ALERT_BAD_RECORD_MAC`` or ``BAD_LENGTH`` and a lost message (upstream:
home-assistant-libs/pychromecast#193; home-assistant/core#141619). Here about
one connection in ten lost a LOAD. The socket is wrapped so that reads and
writes take one lock; :mod:`.loading` still confirms every LOAD, because a
device may drop a message for reasons of its own.
"""

import ssl
import threading

from pychromecast.socket_client import SocketClient


class SerialSocket:
    """The TLS socket, entered by one thread at a time for reads and writes."""

    def __init__(self, sock, lock):
        self._sock = sock
        self._lock = lock

    def recv(self, *args):
        with self._lock:
            return self._sock.recv(*args)

    def send(self, *args):
        with self._lock:
            return self._sock.send(*args)

    def sendall(self, *args):
        with self._lock:
            return self._sock.sendall(*args)

    def __getattr__(self, name):
        return getattr(self._sock, name)


class SerialSocketClient(SocketClient):
    """pychromecast's socket client, whose TLS socket is a :class:`SerialSocket`.

    pychromecast assigns ``self.socket`` on every (re)connection; the property
    wraps each new socket as it is assigned.
    """

    @property
    def socket(self):
        return self.__dict__.get("_serial_socket")

    @socket.setter
    def socket(self, value):
        if isinstance(value, ssl.SSLSocket):
            value = SerialSocket(value, self.__dict__.setdefault("_io_lock", threading.Lock()))
        self.__dict__["_serial_socket"] = value


def serialise(cast):
    """Make the connection of a not yet started ``pychromecast.Chromecast`` serial."""
    client = cast.socket_client
    current = client.__dict__.pop("socket", None)
    client.__class__ = SerialSocketClient
    client.socket = current

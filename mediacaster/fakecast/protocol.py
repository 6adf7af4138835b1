"""The device's side of CASTV2: TLS on port 8009, frames of a 4-byte big-endian length
and a protobuf ``CastMessage``, one thread per connected sender; its mDNS
advertisement (``_googlecast._tcp.local.``) and ``/setup/eureka_info`` on port 8008,
which pychromecast asks of the known hosts.

:class:`CastEndpoint` knows nothing of what the messages mean: a subclass answers
them in :meth:`CastEndpoint.handle`.
"""

import contextlib
import json
import socket
import ssl
import struct
import threading
import uuid as uuidlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from pychromecast.generated.cast_channel_pb2 import CastMessage

from mediacaster.services.cast import outside_event_loops

TLS_DIR = Path(__file__).parent / "tls"
NS_CONNECTION = "urn:x-cast:com.google.cast.tp.connection"
NS_HEARTBEAT = "urn:x-cast:com.google.cast.tp.heartbeat"
NS_RECEIVER = "urn:x-cast:com.google.cast.receiver"
NS_MEDIA = "urn:x-cast:com.google.cast.media"
SERVICE_TYPE = "_googlecast._tcp.local."
EUREKA_PORT = 8008


class CastEndpoint:
    """A CASTV2 endpoint on ``address``:``port`` (0: any free port)."""

    def __init__(self, name, model, address, port, uuid=None, eureka=False):
        self.name, self.model, self.address = name, model, address
        self.uuid = uuid or uuidlib.uuid4()
        self.want_eureka = eureka
        self.port = port
        self.lock = threading.RLock()
        self.connections = set()
        self.messages = []  # (namespace, data) of every message received
        self._server = None
        self._stop = threading.Event()
        self._zeroconf = None
        self._info = None
        self._eureka = None

    # -- lifecycle -------------------------------------------------------

    def start(self, zeroconf=None):
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(TLS_DIR / "cert.pem", TLS_DIR / "key.pem")
        self._context = context
        server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind((self.address, self.port))
        server.listen(16)
        self.port = server.getsockname()[1]
        self._server = server
        self._stop.clear()
        threading.Thread(target=self._accept, name=f"fakecast-{self.name}", daemon=True).start()
        self.started()
        if self.want_eureka:
            self._eureka = Eureka(self.name, self.model, self.uuid, self.address).start()
        if zeroconf is not None:
            self.advertise(zeroconf)
        return self

    def started(self):
        """Called once the endpoint listens: a subclass starts its own threads here."""

    def stop(self):
        """Vanish: stop advertising, close every connection, stop listening."""
        self.unadvertise()
        self._stop.set()
        if self._server is not None:
            close(self._server)  # shutdown() first: it wakes the thread blocked in accept()
            self._server = None
        with self.lock:
            for conn in list(self.connections):
                close(conn)
            self.connections.clear()
        if self._eureka is not None:
            self._eureka.stop()
            self._eureka = None

    def advertise(self, zeroconf):
        from zeroconf import ServiceInfo

        self._zeroconf = zeroconf
        self._info = ServiceInfo(
            SERVICE_TYPE,
            f"Chromecast-{self.uuid.hex}.{SERVICE_TYPE}",
            addresses=[socket.inet_aton(self.address)],
            port=self.port,
            properties={"id": self.uuid.hex, "md": self.model, "fn": self.name, "ve": "05", "ca": "4101"},
            server=f"{self.uuid.hex}.local.",
        )
        info = self._info
        outside_event_loops(lambda: zeroconf.register_service(info, allow_name_change=False))

    def unadvertise(self):
        if self._zeroconf is not None and self._info is not None:
            info, self._info = self._info, None
            outside_event_loops(lambda: self._zeroconf.unregister_service(info))

    # -- connections -------------------------------------------------------

    def _accept(self):
        server = self._server
        while not self._stop.is_set():
            try:
                raw, _ = server.accept()
            except OSError:
                return
            try:
                conn = self._context.wrap_socket(raw, server_side=True)
            except (OSError, ssl.SSLError):
                close(raw)
                continue
            with self.lock:
                self.connections.add(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn):
        try:
            while not self._stop.is_set():
                header = read_exactly(conn, 4)
                if header is None:
                    break
                message = CastMessage()
                message.ParseFromString(read_exactly(conn, struct.unpack(">I", header)[0]) or b"")
                self._handle(conn, message)
        except (OSError, ssl.SSLError, ValueError):
            pass
        finally:
            with self.lock:
                self.connections.discard(conn)
            close(conn)

    def send(self, conn, source, destination, namespace, data):
        message = CastMessage()
        message.protocol_version = CastMessage.CASTV2_1_0
        message.source_id = source
        message.destination_id = destination
        message.namespace = namespace
        message.payload_type = CastMessage.STRING
        message.payload_utf8 = json.dumps(data)
        payload = message.SerializeToString()
        with self.lock, contextlib.suppress(OSError):
            conn.sendall(struct.pack(">I", len(payload)) + payload)

    def _handle(self, conn, message):
        data = json.loads(message.payload_utf8) if message.payload_utf8 else {}
        with self.lock:
            self.messages.append((message.namespace, data))

        def reply(payload, namespace=message.namespace):
            self.send(conn, message.destination_id, message.source_id, namespace, payload)

        if message.namespace == NS_HEARTBEAT and data.get("type") == "PING":
            reply({"type": "PONG"})
        else:
            self.handle(conn, message, data, reply)

    def handle(self, conn, message, data, reply):
        """Answer ``message`` (its JSON payload: ``data``) from ``conn``; ``reply(payload)``
        answers the sender on the message's namespace."""
        raise NotImplementedError

    def others(self, exclude=None):
        """The connected senders, but ``exclude``."""
        with self.lock:
            return [conn for conn in self.connections if conn is not exclude]


class Eureka:
    """``/setup/eureka_info`` on port 8008: what pychromecast asks a known host."""

    def __init__(self, name, model, uuid, address):
        self.name, self.model, self.uuid, self.address = name, model, uuid, address
        self._server = None

    def start(self):
        body = json.dumps(
            {
                "name": self.name,
                "device_info": {
                    "name": self.name,
                    "model_name": self.model,
                    "manufacturer": "Google Inc.",
                    "ssdp_udn": str(self.uuid),
                    "capabilities": {"display_supported": True, "multizone_supported": False},
                },
            }
        ).encode()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                if not self.path.startswith("/setup/eureka_info"):
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer((self.address, EUREKA_PORT), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self):
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


def read_exactly(conn, size):
    chunks, received = [], 0
    while received < size:
        chunk = conn.recv(size - received)
        if not chunk:
            return None
        chunks.append(chunk)
        received += len(chunk)
    return b"".join(chunks)


def close(sock):
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()

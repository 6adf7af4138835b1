"""Answer only to the names this app is known by.

The ``Host`` header becomes every absolute URL the app writes (pages, the API,
the URLs a TV is told to fetch), and a page on a site whose name an attacker
points at this machine's address (DNS rebinding) is "same-origin" to the
browser: its requests pass every origin check. Both end when requests for any
other name are refused.

``mediacaster.allowed_hosts`` lists the names (``*`` allows any); by default
they are this machine's own: ``localhost``, its host names, every address of
its interfaces (looked up again when an unknown address comes, so a new DHCP
lease works) and the host of ``mediacaster.public_url``. Ports do not matter.
"""

import ipaddress
import socket
import threading
import time
from urllib.parse import urlsplit

import ifaddr
from pyramid.tweens import MAIN

from mediacaster.errors import BadRequest

# Seconds between two lookups of the interfaces' addresses for unknown addresses.
RELOOK_INTERVAL = 10.0


class UnknownHost(BadRequest):
    code = "unknown_host"


def includeme(config):
    config.add_tween("mediacaster.hosts.tween_factory", over=MAIN)


def tween_factory(handler, registry):
    settings = registry.app_settings
    allowed = AllowedHosts(settings.allowed_hosts, settings.public_url)

    def allowed_hosts_tween(request):
        host = request.environ.get("HTTP_HOST")
        if host is not None and not allowed.check(host):
            # The error page's own links must not point at the refused name.
            request.environ["HTTP_HOST"] = _own_address(request.environ)
            raise UnknownHost(
                f"this server does not answer to the name {host[:100]!r}; "
                "add it to mediacaster.allowed_hosts if it is one of its names"
            )
        return handler(request)

    return allowed_hosts_tween


class AllowedHosts:
    def __init__(self, configured=(), public_url=""):
        self.any = "*" in configured
        self.names = {hostname(name) for name in configured if name != "*"}
        if not configured:
            self.names |= _own_names()
            if public_url:
                self.names.add(hostname(urlsplit(public_url).netloc))
        # The default follows the interfaces' addresses; a configured list is what it says.
        self.follow_interfaces = not configured
        self.addresses = _own_addresses() if self.follow_interfaces else set()
        self._looked = time.monotonic()
        self._lock = threading.Lock()

    def check(self, host):
        """True when ``Host`` header value ``host`` names this app."""
        if self.any:
            return True
        name = hostname(host)
        if name is None:
            return False
        if name in self.names:
            return True
        try:
            address = ipaddress.ip_address(name)
        except ValueError:
            return False
        return address.is_loopback or (self.follow_interfaces and self._is_own(name))

    def _is_own(self, address):
        if address in self.addresses:
            return True
        with self._lock:
            if time.monotonic() - self._looked >= RELOOK_INTERVAL:
                self._looked = time.monotonic()
                self.addresses = _own_addresses()
        return address in self.addresses


def hostname(host):
    """The lower-case name or address of a ``Host`` value, without port or brackets;
    None when it is not one."""
    try:
        return str(ipaddress.ip_address(host))  # a bare address, IPv6 included
    except ValueError:
        pass
    try:
        parts = urlsplit("//" + host)
        parts.port  # noqa: B018 - raises ValueError on a port that is not a number
    except ValueError:
        return None
    if parts.username is not None or parts.path or parts.query or parts.fragment:
        return None
    name = (parts.hostname or "").rstrip(".")
    try:
        return str(ipaddress.ip_address(name))  # one spelling per address
    except ValueError:
        return name or None


def _own_names():
    names = {"localhost"}
    for name in (socket.gethostname(), socket.getfqdn()):
        if name:
            names |= {name.lower(), name.lower().split(".")[0] + ".local"}
    return names


def _own_addresses():
    return {str(address) for address in interface_addresses()}


def interface_addresses():
    """The addresses of this machine's interfaces, loopback included."""
    addresses = []
    for adapter in ifaddr.get_adapters():
        for ip in adapter.ips:
            address = ip.ip if isinstance(ip.ip, str) else ip.ip[0]
            addresses.append(ipaddress.ip_address(address.split("%")[0]))
    return addresses


def _own_address(environ):
    name, port = environ.get("SERVER_NAME", "localhost"), environ.get("SERVER_PORT", "")
    name = f"[{name}]" if ":" in name else name
    return f"{name}:{port}" if port else name

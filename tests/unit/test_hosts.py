"""Which Host headers name this app (mediacaster.hosts)."""

import socket

import pytest

from mediacaster.hosts import AllowedHosts, hostname


@pytest.mark.parametrize(
    ("value", "name"),
    [
        ("NAS.example:6543", "nas.example"),
        ("nas.example.", "nas.example"),
        ("[FD00:0::2]:80", "fd00::2"),
        ("192.168.1.10", "192.168.1.10"),
        ("nas.example:port", None),
        ("user@nas.example", None),
        ("nas.example/x", None),
        ("fd00:0::1", "fd00::1"),  # a bare IPv6 address, as a setting may list it
        ("", None),
    ],
)
def test_hostname_of_a_host_header(value, name):
    assert hostname(value) == name


def test_by_default_this_machines_names_and_addresses_and_loopback():
    allowed = AllowedHosts()
    own = socket.gethostname()
    for host in ("localhost:6543", "127.0.0.1", "127.9.9.9:80", "[::1]:6543", own, f"{own}:6543"):
        assert allowed.check(host), host
    for address in allowed.addresses:
        assert allowed.check(f"[{address}]" if ":" in address else address)
    for host in ("evil.example", "evil.example:6543", "203.0.113.9", "localhost.evil.example", "a b"):
        assert not allowed.check(host), host


def test_the_public_urls_host_joins_the_defaults():
    allowed = AllowedHosts(public_url="https://media.example/mediacenter")
    assert allowed.check("media.example") and allowed.check("localhost")
    assert not allowed.check("other.example")


def test_a_configured_list_is_exactly_what_it_says_besides_loopback():
    allowed = AllowedHosts(("nas.example", "192.168.1.10", "[fd00::2]"))
    assert allowed.check("NAS.example:80") and allowed.check("192.168.1.10:6543")
    assert allowed.check("[fd00:0:0::2]") and allowed.check("127.0.0.1")
    assert not allowed.check(socket.gethostname()) or socket.gethostname() == "localhost"
    assert not allowed.check("192.168.1.11")


def test_a_bare_ipv6_address_in_the_list_matches_its_bracketed_host():
    assert AllowedHosts(("fd00::1",)).check("[fd00::1]:6543")


def test_a_star_allows_any_name():
    assert AllowedHosts(("*",)).check("anything.example:1")

"""A network namespace of its own for each pytest-xdist worker (``make test-fast``).

The fake Chromecasts listen on fixed loopback addresses (127.0.0.2 and 127.0.0.3,
port 8009, as a known host is reached) and announce themselves over mDNS; with a
namespace each, workers neither collide on those addresses nor see each other's
devices. Only the calling thread moves (unshare(2)); the threads and processes the
tests start afterwards follow it.
"""

import ctypes
import fcntl
import socket
import struct

CLONE_NEWNET = 0x40000000
SIOCGIFFLAGS = 0x8913
SIOCSIFFLAGS = 0x8914
IFF_UP = 0x1
IFREQ = "16sH14s"  # struct ifreq: the interface's name, then its flags


def isolate():
    """Move this thread into a new network namespace with its loopback up."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(CLONE_NEWNET) != 0:
        raise OSError(ctypes.get_errno(), "a network namespace of its own needs root")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        request = struct.pack(IFREQ, b"lo", 0, b"")
        flags = struct.unpack(IFREQ, fcntl.ioctl(sock, SIOCGIFFLAGS, request))[1]
        fcntl.ioctl(sock, SIOCSIFFLAGS, struct.pack(IFREQ, b"lo", flags | IFF_UP, b""))

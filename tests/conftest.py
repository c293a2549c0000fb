"""Suite-wide guard: tests may only open network connections to loopback addresses.

Fixture servers (tests/fixture_server.py), Redis and the HTML-report browser all listen on
127.0.0.1; a connection anywhere else (a crawler following an off-site link, a library calling
home) fails the test with NetworkGuardError instead of sending traffic.
"""
from __future__ import annotations

import ipaddress
import socket

import pytest


class NetworkGuardError(RuntimeError):
    """A test tried to connect to a non-loopback address."""


def is_loopback(address: object) -> bool:
    """True for AF_UNIX paths and IPv4/IPv6 loopback (host, port[, ...]) tuples."""
    if not isinstance(address, tuple):      # AF_UNIX path (str or bytes)
        return True
    host = str(address[0])
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:                      # a host name: resolved elsewhere, refuse it here
        return False


_connect, _connect_ex = socket.socket.connect, socket.socket.connect_ex


def _guarded(original):
    def connect(self, address):
        if self.family in (socket.AF_INET, socket.AF_INET6) and not is_loopback(address):
            raise NetworkGuardError(f"test tried to connect to {address!r}; only 127.0.0.1")
        return original(self, address)
    return connect


@pytest.fixture(autouse=True, scope="session")
def loopback_only():
    """Refuse non-loopback connections for the whole session."""
    socket.socket.connect = _guarded(_connect)
    socket.socket.connect_ex = _guarded(_connect_ex)
    yield
    socket.socket.connect, socket.socket.connect_ex = _connect, _connect_ex

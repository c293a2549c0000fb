"""The suite-wide loopback guard (tests/conftest.py) refuses outside addresses."""
from __future__ import annotations

import socket

import pytest

from tests.conftest import NetworkGuardError, is_loopback


def test_outside_address_is_refused_before_any_packet():
    # 192.0.2.1 is TEST-NET-1 (RFC 5737): the guard must raise before the kernel is asked
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock, \
            pytest.raises(NetworkGuardError):
        sock.connect(("192.0.2.1", 80))


def test_create_connection_to_outside_is_refused():
    with pytest.raises(NetworkGuardError):
        socket.create_connection(("192.0.2.1", 80), timeout=0.5)


def test_loopback_server_still_reachable():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        with socket.create_connection(server.getsockname(), timeout=2):
            conn, _ = server.accept()
            conn.close()


@pytest.mark.parametrize("address, expected", [
    (("127.0.0.1", 80), True), (("::1", 80, 0, 0), True), (("localhost", 80), True),
    (("10.0.0.1", 80), False), (("jobs.example", 443), False), ("/tmp/redis.sock", True),
])
def test_is_loopback(address, expected):
    assert is_loopback(address) is expected

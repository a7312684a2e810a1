"""Ports for test servers and ``make up`` come from outside the kernel's ephemeral range,
which outgoing connections draw their source ports from."""

import socket

from ops.localstack import LOWEST_CHOSEN_PORT, _ephemeral_range_start, free_port


def test_a_free_port_is_never_one_a_client_socket_could_be_given() -> None:
    ports = {free_port() for _ in range(20)}
    assert all(LOWEST_CHOSEN_PORT <= port < _ephemeral_range_start() for port in ports)
    assert len(ports) > 1, "parallel callers must not all be offered the same port"


def test_a_port_in_use_is_never_offered() -> None:
    held = []
    try:
        for _ in range(5):
            sock = socket.socket()
            port = free_port()
            sock.bind(("127.0.0.1", port))
            sock.listen()
            held.append(sock)
        offered = {free_port() for _ in range(200)}
        assert offered.isdisjoint({sock.getsockname()[1] for sock in held})
    finally:
        for sock in held:
            sock.close()

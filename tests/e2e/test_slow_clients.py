"""Clients that send a byte at a time, or never finish, cannot hold the server; a process
holds a bounded number of connections; normal clients are served meanwhile."""

from __future__ import annotations

import json
import socket
import time
from typing import TYPE_CHECKING

import pytest

from tests.helpers import ADMIN, Server, create_body

if TYPE_CHECKING:
    from collections.abc import Iterator

LIMITS = {"REGISTRY_HEADER_TIMEOUT": "1", "REGISTRY_BODY_TIMEOUT": "1"}


@pytest.fixture(scope="module")
def guarded(module_database_url: str) -> Iterator[Server]:
    """One server for the module's tests: each leaves it with its connections closed."""
    server = Server(module_database_url, env={**LIMITS, "REGISTRY_MAX_CONNECTIONS": "40"})
    yield server
    server.stop()


def connect(server: Server) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    return sock


def closed_within(sock: socket.socket, seconds: float) -> bytes | None:
    """What the server sent before closing ``sock`` within ``seconds``; ``None`` if open."""
    sock.settimeout(seconds)
    received = b""
    try:
        while chunk := sock.recv(4096):
            received += chunk
    except TimeoutError:
        return None
    except ConnectionResetError:
        pass
    return received


def test_a_client_sending_its_headers_a_byte_at_a_time_is_answered_408_and_closed(
    guarded: Server,
) -> None:
    slow = [connect(guarded) for _ in range(20)]
    for byte in b"GET":  # A byte every 0.2 s: the headers would take seconds more.
        for sock in slow:
            sock.send(bytes([byte]))
        time.sleep(0.2)
    assert guarded.client.get("/api/v1/organizations", headers=ADMIN).status_code == 200
    for sock in slow:
        answer = closed_within(sock, 5)
        assert answer is not None
        assert answer.startswith(b"HTTP/1.1 408")
        sock.close()


def test_a_client_that_connects_and_sends_nothing_is_closed(guarded: Server) -> None:
    sock = connect(guarded)
    assert closed_within(sock, 5) is not None
    sock.close()


def test_a_half_sent_body_is_dropped_and_frees_the_connection(guarded: Server) -> None:
    sock = connect(guarded)
    sock.send(
        b"POST /api/v1/organizations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Authorization: " + ADMIN["Authorization"].encode() + b"\r\nContent-Length: 100\r\n\r\n{"
    )
    assert closed_within(sock, 5) is not None
    sock.close()
    assert guarded.client.get("/api/v1/organizations", headers=ADMIN).status_code == 200


def test_a_keyed_request_cut_off_mid_body_runs_nothing_and_leaves_its_key_free(
    guarded: Server,
) -> None:
    body = json.dumps(create_body()).encode()
    headers = {**ADMIN, "Content-Type": "application/json", "Idempotency-Key": "cut-off"}
    sock = connect(guarded)
    sock.send(
        b"POST /api/v1/organizations HTTP/1.1\r\nHost: x\r\n"
        + b"".join(f"{k}: {v}\r\n".encode() for k, v in headers.items())
        + f"Content-Length: {len(body)}\r\n\r\n".encode()
        + body[: len(body) // 2]
    )
    assert closed_within(sock, 5) is not None
    sock.close()
    whole = guarded.client.post("/api/v1/organizations", content=body, headers=headers)
    assert whole.status_code == 201, whole.text
    assert "idempotent-replayed" not in whole.headers


def test_connections_beyond_the_cap_are_answered_503_and_closed(guarded: Server) -> None:
    # Last of the module: the server's connections are full until it sees these closed.
    held = [connect(guarded) for _ in range(40)]
    try:
        extra = connect(guarded)
        answer = closed_within(extra, 5)
        assert answer is not None
        assert answer.startswith(b"HTTP/1.1 503")
        extra.close()
    finally:
        for sock in held:
            sock.close()

"""One delivery has one deadline for all of it: a receiver that answers a byte at a time,
each well within the deadline, is cut off all the same."""

from __future__ import annotations

import socket
import threading
import time
from typing import TYPE_CHECKING

import pytest

from application.webhooks import resolve
from domain.webhooks.validation import parse_networks
from service.webhooks.sender import post

if TYPE_CHECKING:
    from collections.abc import Iterator

ANSWER = b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\nX-Padding: " + b"x" * 40 + b"\r\n\r\n"


@pytest.fixture
def dribbling_receiver() -> Iterator[str]:
    """A receiver on loopback that sends its answer one byte every 0.2 s."""
    listener = socket.create_server(("127.0.0.1", 0))
    stopping = threading.Event()

    def serve() -> None:
        connection, _ = listener.accept()
        with connection:
            connection.recv(65536)
            for byte in ANSWER:
                if stopping.is_set():
                    return
                try:
                    connection.sendall(bytes([byte]))
                except OSError:
                    return
                time.sleep(0.2)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}/hooks"
    stopping.set()
    listener.close()
    thread.join(5)


def test_an_answer_dribbled_a_byte_at_a_time_is_cut_off_at_the_deadline(
    dribbling_receiver: str,
) -> None:
    allowed = parse_networks("127.0.0.0/8")
    with pytest.raises(TimeoutError):
        post(dribbling_receiver, b"{}", {}, allowed, resolve, timeout=1.0)

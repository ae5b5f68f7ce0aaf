"""One delivery over HTTP: to the address checked, never another.

The URL's host is resolved once and every address checked (``domain.webhooks.validation``);
the connection goes to the checked address (no second resolution, so no DNS rebinding),
with the URL's host in ``Host`` and in TLS's server name. Redirects are not followed; the
whole request (connect, TLS, send, answer) has one deadline, ``timeout`` seconds (10 by
default), so a receiver answering a byte at a time cannot hold a delivery longer; at most
``MAX_RESPONSE_BYTES`` of the answer are read.
"""

from __future__ import annotations

import contextlib
import http.client
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from domain.webhooks.validation import destination

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from domain.webhooks.validation import Network

TIMEOUT = 10.0
MAX_RESPONSE_BYTES = 64 * 1024


@dataclass(frozen=True)
class Answer:
    status: int
    retry_after: float | None
    """Seconds the receiver asked to wait (``Retry-After``), if it did."""


def retry_after(value: str | None) -> float | None:
    """``Retry-After`` in seconds: a number of them, or an HTTP date."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def post(
    url: str,
    body: bytes,
    headers: dict[str, str],
    allowed: Sequence[Network],
    resolve: Callable[[str, int], list[str]],
    timeout: float = TIMEOUT,
) -> Answer:
    """POST ``body`` to ``url``; raises ``WebhookUrlRefusedError`` for a refused address and
    ``OSError`` when no answer came within ``timeout`` seconds."""
    address = destination(url, allowed, resolve)
    parts = urlsplit(url)
    https = parts.scheme == "https"
    port = parts.port or (443 if https else 80)
    sock = socket.create_connection((address, port), timeout=timeout)
    # At the deadline the socket is shut, whichever step waits: each step's own timeout
    # alone would let a slow receiver stretch the whole request step by step.
    fired = threading.Event()  # Set before the socket is shut: the step that fails sees it.
    (watchdog := threading.Timer(timeout, _shut, (sock, fired))).start()
    connection = http.client.HTTPConnection(parts.hostname or address, port, timeout=timeout)
    try:
        if https:
            context = ssl.create_default_context()
            sock = context.wrap_socket(sock, server_hostname=parts.hostname)
        connection.sock = sock
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        connection.request("POST", path, body, {**headers, "Content-Type": "application/json"})
        response = connection.getresponse()
        response.read(MAX_RESPONSE_BYTES)
        return Answer(response.status, retry_after(response.getheader("Retry-After")))
    except (OSError, http.client.HTTPException) as error:
        if fired.is_set():
            raise TimeoutError(f"no full answer within {timeout:g} s") from error
        if isinstance(error, OSError):
            raise
        raise ConnectionError(f"not an HTTP answer: {error!r}") from error
    finally:
        watchdog.cancel()
        connection.close()
        sock.close()


def _shut(sock: socket.socket, fired: threading.Event) -> None:
    fired.set()
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)

"""One delivery over HTTP: to the address checked, never another.

The URL's host is resolved once and every address checked (``domain.webhooks.validation``);
the connection goes to the checked address (no second resolution, so no DNS rebinding),
with the URL's host in ``Host`` and in TLS's server name. Redirects are not followed; the
whole request (resolving the host, connect, TLS, send, answer) has one deadline, ``timeout``
seconds from its start (10 by default), so neither a slow resolver, a listener that never
accepts, nor a receiver answering a byte at a time can hold a delivery longer; at most
``MAX_RESPONSE_BYTES`` of the answer are read, its status line and headers included (an
answer whose headers alone are longer is refused: ``AnswerTooLargeError``).
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
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from application.webhooks import within
from domain.webhooks.validation import destination

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from domain.webhooks.validation import Network

TIMEOUT = 10.0
MAX_RESPONSE_BYTES = 64 * 1024


class AnswerTooLargeError(http.client.HTTPException):
    """The answer's status line and headers alone were over ``MAX_RESPONSE_BYTES``."""


class CountedFile:
    """A response's file that counts the bytes of the lines read from it (the status line,
    the headers, a chunked body's sizes): over ``MAX_RESPONSE_BYTES`` before the body, it
    refuses to read more."""

    def __init__(self, file: Any) -> None:
        self._file, self.counted, self.in_body = file, 0, False

    def readline(self, limit: int = -1) -> bytes:
        line: bytes = self._file.readline(limit)
        self.counted += len(line)
        if self.counted > MAX_RESPONSE_BYTES and not self.in_body:
            raise AnswerTooLargeError(f"headers over {MAX_RESPONSE_BYTES} bytes")
        return line

    def __getattr__(self, name: str) -> Any:
        return getattr(self._file, name)


class CountedResponse(http.client.HTTPResponse):
    def __init__(self, sock: socket.socket, *args: Any, **kwargs: Any) -> None:
        super().__init__(sock, *args, **kwargs)
        self.fp = CountedFile(self.fp)  # type: ignore[assignment]


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


class Deadline:
    """One deadline for a whole delivery, from its start: resolving the host, connecting,
    TLS, sending and the whole answer. At the deadline the socket of the request is shut,
    whichever step waits: each step's own timeout alone would let a slow receiver stretch
    the whole request step by step."""

    def __init__(self, timeout: float) -> None:
        self.timeout, self.at = timeout, time.monotonic() + timeout
        self.fired = threading.Event()  # Set before the socket is shut: the failing step sees it.
        self._sock: socket.socket | None = None
        self._timer: threading.Timer | None = None

    def left(self) -> float:
        """Seconds left; raises ``TimeoutError`` once none are."""
        left = self.at - time.monotonic()
        if left <= 0:
            self.fired.set()
            raise self.error()
        return left

    def error(self) -> TimeoutError:
        return TimeoutError(f"no full answer within {self.timeout:g} s")

    def guard(self, sock: socket.socket) -> None:
        """Shut ``sock`` at the deadline (the TLS socket, once it wraps the first one)."""
        self._sock = sock
        if self._timer is None:
            self._timer = threading.Timer(self.left(), self._shut)
            self._timer.daemon = True
            self._timer.start()
        if self.fired.is_set():
            raise self.error()  # It fired before this socket was guarded.

    def end(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        if self._sock is not None:
            self._sock.close()

    def _shut(self) -> None:
        self.fired.set()
        if self._sock is not None:
            with contextlib.suppress(OSError):
                # The socket's own shutdown: on a TLS socket, its fd, not its TLS state.
                socket.socket.shutdown(self._sock, socket.SHUT_RDWR)


def post(
    url: str,
    body: bytes,
    headers: dict[str, str],
    allowed: Sequence[Network],
    resolve: Callable[[str, int], list[str]],
    timeout: float = TIMEOUT,
) -> Answer:
    """POST ``body`` to ``url``; raises ``WebhookUrlRefusedError`` for a refused address,
    ``TimeoutError`` when no full answer came within ``timeout`` seconds of the start,
    ``AnswerTooLargeError`` for headers over ``MAX_RESPONSE_BYTES``, and ``OSError`` for
    another failure."""
    deadline = Deadline(timeout)
    address = resolved(url, allowed, resolve, deadline)
    parts = urlsplit(url)
    https = parts.scheme == "https"
    port = parts.port or (443 if https else 80)
    connection = http.client.HTTPConnection(parts.hostname or address, port, timeout=timeout)
    connection.response_class = CountedResponse
    try:
        sock = socket.create_connection((address, port), timeout=deadline.left())
        deadline.guard(sock)
        connection.sock = _tls(sock, parts.hostname, deadline) if https else sock
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        sent = {**headers, "Host": host_header(url), "Content-Type": "application/json"}
        connection.request("POST", path, body, sent)
        return _answer(connection.getresponse())
    except (OSError, http.client.HTTPException) as error:
        if deadline.fired.is_set() or isinstance(error, TimeoutError):
            raise deadline.error() from error
        if isinstance(error, OSError | AnswerTooLargeError):
            raise
        raise ConnectionError(f"not an HTTP answer: {error!r}") from error
    finally:
        deadline.end()
        connection.close()


def host_header(url: str) -> str:
    """``Host`` for ``url``: its host (IDNA, an IPv6 address in brackets), with its port
    unless the scheme's own (``http.client`` alone would add ``:443`` to every https URL)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        host.encode("ascii")
    except UnicodeEncodeError:
        host = host.encode("idna").decode("ascii")
    if ":" in host:
        host = f"[{host}]"
    default = 443 if parts.scheme == "https" else 80
    return host if parts.port in (None, default) else f"{host}:{parts.port}"


def _answer(response: http.client.HTTPResponse) -> Answer:
    """The answer's status, once at most ``MAX_RESPONSE_BYTES`` of it in all were read."""
    counted: CountedFile = response.fp  # type: ignore[assignment]
    counted.in_body = True
    response.read(max(0, MAX_RESPONSE_BYTES - counted.counted))
    return Answer(response.status, retry_after(response.getheader("Retry-After")))


def resolved(
    url: str,
    allowed: Sequence[Network],
    resolve: Callable[[str, int], list[str]],
    deadline: Deadline,
) -> str:
    """The address checked for ``url`` (``destination``), resolved within the deadline: a
    resolver that does not answer in time is left to itself (its thread ends with it)."""
    left = deadline.left()
    try:
        return within(left, lambda: destination(url, allowed, resolve))
    except TimeoutError:
        deadline.fired.set()
        raise deadline.error() from None


def _tls(sock: socket.socket, hostname: str | None, deadline: Deadline) -> ssl.SSLSocket:
    """``sock`` wrapped in TLS (the server's certificate checked against ``hostname``), its
    handshake within the deadline too."""
    context = ssl.create_default_context()
    tls = context.wrap_socket(sock, server_hostname=hostname, do_handshake_on_connect=False)
    deadline.guard(tls)
    tls.do_handshake()
    return tls

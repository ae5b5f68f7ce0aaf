"""The HTTP protocol ``serve`` runs: uvicorn's, with limits against slow and greedy clients.

Uvicorn closes idle keep-alive connections, but waits for ever on a client that sends its
headers or its body a byte at a time, or that connects and sends nothing. Here:

- a request's headers must arrive within ``REGISTRY_HEADER_TIMEOUT`` seconds of its first
  byte (of the connection, for its first request), else 408 and the connection is closed;
- its body within ``REGISTRY_BODY_TIMEOUT`` seconds of its headers, else the connection is
  closed (the request sees a disconnect);
- a process holds at most ``REGISTRY_MAX_CONNECTIONS`` connections: one more is answered
  503 and closed at once.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from service.settings import Settings

if TYPE_CHECKING:
    import asyncio
    from asyncio import TimerHandle

REQUEST_TIMEOUT = b"HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
BUSY = (
    b"HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nRetry-After: 1\r\n"
    b"Content-Length: 0\r\n\r\n"
)


@cache
def _limits() -> tuple[float, float, int]:
    # Uvicorn builds this protocol itself, per connection, in each worker process (spawned
    # by `serve --workers N`), so it reads the same environment `serve` and `create_app` do.
    settings = Settings()
    return settings.header_timeout, settings.body_timeout, settings.max_connections


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._deadline: TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        header_timeout, _, max_connections = _limits()
        if len(self.connections) > max_connections:
            transport.write(BUSY)
            transport.close()
            return
        self._arm(header_timeout, REQUEST_TIMEOUT)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self._deadline is None:  # A next request on a kept-alive connection.
            self._arm(_limits()[0], REQUEST_TIMEOUT)

    def on_headers_complete(self) -> None:
        super().on_headers_complete()
        self._arm(_limits()[1], None)

    def on_message_complete(self) -> None:
        self._disarm()
        super().on_message_complete()

    def _arm(self, seconds: float, answer: bytes | None) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(seconds, self._too_slow, answer)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _too_slow(self, answer: bytes | None) -> None:
        self._deadline = None
        if self.transport.is_closing():
            return
        if answer is not None:
            self.transport.write(answer)
        self.transport.close()

"""An ASGI ``send`` that gathers what an app answers: its start message and its body."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from starlette.types import Message, Send


class RecordedResponse:
    """Pass it as ``send``: it keeps the answer (and hands each message on to
    ``forward``, if given)."""

    def __init__(self, forward: Send | None = None) -> None:
        self.start: dict[str, Any] = {}
        """The ``http.response.start`` message; empty while nothing was answered."""
        self._chunks: list[bytes] = []
        self._forward = forward

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.start.update(message)
        elif message["type"] == "http.response.body":
            self._chunks.append(message.get("body", b""))
        if self._forward is not None:
            await self._forward(message)

    @property
    def status(self) -> int:
        """The status answered (500 if none was)."""
        status: int = self.start.get("status", 500)
        return status

    @property
    def body(self) -> bytes:
        return b"".join(self._chunks)

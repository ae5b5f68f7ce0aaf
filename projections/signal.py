"""Waking requests that wait for the read model to reach a position."""

from __future__ import annotations

import threading
import time
from typing import Any

REMOTE_POLL_SECONDS = 0.005
LOCAL_POLL_SECONDS = 0.1


class PositionSignal:
    """Wakes requests waiting for the read model to reach a position.

    While the projection runs in this process (``local``), it wakes waiters the moment it
    commits. Otherwise one waiter at a time reads the tracking position from the database,
    at most every ``REMOTE_POLL_SECONDS``, and wakes the others; so many waiting requests
    cost one small query per interval, not one each.
    """

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._position = 0
        self._polling = threading.Lock()
        self._last_poll = 0.0
        self.local = False

    @property
    def position(self) -> int:
        """The highest position this process has seen the read model reach."""
        return self._position

    def advanced(self, position: int) -> None:
        with self._condition:
            if position > self._position:
                self._position = position
                self._condition.notify_all()

    def wait(self, position: int, timeout: float, read_position: Any) -> bool:
        deadline = time.monotonic() + timeout
        while self._position < position:
            interval = LOCAL_POLL_SECONDS if self.local else REMOTE_POLL_SECONDS
            self._poll(read_position, interval)
            remaining = deadline - time.monotonic()
            if self._position >= position or remaining <= 0:
                break
            with self._condition:
                self._condition.wait_for(
                    lambda: self._position >= position, min(remaining, interval)
                )
        return self._position >= position

    def _poll(self, read_position: Any, interval: float) -> None:
        if time.monotonic() - self._last_poll < interval or not self._polling.acquire(False):
            return
        try:
            self._last_poll = time.monotonic()
            self.advanced(read_position() or 0)
        finally:
            self._polling.release()

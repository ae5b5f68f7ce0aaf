"""Failed authentication is rate limited, per client address and per credential.

Each key (an address, or the SHA-256 of a refused credential) has a bucket of
``per_minute`` failures that refills continuously. A request whose address or credential
has an empty bucket answers 429 ``RATE_LIMITED`` with ``Retry-After`` before its
credential is even looked at, so a flood of wrong tokens costs no database read. Counts
are kept per process: with ``serve --workers N`` a client may fail N times as often.
"""

from __future__ import annotations

import hashlib
import math
import threading
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

MAX_KEYS = 100_000
"""Beyond this many keys with failures, the oldest are forgotten (memory stays bounded)."""


def failure_keys(address: str, authorization: bytes) -> tuple[str, str]:
    """The keys one attempt's failures count against: its address, its credential."""
    return f"address:{address}", f"credential:{hashlib.sha256(authorization).hexdigest()}"


class RateLimitedError(Exception):
    """Too many failed authentications from this address or with this credential."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"retry after {retry_after} s")
        self.retry_after = retry_after


class FailureLimiter:
    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        """``per_minute``: failures each key may have in a minute (0: no limit)."""
        self._capacity = float(per_minute)
        self._rate = per_minute / 60.0
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}
        """Key -> (tokens left, when they were counted)."""
        self._lock = threading.Lock()

    def check(self, *keys: str) -> None:
        """``RateLimitedError`` if any of ``keys`` has no failure left. (Attempts that
        are checked at the same moment may all pass: a concurrent flood goes past the
        limit by at most its concurrency, while valid credentials never wait on it.)"""
        if not self._capacity:
            return
        with self._lock:
            wait = max((self._wait(key) for key in keys), default=0.0)
        if wait > 0:
            raise RateLimitedError(max(1, math.ceil(wait)))

    def check_attempt(self, address: str, authorization: bytes) -> None:
        """``check`` for the keys of one attempt (``failure_keys``). The credential is
        hashed only while some failure is on record (buckets that have refilled are
        forgotten, oldest first): a service with no recent failure pays nothing. (A failure
        counted meanwhile is a concurrent attempt's, which ``check`` lets pass too.)"""
        if not self._buckets:
            return
        with self._lock:
            self._forget_refilled()
        if self._buckets:
            self.check(*failure_keys(address, authorization))

    def _forget_refilled(self) -> None:
        """Drop the oldest buckets while they are full again (the lock held)."""
        while self._buckets:
            oldest = next(iter(self._buckets))
            if self._tokens(oldest) < self._capacity:
                return
            del self._buckets[oldest]

    def failed(self, *keys: str) -> None:
        """Count one failure against each of ``keys``."""
        if not self._capacity:
            return
        with self._lock:
            for key in keys:
                self._set(key, max(self._tokens(key) - 1.0, 0.0))

    def _set(self, key: str, tokens: float) -> None:
        self._buckets.pop(key, None)  # Re-inserted last: the dict is oldest-first.
        if tokens < self._capacity:
            self._buckets[key] = (tokens, self._clock())
        while len(self._buckets) > MAX_KEYS:
            del self._buckets[next(iter(self._buckets))]

    def _tokens(self, key: str) -> float:
        tokens, counted = self._buckets.get(key, (self._capacity, self._clock()))
        return min(self._capacity, tokens + (self._clock() - counted) * self._rate)

    def _wait(self, key: str) -> float:
        """Seconds until ``key`` has a whole failure left."""
        return max(0.0, (1.0 - self._tokens(key)) / self._rate)

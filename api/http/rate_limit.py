"""Token buckets, and the first of their two uses: failed authentication is rate limited,
per client address and per credential. (The second: request quotas, ``api.http.quotas``.)

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
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

MAX_KEYS = 100_000
"""Beyond this many buckets not full, the oldest are forgotten (memory stays bounded)."""


@dataclass(frozen=True)
class Quota:
    """A token bucket's size: ``burst`` tokens, refilled at ``rate`` a second."""

    rate: float
    burst: int

    @property
    def window(self) -> int:
        """Seconds an empty bucket takes to fill (at least 1)."""
        return max(1, math.ceil(self.burst / self.rate))


class TokenBuckets:
    """Buckets by key, each of the ``Quota`` a call names; only buckets not full are kept
    (a key never seen, or whose bucket refilled, has a full one), oldest first."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}
        """Key -> (tokens left, when they were counted)."""
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._buckets)

    def take(self, key: str, quota: Quota) -> tuple[float, float]:
        """Take one token from ``key``'s bucket if it has one: (tokens left, 0.0); else
        (tokens left, seconds until it has one), taking nothing."""
        with self._lock:
            tokens = self._tokens(key, quota)
            if tokens < 1.0:
                return tokens, (1.0 - tokens) / quota.rate
            self._set(key, tokens - 1.0, quota)
            return tokens - 1.0, 0.0

    def spend(self, *keys: str, quota: Quota) -> None:
        """Take one token from each of ``keys``' buckets, down to none."""
        with self._lock:
            for key in keys:
                self._set(key, max(self._tokens(key, quota) - 1.0, 0.0), quota)

    def wait(self, key: str, quota: Quota) -> float:
        """Seconds until ``key``'s bucket has a whole token."""
        with self._lock:
            return max(0.0, (1.0 - self._tokens(key, quota)) / quota.rate)

    def forget_refilled(self, quota: Quota) -> None:
        """Drop the oldest buckets while they are full again."""
        with self._lock:
            while self._buckets:
                oldest = next(iter(self._buckets))
                if self._tokens(oldest, quota) < quota.burst:
                    return
                del self._buckets[oldest]

    def _set(self, key: str, tokens: float, quota: Quota) -> None:
        self._buckets.pop(key, None)  # Re-inserted last: the dict is oldest-first.
        if tokens < quota.burst:
            self._buckets[key] = (tokens, self._clock())
        while len(self._buckets) > MAX_KEYS:
            del self._buckets[next(iter(self._buckets))]

    def _tokens(self, key: str, quota: Quota) -> float:
        found = self._buckets.get(key)
        if found is None:
            return float(quota.burst)
        tokens, counted = found
        return min(float(quota.burst), tokens + (self._clock() - counted) * quota.rate)


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
        self._quota = Quota(per_minute / 60.0, per_minute) if per_minute else None
        self._buckets = TokenBuckets(clock)

    def check(self, *keys: str) -> None:
        """``RateLimitedError`` if any of ``keys`` has no failure left. (Attempts that
        are checked at the same moment may all pass: a concurrent flood goes past the
        limit by at most its concurrency, while valid credentials never wait on it.)"""
        if self._quota is None:
            return
        wait = max((self._buckets.wait(key, self._quota) for key in keys), default=0.0)
        if wait > 0:
            raise RateLimitedError(max(1, math.ceil(wait)))

    def check_attempt(self, address: str, authorization: bytes) -> None:
        """``check`` for the keys of one attempt (``failure_keys``). The credential is
        hashed only while some failure is on record (buckets that have refilled are
        forgotten, oldest first): a service with no recent failure pays nothing. (A failure
        counted meanwhile is a concurrent attempt's, which ``check`` lets pass too.)"""
        if self._quota is None or not self._buckets:
            return
        self._buckets.forget_refilled(self._quota)
        if self._buckets:
            self.check(*failure_keys(address, authorization))

    def failed(self, *keys: str) -> None:
        """Count one failure against each of ``keys``."""
        if self._quota is not None:
            self._buckets.spend(*keys, quota=self._quota)

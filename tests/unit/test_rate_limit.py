"""Failed authentications per key: a bucket that empties and refills with the clock."""

from __future__ import annotations

import pytest

from api.http.rate_limit import FailureLimiter, RateLimitedError, failure_keys


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_key_is_refused_once_its_failures_in_a_minute_are_spent() -> None:
    limiter = FailureLimiter(3, Clock())
    for _ in range(3):
        limiter.check("1.2.3.4")
        limiter.failed("1.2.3.4")
    with pytest.raises(RateLimitedError) as refused:
        limiter.check("1.2.3.4")
    assert refused.value.retry_after == 20  # One failure comes back every 20 s.


def test_a_refused_key_is_let_through_once_the_bucket_refills() -> None:
    clock = Clock()
    limiter = FailureLimiter(3, clock)
    for _ in range(3):
        limiter.failed("k")
    clock.now += 20
    limiter.check("k")


def test_other_keys_are_not_refused_for_one_keys_failures() -> None:
    limiter = FailureLimiter(1, Clock())
    limiter.failed("address", "credential")
    limiter.check("other address", "other credential")
    with pytest.raises(RateLimitedError):
        limiter.check("another address", "credential")


def test_a_limit_of_zero_refuses_nothing() -> None:
    limiter = FailureLimiter(0, Clock())
    for _ in range(100):
        limiter.failed("k")
    limiter.check("k")


def test_memory_stays_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("api.http.rate_limit.MAX_KEYS", 10)
    limiter = FailureLimiter(5, Clock())
    for i in range(100):
        limiter.failed(f"k{i}")
    assert len(limiter._buckets) == 10


def test_an_attempt_is_refused_by_its_credentials_failures_from_another_address() -> None:
    limiter = FailureLimiter(1, Clock())
    limiter.failed(*failure_keys("1.2.3.4", b"Bearer wrong"))
    limiter.check_attempt("5.6.7.8", b"Bearer right")
    with pytest.raises(RateLimitedError):
        limiter.check_attempt("5.6.7.8", b"Bearer wrong")


def test_buckets_that_have_refilled_are_forgotten() -> None:
    clock = Clock()
    limiter = FailureLimiter(3, clock)
    limiter.failed(*failure_keys("1.2.3.4", b"Bearer wrong"))
    clock.now += 20  # One failure comes back every 20 s: full again.
    limiter.check_attempt("5.6.7.8", b"Bearer right")
    assert len(limiter._buckets) == 0

"""The SDK's retry policy and error mapping: pure functions of an answer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx

from tenant_registry_client import (
    Client,
    HttpError,
    RegistryError,
    RetryPolicy,
    VersionConflictError,
    error_for,
)
from tenant_registry_client._core import call, retry_after, retryable

STEADY = RetryPolicy(max_attempts=5, initial_backoff=0.5, max_backoff=2.0, jitter=False)


def unavailable(may_have_committed: bool) -> httpx.Response:
    body = {"code": "STORE_UNAVAILABLE", "message": "down", "details": {}}
    body["details"] = {"mayHaveCommitted": may_have_committed}
    return httpx.Response(503, json=body, headers={"Retry-After": "1"})


def test_backoff_doubles_up_to_its_ceiling() -> None:
    assert [STEADY.pause(n, None) for n in range(1, 6)] == [0.5, 1.0, 2.0, 2.0, 2.0]


def test_jittered_backoff_stays_within_the_ceiling() -> None:
    policy = RetryPolicy(initial_backoff=1.0, max_backoff=1.0)
    assert all(0 <= policy.pause(3, None) <= 1.0 for _ in range(100))


def test_a_pause_is_at_least_what_retry_after_asks() -> None:
    assert STEADY.pause(1, 3.0) == 3.0


def test_no_attempt_beyond_the_limits_of_count_and_time() -> None:
    assert STEADY.next_pause(5, 0.0, None) is None
    assert STEADY.next_pause(1, 59.9, None) is None
    assert STEADY.next_pause(1, 0.0, None) == 0.5


def test_retry_after_is_read_in_seconds() -> None:
    assert retry_after(httpx.Response(429, headers={"Retry-After": "2"})) == 2.0
    assert retry_after(httpx.Response(429)) is None


def test_retry_after_as_an_http_date_is_the_seconds_until_then() -> None:
    when = datetime.now(UTC) + timedelta(seconds=120)
    for date in (format_datetime(when, usegmt=True), format_datetime(when.replace(tzinfo=None))):
        seconds = retry_after(httpx.Response(503, headers={"Retry-After": date}))
        assert seconds is not None
        assert 100 < seconds <= 120, date


def test_retry_after_in_the_past_or_unreadable_asks_no_wait() -> None:
    assert retry_after(httpx.Response(503, headers={"Retry-After": "-3"})) == 0.0
    past = "Wed, 21 Oct 2015 07:28:00 GMT"
    assert retry_after(httpx.Response(503, headers={"Retry-After": past})) == 0.0
    assert retry_after(httpx.Response(503, headers={"Retry-After": "soon"})) is None


def test_a_clients_repr_names_its_server_not_its_token() -> None:
    with Client("http://registry.example", "sk_secret-token") as client:
        assert "sk_secret" not in repr(client)
        assert "registry.example" in repr(client)


def test_a_write_that_may_have_committed_is_retried_only_under_its_key() -> None:
    keyed = call("POST", "/x", lambda r: r)
    unkeyed = keyed.__class__("POST", "/x", keyed.parse)
    assert retryable(keyed, unavailable(may_have_committed=True))
    assert not retryable(unkeyed, unavailable(may_have_committed=True))
    assert retryable(unkeyed, unavailable(may_have_committed=False))


def test_a_read_answered_503_is_retried_whatever_the_body() -> None:
    read = call("GET", "/x", lambda r: r)
    assert retryable(read, httpx.Response(503, content=b"Service Unavailable"))
    assert retryable(read, unavailable(may_have_committed=False))


def test_every_write_gets_an_idempotency_key_unless_given_one() -> None:
    assert call("PATCH", "/x", lambda r: r).headers["Idempotency-Key"]
    given = call("PATCH", "/x", lambda r: r, headers={"Idempotency-Key": "mine"})
    assert given.headers["Idempotency-Key"] == "mine"
    assert "Idempotency-Key" not in call("GET", "/x", lambda r: r).headers


def test_conflicts_are_retried_but_other_refusals_are_not() -> None:
    request = call("GET", "/x", lambda r: r)
    conflict = httpx.Response(409, json={"code": "CONFLICT", "message": "", "details": {}})
    duplicate = httpx.Response(409, json={"code": "DUPLICATE_MEMBER", "message": "", "details": {}})
    assert retryable(request, conflict)
    assert not retryable(request, duplicate)
    assert not retryable(request, httpx.Response(400))


def test_an_error_answer_becomes_the_class_of_its_code() -> None:
    body = b'{"code": "VERSION_CONFLICT", "message": "m", "details": {"currentVersion": 4}}'
    error = error_for(412, body, "req-1")
    assert isinstance(error, VersionConflictError)
    assert (error.current_version, error.request_id, error.status) == (4, "req-1", 412)


def test_an_unknown_code_or_a_body_that_is_not_json_still_raises() -> None:
    unknown = error_for(418, b'{"code": "TEAPOT", "message": "m", "details": {}}', None)
    assert (type(unknown), unknown.code) == (RegistryError, "TEAPOT")
    assert type(error_for(503, b"Service Unavailable", None)) is HttpError

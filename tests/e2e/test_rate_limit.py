"""Failed authentication is rate limited per client address and per credential, on each
store, over a real server."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

import pytest

from tests.helpers import ADMIN, Server

if TYPE_CHECKING:
    from collections.abc import Iterator

ORGS = "/api/v1/organizations"
LIMIT = 20
THREADS = 8


@pytest.fixture
def limited(database_url: str) -> Iterator[Server]:
    server = Server(database_url, env={"REGISTRY_AUTH_FAILURES_PER_MINUTE": str(LIMIT)})
    yield server
    server.stop()


def test_a_flood_of_wrong_tokens_gets_429_with_retry_after(limited: Server) -> None:
    def attempt(i: int) -> int:
        headers = {"Authorization": f"Bearer sk_wrong{i}"}
        return limited.client.get(f"{ORGS}/current", headers=headers).status_code

    started = time.monotonic()
    with ThreadPoolExecutor(THREADS) as pool:
        statuses = list(pool.map(attempt, range(200)))
    refilled = (time.monotonic() - started) * LIMIT / 60  # Failures that came back meanwhile.
    # Attempts checked at the same moment may all pass: at most one per thread more.
    assert LIMIT <= statuses.count(401) <= LIMIT + THREADS + refilled + 1
    assert statuses.count(401) + statuses.count(429) == 200
    refused = limited.client.get(f"{ORGS}/current", headers={"Authorization": "Bearer x"})
    body = refused.json()
    assert (refused.status_code, body["code"]) == (429, "RATE_LIMITED")
    assert int(refused.headers["retry-after"]) == body["details"]["retryAfter"] >= 1


def test_one_credential_failing_again_and_again_is_limited_by_itself(limited: Server) -> None:
    statuses = [
        limited.client.get(
            f"{ORGS}/current",
            # Each attempt from another address: only the credential's own count can stop it.
            headers={"Authorization": "Bearer sk_mistyped", "X-Forwarded-For": f"10.0.0.{i}"},
        ).status_code
        for i in range(LIMIT + 1)
    ]
    assert statuses == [401] * LIMIT + [429]


def test_valid_credentials_are_not_counted(limited: Server) -> None:
    statuses = {limited.client.get(ORGS, headers=ADMIN).status_code for _ in range(LIMIT * 2)}
    assert statuses == {200}


def test_keyed_writes_with_a_wrong_token_are_limited_before_their_key_is_claimed(
    limited: Server,
) -> None:
    statuses = [
        limited.client.post(
            ORGS,
            json={"name": "x", "slug": f"limited-{i}"},
            headers={"Authorization": "Bearer wrong", "Idempotency-Key": f"k{i}"},
        ).status_code
        for i in range(LIMIT + 1)
    ]
    assert statuses == [401] * LIMIT + [429]

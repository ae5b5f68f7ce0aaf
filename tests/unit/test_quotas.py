"""Request quotas: a credential's buckets, its organization's own quota, the headers that
say them, and the bound on a credential's requests in flight."""

from __future__ import annotations

import asyncio
from uuid import uuid4

import pytest

from api.http.identity import Identity
from api.http.quotas import InFlight, RequestQuotas, credential_kind
from service.settings import Settings


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class ReadModel:
    """The one query quotas make: an organization's ``request_quota``."""

    def __init__(self, quota: dict[str, int | None] | None) -> None:
        self.quota = quota

    def get_organization(self, org_id: object) -> dict[str, object]:
        return {"id": org_id, "request_quota": self.quota}


def known(limited: RequestQuotas, authorization: bytes) -> str:
    """The credential of ``authorization``, once it has authenticated (not as a user)."""
    credential = limited.credential(authorization)
    limited.take(credential, "GET")  # Its first request, which authenticated it.
    limited.authenticated(credential, None, "GET")
    return credential


def quotas(clock: Clock, **settings: int) -> RequestQuotas:
    values = {"rate_limit_reads_per_minute": 60, "rate_limit_read_burst": 2, **settings}
    return RequestQuotas(Settings(**values), clock)  # type: ignore[arg-type]


def test_a_credential_is_refused_once_its_burst_is_spent_until_a_token_comes_back() -> None:
    clock = Clock()
    limited = quotas(clock)
    credential = known(limited, b"Bearer sk_test")  # Its first read.
    taken = [limited.take(credential, "GET") for _ in range(2)]
    assert [d.allowed for d in taken if d is not None] == [True, False]
    clock.now += 1  # One read a second.
    again = limited.take(credential, "GET")
    assert again is not None
    assert again.allowed


def test_reads_and_writes_are_counted_apart() -> None:
    limited = quotas(Clock(), rate_limit_writes_per_minute=0)
    credential = known(limited, b"Bearer sk_test")
    for _ in range(2):
        limited.take(credential, "GET")
    assert limited.take(credential, "POST") is None  # No quota on writes.


def test_the_headers_say_the_policy_what_is_left_and_when_it_is_full_again() -> None:
    limited = quotas(Clock())
    decision = limited.take(limited.credential(b"Bearer x"), "HEAD")
    assert decision is not None
    assert dict(decision.headers()) == {
        b"ratelimit-policy": b'"reads";q=2;w=2',
        b"ratelimit": b'"reads";r=1;t=1',
    }


def test_a_refusal_says_when_to_retry() -> None:
    limited = quotas(Clock(), rate_limit_reads_per_minute=6, rate_limit_read_burst=1)
    credential = known(limited, b"Bearer x")
    limited.take(credential, "GET")
    refused = limited.take(credential, "GET")
    assert refused is not None
    assert dict(refused.headers())[b"retry-after"] == b"10"


def test_a_credential_has_its_organizations_quota_once_it_is_known() -> None:
    limited = quotas(Clock())
    credential = known(limited, b"Bearer sk_test")
    own = {"readsPerMinute": None, "readBurst": 50, "writesPerMinute": 0, "writeBurst": None}
    asyncio.run(limited.learn(credential, uuid4(), ReadModel(own)))  # type: ignore[arg-type]
    reads = limited.quota_of(credential, "reads")
    assert reads is not None
    assert (reads.rate, reads.burst) == (1.0, 50)  # The service's rate, its own burst.
    assert limited.quota_of(credential, "writes") is None  # 0: none.


def test_other_credentials_keep_the_services_quota() -> None:
    limited = quotas(Clock())
    mine, other = known(limited, b"Bearer sk_a"), known(limited, b"Bearer sk_b")
    asyncio.run(limited.learn(mine, uuid4(), ReadModel({"readBurst": 50})))  # type: ignore[arg-type]
    assert limited.quota_of(other, "reads") == limited.reads


def test_a_credential_is_known_by_a_keyed_hash_not_by_itself() -> None:
    one, two = quotas(Clock()), quotas(Clock())
    assert "sk_test" not in one.credential(b"Bearer sk_test")
    assert one.credential(b"Bearer sk_test") != two.credential(b"Bearer sk_test")


@pytest.mark.parametrize(
    "spelling", [b"bearer sk_test", b"BEARER sk_test", b"Bearer    sk_test", b"Bearer sk_test\t"]
)
def test_every_spelling_of_one_token_that_authenticates_is_one_credential(spelling: bytes) -> None:
    one = quotas(Clock())
    assert one.credential(spelling) == one.credential(b"Bearer sk_test")


@pytest.mark.parametrize(
    ("authorization", "kind"),
    [
        (b"Bearer the-admin-token", "admin"),
        (b"Bearer sk_abc", "apiKey"),
        (b"Bearer ey.x.y", "user"),
    ],
)
def test_refusals_are_counted_by_what_the_credential_looks_like(
    authorization: bytes, kind: str
) -> None:
    assert credential_kind(authorization, b"the-admin-token") == kind


def test_a_credentials_requests_beyond_its_bound_wait_for_one_in_flight_to_end() -> None:
    async def scenario() -> list[str]:
        in_flight, order, release = InFlight(1), [], asyncio.Event()

        async def request(name: str, hold: bool) -> None:
            async with in_flight.slot("credential"):
                order.append(f"{name} started")
                if hold:
                    await release.wait()
                order.append(f"{name} ended")

        first = asyncio.create_task(request("first", hold=True))
        second = asyncio.create_task(request("second", hold=False))
        other = asyncio.create_task(_other(in_flight, order))
        await asyncio.sleep(0)
        await other  # Another credential is not held up.
        release.set()
        await asyncio.gather(first, second)
        return order

    assert asyncio.run(scenario()) == [
        "first started",
        "other",
        "first ended",
        "second started",
        "second ended",
    ]


async def _other(in_flight: InFlight, order: list[str]) -> None:
    async with in_flight.slot("another credential"):
        order.append("other")


def test_a_credential_never_seen_to_authenticate_keeps_no_bucket() -> None:
    limited = quotas(Clock())
    made_up = limited.credential(b"Bearer made-up")
    taken = [limited.take(made_up, "GET") for _ in range(5)]
    assert all(d is not None and d.allowed for d in taken)  # Its failures are limited apart.


def test_every_token_of_one_user_takes_from_the_same_buckets() -> None:
    limited = quotas(Clock())
    user = Identity("u1", None, None, {"iss": "https://idp.example"})
    first, refreshed = (limited.credential(t) for t in (b"Bearer eyJ.a", b"Bearer eyJ.b"))
    limited.take(first, "GET")
    limited.authenticated(first, user, "GET")
    limited.take(refreshed, "GET")
    limited.authenticated(refreshed, user, "GET")  # The burst of two is spent.
    refused = limited.take(first, "GET")
    assert refused is not None
    assert not refused.allowed

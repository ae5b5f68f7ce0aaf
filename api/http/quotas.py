"""Request quotas: how many requests each credential may make, and how many at once.

Every credential (the admin token, an organization's key, a user's token) has a token
bucket for reads (GET, HEAD, OPTIONS) and one for writes: ``REGISTRY_RATE_LIMIT_*``, or
the quota the admin set on the credential's organization (``request_quota``). A request
its bucket has no token for answers 429 ``RATE_LIMITED`` with ``Retry-After``; every
answer to a request with credentials carries ``RateLimit-Policy`` and ``RateLimit``
(draft-ietf-httpapi-ratelimit-headers-10). The check reads the ``Authorization`` header
only, before any other middleware reads the body, claims an ``Idempotency-Key`` or reads
the database: a credential is known by a keyed hash of that header (the key is made at
start and never leaves the process), its organization once one of its requests has
authenticated (until then, the service's quota applies).

A refused request waits ``REGISTRY_RATE_LIMIT_REFUSAL_DELAY`` (1 s) before its 429 is
sent, without a worker thread: a flood that ignores Retry-After is slowed to one refusal a
second per connection, instead of taking the event loop from everyone else.

Fair share: one credential has at most ``REGISTRY_RATE_LIMIT_IN_FLIGHT`` requests served
at once by a process; its others wait their turn (first come, first served) without
holding a worker thread, so one credential's burst cannot take every thread.

Buckets are kept per process: with ``serve --workers N`` (or N servers), a credential
may make up to N times its quota; divide the quota by N to hold it across them.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import math
import os
import time
from collections import OrderedDict
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from starlette.concurrency import run_in_threadpool

from api.http.errors import rate_limited_body
from api.http.rate_limit import MAX_KEYS, Quota, TokenBuckets
from domain.keys.secrets import looks_like_secret

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable
    from uuid import UUID

    from starlette.types import ASGIApp, Message, Receive, Scope, Send

    from api.http.identity import Identity
    from api.http.metrics import Metrics
    from projections.queries import ReadModelQueries
    from service.settings import Settings

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
REFRESH_SECONDS = 5.0
"""How long an organization's quota, once read, is used before it is read again: a quota
the admin changes applies within this time."""
CREDENTIAL = "registry.credential"
"""Where in the ASGI scope the request's credential (its keyed hash) is kept."""


@dataclass(frozen=True)
class Decision:
    """What a credential's bucket said of one request."""

    policy: str
    """``reads`` or ``writes``."""
    quota: Quota
    remaining: float
    retry_after: float
    """0.0: allowed; else seconds until a token is there."""

    @property
    def allowed(self) -> bool:
        return self.retry_after == 0.0

    def headers(self) -> list[tuple[bytes, bytes]]:
        """``RateLimit-Policy`` and ``RateLimit`` (and ``Retry-After`` for a refusal)."""
        quota, name = self.quota, self.policy
        if self.allowed:
            reset = math.ceil((quota.burst - self.remaining) / quota.rate)
        else:
            reset = self.wait_seconds
        policy = f'"{name}";q={quota.burst};w={quota.window}'
        state = f'"{name}";r={math.floor(self.remaining)};t={reset}'
        headers = [(b"ratelimit-policy", policy.encode()), (b"ratelimit", state.encode())]
        if not self.allowed:
            headers.append((b"retry-after", str(reset).encode()))
        return headers

    @property
    def wait_seconds(self) -> int:
        return max(1, math.ceil(self.retry_after))


class RequestQuotas:
    def __init__(self, settings: Settings, clock: Callable[[], float] = time.monotonic) -> None:
        self.reads = _quota(settings.rate_limit_reads_per_minute, settings.rate_limit_read_burst)
        self.writes = _quota(settings.rate_limit_writes_per_minute, settings.rate_limit_write_burst)
        self.settings = settings
        self._clock = clock
        self._secret = os.urandom(32)
        self._buckets = TokenBuckets(clock)
        self._holders: OrderedDict[str, str] = OrderedDict()
        """Credential -> whose buckets its requests take from, once it has authenticated:
        its own (the admin token, a key), or its user's (every token of one user shares
        them). A credential never seen to authenticate keeps nothing here, so a flood of
        made-up ones cannot push out the buckets of real ones."""
        self._organizations: OrderedDict[str, UUID] = OrderedDict()
        """Holder -> its organization, once known (least recently learned first)."""
        self._organization_quotas: dict[UUID, tuple[float, dict[str, Any] | None]] = {}
        """Organization -> (when read, its ``request_quota``)."""
        self.in_flight = InFlight(settings.rate_limit_in_flight)

    def credential(self, authorization: bytes) -> str:
        """The credential a request's ``Authorization`` is, as the quotas know it: its
        bearer token as authentication reads it (any case of ``Bearer``, any spaces around
        the token), so no spelling of one token gets a bucket of its own."""
        scheme, _, token = authorization.partition(b" ")
        if scheme.lower() == b"bearer" and token.strip():
            authorization = b"bearer " + token.strip()
        return hashlib.blake2b(authorization, key=self._secret, digest_size=16).hexdigest()

    def take(self, credential: str, method: str) -> Decision | None:
        """Take a token for one request of ``credential`` (``None``: no quota applies). A
        credential not yet seen to authenticate is answered as a full bucket would be,
        and nothing is kept for it."""
        policy = "reads" if method in SAFE_METHODS else "writes"
        holder = self._holders.get(credential)
        quota = self.quota_of(holder, policy)
        if quota is None:
            return None
        if holder is None:
            return Decision(policy, quota, quota.burst - 1, 0.0)
        remaining, wait = self._buckets.take(f"{policy}:{holder}", quota)
        return Decision(policy, quota, remaining, wait)

    def authenticated(self, credential: str | None, user: Identity | None, method: str) -> None:
        """``credential`` authenticated (as ``user``, for a user's token) in a request of
        ``method``: from now on its requests take from its holder's buckets; the first,
        whose token ``take`` could not keep, takes its token now."""
        if credential is None:
            return
        first = credential not in self._holders
        holder = credential if user is None else self._user_holder(user)
        self._holders[credential] = holder
        self._holders.move_to_end(credential)
        while len(self._holders) > MAX_KEYS:
            self._holders.popitem(last=False)
        policy = "reads" if method in SAFE_METHODS else "writes"
        if first and (quota := self.quota_of(holder, policy)) is not None:
            self._buckets.take(f"{policy}:{holder}", quota)

    def _user_holder(self, user: Identity) -> str:
        """One user's holder, whichever of their tokens they send: their issuer and id."""
        who = f"{user.claims.get('iss', '')}\0{user.user_id}".encode()
        return "user:" + hashlib.blake2b(who, key=self._secret, digest_size=16).hexdigest()

    def quota_of(self, holder: str | None, policy: str) -> Quota | None:
        """The service's quota, or the one the holder's organization has."""
        default = self.reads if policy == "reads" else self.writes
        org_id = None if holder is None else self._organizations.get(holder)
        found = None if org_id is None else self._organization_quotas.get(org_id)
        own = found[1] if found is not None else None
        if not own:
            return default
        return _own_quota(own, policy, self.settings)

    async def learn(
        self, credential: str | None, org_id: UUID, read_model: ReadModelQueries
    ) -> None:
        """``credential`` belongs to ``org_id`` (it authenticated): its quota is the
        organization's from now on, read again every ``REFRESH_SECONDS``."""
        holder = None if credential is None else self._holders.get(credential)
        if holder is None:
            return
        self._organizations[holder] = org_id
        self._organizations.move_to_end(holder)
        while len(self._organizations) > MAX_KEYS:
            self._organizations.popitem(last=False)
        known = self._organization_quotas.get(org_id)
        if known is None or self._clock() - known[0] > REFRESH_SECONDS:
            own = await run_in_threadpool(_request_quota, read_model, org_id)
            self._organization_quotas[org_id] = (self._clock(), own)
            while len(self._organization_quotas) > MAX_KEYS:
                del self._organization_quotas[next(iter(self._organization_quotas))]


def _quota(per_minute: float, burst: int) -> Quota | None:
    return Quota(per_minute / 60.0, burst) if per_minute > 0 else None


def _own_quota(own: dict[str, Any], policy: str, settings: Settings) -> Quota | None:
    """An organization's quota: what it sets, the service's for what it leaves out."""
    one = policy.removesuffix("s")
    rate = own.get(f"{policy}PerMinute")
    burst = own.get(f"{one}Burst")
    if rate is None:
        rate = getattr(settings, f"rate_limit_{policy}_per_minute")
    return _quota(rate, burst or getattr(settings, f"rate_limit_{one}_burst"))


def _request_quota(read_model: ReadModelQueries, org_id: UUID) -> dict[str, Any] | None:
    row = read_model.get_organization(org_id)
    return None if row is None else row.get("request_quota")


def credential_kind(authorization: bytes, admin_token: bytes) -> str:
    """``admin``, ``apiKey`` or ``user``: what a credential looks like (not yet checked)."""
    _, _, token = authorization.partition(b" ")
    token = token.strip()
    if hmac.compare_digest(token, admin_token):
        return "admin"
    return "apiKey" if looks_like_secret(token.decode("latin-1")) else "user"


class InFlight:
    """At most ``limit`` requests of one credential at once (0: no bound); the others
    wait, first come first served. (One event loop per process: no lock needed.)"""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._slots: dict[str, tuple[asyncio.Semaphore, int]] = {}

    @asynccontextmanager
    async def slot(self, credential: str) -> AsyncIterator[None]:
        if not self.limit:
            yield
            return
        semaphore, users = self._slots.get(credential, (asyncio.Semaphore(self.limit), 0))
        self._slots[credential] = (semaphore, users + 1)
        try:
            async with semaphore:
                yield
        finally:
            semaphore, users = self._slots[credential]
            if users == 1:
                del self._slots[credential]
            else:
                self._slots[credential] = (semaphore, users - 1)


class QuotaMiddleware:
    """Refuse a request over its credential's quota before anything else reads it, and
    put the quota's headers on every answer to a request with credentials."""

    def __init__(self, app: ASGIApp, quotas: RequestQuotas, metrics: Metrics, admin: bytes) -> None:
        self.app = app
        self.quotas = quotas
        self.metrics = metrics
        self.admin = admin

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        authorization = _authorization(scope) if scope["type"] == "http" else None
        if authorization is None or self._exempt(authorization):
            await self.app(scope, receive, send)
            return
        credential = scope[CREDENTIAL] = self.quotas.credential(authorization)
        decision = self.quotas.take(credential, scope["method"])
        if decision is not None and not decision.allowed:
            kind = credential_kind(authorization, self.admin)
            self.metrics.quota_refusals.labels(kind).inc()
            await _refuse(send, await self._held(decision))
            return
        if _long_poll(scope):  # It waits holding no worker thread: not counted in flight.
            await self.app(scope, receive, _with_headers(send, decision))
            return
        async with self.quotas.in_flight.slot(credential):
            await self.app(scope, receive, _with_headers(send, decision))

    def _exempt(self, authorization: bytes) -> bool:
        """The admin token has no quota unless ``REGISTRY_RATE_LIMIT_ADMIN`` says so."""
        if self.quotas.settings.rate_limit_admin:
            return False
        return credential_kind(authorization, self.admin) == "admin"

    async def _held(self, decision: Decision) -> Decision:
        """The refusal, once it has waited ``REGISTRY_RATE_LIMIT_REFUSAL_DELAY``."""
        delay = self.quotas.settings.rate_limit_refusal_delay
        if not delay:
            return decision
        await asyncio.sleep(delay)
        return replace(decision, retry_after=max(decision.retry_after - delay, 0.001))


def _long_poll(scope: Scope) -> bool:
    """A read of the change feed that may wait for events (``wait`` above 0)."""
    if scope["method"] != "GET" or b"wait=" not in scope["query_string"]:
        return False
    waits = parse_qs(scope["query_string"].decode("latin-1")).get("wait", [])
    return any(w.strip() not in ("", "0", "0.0") for w in waits)


def _authorization(scope: Scope) -> bytes | None:
    for name, value in scope["headers"]:
        if name == b"authorization":
            return bytes(value)
    return None


def _with_headers(send: Send, decision: Decision | None) -> Send:
    if decision is None:
        return send
    headers = decision.headers()

    async def send_with_headers(message: Message) -> None:
        if message["type"] == "http.response.start":
            message["headers"] = [*message.get("headers", []), *headers]
        await send(message)

    return send_with_headers


async def _refuse(send: Send, decision: Decision) -> None:
    body = json.dumps(rate_limited_body(decision.wait_seconds, QUOTA_MESSAGE)).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        *decision.headers(),
    ]
    await send({"type": "http.response.start", "status": 429, "headers": headers})
    await send({"type": "http.response.body", "body": body})


QUOTA_MESSAGE = "Request quota exceeded; retry after Retry-After seconds"

"""Idempotency keys: a retried write gets its first response again and records nothing.

A POST, PUT, PATCH or DELETE sent with ``Idempotency-Key: <1-255 characters>`` runs once
per principal and key: a retry with the same method, path, principal and body gets the
first response again for 24 hours (with ``Idempotent-Replayed: true``), and a command that
changed an organization is never run twice, however late the retry
(``domain.command_records``); the same key with another request is 409
``IDEMPOTENCY_KEY_REUSED``. A request that arrives while the first one runs waits for it and
gets its response. Responses of status 500 and above, and those that invite a retry (401,
409 ``CONFLICT``, 429), are not kept, so such a request can be retried for real.

The principal is the credential (the admin token, a key), or for a signed-in user the
issuer and userId their token names: a user's tokens change as their session is
refreshed, and a retry with a new one is still theirs.

Neither the credential nor the key is stored, only their SHA-256; a response marked
``Cache-Control: no-store`` (one that carries a secret) is kept sealed under a key only
the retrying client can give again (``api.http.sealing``), and is given again only to a
credential accepted now. A user gets any kept answer again only while they may call its
operation on its organization now; otherwise what the route answers them now.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from cryptography.exceptions import InvalidTag
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.routing import Match

from api.http.auth import USER_REFUSALS, accepted_now, signed_in_user_of, user_may_call_now
from api.http.errors import (
    UNAUTHORIZED_MESSAGE,
    WWW_AUTHENTICATE,
    error_body,
    handled,
    rate_limited_body,
    store_unavailable,
    validation_body,
)
from api.http.idempotency_store import CLAIMED, IdempotencyStore, Stored
from api.http.identity import IdentityProviderUnavailableError
from api.http.middleware import read_body, replaying, send_json
from api.http.rate_limit import FailureLimiter, RateLimitedError
from api.http.recording import RecordedResponse
from api.http.sealing import seal, unseal, user_keys
from domain.command_records import CommandKey, keyed
from projections.store_errors import STORE_ERRORS

if TYPE_CHECKING:
    from starlette.datastructures import State
    from starlette.types import ASGIApp, Receive, Scope, Send

    from api.http.identity import Identity
    from application.registry import OrganizationRegistry

METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
KEY_MAX_LENGTH = 255
WAIT_POLL_SECONDS = 0.02
WAIT_SECONDS = 60.0
RETRY_INVITED = frozenset({401, 409, 429})
"""Answers that ask the client to try again (credentials, a concurrent clash, a rate
limit): not kept, so the retry they invite, with the same key, runs for real."""
RECORD_CHECK_SECONDS = 0.5
"""While waiting for another request with the same key: how often to look for its record."""
PURGE_EVERY_SECONDS = 600.0


def _canonical(body: bytes) -> bytes:
    """The same JSON however it is spaced or its keys ordered, so that a retry that
    serializes its body anew is the same request; any other body as it is."""
    try:
        return json.dumps(
            json.loads(body), sort_keys=True, separators=(",", ":"), ensure_ascii=True
        ).encode()
    except (ValueError, RecursionError):
        return body


async def _refused(scope: Scope, send: Send, key: bytes, authorization: bytes) -> bool:
    """Refuse a malformed key, or a client over its failure limit (a limited client costs
    no database write either); whether a refusal was sent."""
    if not 1 <= len(key.strip()) <= KEY_MAX_LENGTH:
        problem = {"field": "Idempotency-Key", "message": "must be 1-255 characters"}
        await send_json(send, 400, validation_body([problem]))
        return True
    try:
        client = scope.get("client") or ("", 0)
        limiter: FailureLimiter = scope["app"].state.auth_failures
        limiter.check_attempt(client[0], authorization)
    except RateLimitedError as limited:
        retry_after = {"Retry-After": str(limited.retry_after)}
        await send_json(send, 429, rate_limited_body(limited.retry_after), headers=retry_after)
        return True
    return False


def _keyed_write(scope: Scope, key: bytes | None, authorization: bytes) -> bool:
    """Whether the request is a write with a key and credentials to a path and method the
    API has. Any other request is answered as if it had no key (404, 405 with ``Allow``,
    401) before a key is claimed or read: what it answers depends on nothing kept."""
    if scope["type"] != "http" or scope["method"] not in METHODS or key is None:
        return False
    if not authorization.strip():
        return False
    routes = scope["app"].state.routes
    return any(route.matches(scope)[0] == Match.FULL for route in routes)


def _fingerprint(scope: Scope, body: bytes) -> str:
    """The request a key was first used for: method, path, query and canonical body."""
    target = [scope["method"], scope["path"], scope["query_string"].decode("latin-1")]
    return hashlib.sha256(json.dumps(target).encode() + b"\n" + _canonical(body)).hexdigest()


@dataclass(frozen=True)
class Principal:
    """Whose an ``Idempotency-Key`` is."""

    scope: str
    """What the key's answers are kept under: a hash, never the credential."""
    seal: bytes = field(repr=False)
    """With the key, what seals an answer that carries a secret."""
    credential: bytes = field(repr=False)
    """The request's ``Authorization``."""
    user: Identity | None = None
    """The signed-in user, whose token was verified here."""


async def principal(state: State, authorization: bytes) -> Principal:
    """A signed-in user is the issuer and userId their token names, whichever of their
    tokens they send. As no token of theirs lasts, their answers are filed and sealed under
    that name keyed with keys derived from the admin token (a secret of the server's, never
    stored, ``api.http.sealing.user_keys``): a dump gives nothing, not even whose they are,
    and whoever holds the admin token could invite anyone anyway. Any other credential (the
    admin token, a key, a token that fails verification) is itself."""
    user = await signed_in_user_of(state, authorization)
    if user is None:
        return Principal(hashlib.sha256(authorization).hexdigest(), authorization, authorization)
    name = json.dumps(["user", user.claims["iss"], user.user_id]).encode()
    scope, seal = user_keys(state.admin_token, name)
    # Prefixed, so that no credential's hash (hex alone) is ever a user's scope.
    return Principal("user:" + scope, seal, authorization, user)


async def _opened(scope: Scope, stored: Stored, who: Principal, key: bytes) -> bytes | None:
    """The kept body, opened if it was sealed; ``None`` for a sealed one this credential
    may not have again: it holds a secret, given again only to a credential accepted now
    (a key not revoked, the admin token as it is now) that opens it. A user gets a kept
    answer only while they may call its operation on its organization (an active member
    whose roles allow it, of an organization not archived): otherwise this raises what the
    route answers them now (``USER_REFUSALS``)."""
    state = scope["app"].state
    if who.user is not None:
        on_an_organization = await user_may_call_now(state, who.user, scope)
        if stored.sealed and not on_an_organization:
            return None
    if not stored.sealed:
        return stored.body
    if who.user is None and not await accepted_now(state, who.credential):
        return None
    try:
        return unseal(stored.body, who.seal, key)
    except InvalidTag:  # Sealed under other keys (the stored row was changed).
        return None


async def _answer(send: Send, stored: Stored, body: bytes) -> None:
    headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in stored.headers]
    headers.append((b"idempotent-replayed", b"true"))
    await send({"type": "http.response.start", "status": stored.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _store_unavailable(scope: Scope, send: Send) -> None:
    scope["app"].state.services.health.suspect()
    body = store_unavailable(scope["method"])
    await send_json(send, 503, body, headers={"Retry-After": "1"})


class IdempotencyMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._last_purge = 0.0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = dict(scope.get("headers", []))
        key = headers.get(b"idempotency-key")
        authorization = headers.get(b"authorization", b"")
        if not _keyed_write(scope, key, authorization):
            await self.app(scope, receive, send)
            return
        assert key is not None
        if await _refused(scope, send, key, authorization):
            return
        try:
            who = await principal(scope["app"].state, authorization)
            if who.user is None and not await accepted_now(scope["app"].state, authorization):
                # Refused credentials: the route answers 401, and no key is claimed.
                await self.app(scope, receive, send)
                return
        except IdentityProviderUnavailableError as unavailable:
            await handled(Request(scope), unavailable)(scope, receive, send)
            return
        except STORE_ERRORS:
            await _store_unavailable(scope, send)
            return
        request_body = await read_body(receive) or b""
        fingerprint = _fingerprint(scope, request_body)
        secret = (who.seal, key.strip())
        name = hashlib.sha256(key.strip()).hexdigest()
        command_key = CommandKey(who.scope, name, fingerprint)
        store: IdempotencyStore = scope["app"].state.idempotency
        outcome = await self._claim(scope, send, store, command_key)
        if outcome is None:
            return
        if isinstance(outcome, Stored):
            await self._replay(scope, (receive, send), outcome, fingerprint, (who, key.strip()))
            return
        with keyed(command_key):  # The command records its outcome with its events.
            replay_receive = replaying(request_body, receive)
            await self._run_and_keep(store, who.scope, name, scope, replay_receive, send, secret)

    async def _claim(
        self, scope: Scope, send: Send, store: IdempotencyStore, command_key: CommandKey
    ) -> str | Stored | None:
        """Claim the key (or find what it answered); ``None`` once a 503 was sent because
        the store does not answer."""
        registry: OrganizationRegistry = scope["app"].state.services.registry
        try:
            await self._purge_now_and_then(store)
            return await self._claim_or_wait(store, command_key, registry)
        except STORE_ERRORS:
            await _store_unavailable(scope, send)
            return None

    async def _replay(
        self,
        scope: Scope,
        channel: tuple[Receive, Send],
        stored: Stored,
        fingerprint: str,
        whose: tuple[Principal, bytes],
    ) -> None:
        """The kept answer again, to the principal that holds the key."""
        receive, send = channel
        if stored.fingerprint != fingerprint:
            body = error_body(
                "IDEMPOTENCY_KEY_REUSED",
                "This Idempotency-Key was used for another request",
            )
            await send_json(send, 409, body)
            return
        if not stored.done:
            body = error_body("CONFLICT", "A request with this Idempotency-Key is still running")
            await send_json(send, 409, body)
            return
        try:
            opened = await _opened(scope, stored, *whose)
        except STORE_ERRORS:
            await _store_unavailable(scope, send)
            return
        except USER_REFUSALS as refused:  # A user who may no longer call the operation.
            await handled(Request(scope), refused)(scope, receive, send)
            return
        if opened is None:
            body = error_body("UNAUTHORIZED", UNAUTHORIZED_MESSAGE)
            await send_json(send, 401, body, headers=WWW_AUTHENTICATE)
            return
        await _answer(send, stored, opened)

    async def _claim_or_wait(
        self, store: IdempotencyStore, command_key: CommandKey, registry: OrganizationRegistry
    ) -> str | Stored:
        """Claim the key, or wait for the request that holds it. A holder that recorded
        its command but died before answering is taken over at once: running the
        request again answers the recorded outcome (``domain.command_records``)."""
        credential, key, fingerprint = command_key.scope, command_key.key, command_key.fingerprint
        deadline = time.monotonic() + WAIT_SECONDS
        checked = time.monotonic()
        while True:
            outcome = await run_in_threadpool(
                store.claim, credential, key, fingerprint, time.time()
            )
            if not isinstance(outcome, Stored) or outcome.done:
                return outcome
            if outcome.fingerprint != fingerprint or time.monotonic() > deadline:
                return outcome
            if time.monotonic() - checked > RECORD_CHECK_SECONDS:
                checked = time.monotonic()
                if await run_in_threadpool(registry.is_recorded, command_key):
                    return CLAIMED
            await asyncio.sleep(WAIT_POLL_SECONDS)

    async def _run_and_keep(
        self,
        store: IdempotencyStore,
        credential: str,
        key: str,
        scope: Scope,
        receive: Receive,
        send: Send,
        secret: tuple[bytes, bytes],
    ) -> None:
        answer = RecordedResponse(forward=send)
        try:
            await self.app(scope, receive, answer)
        except BaseException:
            await run_in_threadpool(store.release, credential, key)
            raise
        status = answer.status
        if status >= 500 or status in RETRY_INVITED:
            await run_in_threadpool(store.release, credential, key)
            return
        headers = [
            (k.decode("latin-1"), v.decode("latin-1")) for k, v in answer.start.get("headers", [])
        ]
        body, sealed = answer.body, ("cache-control", "no-store") in headers
        if sealed:
            body = seal(body, *secret)
        await run_in_threadpool(
            store.complete, credential, key, status, headers, body, sealed=sealed
        )

    async def _purge_now_and_then(self, store: IdempotencyStore) -> None:
        if time.monotonic() - self._last_purge > PURGE_EVERY_SECONDS:
            self._last_purge = time.monotonic()
            await run_in_threadpool(store.purge, time.time())

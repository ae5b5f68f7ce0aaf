"""Sends the outbox's deliveries: of each (endpoint, organization) only the first
undelivered event, so each organization's events arrive in position order and a failing
one holds up no other. A 2xx delivers it; anything else is retried on the schedule (with
jitter, or later when ``Retry-After`` says so); ``410 Gone`` or an exhausted schedule
disables the endpoint, with the reason, until it is enabled again."""

from __future__ import annotations

import collections
import json
import logging
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from standardwebhooks.webhooks import Webhook

from application.webhooks import resolve
from domain.context import SYSTEM_ACTOR, acting_as
from domain.errors import (
    SecretKeyMissingError,
    WebhookEndpointNotFoundError,
    WebhookUrlRefusedError,
)
from domain.webhooks.endpoint import signing
from service.webhooks.sender import TIMEOUT, AnswerTooLargeError, post

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from application.webhooks import WebhookEndpoints
    from projections.webhooks.store import WebhookStore
    from projections.webhooks.vault import SecretVault

log = logging.getLogger("tenant_registry.webhooks")

DEFAULT_SCHEDULE = "5,300,1800,7200,18000,36000,36000"
JITTER = 0.2
"""Each pause is the schedule's, give or take this fraction."""
MAX_RETRY_AFTER = 86400.0
WORKERS, DUE_LIMIT = 8, 200
UNPROVEN_SHARE = WORKERS // 2
"""Of the senders, at most this many at once deliver to endpoints not answering 2xx: each
such endpoint has one delivery on its way at a time, so a receiver that holds every
request (or a process's first requests to one) never takes every sender."""


class Outcomes:
    """How many delivery attempts ended each way, since this process started: delivered,
    failed (an answer but not 2xx), timeout (no full answer within the deadline),
    unreachable (no connection, or the connection broken), refused (not sent: an address
    not allowed, or no secret to sign with)."""

    def __init__(self) -> None:
        self._counts: dict[str, int] = {}
        self._lock = threading.Lock()

    def count(self, outcome: str) -> None:
        with self._lock:
            self._counts[outcome] = self._counts.get(outcome, 0) + 1

    def counts(self) -> dict[str, int]:
        with self._lock:
            return dict(self._counts)


def parse_schedule(text: str) -> tuple[float, ...]:
    """Seconds, comma-separated: the pause after each failed attempt."""
    steps = tuple(float(s) for s in text.split(",") if s.strip())
    if not steps or any(s < 0 for s in steps):
        raise ValueError("a retry schedule is one or more seconds, comma-separated, none negative")
    return steps


def signature(secrets: Sequence[str], msg_id: str, moment: datetime, body: bytes) -> str:
    """Standard Webhooks' ``webhook-signature``: one ``v1,...`` per secret, space-separated."""
    return " ".join(Webhook(s).sign(msg_id, moment, body) for s in secrets)


class Dispatcher:
    def __init__(
        self,
        store: WebhookStore,
        vault: SecretVault,
        endpoints: WebhookEndpoints,
        schedule: tuple[float, ...],
        outcomes: Outcomes,
        timeout: float = TIMEOUT,
        on_finished: Callable[[], None] = lambda: None,
    ) -> None:
        self.store, self.vault, self.endpoints, self.schedule = store, vault, endpoints, schedule
        self.outcomes, self.timeout, self._on_finished = outcomes, timeout, on_finished
        self._pool = ThreadPoolExecutor(WORKERS, thread_name_prefix="webhook-delivery")
        self._in_flight: set[tuple[str, str]] = set()
        self._flying: collections.Counter[str] = collections.Counter()
        """Deliveries on their way, by endpoint."""
        self._proven: set[str] = set()
        """Endpoints whose last attempt was answered 2xx (by this dispatcher)."""
        self._finished: set[tuple[str, str]] = set()
        """Pairs whose delivery ended since the last read of what is due: that read may
        predate the outcome, so it cannot tell what such a pair has next."""
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self._dropped: set[str] = set()
        """Expired secrets whose dropping this dispatcher asked for (the endpoints' rows
        name them until the outbox follows the event)."""

    def step(self) -> int:
        """Start every due delivery not already on its way; returns how many started."""
        started = 0
        with self._lock:
            self._finished.clear()
        for row in self.store.due(time.time(), DUE_LIMIT):
            pair = (row["endpoint_id"], row["organization_id"])
            with self._lock:
                if pair in self._in_flight or pair in self._finished or not self._room(pair[0]):
                    continue
                self._in_flight.add(pair)
                self._flying[pair[0]] += 1
            self._pool.submit(self._deliver, row, pair)
            started += 1
        return started

    def _room(self, endpoint_id: str) -> bool:
        """Whether a delivery to the endpoint may start now (with ``_lock`` held): always
        to one answering 2xx; to another, only if none of its own is on its way and fewer
        than ``UNPROVEN_SHARE`` to such endpoints are."""
        if endpoint_id in self._proven:
            return True
        unproven = sum(n for e, n in self._flying.items() if e not in self._proven)
        return self._flying[endpoint_id] == 0 and unproven < UNPROVEN_SHARE

    def close(self) -> None:
        """Send nothing more (a request on its way ends, within its deadline)."""
        self._closed.set()
        self._pool.shutdown(wait=True, cancel_futures=True)

    def _deliver(self, row: dict[str, Any], pair: tuple[str, str]) -> None:
        try:
            if not self._closed.is_set():
                self._attempt(row)
        except Exception:
            log.exception("webhook delivery of event %s failed", row["position"])
        finally:
            with self._lock:
                self._in_flight.discard(pair)
                self._finished.add(pair)
                self._flying[pair[0]] -= 1
            self._on_finished()  # The organization's next event may be due at once.

    def _attempt(self, row: dict[str, Any]) -> None:
        key = (row["endpoint_id"], row["position"], row["next_attempt_at"])
        try:
            secrets = self._secrets(row)
        except SecretKeyMissingError as error:
            return self._failed(row, key, "refused", None, None, str(error))
        if not secrets:  # Never a request unsigned.
            return self._failed(row, key, "refused", None, None, "no secret to sign with")
        body = row["payload"].encode()
        msg_id, moment = f"evt_{row['position']}", datetime.now(UTC)
        headers = {
            "webhook-id": msg_id,
            "webhook-timestamp": str(int(moment.timestamp())),
            "webhook-signature": signature(secrets, msg_id, moment, body),
        }
        try:
            answer = post(row["url"], body, headers, self.endpoints.allowed, resolve, self.timeout)
        except WebhookUrlRefusedError as error:
            return self._failed(row, key, "refused", None, None, str(error))
        except TimeoutError as error:
            return self._failed(row, key, "timeout", None, None, str(error))
        except AnswerTooLargeError as error:
            return self._failed(row, key, "failed", None, None, str(error))
        except OSError as error:
            return self._failed(row, key, "unreachable", None, None, str(error))
        if 200 <= answer.status < 300:
            self.store.record_attempt(key, "delivered", answer.status, None)
            with self._lock:
                self._proven.add(row["endpoint_id"])
            return self.outcomes.count("delivered")
        if answer.status == 410:
            self.outcomes.count("failed")
            self.store.record_attempt(key, "failed", 410, time.time())
            return self._disable(row["endpoint_id"], "the endpoint answered 410 Gone")
        reason = f"answered {answer.status}"
        return self._failed(row, key, "failed", answer.status, answer.retry_after, reason)

    def _failed(
        self,
        row: dict[str, Any],
        key: tuple[str, int, float],
        status: str,
        code: int | None,
        asked: float | None,
        reason: str,
    ) -> None:
        self.outcomes.count(status)
        with self._lock:
            self._proven.discard(row["endpoint_id"])
        failures = row["failures"] + 1
        if failures > len(self.schedule):
            self.store.record_attempt(key, status, code, time.time())
            why = f"retry schedule exhausted at event {row['position']}: {reason}"
            return self._disable(row["endpoint_id"], why)
        pause = self.schedule[failures - 1] * random.uniform(1 - JITTER, 1 + JITTER)  # noqa: S311
        if asked is not None:
            pause = max(pause, min(asked, MAX_RETRY_AFTER))
        self.store.record_attempt(key, status, code, time.time() + pause)

    def _disable(self, endpoint_id: str, reason: str) -> None:
        with self._lock:
            self._proven.discard(endpoint_id)
        with acting_as(SYSTEM_ACTOR):
            written = self.endpoints.disable(UUID(endpoint_id), reason)
        # At once, not once the follower projects it: no more attempts meanwhile.
        self.store.mark_disabled(endpoint_id, written.endpoint["version"], reason)
        log.warning("webhook endpoint %s disabled: %s", endpoint_id, reason)

    def _secrets(self, row: dict[str, Any]) -> list[str]:
        """The secrets that sign now; those past their expiry are dropped, once."""
        kept = json.loads(row["secrets"])
        ids = signing(kept, datetime.now(UTC))
        if expired := {s["id"] for s in kept} - set(ids) - self._dropped:
            self._drop(row["endpoint_id"], expired)
        return [secret for i in ids if (secret := self.vault.secret(i)) is not None]

    def _drop(self, endpoint_id: str, expired: set[str]) -> None:
        with self._lock:
            if expired <= self._dropped:
                return  # Another delivery drops them.
            self._dropped |= expired
        self.vault.forget(expired)
        try:
            with acting_as(SYSTEM_ACTOR):
                self.endpoints.drop_expired_secrets(UUID(endpoint_id))
        except WebhookEndpointNotFoundError:
            pass  # Deleted meanwhile: its secrets go with it.
        except Exception:
            log.exception("webhook endpoint %s: dropping expired secrets failed", endpoint_id)

"""What the sync and the async client share: how a request is built, when it is retried and
how long to wait, and how an answer becomes a model or an exception. Only the sending
differs (``_async/client.py``, and ``_sync/client.py`` generated from it)."""

from __future__ import annotations

import json
import random
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any, Generic, TypeVar
from urllib.parse import quote

from tenant_registry_client.errors import error_for
from tenant_registry_client.models import camel

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    import httpx

T = TypeVar("T")
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
RETRIED_STATUSES = frozenset({429, 502, 503, 504})
RETRIED_CODES = frozenset({"CONFLICT"})
"""409 ``CONFLICT``: concurrent writers kept clashing; the server keeps no answer for it, so
a retry with the same key runs again."""


class Unset:
    """The value of an argument left out (``None`` is sent as JSON ``null``)."""

    def __repr__(self) -> str:
        return "UNSET"


UNSET: Any = Unset()


@dataclass(frozen=True)
class RetryPolicy:
    """When and how long to retry: connection errors, 429, 502, 503, 504 and 409
    ``CONFLICT`` are retried, reads and writes alike (writes always carry an
    ``Idempotency-Key``, so a retry of one that did commit gets its first answer and records
    nothing). The pause before attempt n+1 is exponential with full jitter, at most
    ``max_backoff``, and at least what ``Retry-After`` asks; no more than ``max_attempts``
    attempts, and no pause that would end past ``max_elapsed`` seconds from the first.

    The defaults outlast the server's wait for a keyed write whose first process died
    before committing it (its key is taken over after 30 seconds, then the retry runs)."""

    max_attempts: int = 8
    initial_backoff: float = 0.2
    max_backoff: float = 5.0
    max_elapsed: float = 60.0
    jitter: bool = True

    def pause(self, attempt: int, retry_after: float | None) -> float:
        """Seconds to wait after the ``attempt``-th attempt failed."""
        ceiling = min(self.max_backoff, self.initial_backoff * 2 ** (attempt - 1))
        backoff = random.uniform(0, ceiling) if self.jitter else ceiling  # noqa: S311
        return max(backoff, retry_after or 0.0)

    def next_pause(self, attempt: int, elapsed: float, retry_after: float | None) -> float | None:
        """The pause before another attempt, or ``None`` when none is allowed."""
        if attempt >= self.max_attempts:
            return None
        pause = self.pause(attempt, retry_after)
        return None if elapsed + pause > self.max_elapsed else pause


NO_RETRY = RetryPolicy(max_attempts=1)


@dataclass(frozen=True)
class Call(Generic[T]):
    """One operation: the request to send (the same bytes on every attempt) and how to read
    its answer."""

    method: str
    path: str
    parse: Callable[[httpx.Response], T]
    params: dict[str, Any] = field(default_factory=dict)
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    wait: float = 0.0
    """Seconds the server may hold the request open (a long poll), on top of the timeout."""
    retry: RetryPolicy | None = None
    """This call's own policy (the client's when ``None``)."""


def query(**params: Any) -> dict[str, Any]:
    """Query parameters by their API names, those left ``None`` out, times in ISO 8601."""
    return {
        camel(name): iso(value) if isinstance(value, datetime) else value
        for name, value in params.items()
        if value is not None
    }


def path(prefix: str, *parts: str) -> str:
    """``prefix`` and each part quoted (a userId may hold any printable character but ``/``)."""
    return "/".join([prefix, *(quote(part, safe="") for part in parts)])


def iso(value: datetime | str) -> str:
    return value.isoformat() if isinstance(value, datetime) else value


def fields(values: Mapping[str, Any]) -> dict[str, Any]:
    """A request body from keyword arguments: snake_case names become the API's camelCase
    ones (names already camelCase stay), ``UNSET`` ones are left out, ``None`` is ``null``,
    times are ISO 8601. Values inside (settings, metadata) are sent as they are."""
    return {
        camel(name): iso(value) if isinstance(value, datetime) else value
        for name, value in values.items()
        if value is not UNSET
    }


def call(
    method: str,
    path: str,
    parse: Callable[[httpx.Response], T],
    *,
    params: dict[str, Any] | None = None,
    body: Any = None,
    headers: Mapping[str, str | None] | None = None,
    wait: float = 0.0,
    retry: RetryPolicy | None = None,
) -> Call[T]:
    """A ``Call``; a write gets an ``Idempotency-Key`` (a random UUID) unless ``headers``
    name one, so all its attempts are one request to the server."""
    sent = {name: value for name, value in (headers or {}).items() if value is not None}
    if method in WRITES and "Idempotency-Key" not in sent:
        sent["Idempotency-Key"] = str(uuid.uuid4())
    content = None
    if body is not None:
        content = json.dumps(body, separators=(",", ":")).encode()
        sent["Content-Type"] = "application/json"
    return Call(method, path, parse, params or {}, content, sent, wait, retry)


def write_headers(
    idempotency_key: str | None, reason: str | None, if_match: str | int | None = None
) -> dict[str, str | None]:
    """The optional headers of a write."""
    return {
        "Idempotency-Key": idempotency_key,
        "X-Change-Reason": reason,
        "If-Match": etag(if_match) if if_match is not None else None,
    }


def etag(value: str | int) -> str:
    """An entity tag: a version number (``3``) becomes ``"3"``; a tag is sent as it is."""
    return f'"{value}"' if isinstance(value, int) else value


def retry_after(response: httpx.Response) -> float | None:
    """``Retry-After`` in seconds (a number or an HTTP date), if the answer has one."""
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:  # "-0000": a time in UTC whose source zone is unknown.
        when = when.replace(tzinfo=timezone.utc)  # noqa: UP017 (Python 3.10)
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())  # noqa: UP017


def retryable(request: Call[Any], response: httpx.Response) -> bool:
    """Whether this answer invites another attempt of the same request."""
    if response.status_code == 409:
        return _code(response) in RETRIED_CODES
    if response.status_code != 503:
        return response.status_code in RETRIED_STATUSES
    if request.method not in WRITES or "Idempotency-Key" in request.headers:
        return True
    # A write that may have committed is safe to send again only under the same key.
    return not _details(response).get("mayHaveCommitted", True)


def _body(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _code(response: httpx.Response) -> str | None:
    code = _body(response).get("code")
    return code if isinstance(code, str) else None


def _details(response: httpx.Response) -> dict[str, Any]:
    details = _body(response).get("details")
    return details if isinstance(details, dict) else {}


def finish(request: Call[T], response: httpx.Response) -> T:
    """The answer's model, or its error raised."""
    if response.status_code >= 400:
        raise error_for(
            response.status_code, response.content, response.headers.get("X-Request-Id")
        )
    return request.parse(response)


def user_agent() -> str:
    from tenant_registry_client import __version__

    return f"tenant-registry-client/{__version__}"

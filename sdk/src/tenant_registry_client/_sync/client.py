# Generated from _async/client.py by sdk/unasync.py: edit that file, not this one.
"""The sync client: one ``httpx.Client``, and the retry loop around each call."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, TypeVar

import httpx

from tenant_registry_client._core import (
    WRITES,
    RetryPolicy,
    finish,
    retry_after,
    retryable,
    user_agent,
)
from tenant_registry_client._sync.resources import (
    ApiKeys,
    CurrentOrganization,
    Events,
    HealthEndpoints,
    Invitations,
    Members,
    Organizations,
    OrganizationWebhooks,
    Roles,
    SignedInUser,
    Snapshots,
    Users,
    Webhooks,
)
from tenant_registry_client.errors import ConnectionFailedError

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from types import TracebackType

    from tenant_registry_client._core import Call

T = TypeVar("T")


class Client:
    """The registry's API, blocking.

    ``token`` is the admin token, an organization's secret key (``sk_...``) or a user's
    JWT. ``timeout`` bounds each attempt (a long poll of the change feed gets its ``wait``
    on top); ``retry`` says what is retried and for how long; ``transport`` replaces httpx's
    own (a proxy, a mounted app); ``headers`` are sent with every request. Use it as a
    context manager, or ``close()`` it."""

    def __init__(
        self,
        base_url: str,
        token: str | None = None,
        *,
        timeout: float = 10.0,
        retry: RetryPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        sent = {"User-Agent": user_agent(), **(headers or {})}
        if token is not None:
            sent["Authorization"] = f"Bearer {token}"
        self.timeout = timeout
        self.retry = retry or RetryPolicy()
        self._headers = sent
        self._write_hooks: list[Callable[[httpx.Response], None]] = []
        self._http = httpx.Client(
            base_url=base_url, headers=sent, timeout=timeout, transport=transport
        )
        self.organizations = Organizations(self)
        self.current = CurrentOrganization(self)
        self.api_keys = ApiKeys(self)
        self.members = Members(self)
        self.invitations = Invitations(self)
        self.roles = Roles(self)
        self.users = Users(self)
        self.me = SignedInUser(self)
        self.events = Events(self)
        self.webhooks = Webhooks(self)
        self.organization_webhooks = OrganizationWebhooks(self)
        self.health = HealthEndpoints(self)
        self.snapshots = Snapshots(self)

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.base_url!r})"

    @property
    def base_url(self) -> str:
        """Where the registry is."""
        return str(self._http.base_url).rstrip("/")

    @property
    def headers(self) -> dict[str, str]:
        """What every request carries (``Authorization`` among them): to make another client
        of the same server with the same credentials."""
        return dict(self._headers)

    def on_write(self, hook: Callable[[httpx.Response], None]) -> None:
        """Call ``hook`` with the answer of every write that succeeds, before the write's
        call returns (``X-Feed-Position`` names the feed position of what it recorded). It
        runs in the caller's thread: the live local cache waits there until it holds the
        write."""
        self._write_hooks.append(hook)

    def close(self) -> None:
        self._http.close()

    def run(self, request: Call[T]) -> T:
        """Send ``request`` (again, as its retry policy allows) and read its answer."""
        response = self._send(request)
        answer = finish(request, response)
        if request.method in WRITES:
            for hook in self._write_hooks:
                hook(response)
        return answer

    def _send(self, request: Call[Any]) -> httpx.Response:
        policy = request.retry or self.retry
        started = time.monotonic()
        attempt = 0
        while True:
            attempt += 1
            try:
                response = self._attempt(request)
            except httpx.TransportError as failed:
                pause = policy.next_pause(attempt, time.monotonic() - started, None)
                if pause is None:
                    message = f"{request.method} {request.path}: {failed!r}"
                    raise ConnectionFailedError(message, status=0) from failed
            else:
                if not retryable(request, response):
                    return response
                elapsed = time.monotonic() - started
                pause = policy.next_pause(attempt, elapsed, retry_after(response))
                if pause is None:
                    return response
            time.sleep(pause)

    def _attempt(self, request: Call[Any]) -> httpx.Response:
        timeout = self.timeout + request.wait
        return self._http.request(
            request.method,
            request.path,
            params=request.params,
            content=request.body,
            headers=request.headers,
            timeout=timeout,
        )

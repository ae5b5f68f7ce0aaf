"""The async client: one ``httpx.AsyncClient``, and the retry loop around each call."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any, TypeVar

import httpx

from tenant_registry_client._async.resources import (
    AsyncApiKeys,
    AsyncCurrentOrganization,
    AsyncEvents,
    AsyncHealthEndpoints,
    AsyncInvitations,
    AsyncMembers,
    AsyncOrganizations,
    AsyncOrganizationWebhooks,
    AsyncRoles,
    AsyncSignedInUser,
    AsyncSnapshots,
    AsyncUsers,
    AsyncWebhooks,
)
from tenant_registry_client._core import (
    WRITES,
    RetryPolicy,
    finish,
    retry_after,
    retryable,
    user_agent,
)
from tenant_registry_client.errors import ConnectionFailedError

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from types import TracebackType

    from tenant_registry_client._core import Call

T = TypeVar("T")


class AsyncClient:
    """The registry's API, for ``asyncio``.

    ``token`` is the admin token, an organization's secret key (``sk_...``) or a user's
    JWT. ``timeout`` bounds each attempt (a long poll of the change feed gets its ``wait``
    on top); ``retry`` says what is retried and for how long; ``transport`` replaces httpx's
    own (a proxy, a mounted app); ``headers`` are sent with every request. Use it as a
    context manager, or ``aclose()`` it."""

    def __init__(
        self,
        base_url: str,
        token: str | None = None,
        *,
        timeout: float = 10.0,
        retry: RetryPolicy | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        sent = {"User-Agent": user_agent(), **(headers or {})}
        if token is not None:
            sent["Authorization"] = f"Bearer {token}"
        self.timeout = timeout
        self.retry = retry or RetryPolicy()
        self._headers = sent
        self._write_hooks: list[Callable[[httpx.Response], None]] = []
        self._http = httpx.AsyncClient(
            base_url=base_url, headers=sent, timeout=timeout, transport=transport
        )
        self.organizations = AsyncOrganizations(self)
        self.current = AsyncCurrentOrganization(self)
        self.api_keys = AsyncApiKeys(self)
        self.members = AsyncMembers(self)
        self.invitations = AsyncInvitations(self)
        self.roles = AsyncRoles(self)
        self.users = AsyncUsers(self)
        self.me = AsyncSignedInUser(self)
        self.events = AsyncEvents(self)
        self.webhooks = AsyncWebhooks(self)
        self.organization_webhooks = AsyncOrganizationWebhooks(self)
        self.health = AsyncHealthEndpoints(self)
        self.snapshots = AsyncSnapshots(self)

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

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

    async def aclose(self) -> None:
        await self._http.aclose()

    async def run(self, request: Call[T]) -> T:
        """Send ``request`` (again, as its retry policy allows) and read its answer."""
        response = await self._send(request)
        answer = finish(request, response)
        if request.method in WRITES:
            for hook in self._write_hooks:
                hook(response)
        return answer

    async def _send(self, request: Call[Any]) -> httpx.Response:
        policy = request.retry or self.retry
        started = time.monotonic()
        attempt = 0
        while True:
            attempt += 1
            try:
                response = await self._attempt(request)
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
            await asyncio.sleep(pause)

    async def _attempt(self, request: Call[Any]) -> httpx.Response:
        timeout = self.timeout + request.wait
        return await self._http.request(
            request.method,
            request.path,
            params=request.params,
            content=request.body,
            headers=request.headers,
            timeout=timeout,
        )

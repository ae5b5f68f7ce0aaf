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
from tenant_registry_client._core import RetryPolicy, finish, retry_after, retryable, user_agent
from tenant_registry_client.errors import ConnectionFailedError

if TYPE_CHECKING:
    from collections.abc import Mapping
    from types import TracebackType

    from tenant_registry_client._core import Call

T = TypeVar("T")


class AsyncClient:
    """The registry's API, for ``asyncio``.

    ``token`` is the admin token, an organization's secret key (``sk_...``) or a user's
    JWT. ``timeout`` bounds each attempt (a long poll of the change feed gets its ``wait``
    on top); ``retry`` says what is retried and for how long; ``transport`` replaces httpx's
    own (a proxy, a mounted app). Use it as a context manager, or ``aclose()`` it."""

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

    async def aclose(self) -> None:
        await self._http.aclose()

    async def run(self, request: Call[T]) -> T:
        """Send ``request`` (again, as its retry policy allows) and read its answer."""
        return finish(request, await self._send(request))

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

"""Every operation of the API, by resource, for the async client (the sync client's are
generated from this file by ``sdk/unasync.py``)."""

from __future__ import annotations

import builtins
from collections import deque
from typing import TYPE_CHECKING, Any, TypeVar, overload

from tenant_registry_client import _answers as answers
from tenant_registry_client._core import (
    NO_RETRY,
    UNSET,
    call,
    etag,
    fields,
    iso,
    path,
    query,
    write_headers,
)

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
    from datetime import datetime

    from tenant_registry_client._async.client import AsyncClient
    from tenant_registry_client.models import (
        ApiKey,
        FeedEvent,
        FeedPage,
        Health,
        HistoryEvent,
        Invitation,
        IssuedApiKey,
        IssuedWebhookEndpoint,
        Me,
        Member,
        MemberPermissions,
        Membership,
        NotModified,
        Organization,
        Page,
        PermissionCheck,
        Role,
        SlugAvailability,
        WebhookDelivery,
        WebhookEndpoint,
        WebhookReplay,
    )

T = TypeVar("T")
API = "/api/v1"
ORGS = f"{API}/organizations"
CURRENT = f"{ORGS}/current"
WEBHOOKS = f"{API}/webhook-endpoints"
SNAPSHOT_WAIT = 300.0
"""Seconds a snapshot may take before its first byte, on top of the timeout: the server
reads it whole first (for at most ``REGISTRY_SNAPSHOT_TIMEOUT``, 300 s by default)."""


async def _pages(fetch: Callable[[str | None], Awaitable[Page[T]]]) -> AsyncIterator[T]:
    """Every item of a paged list, following ``nextCursor`` page by page."""
    cursor: str | None = None
    while True:
        page = await fetch(cursor)
        for item in page.items:
            yield item
        if page.next_cursor is None:
            return
        cursor = page.next_cursor


class _Resource:
    def __init__(self, client: AsyncClient) -> None:
        self._client = client


class AsyncOrganizations(_Resource):
    """Organizations: ``createOrganization``, ``getOrganization``, ``listOrganizations``, ..."""

    async def create(
        self,
        name: str,
        slug: str,
        *,
        idempotency_key: str | None = None,
        reason: str | None = None,
        **attributes: Any,
    ) -> Organization:
        """Create an organization; ``attributes`` are any others the API takes, by their
        snake_case or camelCase names (``external_id=``, ``settings=``, ``region=``, ...)."""
        body = fields({"name": name, "slug": slug, **attributes})
        headers = write_headers(idempotency_key, reason)
        request = call("POST", ORGS, answers.organization, body=body, headers=headers)
        return await self._client.run(request)

    @overload
    async def get(
        self,
        org_id: str,
        *,
        version: int | None = None,
        as_of: datetime | str | None = None,
        if_none_match: None = None,
    ) -> Organization: ...

    @overload
    async def get(
        self,
        org_id: str,
        *,
        version: int | None = None,
        as_of: datetime | str | None = None,
        if_none_match: str | int,
    ) -> Organization | NotModified: ...

    async def get(
        self,
        org_id: str,
        *,
        version: int | None = None,
        as_of: datetime | str | None = None,
        if_none_match: str | int | None = None,
    ) -> Organization | NotModified:
        """One organization (as it was at ``version`` or ``as_of``, if given); with
        ``if_none_match`` (an ``etag`` or a version), ``NotModified`` if it is still that."""
        request = call(
            "GET",
            path(ORGS, org_id),
            answers.organization_unless_not_modified,
            params=query(version=version, as_of=as_of),
            headers=_if_none_match(if_none_match),
        )
        return await self._client.run(request)

    @overload
    async def lookup(
        self,
        *,
        slug: str | None = None,
        external_id: str | None = None,
        stytch_org_id: str | None = None,
        if_none_match: None = None,
    ) -> Organization: ...

    @overload
    async def lookup(
        self,
        *,
        slug: str | None = None,
        external_id: str | None = None,
        stytch_org_id: str | None = None,
        if_none_match: str | int,
    ) -> Organization | NotModified: ...

    async def lookup(
        self,
        *,
        slug: str | None = None,
        external_id: str | None = None,
        stytch_org_id: str | None = None,
        if_none_match: str | int | None = None,
    ) -> Organization | NotModified:
        """One organization by an alternate key (give one)."""
        params = query(slug=slug, external_id=external_id, stytch_org_id=stytch_org_id)
        request = call(
            "GET",
            f"{ORGS}/lookup",
            answers.organization_unless_not_modified,
            params=params,
            headers=_if_none_match(if_none_match),
        )
        return await self._client.run(request)

    async def slug_availability(self, slug: str) -> SlugAvailability:
        """Whether ``slug`` may be claimed (with a key: its own organization's counts as free)."""
        request = call(
            "GET", f"{ORGS}/slug/availability", answers.slug_availability, params={"slug": slug}
        )
        return await self._client.run(request)

    async def update(
        self,
        org_id: str,
        *,
        if_match: str | int | None = None,
        idempotency_key: str | None = None,
        reason: str | None = None,
        **changes: Any,
    ) -> Organization:
        """Change the fields given (``PATCH``: settings, metadata and subscription_info are
        merged, ``None`` removes a key). With ``if_match`` (an ``etag`` or a version), only
        if the organization is still at that version: otherwise ``VersionConflictError``."""
        request = call(
            "PATCH",
            path(ORGS, org_id),
            answers.organization,
            body=fields(changes),
            headers=write_headers(idempotency_key, reason, if_match),
        )
        return await self._client.run(request)

    async def replace(
        self,
        org_id: str,
        *,
        if_match: str | int | None = None,
        idempotency_key: str | None = None,
        reason: str | None = None,
        **changes: Any,
    ) -> Organization:
        """Change the fields given (``PUT``: settings and metadata are replaced whole)."""
        request = call(
            "PUT",
            path(ORGS, org_id),
            answers.organization,
            body=fields(changes),
            headers=write_headers(idempotency_key, reason, if_match),
        )
        return await self._client.run(request)

    async def archive(
        self,
        org_id: str,
        *,
        if_match: str | int | None = None,
        idempotency_key: str | None = None,
        reason: str | None = None,
    ) -> Organization:
        """Archive it (nothing is erased; its slug stays held)."""
        headers = write_headers(idempotency_key, reason, if_match)
        request = call("DELETE", path(ORGS, org_id), answers.organization, headers=headers)
        return await self._client.run(request)

    async def revert(
        self,
        org_id: str,
        to_version: int,
        *,
        revert_reason: str | None = None,
        if_match: str | int | None = None,
        idempotency_key: str | None = None,
        reason: str | None = None,
    ) -> Organization:
        """Record the changes that bring it back to its state at ``to_version``."""
        request = call(
            "POST",
            path(ORGS, org_id, "revert"),
            answers.organization,
            body=fields({"to_version": to_version, "reason": revert_reason or UNSET}),
            headers=write_headers(idempotency_key, reason, if_match),
        )
        return await self._client.run(request)

    async def page(
        self,
        *,
        status: str | None = None,
        q: str | None = None,
        external_id: str | None = None,
        region: str | None = None,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> Page[Organization]:
        """One page of organizations, newest first."""
        params = query(
            status=status, q=q, external_id=external_id, region=region, limit=limit, cursor=cursor
        )
        return await self._client.run(call("GET", ORGS, answers.organizations, params=params))

    def list(
        self,
        *,
        status: str | None = None,
        q: str | None = None,
        external_id: str | None = None,
        region: str | None = None,
        limit: int | None = None,
    ) -> AsyncIterator[Organization]:
        """Every organization that matches, newest first, page after page."""
        return _pages(
            lambda cursor: self.page(
                status=status,
                q=q,
                external_id=external_id,
                region=region,
                limit=limit,
                cursor=cursor,
            )
        )

    async def history_page(
        self,
        org_id: str,
        *,
        types: Iterable[str] | None = None,
        since: datetime | str | None = None,
        until: datetime | str | None = None,
        order: str | None = None,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> Page[HistoryEvent]:
        """One page of the organization's events (oldest first unless ``order="desc"``)."""
        params = _history_params(types, since, until, order, limit, cursor)
        request = call("GET", path(ORGS, org_id, "history"), answers.history, params=params)
        return await self._client.run(request)

    def history(
        self,
        org_id: str,
        *,
        types: Iterable[str] | None = None,
        since: datetime | str | None = None,
        until: datetime | str | None = None,
        order: str | None = None,
        limit: int | None = None,
    ) -> AsyncIterator[HistoryEvent]:
        """Every event of the organization that matches, page after page."""
        return _pages(
            lambda cursor: self.history_page(
                org_id,
                types=types,
                since=since,
                until=until,
                order=order,
                limit=limit,
                cursor=cursor,
            )
        )


class AsyncCurrentOrganization(_Resource):
    """The caller's own organization: the key's, or the one an admin names with
    ``X-Organization-Id`` (pass ``headers`` to the client)."""

    @overload
    async def get(self, *, if_none_match: None = None) -> Organization: ...

    @overload
    async def get(self, *, if_none_match: str | int) -> Organization | NotModified: ...

    async def get(self, *, if_none_match: str | int | None = None) -> Organization | NotModified:
        request = call(
            "GET",
            CURRENT,
            answers.organization_unless_not_modified,
            headers=_if_none_match(if_none_match),
        )
        return await self._client.run(request)

    async def update(
        self,
        *,
        if_match: str | int | None = None,
        idempotency_key: str | None = None,
        reason: str | None = None,
        **changes: Any,
    ) -> Organization:
        """As ``organizations.update`` on the current organization."""
        headers = write_headers(idempotency_key, reason, if_match)
        request = call(
            "PATCH", CURRENT, answers.organization, body=fields(changes), headers=headers
        )
        return await self._client.run(request)

    async def replace(
        self,
        *,
        if_match: str | int | None = None,
        idempotency_key: str | None = None,
        reason: str | None = None,
        **changes: Any,
    ) -> Organization:
        """As ``organizations.replace`` on the current organization."""
        headers = write_headers(idempotency_key, reason, if_match)
        request = call("PUT", CURRENT, answers.organization, body=fields(changes), headers=headers)
        return await self._client.run(request)

    async def replace_at_collection(
        self,
        *,
        if_match: str | int | None = None,
        idempotency_key: str | None = None,
        reason: str | None = None,
        **changes: Any,
    ) -> Organization:
        """``replace``, in seed 000's form (``PUT /api/v1/organizations``)."""
        headers = write_headers(idempotency_key, reason, if_match)
        request = call("PUT", ORGS, answers.organization, body=fields(changes), headers=headers)
        return await self._client.run(request)

    async def history_page(
        self,
        *,
        types: Iterable[str] | None = None,
        since: datetime | str | None = None,
        until: datetime | str | None = None,
        order: str | None = None,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> Page[HistoryEvent]:
        params = _history_params(types, since, until, order, limit, cursor)
        request = call("GET", f"{CURRENT}/history", answers.history, params=params)
        return await self._client.run(request)

    def history(
        self,
        *,
        types: Iterable[str] | None = None,
        since: datetime | str | None = None,
        until: datetime | str | None = None,
        order: str | None = None,
        limit: int | None = None,
    ) -> AsyncIterator[HistoryEvent]:
        """Every event of the current organization that matches, page after page."""
        return _pages(
            lambda cursor: self.history_page(
                types=types, since=since, until=until, order=order, limit=limit, cursor=cursor
            )
        )


class AsyncApiKeys(_Resource):
    """An organization's secret keys (admin only)."""

    async def issue(
        self,
        org_id: str,
        *,
        name: str | None = None,
        expires_at: datetime | str | None = None,
        idempotency_key: str | None = None,
        reason: str | None = None,
    ) -> IssuedApiKey:
        """A new key; its ``secret`` is in this answer only."""
        body = fields({"name": name or UNSET, "expires_at": expires_at or UNSET})
        request = call(
            "POST",
            path(ORGS, org_id, "api-keys"),
            answers.issued_api_key,
            body=body,
            headers=write_headers(idempotency_key, reason),
        )
        return await self._client.run(request)

    async def list(self, org_id: str) -> builtins.list[ApiKey]:
        """Every key, oldest first, revoked ones included (never a secret)."""
        request = call("GET", path(ORGS, org_id, "api-keys"), answers.api_keys)
        return await self._client.run(request)

    async def revoke(
        self,
        org_id: str,
        key_id: str,
        *,
        idempotency_key: str | None = None,
        reason: str | None = None,
    ) -> ApiKey:
        request = call(
            "DELETE",
            path(ORGS, org_id, "api-keys", key_id),
            answers.api_key,
            headers=write_headers(idempotency_key, reason),
        )
        return await self._client.run(request)


class AsyncMembers(_Resource):
    """An organization's members and their permissions."""

    async def add(
        self,
        org_id: str,
        *,
        user_id: str,
        email: str,
        roles: Iterable[str] | None = None,
        metadata: Mapping[str, str] | None = None,
        idempotency_key: str | None = None,
        reason: str | None = None,
    ) -> Member:
        """Add an active member (roles ``["member"]`` unless given)."""
        body = _member_body(user_id, email, roles, metadata)
        request = call(
            "POST",
            path(ORGS, org_id, "members"),
            answers.member,
            body=body,
            headers=write_headers(idempotency_key, reason),
        )
        return await self._client.run(request)

    async def add_many(
        self,
        org_id: str,
        members: Iterable[Mapping[str, Any]],
        *,
        idempotency_key: str | None = None,
        reason: str | None = None,
    ) -> builtins.list[Member]:
        """Add 1 to 1,000 members in one transaction, all or none; each is a mapping of
        ``user_id``, ``email`` and optional ``roles`` and ``metadata``."""
        body = {"members": [fields(member) for member in members]}
        request = call(
            "POST",
            path(ORGS, org_id, "members", "bulk"),
            answers.members_added,
            body=body,
            headers=write_headers(idempotency_key, reason),
        )
        return await self._client.run(request)

    async def get(self, org_id: str, user_id: str) -> Member:
        """One active or inactive member."""
        request = call("GET", path(ORGS, org_id, "members", user_id), answers.member)
        return await self._client.run(request)

    async def update(
        self,
        org_id: str,
        user_id: str,
        *,
        roles: Iterable[str] | None = None,
        status: str | None = None,
        metadata: Mapping[str, str] | None = None,
        idempotency_key: str | None = None,
        reason: str | None = None,
    ) -> Member:
        """Change the member's roles, status (``inactive``, ``active``) or metadata (those
        given; ``None`` leaves one as it is)."""
        changes = {"roles": roles, "status": status, "metadata": metadata}
        body = {
            k: builtins.list(v) if k == "roles" else v for k, v in changes.items() if v is not None
        }
        request = call(
            "PATCH",
            path(ORGS, org_id, "members", user_id),
            answers.member,
            body=fields(body),
            headers=write_headers(idempotency_key, reason),
        )
        return await self._client.run(request)

    async def remove(
        self,
        org_id: str,
        user_id: str,
        *,
        idempotency_key: str | None = None,
        reason: str | None = None,
    ) -> Member:
        request = call(
            "DELETE",
            path(ORGS, org_id, "members", user_id),
            answers.member,
            headers=write_headers(idempotency_key, reason),
        )
        return await self._client.run(request)

    async def permissions(
        self, org_id: str, user_id: str, *, as_of: datetime | str | None = None
    ) -> MemberPermissions:
        """The member's effective permissions now (or as they were at ``as_of``)."""
        request = call(
            "GET",
            path(ORGS, org_id, "members", user_id, "permissions"),
            answers.permissions,
            params=query(as_of=as_of),
        )
        return await self._client.run(request)

    async def check(
        self, org_id: str, user_id: str, permission: str, *, as_of: datetime | str | None = None
    ) -> PermissionCheck:
        """Whether the member may ``permission`` (``allowed``; if not, ``reason`` says why)."""
        request = call(
            "GET",
            path(ORGS, org_id, "members", user_id, "permissions", permission),
            answers.permission_check,
            params=query(as_of=as_of),
        )
        return await self._client.run(request)

    async def page(
        self,
        org_id: str,
        *,
        status: str | None = None,
        role: str | None = None,
        email: str | None = None,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> Page[Member]:
        """One page of members, oldest first."""
        params = query(status=status, role=role, email=email, limit=limit, cursor=cursor)
        request = call("GET", path(ORGS, org_id, "members"), answers.members, params=params)
        return await self._client.run(request)

    def list(
        self,
        org_id: str,
        *,
        status: str | None = None,
        role: str | None = None,
        email: str | None = None,
        limit: int | None = None,
    ) -> AsyncIterator[Member]:
        """Every member that matches (without ``status``: all but removed ones)."""
        return _pages(
            lambda cursor: self.page(
                org_id, status=status, role=role, email=email, limit=limit, cursor=cursor
            )
        )


class AsyncInvitations(_Resource):
    """Invitations to an organization."""

    async def create(
        self,
        org_id: str,
        *,
        email: str,
        roles: Iterable[str] | None = None,
        expires_in_days: int | None = None,
        metadata: Mapping[str, str] | None = None,
        idempotency_key: str | None = None,
        reason: str | None = None,
    ) -> Invitation:
        """Invite ``email``; the answer's ``token`` is shown this once."""
        body = {
            "email": email,
            "roles": builtins.list(roles) if roles is not None else UNSET,
            "expires_in_days": expires_in_days if expires_in_days is not None else UNSET,
            "metadata": metadata if metadata is not None else UNSET,
        }
        request = call(
            "POST",
            path(ORGS, org_id, "invitations"),
            answers.invitation,
            body=fields(body),
            headers=write_headers(idempotency_key, reason),
        )
        return await self._client.run(request)

    async def resend(
        self,
        org_id: str,
        invitation_id: str,
        *,
        expires_in_days: int | None = None,
        idempotency_key: str | None = None,
        reason: str | None = None,
    ) -> Invitation:
        """A new token and expiry; the old token stops working."""
        body = {} if expires_in_days is None else {"expiresInDays": expires_in_days}
        request = call(
            "POST",
            path(ORGS, org_id, "invitations", invitation_id, "resend"),
            answers.invitation,
            body=body,
            headers=write_headers(idempotency_key, reason),
        )
        return await self._client.run(request)

    async def accept(
        self,
        org_id: str,
        invitation_id: str,
        *,
        token: str,
        user_id: str,
        idempotency_key: str | None = None,
        reason: str | None = None,
    ) -> Member:
        """Bind ``user_id`` to the invitation: the member becomes active."""
        request = call(
            "POST",
            path(ORGS, org_id, "invitations", invitation_id, "accept"),
            answers.member,
            body={"token": token, "userId": user_id},
            headers=write_headers(idempotency_key, reason),
        )
        return await self._client.run(request)

    async def revoke(
        self,
        org_id: str,
        invitation_id: str,
        *,
        idempotency_key: str | None = None,
        reason: str | None = None,
    ) -> Member:
        request = call(
            "DELETE",
            path(ORGS, org_id, "invitations", invitation_id),
            answers.member,
            headers=write_headers(idempotency_key, reason),
        )
        return await self._client.run(request)


class AsyncRoles(_Resource):
    """The built-in roles and an organization's own."""

    async def list(self, org_id: str) -> builtins.list[Role]:
        request = call("GET", path(ORGS, org_id, "roles"), answers.roles)
        return await self._client.run(request)

    async def define(
        self,
        org_id: str,
        key: str,
        *,
        name: str,
        permissions: Iterable[str],
        idempotency_key: str | None = None,
        reason: str | None = None,
    ) -> builtins.list[Role]:
        """Create or replace an own role; answers every role."""
        request = call(
            "PUT",
            path(ORGS, org_id, "roles", key),
            answers.roles,
            body={"name": name, "permissions": builtins.list(permissions)},
            headers=write_headers(idempotency_key, reason),
        )
        return await self._client.run(request)

    async def delete(
        self,
        org_id: str,
        key: str,
        *,
        idempotency_key: str | None = None,
        reason: str | None = None,
    ) -> builtins.list[Role]:
        """Delete an own role; answers the roles left."""
        request = call(
            "DELETE",
            path(ORGS, org_id, "roles", key),
            answers.roles,
            headers=write_headers(idempotency_key, reason),
        )
        return await self._client.run(request)


class AsyncUsers(_Resource):
    """Users by their userId (admin only)."""

    async def organizations_page(
        self,
        user_id: str,
        *,
        status: str | None = None,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> Page[Membership]:
        params = query(status=status, limit=limit, cursor=cursor)
        request = call(
            "GET",
            path(f"{API}/users", user_id, "organizations"),
            answers.memberships,
            params=params,
        )
        return await self._client.run(request)

    def organizations(
        self, user_id: str, *, status: str | None = None, limit: int | None = None
    ) -> AsyncIterator[Membership]:
        """The organizations ``user_id`` belongs to, oldest membership first."""
        return _pages(
            lambda cursor: self.organizations_page(
                user_id, status=status, limit=limit, cursor=cursor
            )
        )


class AsyncSignedInUser(_Resource):
    """The signed-in user (the client's token is their JWT)."""

    async def get(self) -> Me:
        return await self._client.run(call("GET", f"{API}/me", answers.me))

    async def organizations_page(
        self, *, limit: int | None = None, cursor: str | None = None
    ) -> Page[Membership]:
        params = query(limit=limit, cursor=cursor)
        request = call("GET", f"{API}/me/organizations", answers.memberships, params=params)
        return await self._client.run(request)

    def organizations(self, *, limit: int | None = None) -> AsyncIterator[Membership]:
        """The user's organizations, with what their roles grant in each."""
        return _pages(lambda cursor: self.organizations_page(limit=limit, cursor=cursor))


class AsyncFeedFollower:
    """The change feed from a position on, event after event, long-polling when caught up.

    ``position`` is where reading resumes: every event up to it has been handed out (or,
    with ``types`` or ``region``, scanned and left out). Save an event's ``position`` once you
    have processed it and give it as ``after`` to ``events.follow`` after a restart: no event
    is missed or seen twice."""

    def __init__(
        self,
        events: AsyncEvents,
        after: int,
        options: dict[str, Any],
        stop_when_idle: bool,
    ) -> None:
        self.position = after
        self._events = events
        self._options = options
        self._stop_when_idle = stop_when_idle
        self._buffer: deque[FeedEvent] = deque()
        self._page_next = after

    def __aiter__(self) -> AsyncFeedFollower:
        return self

    async def __anext__(self) -> FeedEvent:
        while not self._buffer:
            page = await self._events.page(after=self.position, **self._options)
            self._buffer.extend(page.events)
            self._page_next = page.next
            if not page.events:
                self.position = max(self.position, page.next)
                if self._stop_when_idle:
                    raise StopAsyncIteration
        event = self._buffer.popleft()
        self.position = event.position
        if not self._buffer:
            self.position = max(event.position, self._page_next)
        return event


class AsyncEvents(_Resource):
    """The change feed: every organization's events in commit order (admin only)."""

    async def page(
        self,
        *,
        after: int | None = None,
        limit: int | None = None,
        types: Iterable[str] | None = None,
        region: str | None = None,
        wait: float | None = None,
    ) -> FeedPage:
        """The events after position ``after``; with ``wait``, an empty page is held open
        until an event arrives or ``wait`` seconds pass."""
        params = query(after=after, limit=limit, region=region, wait=wait)
        if types is not None:
            params["type"] = builtins.list(types)
        request = call("GET", f"{API}/events", answers.feed, params=params, wait=wait or 0.0)
        return await self._client.run(request)

    def follow(
        self,
        *,
        after: int = 0,
        wait: float = 30.0,
        types: Iterable[str] | None = None,
        region: str | None = None,
        limit: int | None = None,
        stop_when_idle: bool = False,
    ) -> AsyncFeedFollower:
        """Every event after ``after``, as it is recorded (forever, or until a page comes
        back empty with ``stop_when_idle``)."""
        options = {
            "wait": wait,
            "types": builtins.list(types) if types is not None else None,
            "region": region,
            "limit": limit,
        }
        return AsyncFeedFollower(self, after, options, stop_when_idle)


class _AsyncWebhookEndpoints(_Resource):
    """Webhook endpoints under ``prefix``: every organization's (admin), or one's."""

    async def _create(
        self, prefix: str, body: dict[str, Any], headers: Any
    ) -> IssuedWebhookEndpoint:
        request = call("POST", prefix, answers.issued_endpoint, body=body, headers=headers)
        return await self._client.run(request)

    async def _list(self, prefix: str) -> builtins.list[WebhookEndpoint]:
        return await self._client.run(call("GET", prefix, answers.endpoints))

    async def _get(self, prefix: str, endpoint_id: str) -> WebhookEndpoint:
        return await self._client.run(call("GET", path(prefix, endpoint_id), answers.endpoint))

    async def _update(
        self, prefix: str, endpoint_id: str, body: dict[str, Any], headers: Any
    ) -> WebhookEndpoint:
        request = call(
            "PATCH", path(prefix, endpoint_id), answers.endpoint, body=body, headers=headers
        )
        return await self._client.run(request)

    async def _delete(self, prefix: str, endpoint_id: str, headers: Any) -> WebhookEndpoint:
        request = call("DELETE", path(prefix, endpoint_id), answers.endpoint, headers=headers)
        return await self._client.run(request)

    async def _rotate(self, prefix: str, endpoint_id: str, headers: Any) -> IssuedWebhookEndpoint:
        request = call(
            "POST",
            path(prefix, endpoint_id, "rotate-secret"),
            answers.issued_endpoint,
            headers=headers,
        )
        return await self._client.run(request)

    async def _deliveries(
        self, prefix: str, endpoint_id: str, after: int, limit: int | None
    ) -> AsyncIterator[WebhookDelivery]:
        while True:
            request = call(
                "GET",
                path(prefix, endpoint_id, "deliveries"),
                answers.deliveries,
                params=query(after=after, limit=limit),
            )
            items, next_after = await self._client.run(request)
            for item in items:
                yield item
            if next_after is None or not items:
                return
            after = next_after

    async def _replay(
        self, prefix: str, endpoint_id: str, body: dict[str, Any], headers: Any
    ) -> WebhookReplay:
        request = call(
            "POST", path(prefix, endpoint_id, "replay"), answers.replay, body=body, headers=headers
        )
        return await self._client.run(request)


class AsyncWebhooks(_AsyncWebhookEndpoints):
    """Webhook endpoints, for the admin: every organization's events, or one's."""

    async def create(
        self,
        url: str,
        *,
        event_types: Iterable[str] | None = None,
        description: str | None = None,
        organization_id: str | None = None,
        idempotency_key: str | None = None,
        reason: str | None = None,
    ) -> IssuedWebhookEndpoint:
        """A new endpoint (all event types unless ``event_types``); its ``secret`` is in
        this answer only."""
        body = _endpoint_body(url, event_types, description, organization_id)
        return await self._create(WEBHOOKS, body, write_headers(idempotency_key, reason))

    async def list(self) -> builtins.list[WebhookEndpoint]:
        return await self._list(WEBHOOKS)

    async def get(self, endpoint_id: str) -> WebhookEndpoint:
        return await self._get(WEBHOOKS, endpoint_id)

    async def update(
        self,
        endpoint_id: str,
        *,
        url: str | None = None,
        event_types: Iterable[str] | None = UNSET,
        description: str | None = UNSET,
        enabled: bool | None = None,
        idempotency_key: str | None = None,
        reason: str | None = None,
    ) -> WebhookEndpoint:
        """Change what is given (``event_types=None``: every type from now on)."""
        body = _endpoint_changes(url, event_types, description, enabled)
        headers = write_headers(idempotency_key, reason)
        return await self._update(WEBHOOKS, endpoint_id, body, headers)

    async def delete(
        self, endpoint_id: str, *, idempotency_key: str | None = None, reason: str | None = None
    ) -> WebhookEndpoint:
        headers = write_headers(idempotency_key, reason)
        return await self._delete(WEBHOOKS, endpoint_id, headers)

    async def rotate_secret(
        self, endpoint_id: str, *, idempotency_key: str | None = None, reason: str | None = None
    ) -> IssuedWebhookEndpoint:
        """A new secret; the previous one goes on signing for 24 hours."""
        return await self._rotate(WEBHOOKS, endpoint_id, write_headers(idempotency_key, reason))

    def deliveries(
        self, endpoint_id: str, *, after: int = 0, limit: int | None = None
    ) -> AsyncIterator[WebhookDelivery]:
        """Each event's delivery to the endpoint, by position, page after page."""
        return self._deliveries(WEBHOOKS, endpoint_id, after, limit)

    async def replay(
        self,
        endpoint_id: str,
        *,
        from_position: int | None = None,
        from_time: datetime | str | None = None,
        idempotency_key: str | None = None,
        reason: str | None = None,
    ) -> WebhookReplay:
        """Deliver again every event from ``from_position`` or ``from_time`` on (from the
        first event when neither is given; at most 10,000 per call)."""
        body = _replay_body(from_position, from_time)
        headers = write_headers(idempotency_key, reason)
        return await self._replay(WEBHOOKS, endpoint_id, body, headers)


class AsyncOrganizationWebhooks(_AsyncWebhookEndpoints):
    """One organization's webhook endpoints (its key, or a member with ``webhooks:write``)."""

    async def create(
        self,
        org_id: str,
        url: str,
        *,
        event_types: Iterable[str] | None = None,
        description: str | None = None,
        idempotency_key: str | None = None,
        reason: str | None = None,
    ) -> IssuedWebhookEndpoint:
        body = _endpoint_body(url, event_types, description, None)
        headers = write_headers(idempotency_key, reason)
        return await self._create(_org_hooks(org_id), body, headers)

    async def list(self, org_id: str) -> builtins.list[WebhookEndpoint]:
        return await self._list(_org_hooks(org_id))

    async def get(self, org_id: str, endpoint_id: str) -> WebhookEndpoint:
        return await self._get(_org_hooks(org_id), endpoint_id)

    async def update(
        self,
        org_id: str,
        endpoint_id: str,
        *,
        url: str | None = None,
        event_types: Iterable[str] | None = UNSET,
        description: str | None = UNSET,
        enabled: bool | None = None,
        idempotency_key: str | None = None,
        reason: str | None = None,
    ) -> WebhookEndpoint:
        body = _endpoint_changes(url, event_types, description, enabled)
        headers = write_headers(idempotency_key, reason)
        return await self._update(_org_hooks(org_id), endpoint_id, body, headers)

    async def delete(
        self,
        org_id: str,
        endpoint_id: str,
        *,
        idempotency_key: str | None = None,
        reason: str | None = None,
    ) -> WebhookEndpoint:
        headers = write_headers(idempotency_key, reason)
        return await self._delete(_org_hooks(org_id), endpoint_id, headers)

    async def rotate_secret(
        self,
        org_id: str,
        endpoint_id: str,
        *,
        idempotency_key: str | None = None,
        reason: str | None = None,
    ) -> IssuedWebhookEndpoint:
        headers = write_headers(idempotency_key, reason)
        return await self._rotate(_org_hooks(org_id), endpoint_id, headers)

    def deliveries(
        self, org_id: str, endpoint_id: str, *, after: int = 0, limit: int | None = None
    ) -> AsyncIterator[WebhookDelivery]:
        return self._deliveries(_org_hooks(org_id), endpoint_id, after, limit)

    async def replay(
        self,
        org_id: str,
        endpoint_id: str,
        *,
        from_position: int | None = None,
        from_time: datetime | str | None = None,
        idempotency_key: str | None = None,
        reason: str | None = None,
    ) -> WebhookReplay:
        body = _replay_body(from_position, from_time)
        headers = write_headers(idempotency_key, reason)
        return await self._replay(_org_hooks(org_id), endpoint_id, body, headers)


class AsyncHealthEndpoints(_Resource):
    """The process's liveness, readiness and metrics (no credentials needed)."""

    async def live(self) -> Health:
        return await self._client.run(call("GET", "/healthz", answers.health))

    async def ready(self) -> Health:
        """Ready, or ``NotReadyError`` (asked once: a probe is not retried)."""
        return await self._client.run(call("GET", "/readyz", answers.health, retry=NO_RETRY))

    async def metrics(self) -> str:
        """The Prometheus exposition of this process's metrics."""
        return await self._client.run(call("GET", "/metrics", answers.text))


class AsyncSnapshots(_Resource):
    """Everything the caller may see at one change-feed position: ``getSnapshot``."""

    async def get(self, organization_id: str | None = None) -> list[dict[str, Any]]:
        """The snapshot's lines: ``start`` (its ``position``), one ``organization`` line each
        (the organization, its roles and members), ``end``. Follow the feed from
        ``position`` to keep up (``tenant_registry_client.cache`` does)."""
        params = query(organization_id=organization_id)
        snapshot = call(
            "GET", "/api/v1/snapshot", answers.snapshot, params=params, wait=SNAPSHOT_WAIT
        )
        return await self._client.run(snapshot)


def _if_none_match(value: str | int | None) -> dict[str, str | None]:
    return {"If-None-Match": etag(value) if value is not None else None}


def _history_params(
    types: Iterable[str] | None,
    since: datetime | str | None,
    until: datetime | str | None,
    order: str | None,
    limit: int | None,
    cursor: str | None,
) -> dict[str, Any]:
    params = query(since=since, until=until, order=order, limit=limit, cursor=cursor)
    if types is not None:
        params["type"] = builtins.list(types)
    return params


def _member_body(
    user_id: str, email: str, roles: Iterable[str] | None, metadata: Mapping[str, str] | None
) -> dict[str, Any]:
    body: dict[str, Any] = {"userId": user_id, "email": email}
    if roles is not None:
        body["roles"] = builtins.list(roles)
    if metadata is not None:
        body["metadata"] = dict(metadata)
    return body


def _endpoint_body(
    url: str,
    event_types: Iterable[str] | None,
    description: str | None,
    organization_id: str | None,
) -> dict[str, Any]:
    body: dict[str, Any] = {"url": url}
    if event_types is not None:
        body["eventTypes"] = builtins.list(event_types)
    if description is not None:
        body["description"] = description
    if organization_id is not None:
        body["organizationId"] = organization_id
    return body


def _endpoint_changes(
    url: str | None, event_types: Any, description: Any, enabled: bool | None
) -> dict[str, Any]:
    changes = {
        "url": url if url is not None else UNSET,
        "event_types": builtins.list(event_types) if event_types not in (None, UNSET) else None,
        "description": description,
        "enabled": enabled if enabled is not None else UNSET,
    }
    if event_types is UNSET:
        changes["event_types"] = UNSET
    return fields(changes)


def _replay_body(from_position: int | None, from_time: datetime | str | None) -> dict[str, Any]:
    if from_time is not None:
        return {"fromTime": iso(from_time)}
    return {"fromPosition": from_position or 1}


def _org_hooks(org_id: str) -> str:
    return path(ORGS, org_id, "webhook-endpoints")

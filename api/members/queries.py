"""Read-side answers about members, assembled from the membership read model."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.concurrency import run_in_threadpool

from api.http.paging import after_cursor, next_cursor
from api.members.schemas import (
    Me,
    MemberPermissions,
    MemberPublic,
    MembersPage,
    MyMembership,
    MyOrganizationsPage,
    PermissionCheck,
    UserMembership,
    UserOrganizationsPage,
)
from api.organizations.queries import organization_now
from domain.errors import MemberNotFoundError, OrganizationNotFoundError
from domain.members.access import refusal
from domain.members.membership import ACTIVE
from domain.members.roles import role_permissions
from projections.records import MemberQuery, UserMembershipQuery

if TYPE_CHECKING:
    from datetime import datetime
    from uuid import UUID

    from api.http.identity import Identity
    from application.registry import OrganizationRegistry
    from projections.queries import ReadModelQueries


def members_page(
    read_model: ReadModelQueries,
    org_id: UUID,
    limit: int,
    cursor: str | None,
    status: str | None,
    role: str | None,
    email: str | None,
) -> MembersPage:
    organization_now(read_model, org_id)  # Not found: 404, not an empty list.
    query = MemberQuery(org_id, limit + 1, status, role, email, after_cursor(cursor))
    rows = read_model.list_members(query)
    return MembersPage(
        organization_id=org_id,
        members=[MemberPublic(**row) for row in rows[:limit]],
        next_cursor=next_cursor(rows, limit),
    )


def user_organizations_page(
    read_model: ReadModelQueries,
    user_id: str,
    limit: int,
    cursor: str | None,
    status: str | None,
) -> UserOrganizationsPage:
    rows = _user_rows(read_model, user_id, limit, cursor, status)
    return UserOrganizationsPage(
        user_id=user_id,
        memberships=[_user_membership(member, org) for member, org in rows[:limit]],
        next_cursor=next_cursor([member for member, _ in rows], limit),
    )


def _user_rows(
    read_model: ReadModelQueries, user_id: str, limit: int, cursor: str | None, status: str | None
) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """A page of the user's memberships with their organizations (one more than ``limit``,
    to tell whether there is a next page)."""
    query = UserMembershipQuery(user_id, limit + 1, status, after_cursor(cursor))
    return read_model.user_memberships(query)


def _user_membership(member: dict[str, Any], org: dict[str, Any]) -> UserMembership:
    return UserMembership(
        organization_id=org["id"],
        organization_name=org["name"],
        organization_slug=org["slug"],
        organization_status=org["status"],
        member=MemberPublic(**member),
    )


def member_now(read_model: ReadModelQueries, org_id: UUID, user_id: str) -> dict[str, Any]:
    """An active or inactive member of the organization, from the read model."""
    organization_now(read_model, org_id)
    member = read_model.get_member(org_id, user_id)
    if member is None:
        raise MemberNotFoundError(user_id)
    return member


def member_permissions(
    read_model: ReadModelQueries,
    registry: OrganizationRegistry,
    org_id: UUID,
    user_id: str,
    as_of: datetime | None,
) -> MemberPermissions:
    """Now from the read model; at a past moment from the events (the organization's
    version then found through its history's time index)."""
    if as_of is None:
        org, member = organization_now(read_model, org_id), member_now(read_model, org_id, user_id)
        active = member["status"] == ACTIVE
        granted = role_permissions(member["roles"], org["roles"]) if active else []
    else:
        version = read_model.version_at(org_id, as_of)
        if version is None:
            raise OrganizationNotFoundError(org_id)
        answer = registry.member_permissions(org_id, user_id, as_of, version)
        member, granted = answer["member"], answer["permissions"]
    return MemberPermissions(
        organization_id=org_id,
        user_id=user_id,
        status=member["status"],
        roles=member["roles"],
        permissions=granted,
        as_of=as_of,
    )


def cached_refusal(
    read_model: ReadModelQueries, org_id: UUID, user_id: str, permission: str
) -> tuple[bool, str | None]:
    """Whether this process's cache holds the organization and the member, and if so why
    the user may not use ``permission`` (``None``: they may)."""
    org = read_model.cache.get(org_id)
    member = read_model.cache.get_member(org_id, user_id)
    if org is None or member is None:
        return False, None
    return True, refusal(org, member, permission)


def stored_refusal(
    read_model: ReadModelQueries, org_id: UUID, user_id: str, permission: str
) -> str | None:
    org = organization_now(read_model, org_id)
    return refusal(org, read_model.get_member(org_id, user_id), permission)


def past_refusal(
    read_model: ReadModelQueries,
    registry: OrganizationRegistry,
    org_id: UUID,
    user_id: str,
    permission: str,
    as_of: datetime,
) -> str | None:
    """As the organization and the member were at ``as_of`` (from the events)."""
    version = read_model.version_at(org_id, as_of)
    if version is None:
        raise OrganizationNotFoundError(org_id)
    org, member = registry.membership_at(org_id, user_id, as_of, version)
    return refusal(org, member, permission)


async def permission_check(
    read_model: ReadModelQueries,
    registry: OrganizationRegistry,
    org_id: UUID,
    check: tuple[str, str],
    as_of: datetime | None,
) -> PermissionCheck:
    """The hot path: from the in-process cache when it holds the organization and the
    member (no database read, no worker thread), else in a worker thread; as of a past
    moment from the events."""
    user_id, permission = check
    if as_of is not None:
        args = (read_model, registry, org_id, user_id, permission, as_of)
        reason = await run_in_threadpool(past_refusal, *args)
    else:
        cached, reason = cached_refusal(read_model, org_id, user_id, permission)
        if not cached:
            args2 = (read_model, org_id, user_id, permission)
            reason = await run_in_threadpool(stored_refusal, *args2)
    return PermissionCheck(
        organization_id=org_id,
        user_id=user_id,
        permission=permission,
        allowed=reason is None,
        reason=reason,
        as_of=as_of,
    )


USED_CLAIMS = ("iss", "aud", "sub", "email", "iat", "nbf", "exp")


def describe_user(user: Identity, user_claim: str, organization_claim: str | None) -> Me:
    names = {*USED_CLAIMS, user_claim, *([organization_claim] if organization_claim else [])}
    return Me(
        user_id=user.user_id,
        email=user.email,
        organization=user.organization,
        claims={k: v for k, v in user.claims.items() if k in names},
    )


def my_organizations_page(
    read_model: ReadModelQueries, user_id: str, limit: int, cursor: str | None
) -> MyOrganizationsPage:
    """The user's current memberships (active and inactive), each with what it grants."""
    rows = _user_rows(read_model, user_id, limit, cursor, None)
    memberships = [
        MyMembership(
            **vars(_user_membership(member, org)),
            permissions=role_permissions(member["roles"], org["roles"])
            if member["status"] == ACTIVE
            else [],
        )
        for member, org in rows[:limit]
    ]
    return MyOrganizationsPage(
        user_id=user_id,
        memberships=memberships,
        next_cursor=next_cursor([member for member, _ in rows], limit),
    )

"""What the member, invitation and role commands decide, given the organization.

Every membership change records, beside the membership's own event, an
``Organization.MembershipChanged`` event (the audit trail, and the organization's counts
and owner after the change), and claims or releases the member's email and user id; the
command pipeline saves them in one transaction. Two commands on one organization
therefore never both succeed on the same prior state: the second is refused by the store
and decided again on the first one's result, so the last-owner rule, the membership cap
and one membership per email and per user id hold under any concurrency.
"""

from __future__ import annotations

import hmac
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from domain.errors import (
    FieldProblem,
    InvitationExpiredError,
    MemberNotFoundError,
    MembershipLimitReachedError,
    RoleNotFoundError,
    ValidationError,
)
from domain.members.access import ensure_may_grant, ensure_may_grant_roles
from domain.members.membership import ACTIVE, INACTIVE, INVITED, REMOVED, Membership
from domain.members.roles import MAX_CUSTOM_ROLES
from domain.unique_keys import MEMBER_EMAILS, MEMBER_USERS, member_key

if TYPE_CHECKING:
    from uuid import UUID

    from domain.organizations.organization import Organization
    from domain.work import Work


def add(work: Work, org: Organization, values: dict[str, Any]) -> Membership:
    """A new active member (provisioned by an identity provider)."""
    ensure_may_grant_roles(values["roles"], org.roles)
    ensure_room(org)
    member = Membership(
        org.id, values["email"], values["user_id"], ACTIVE, values["roles"],
        values["metadata"], None, None,
    )  # fmt: skip
    _claim(work, org, MEMBER_EMAILS, member.email, member)
    _claim(work, org, MEMBER_USERS, values["user_id"], member)
    return _recorded(work, org, member, "added", None)


def update(work: Work, org: Organization, user_id: str, values: dict[str, Any]) -> Membership:
    """Change a member's status, roles or metadata (what is equal changes nothing)."""
    member = current(work, org.id, user_id)
    ensure_may_grant_roles([*member.roles, *values.get("roles", [])], org.roles)
    previous = member.summary()
    if "status" in values and values["status"] != member.status:
        if values["status"] == ACTIVE:
            ensure_room(org)
        member.change_status(values["status"])
    if "roles" in values and values["roles"] != member.roles:
        member.change_roles(values["roles"])
    if "metadata" in values and values["metadata"] != member.metadata:
        member.replace_metadata(values["metadata"])
    if not member.pending_events:
        return member
    return _recorded(work, org, member, "updated", previous)


def remove(work: Work, org: Organization, member: Membership, action: str) -> Membership:
    """A member removed or an invitation revoked: their email and user id are free again."""
    ensure_may_grant_roles(member.roles, org.roles)
    previous = member.summary()
    work.release(MEMBER_EMAILS, member_key(org.id, MEMBER_EMAILS, member.email))
    if member.user_id is not None:
        work.release(MEMBER_USERS, member_key(org.id, MEMBER_USERS, member.user_id))
    member.change_status(REMOVED)
    return _recorded(work, org, member, action, previous)


def invite(
    work: Work, org: Organization, values: dict[str, Any], token_hash: str, now: datetime
) -> Membership:
    """A pending invitation, holding a seat until it expires."""
    ensure_may_grant_roles(values["roles"], org.roles)
    ensure_room(org)
    expires_at = now + timedelta(days=values["days"])
    member = Membership(
        org.id, values["email"], None, INVITED, values["roles"], values["metadata"],
        token_hash, expires_at,
    )  # fmt: skip
    _claim(work, org, MEMBER_EMAILS, member.email, member)
    return _recorded(work, org, member, "invited", None)


def resend(
    work: Work, org: Organization, invitation_id: UUID, token_hash: str, expires_at: datetime
) -> Membership:
    """A new token and expiry for a pending invitation; the old token stops working."""
    member = invitation(work, org.id, invitation_id)
    ensure_may_grant_roles(member.roles, org.roles)  # A new token would let anyone accept.
    previous = member.summary()
    if _expired(previous["invitation_expires_at"], datetime.now(UTC)):
        ensure_room(org)  # An expired invitation held no seat.
    member.renew_invitation(token_hash, expires_at)
    return _recorded(work, org, member, "invitation_resent", previous)


def accept(
    work: Work, org: Organization, invitation_id: UUID, offered_hash: str, user_id: str
) -> Membership:
    """The invited person, now known by ``user_id``, becomes an active member."""
    member = invitation(work, org.id, invitation_id)
    if not hmac.compare_digest(offered_hash, member.invitation_hash or "-"):
        raise MemberNotFoundError(invitation_id)
    expires_at = member.invitation_expires_at
    if expires_at is not None and expires_at <= datetime.now(UTC):
        raise InvitationExpiredError(invitation_id)
    previous = member.summary()
    _claim(work, org, MEMBER_USERS, user_id, member)
    member.accept(user_id)
    return _recorded(work, org, member, "invitation_accepted", previous)


def define_role(org: Organization, key: str, role: dict[str, Any]) -> None:
    """Create or replace one of the organization's own roles."""
    replaced = org.roles.get(key, {"permissions": []})["permissions"]
    ensure_may_grant([*replaced, *role["permissions"]])
    if key not in org.roles and len(org.roles) >= MAX_CUSTOM_ROLES:
        message = f"an organization may have at most {MAX_CUSTOM_ROLES} roles"
        raise ValidationError([FieldProblem("key", message)])
    if key not in org.roles and key in org.role_keys:
        message = "was the key of a deleted role, which members may still hold"
        raise ValidationError([FieldProblem("key", message)])
    org.replace_roles({**org.roles, key: role})


def delete_role(org: Organization, key: str) -> None:
    """Delete one of the organization's own roles; members holding it keep its key, which
    grants nothing from then on (and is never given to another role)."""
    if key not in org.roles:
        raise RoleNotFoundError(key)
    ensure_may_grant(org.roles[key]["permissions"])
    org.replace_roles({k: v for k, v in org.roles.items() if k != key})


def current(work: Work, org_id: UUID, user_id: str) -> Membership:
    """The current membership of ``user_id`` (invited people have none yet)."""
    holder = work.holder(MEMBER_USERS, member_key(org_id, MEMBER_USERS, user_id))
    member = None if holder is None else work.membership(holder)
    if member is None or member.status not in (ACTIVE, INACTIVE):
        raise MemberNotFoundError(user_id)
    return member


def invitation(work: Work, org_id: UUID, invitation_id: UUID) -> Membership:
    """A pending invitation of this organization."""
    member = work.membership(invitation_id)
    if member is None or member.organization_id != org_id or member.status != INVITED:
        raise MemberNotFoundError(invitation_id)
    return member


def ensure_room(org: Organization) -> None:
    """Refuse one more counted membership when the cap is reached (invitations past their
    expiry do not hold a seat)."""
    limit = org.max_allowed_memberships
    if not limit:
        return
    now = datetime.now(UTC)
    pending = sum(1 for expires in org.pending.values() if not _expired(expires, now))
    if org.active_member_count + pending >= limit:
        raise MembershipLimitReachedError(limit)


def _claim(work: Work, org: Organization, kind: str, value: str, member: Membership) -> None:
    work.claim(kind, member_key(org.id, kind, value), member.id)


def _recorded(
    work: Work, org: Organization, member: Membership, action: str, previous: dict[str, Any] | None
) -> Membership:
    org.record_membership_change(member, action, previous)
    work.add(member)
    return member


def _expired(expires_at: str | None, now: datetime) -> bool:
    return expires_at is not None and datetime.fromisoformat(expires_at) <= now

"""The registry's commands for members, invitations, roles and account fields.

Every membership command saves, in one transaction, the membership's event, an
``Organization.MembershipChanged`` event (the audit trail, and the organization's counts
and owner after the change) and the unique keys it claims or releases. Two commands on
one organization therefore never both succeed on the same prior state: the second is
refused by the store and tried again on the first one's result, so the last-owner rule,
the membership cap and one membership per email and per user id hold under any
concurrency.
"""

from __future__ import annotations

import hmac
import secrets
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from eventsourcing.application import AggregateNotFoundError

from domain.commands import BulkWritten, IssuedInvitation, MemberWritten, Written
from domain.errors import (
    FieldProblem,
    InvitationExpiredError,
    LastOwnerError,
    MemberNotFoundError,
    MembershipLimitReachedError,
    RoleNotFoundError,
    ValidationError,
)
from domain.indexes import MEMBER_EMAILS, MEMBER_USERS, UniqueKey, member_key
from domain.keys import hash_secret
from domain.member_validation import (
    validate_days,
    validate_member_changes,
    validate_new_invitation,
    validate_new_member,
    validate_new_members,
    validate_role,
    validate_token,
    validate_user_id,
)
from domain.membership import (
    ACTIVE,
    INACTIVE,
    INVITATION_MARK,
    INVITED,
    REMOVED,
    Membership,
)
from domain.roles import MAX_CUSTOM_ROLES, check_role_key, role_permissions
from domain.rules import Problems

if TYPE_CHECKING:
    from collections.abc import Callable
    from uuid import UUID

    from domain.commands import MemberChanges, NewInvitation, NewMember
    from domain.organization import Organization

    MemberAct = Callable[
        [Organization], tuple[Membership, str, dict[str, Any] | None, list[UniqueKey]]
    ]
    """Acts on a membership of the organization: the membership (changed), what was done,
    the membership before (``None``: new), and the unique keys claimed or released."""


MAX_BULK = 1000
"""The most members one bulk add takes."""


def new_invitation_token() -> tuple[str, str]:
    """A new invitation token and its hash."""
    token = INVITATION_MARK + secrets.token_urlsafe(32)
    return token, hash_secret(token)


def _expired(expires_at: str | None, now: datetime) -> bool:
    return expires_at is not None and datetime.fromisoformat(expires_at) <= now


class MembershipCommands:
    """Mixed into ``OrganizationRegistry``: commands on an organization's people and roles."""

    if TYPE_CHECKING:
        repository: Any

        def _get(self, org_id: UUID, version: int | None = None) -> Organization: ...

        def _save(self, org: Organization, others: list[Any]) -> Written: ...

        def _claim(self, kind: str, key: str, holder: UUID) -> UniqueKey: ...

        @staticmethod
        def _first_claim(kind: str, key: str, holder: UUID) -> UniqueKey: ...

        def _release(self, kind: str, key: str) -> UniqueKey: ...

        def _holder(self, kind: str, key: str) -> UUID | None: ...

        def _retrying(self, attempt: Callable[[], Any]) -> Any: ...

    # Members

    def add_member(self, org_id: UUID, new: NewMember) -> MemberWritten:
        """Add a person as an active member (provisioned by an identity provider)."""

        def act(org: Organization) -> Any:
            member, keys = self._new_member(org, validate_new_member(new, org.roles))
            return member, "added", None, keys

        return self._member_change(org_id, act)

    def add_members(self, org_id: UUID, news: list[NewMember]) -> BulkWritten:
        """Add up to ``MAX_BULK`` people as active members, all or none, in one transaction
        (provisioning many at once, as a directory sync does)."""
        if not 1 <= len(news) <= MAX_BULK:
            message = f"must hold 1 to {MAX_BULK} members"
            raise ValidationError([FieldProblem("members", message)])
        attempts = 0

        def act(org: Organization) -> BulkWritten:
            nonlocal attempts
            attempts += 1
            values = validate_new_members(news, org.roles)
            added = []
            for value in values:
                # First as if no value were claimed (no reads); after a refusal, read the
                # claims, to name the one that is taken.
                member, keys = self._new_member(org, value, read=attempts > 1)
                self._record_member(org, member, "added", None)
                added.append((member, keys))
            written = self._save(org, [a for member, keys in added for a in (member, *keys)])
            return BulkWritten([member.details() for member, _ in added], written)

        return self._on_organization(org_id, act)  # type: ignore[no-any-return]

    def update_member(self, org_id: UUID, user_id: str, changes: MemberChanges) -> MemberWritten:
        """Change a member's roles, status (active or inactive) or metadata."""

        def act(org: Organization) -> Any:
            member = self._member(org.id, user_id)
            values = validate_member_changes(changes, org.roles)
            previous = member.summary()
            if "status" in values and values["status"] != member.status:
                if values["status"] == ACTIVE:
                    self._ensure_room(org)
                member.change_status(values["status"])
            if "roles" in values and values["roles"] != member.roles:
                member.change_roles(values["roles"])
            if "metadata" in values and values["metadata"] != member.metadata:
                member.replace_metadata(values["metadata"])
            return member, "updated", previous, []

        return self._member_change(org_id, act)

    def remove_member(self, org_id: UUID, user_id: str) -> MemberWritten:
        """Remove a member: their email and user id may join again later."""

        def act(org: Organization) -> Any:
            member = self._member(org.id, user_id)
            return self._remove(org, member, "removed")

        return self._member_change(org_id, act)

    # Invitations

    def invite_member(self, org_id: UUID, new: NewInvitation) -> IssuedInvitation:
        """Invite a person by email; the token is in the result only."""
        token, token_hash = new_invitation_token()

        def act(org: Organization) -> Any:
            values = validate_new_invitation(new, org.roles)
            self._ensure_room(org)
            expires_at = datetime.now(UTC) + timedelta(days=values["days"])
            member = Membership(
                org.id, values["email"], None, INVITED, values["roles"], values["metadata"],
                token_hash, expires_at,
            )  # fmt: skip
            keys = [self._member_claim(MEMBER_EMAILS, org.id, member.email, member.id)]
            return member, "invited", None, keys

        written = self._member_change(org_id, act)
        return IssuedInvitation(written.member, token, written.written)

    def resend_invitation(
        self, org_id: UUID, invitation_id: UUID, expires_in_days: Any = None
    ) -> IssuedInvitation:
        """A new token and expiry for a pending invitation; the old token stops working."""
        days = validate_days(expires_in_days)
        token, token_hash = new_invitation_token()

        def act(org: Organization) -> Any:
            member = self._invitation(org.id, invitation_id)
            previous = member.summary()
            if _expired(previous["invitation_expires_at"], datetime.now(UTC)):
                self._ensure_room(org)  # An expired invitation held no seat.
            member.renew_invitation(token_hash, datetime.now(UTC) + timedelta(days=days))
            return member, "invitation_resent", previous, []

        written = self._member_change(org_id, act)
        return IssuedInvitation(written.member, token, written.written)

    def revoke_invitation(self, org_id: UUID, invitation_id: UUID) -> MemberWritten:
        def act(org: Organization) -> Any:
            member = self._invitation(org.id, invitation_id)
            return self._remove(org, member, "invitation_revoked")

        return self._member_change(org_id, act)

    def accept_invitation(
        self, org_id: UUID, invitation_id: UUID, token: Any, user_id: Any
    ) -> MemberWritten:
        """Bind the invited person's user id; they become an active member."""
        checked_user_id = validate_user_id(user_id)
        offered = hash_secret(validate_token(token))

        def act(org: Organization) -> Any:
            member = self._invitation(org.id, invitation_id)
            if not hmac.compare_digest(offered, member.invitation_hash or "-"):
                raise MemberNotFoundError(invitation_id)
            expires_at = member.invitation_expires_at
            if expires_at is not None and expires_at <= datetime.now(UTC):
                raise InvitationExpiredError(invitation_id)
            previous = member.summary()
            key = self._member_claim(MEMBER_USERS, org.id, checked_user_id, member.id)
            member.accept(checked_user_id)
            return member, "invitation_accepted", previous, [key]

        return self._member_change(org_id, act)

    # Roles

    def define_role(self, org_id: UUID, key: Any, name: Any, permissions: Any) -> Written:
        """Create or replace one of the organization's own roles."""
        problems = Problems()
        checked_key = problems.check("key", check_role_key, key)
        problems.raise_if_any()
        role = validate_role(name, permissions)

        def act(org: Organization) -> Written:
            if checked_key not in org.roles and len(org.roles) >= MAX_CUSTOM_ROLES:
                message = f"an organization may have at most {MAX_CUSTOM_ROLES} roles"
                raise ValidationError([FieldProblem("key", message)])
            if checked_key not in org.roles and checked_key in org.role_keys:
                message = "was the key of a deleted role, which members may still hold"
                raise ValidationError([FieldProblem("key", message)])
            org.replace_roles({**org.roles, checked_key: role})
            return self._save(org, [])

        return self._on_organization(org_id, act)  # type: ignore[no-any-return]

    def delete_role(self, org_id: UUID, key: str) -> Written:
        """Delete one of the organization's own roles; members holding it keep its key,
        which grants nothing from then on (and is never given to another role)."""

        def act(org: Organization) -> Written:
            if key not in org.roles:
                raise RoleNotFoundError(key)
            org.replace_roles({k: v for k, v in org.roles.items() if k != key})
            return self._save(org, [])

        return self._on_organization(org_id, act)  # type: ignore[no-any-return]

    # Queries from the event store (the read models answer the frequent ones)

    def member_details(self, org_id: UUID, user_id: str) -> dict[str, Any]:
        self._get(org_id)
        return self._member(org_id, user_id).details()

    def member_permissions(
        self, org_id: UUID, user_id: str, as_of: datetime | None = None, version: int | None = None
    ) -> dict[str, Any]:
        """A member's status, roles and effective permissions, now or at ``as_of`` (with
        the organization at ``version``, its version then)."""
        org = self._get(org_id, version)
        if as_of is None:
            member = self._member(org_id, user_id).summary()
        else:
            member = self._member_at(org_id, user_id, as_of)
        granted = role_permissions(member["roles"], org.roles) if member["status"] == ACTIVE else []
        return {"member": member, "permissions": granted}

    # Helpers

    def _member_at(self, org_id: UUID, user_id: str, moment: datetime) -> dict[str, Any]:
        """The membership of ``user_id`` as it was at ``moment``: the user id's key as it
        was then names the membership, folded from its events up to then."""
        key_id = UniqueKey.create_id(MEMBER_USERS, member_key(org_id, MEMBER_USERS, user_id))
        key = self._folded_until(key_id, moment)
        holder = None if key is None else key.organization_id
        member = None if holder is None else self._folded_until(holder, moment)
        if not isinstance(member, Membership) or member.status not in (ACTIVE, INACTIVE):
            raise MemberNotFoundError(user_id)
        summary: dict[str, Any] = member.summary()
        return summary

    def _folded_until(self, aggregate_id: UUID, moment: datetime) -> Any:
        aggregate = None
        for recorded in self.repository.event_store.get(aggregate_id):
            if recorded.timestamp > moment:
                break
            aggregate = recorded.mutate(aggregate)
        return aggregate

    def _new_member(
        self, org: Organization, values: dict[str, Any], *, read: bool = True
    ) -> tuple[Membership, list[UniqueKey]]:
        """A new active membership (room for it ensured) and the claims of its email and
        user id (see ``_member_claim`` for ``read``)."""
        self._ensure_room(org)
        member = Membership(
            org.id, values["email"], values["user_id"], ACTIVE, values["roles"],
            values["metadata"], None, None,
        )  # fmt: skip
        keys = [
            self._member_claim(MEMBER_EMAILS, org.id, member.email, member.id, read=read),
            self._member_claim(MEMBER_USERS, org.id, values["user_id"], member.id, read=read),
        ]
        return member, keys

    def _ensure_room(self, org: Organization) -> None:
        """Refuse one more counted membership when the cap is reached (invitations past
        their expiry do not hold a seat)."""
        limit = org.max_allowed_memberships
        if not limit:
            return
        now = datetime.now(UTC)
        pending = sum(1 for expires in org.pending.values() if not _expired(expires, now))
        if org.active_member_count + pending >= limit:
            raise MembershipLimitReachedError(limit)

    def _remove(self, org: Organization, member: Membership, action: str) -> Any:
        previous = member.summary()
        keys = [self._member_release(MEMBER_EMAILS, org.id, member.email)]
        if member.user_id is not None:
            keys.append(self._member_release(MEMBER_USERS, org.id, member.user_id))
        member.change_status(REMOVED)
        return member, action, previous, keys

    def _member_claim(
        self, kind: str, org_id: UUID, value: str, member_id: UUID, *, read: bool = True
    ) -> UniqueKey:
        """Claim a member's email or user id; without ``read``, as if nobody held it (no
        read: the store refuses a claim that exists)."""
        claim = self._claim if read else self._first_claim
        return claim(kind, member_key(org_id, kind, value), member_id)

    def _member_release(self, kind: str, org_id: UUID, value: str) -> UniqueKey:
        return self._release(kind, member_key(org_id, kind, value))

    def _member(self, org_id: UUID, user_id: str) -> Membership:
        """The current membership of ``user_id`` (invited ones have none yet)."""
        holder = self._holder(MEMBER_USERS, member_key(org_id, MEMBER_USERS, user_id))
        member = None if holder is None else self._membership(holder)
        if member is None or member.status not in (ACTIVE, INACTIVE):
            raise MemberNotFoundError(user_id)
        return member

    def _invitation(self, org_id: UUID, invitation_id: UUID) -> Membership:
        member = self._membership(invitation_id)
        if member is None or member.organization_id != org_id or member.status != INVITED:
            raise MemberNotFoundError(invitation_id)
        return member

    def _membership(self, member_id: UUID) -> Membership | None:
        try:
            member = self.repository.get(member_id)
        except AggregateNotFoundError:
            return None
        return member if isinstance(member, Membership) else None

    def _member_change(self, org_id: UUID, act: MemberAct) -> MemberWritten:
        def attempt(org: Organization) -> MemberWritten:
            member, action, previous, keys = act(org)
            if not member.pending_events:  # Nothing changes: nothing is recorded.
                return MemberWritten(member.details(), Written(org.details(), None))
            self._record_member(org, member, action, previous)
            written = self._save(org, [member, *keys])
            return MemberWritten(member.details(), written)

        return self._on_organization(org_id, attempt)  # type: ignore[no-any-return]

    @staticmethod
    def _record_member(
        org: Organization, member: Membership, action: str, previous: dict[str, Any] | None
    ) -> None:
        """Record on the organization what happened to one of its memberships, refusing
        a change that leaves it without an active owner."""
        summary = member.summary()
        after = org.after_membership_change(member.id, previous, summary)
        if org.owners and not after["owners"]:
            raise LastOwnerError(org.id)
        org.record_membership_change(
            member_id=member.id,
            action=action,
            member=summary,
            previous=previous,
            owner=after["owner"],
            active_member_count=after["active_member_count"],
            pending_member_count=after["pending_member_count"],
            member_created_at=member.created_on,
            member_updated_at=member.modified_on,
        )

    def _on_organization(self, org_id: UUID, act: Callable[[Organization], Any]) -> Any:
        """Load the organization and act on it; on a clash with another writer, again."""
        return self._retrying(lambda: act(self._get(org_id)))

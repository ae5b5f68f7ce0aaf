"""The Membership aggregate: one person's place in one organization, from invitation to
removal.

A membership ties an organization to a person known to an identity provider: their
``user_id`` (the provider's id; unknown while only invited) and their ``email``. Its
audit trail is the organization's: every change to a membership is recorded together
with an ``Organization.MembershipChanged`` event, in one transaction, so the
organization's history, change feed and member counts always agree with its members.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

if TYPE_CHECKING:
    from datetime import datetime

INVITED, ACTIVE, INACTIVE, REMOVED = "invited", "active", "inactive", "removed"
MEMBER_STATUSES = (INVITED, ACTIVE, INACTIVE, REMOVED)

INVITATION_MARK = "inv_"
"""The marker every invitation token starts with."""
INVITATION_DAYS_DEFAULT, INVITATION_DAYS_MIN, INVITATION_DAYS_MAX = 7, 1, 30


def new_invitation_token() -> str:
    """A new invitation token (only its hash is ever recorded)."""
    return INVITATION_MARK + secrets.token_urlsafe(32)


class Membership(Aggregate):
    """One person in one organization. ``invitation_hash`` is the SHA-256 of the
    invitation's token while it is pending; the token itself is never recorded."""

    def __init__(
        self,
        organization_id: UUID,
        email: str,
        user_id: str | None,
        status: str,
        roles: list[str],
        metadata: dict[str, str],
        invitation_hash: str | None,
        invitation_expires_at: datetime | None,
    ) -> None:
        self.organization_id = organization_id
        self.email = email
        self.user_id = user_id
        self.status = status
        self.roles = roles
        self.metadata = metadata
        self.invitation_hash = invitation_hash
        self.invitation_expires_at = invitation_expires_at

    @event("InvitationAccepted")
    def accept(self, user_id: str) -> None:
        self.user_id = user_id
        self.status = ACTIVE
        self.invitation_hash = None
        self.invitation_expires_at = None

    @event("InvitationRenewed")
    def renew_invitation(self, invitation_hash: str, invitation_expires_at: datetime) -> None:
        self.invitation_hash = invitation_hash
        self.invitation_expires_at = invitation_expires_at

    @event("RolesChanged")
    def change_roles(self, roles: list[str]) -> None:
        self.roles = roles

    @event("StatusChanged")
    def change_status(self, status: str) -> None:
        self.status = status
        if status != INVITED:
            self.invitation_hash = None
            self.invitation_expires_at = None

    @event("MetadataUpdated")
    def replace_metadata(self, metadata: dict[str, str]) -> None:
        self.metadata = metadata

    @property
    def is_owner(self) -> bool:
        """An active member holding the owner role."""
        return self.status == ACTIVE and "owner" in self.roles

    def details(self) -> dict[str, Any]:
        """The membership as it leaves the domain (no invitation hash)."""
        return member_details(self.id, self.summary(), self.created_on, self.modified_on)

    def summary(self) -> dict[str, Any]:
        """What its organization's history records of it."""
        expires = self.invitation_expires_at
        return {
            "organization_id": str(self.organization_id),
            "user_id": self.user_id,
            "email": self.email,
            "status": self.status,
            "roles": list(self.roles),
            "metadata": dict(self.metadata),
            "invitation_expires_at": None if expires is None else expires.isoformat(),
        }


MEMBER_FIELDS = (
    "organization_id",
    "user_id",
    "email",
    "status",
    "roles",
    "metadata",
    "invitation_expires_at",
)


def member_details(
    member_id: Any, state: dict[str, Any], created_at: Any, updated_at: Any
) -> dict[str, Any]:
    """The one shape in which a membership leaves the domain (aggregate or read model)."""
    return {
        "id": member_id,
        "organization_id": UUID(str(state["organization_id"])),
        **{f: state.get(f) for f in MEMBER_FIELDS if f != "organization_id"},
        "created_at": created_at,
        "updated_at": updated_at,
    }

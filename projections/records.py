"""What the read model's queries take and give, the same on every store.

One projection keeps four tables in step, each batch of events in one transaction with its
tracking position: organizations (lookup and listing), their API keys, their history
(audit, time index and change feed), and their memberships.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from datetime import datetime
    from uuid import UUID

APPLICATION_NAME = "OrganizationRegistry"
"""The name the read model's tracking records its position under."""


@dataclass(frozen=True)
class ListQuery:
    limit: int = 20
    status: str | None = None
    """``None`` lists every organization that is not archived."""
    q: str | None = None
    """Case-insensitive prefix of the name or the slug."""
    external_id: str | None = None
    after: tuple[datetime, UUID] | None = None
    """Keyset cursor: list what comes after this (created_at, id), newest first."""
    region: str | None = None


@dataclass(slots=True)
class HistoryEntry:
    """One organization event as its audit history shows it. (Not frozen: a rebuild makes
    one per event, and a frozen dataclass takes more than twice as long to make.)"""

    position: int
    """The event's position in the event store: the change feed's order."""
    organization_id: UUID
    version: int
    type: str
    occurred_at: datetime
    actor: dict[str, Any]
    request_id: str | None
    reason: str | None
    changes: dict[str, dict[str, Any]] = field(default_factory=dict)
    """``{path: {"from": old, "to": new}}``; for the organization's own fields the read
    model works it out from the row it updates."""
    region: str | None = None
    """The region the organization was in once the event was recorded (a move: the region
    it entered); what a region's change feed filters on. ``None`` in a row written before
    read model version 6, until the rebuild that follows an upgrade writes it."""


@dataclass(frozen=True)
class HistoryQuery:
    organization_id: UUID
    limit: int = 20
    after_version: int | None = None
    """Keyset cursor: the last version of the previous page."""
    descending: bool = False
    types: tuple[str, ...] = ()
    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True)
class MemberQuery:
    organization_id: UUID
    limit: int = 20
    status: str | None = None
    """``None`` lists every membership that is not removed (invitations too)."""
    role: str | None = None
    email: str | None = None
    """Case-insensitive prefix of the email."""
    after: tuple[datetime, UUID] | None = None
    """Keyset cursor: list what comes after this (created_at, id), oldest first."""


@dataclass(frozen=True)
class UserMembershipQuery:
    user_id: str
    limit: int = 20
    status: str | None = None
    """``None``: every membership that is not removed."""
    after: tuple[datetime, UUID] | None = None


@dataclass(frozen=True)
class KeyCredential:
    """What a request's key check needs: the key's state and its organization's status."""

    key_id: UUID
    organization_id: UUID
    secret_hash: str
    expires_at: datetime | None
    revoked_at: datetime | None
    organization_status: str


@dataclass(frozen=True)
class SnapshotEntry:
    """One organization in a snapshot, with its memberships that are not removed (oldest
    first), as the read model held them at the snapshot's position."""

    organization: dict[str, Any]
    members: list[dict[str, Any]]

"""The inputs of the registry's commands, as plain values."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any


class Unset(Enum):
    """Marks a field an update leaves as it is."""

    UNSET = "unset"


UNSET = Unset.UNSET


@dataclass(frozen=True)
class NewOrganization:
    name: Any
    slug: Any
    external_id: Any = None
    settings: Any = None
    profile: dict[str, Any] = field(default_factory=dict)
    metadata: Any = None


@dataclass(frozen=True)
class OrganizationChanges:
    """An update: only the fields given are changed; ``None`` clears an optional field.

    ``merge`` says how ``settings`` and ``metadata`` apply: replaced whole (PUT) or
    merged as an RFC 7396 JSON Merge Patch (PATCH).
    """

    name: Any = UNSET
    slug: Any = UNSET
    external_id: Any = UNSET
    settings: Any = UNSET
    metadata: Any = UNSET
    profile: dict[str, Any] = field(default_factory=dict)
    status: Any = UNSET
    status_reason: Any = UNSET
    verified: Any = UNSET
    managed_by: Any = UNSET
    max_allowed_memberships: Any = UNSET
    owner: Any = UNSET
    """The userId of an active member with the owner role."""
    merge: bool = False


@dataclass(frozen=True)
class NewApiKey:
    name: Any = None
    expires_at: Any = None
    """A time-zone-aware ``datetime`` in the future, or ``None`` for a key that never expires."""


@dataclass(frozen=True)
class NewMember:
    """A person added as an active member (provisioned from an identity provider)."""

    user_id: Any
    email: Any
    roles: Any = None
    """Role keys; ``["member"]`` if not given."""
    metadata: Any = None


@dataclass(frozen=True)
class NewInvitation:
    email: Any
    roles: Any = None
    expires_in_days: Any = None
    """1-30; 7 if not given."""
    metadata: Any = None


@dataclass(frozen=True)
class MemberChanges:
    """Only the fields given change."""

    roles: Any = UNSET
    status: Any = UNSET
    """``active`` or ``inactive``."""
    metadata: Any = UNSET

"""The inputs of the registry's commands, as plain values."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, TypeAlias

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from datetime import datetime

JSONValue: TypeAlias = (
    "bool | int | float | str | Sequence[JSONValue] | Mapping[str, JSONValue] | None"
)
"""A value as a JSON document may hold it: what a command's field holds before its rules
have checked it (a command refuses, naming the field, whatever breaks them)."""


class Unset(Enum):
    """Marks a field an update leaves as it is."""

    UNSET = "unset"


UNSET = Unset.UNSET


@dataclass(frozen=True)
class NewOrganization:
    name: JSONValue
    slug: JSONValue
    external_id: JSONValue = None
    settings: JSONValue = None
    profile: dict[str, JSONValue] = field(default_factory=dict)
    metadata: JSONValue = None
    region: JSONValue = None
    """One of the operator's regions; the first of them if not given."""


@dataclass(frozen=True)
class OrganizationChanges:
    """An update: only the fields given are changed; ``None`` clears an optional field.

    ``merge`` says how ``settings`` and ``metadata`` apply: replaced whole (PUT) or
    merged as an RFC 7396 JSON Merge Patch (PATCH).
    """

    name: JSONValue | Unset = UNSET
    slug: JSONValue | Unset = UNSET
    external_id: JSONValue | Unset = UNSET
    settings: JSONValue | Unset = UNSET
    metadata: JSONValue | Unset = UNSET
    profile: dict[str, JSONValue] = field(default_factory=dict)
    status: JSONValue | Unset = UNSET
    status_reason: JSONValue | Unset = UNSET
    verified: JSONValue | Unset = UNSET
    managed_by: JSONValue | Unset = UNSET
    max_allowed_memberships: JSONValue | Unset = UNSET
    owner: JSONValue | Unset = UNSET
    """The userId of an active member with the owner role."""
    region: JSONValue | Unset = UNSET
    discount_disabled: JSONValue | Unset = UNSET
    account_disabled: JSONValue | Unset = UNSET
    acceptance_disabled: JSONValue | Unset = UNSET
    can_switch_live: JSONValue | Unset = UNSET
    max_concurrent_promotions: JSONValue | Unset = UNSET
    max_concurrent_imports: JSONValue | Unset = UNSET
    subscription_info: JSONValue | Unset = UNSET
    request_quota: JSONValue | Unset = UNSET
    merge: bool = False


@dataclass(frozen=True)
class NewApiKey:
    name: JSONValue = None
    expires_at: datetime | JSONValue = None
    """A time-zone-aware ``datetime`` in the future, or ``None`` for a key that never expires."""


@dataclass(frozen=True)
class NewMember:
    """A person added as an active member (provisioned from an identity provider)."""

    user_id: JSONValue
    email: JSONValue
    roles: JSONValue = None
    """Role keys; ``["member"]`` if not given."""
    metadata: JSONValue = None


@dataclass(frozen=True)
class NewInvitation:
    email: JSONValue
    roles: JSONValue = None
    expires_in_days: JSONValue = None
    """1-30; 7 if not given."""
    metadata: JSONValue = None


@dataclass(frozen=True)
class MemberChanges:
    """Only the fields given change."""

    roles: JSONValue | Unset = UNSET
    status: JSONValue | Unset = UNSET
    """``active`` or ``inactive``."""
    metadata: JSONValue | Unset = UNSET

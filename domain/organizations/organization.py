"""The Organization aggregate: a tenant, and every change ever made to it."""

from __future__ import annotations

import copy
from dataclasses import field
from typing import TYPE_CHECKING, Any

from eventsourcing.domain import Aggregate

from domain.context import current_actor, current_reason, current_request_id
from domain.errors import ApiKeyNotFoundError, LastOwnerError
from domain.members.membership import ACTIVE as MEMBER_ACTIVE
from domain.members.membership import INVITED
from domain.organizations.attributes import (
    ATTRIBUTE_DEFAULTS,
    DEFAULT_REGION,
    attribute_defaults,
)
from domain.rules import PROFILE_FIELDS

if TYPE_CHECKING:
    from datetime import datetime
    from uuid import UUID

    from domain.members.membership import Membership

ACTIVE, SUSPENDED, ARCHIVED = "active", "suspended", "archived"
STATUSES = (ACTIVE, SUSPENDED, ARCHIVED)
SEED_002_STATUSES = {"banned": SUSPENDED}
"""Seed 002's statuses that are ours by another name (its ``active`` is ours as it is)."""

ACCOUNT_FIELDS = ("verified", "managed_by", "max_allowed_memberships", *ATTRIBUTE_DEFAULTS)
"""Fields only an admin sets: whether the organization is verified, which systems manage
it, how many memberships (active and invited) it may hold (0 or ``None``: no cap), and seed
001's flags, limits and subscription."""
MEMBERSHIP_DEFAULTS: dict[str, Any] = {
    "owner": None,
    "active_member_count": 0,
    "pending_member_count": 0,
    "verified": False,
    "managed_by": [],
    "max_allowed_memberships": None,
    "roles": {},
}
"""Fields an organization has from its creation on, with the values they start with."""


def membership_defaults() -> dict[str, Any]:
    """A fresh copy of ``MEMBERSHIP_DEFAULTS`` (its lists and dicts are not shared)."""
    return copy.deepcopy(MEMBERSHIP_DEFAULTS)


class Organization(Aggregate):
    """A tenant. Its state is the fold of its events' ``changes()``."""

    name: str
    slug: str
    external_id: str | None
    status: str
    status_reason: str | None
    settings: dict[str, Any]
    metadata: dict[str, str]
    owner: str | None
    active_member_count: int
    pending_member_count: int
    verified: bool
    managed_by: list[dict[str, str]]
    max_allowed_memberships: int | None
    roles: dict[str, Any]
    region: str
    discount_disabled: bool
    account_disabled: bool
    acceptance_disabled: bool
    can_switch_live: bool
    max_concurrent_promotions: int | None
    max_concurrent_imports: int | None
    subscription_info: dict[str, Any]
    request_quota: dict[str, int | None] | None

    class_version = 4
    """Version 2 added memberships, roles and the account fields; version 3 seed 001's
    region, GTM ids, flags, limits and subscription; version 4 the request quota."""

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        """Snapshots taken before memberships existed."""
        for name, value in membership_defaults().items():
            state.setdefault(name, value)
        state.setdefault("avatar_url", None)
        state.setdefault("owners", [])
        state.setdefault("pending", {})
        state.setdefault("role_keys", [])

    @staticmethod
    def upcast_v2_v3(state: dict[str, Any]) -> None:
        """Snapshots taken before seed 001's attributes existed."""
        for name, value in {**legacy_attributes(), "gtm_id": None, "gtm_id_test": None}.items():
            state.setdefault(name, value)

    @staticmethod
    def upcast_v3_v4(state: dict[str, Any]) -> None:
        """Snapshots taken before request quotas existed: the service's quota."""
        state.setdefault("request_quota", None)

    class Event(Aggregate.Event):
        actor: dict[str, Any] = field(default_factory=current_actor, init=False)
        """Who issued the command: ``{"type": "admin"}`` or ``{"type": "apiKey", "id": ...}``."""
        request_id: str | None = field(default_factory=current_request_id, init=False)
        """The id of the request that issued the command."""
        change_reason: str | None = field(default_factory=current_reason, init=False)
        """Why the change was made, where the caller said so."""

        class_version = 2

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            """Events recorded before changes carried a reason have none."""
            state["change_reason"] = None

        def changes(self) -> dict[str, Any]:
            """The fields this event sets, with their new values."""
            return {}

        def summary(self) -> dict[str, Any]:
            """What this event did, for people reading the history."""
            return self.changes()

        def why(self) -> str | None:
            """The reason given for this change, if any."""
            return self.change_reason

        def apply(self, aggregate: Aggregate) -> None:
            vars(aggregate).update(self.changes())

    class Created(Event, Aggregate.Created):
        name: str
        slug: str
        external_id: str | None
        settings: dict[str, Any]
        profile: dict[str, str | None]
        metadata: dict[str, str]
        region: str

        class_version = 3

        @staticmethod
        def upcast_v2_v3(state: dict[str, Any]) -> None:
            """Organizations created before regions were in seed 001's default region."""
            state["region"] = DEFAULT_REGION

        def changes(self) -> dict[str, Any]:
            profile = {f: self.profile.get(f) for f in PROFILE_FIELDS}
            return {
                "name": self.name,
                "slug": self.slug,
                "external_id": self.external_id,
                "status": ACTIVE,
                "status_reason": None,
                "settings": self.settings,
                **profile,
                "metadata": self.metadata,
                **membership_defaults(),
                "region": self.region,
                **attribute_defaults(),
            }

    class Renamed(Event):
        name: str

        def changes(self) -> dict[str, Any]:
            return {"name": self.name}

    class SlugChanged(Event):
        slug: str

        def changes(self) -> dict[str, Any]:
            return {"slug": self.slug}

    class SettingsUpdated(Event):
        settings: dict[str, Any]

        def changes(self) -> dict[str, Any]:
            return {"settings": self.settings}

    class ProfileUpdated(Event):
        profile: dict[str, str | None]

        def changes(self) -> dict[str, Any]:
            return dict(self.profile)

    class MetadataUpdated(Event):
        metadata: dict[str, str]

        def changes(self) -> dict[str, Any]:
            return {"metadata": self.metadata}

    class ExternalIdChanged(Event):
        external_id: str | None

        def changes(self) -> dict[str, Any]:
            return {"external_id": self.external_id}

    class RegionChanged(Event):
        """The organization moved to another region (services serving it must hear of it)."""

        region: str

        def changes(self) -> dict[str, Any]:
            return {"region": self.region}

    class StatusChanged(Event):
        status: str
        reason: str | None

        def changes(self) -> dict[str, Any]:
            return {"status": self.status, "status_reason": self.reason}

        def why(self) -> str | None:
            return self.change_reason or self.reason

    class ApiKeyIssued(Event):
        key_id: UUID
        name: str | None
        prefix: str
        secret_hash: str
        """SHA-256 of the secret; the secret itself is never recorded."""
        expires_at: datetime | None

        def key(self) -> dict[str, Any]:
            """The new key, as the aggregate and the read models hold it."""
            return {
                "id": self.key_id,
                "name": self.name,
                "prefix": self.prefix,
                "secret_hash": self.secret_hash,
                "created_at": self.timestamp,
                "expires_at": self.expires_at,
                "revoked_at": None,
            }

        def apply(self, aggregate: Any) -> None:
            aggregate.api_keys[str(self.key_id)] = self.key()

        def summary(self) -> dict[str, Any]:
            expires = self.expires_at and self.expires_at.isoformat()
            return {"apiKey": str(self.key_id), "prefix": self.prefix, "expiresAt": expires}

    class ApiKeyRevoked(Event):
        key_id: UUID
        prefix: str
        secret_hash: str

        def apply(self, aggregate: Any) -> None:
            aggregate.api_keys[str(self.key_id)]["revoked_at"] = self.timestamp

        def summary(self) -> dict[str, Any]:
            return {"apiKey": str(self.key_id), "prefix": self.prefix}

    class AccountUpdated(Event):
        """Admin-only fields changed (``ACCOUNT_FIELDS``, and ``owner``)."""

        account: dict[str, Any]

        def changes(self) -> dict[str, Any]:
            return dict(self.account)

    class RolesChanged(Event):
        """The organization's own roles, whole, after one was defined, changed or deleted."""

        roles: dict[str, Any]

        def changes(self) -> dict[str, Any]:
            return {"roles": self.roles}

        def apply(self, aggregate: Any) -> None:
            super().apply(aggregate)
            aggregate.role_keys = sorted({*aggregate.role_keys, *self.roles})

    class MembershipChanged(Event):
        """A membership changed (recorded with the membership's own event).

        ``member`` is the membership after the change and ``previous`` before it
        (``None`` for a new one), as ``Membership.summary`` gives them; the counts and
        the owner are the organization's after the change."""

        member_id: UUID
        action: str
        member: dict[str, Any]
        previous: dict[str, Any] | None
        owner: str | None
        active_member_count: int
        pending_member_count: int
        member_created_at: datetime
        member_updated_at: datetime
        """The membership's own times, as its aggregate has them."""

        def changes(self) -> dict[str, Any]:
            return {
                "owner": self.owner,
                "active_member_count": self.active_member_count,
                "pending_member_count": self.pending_member_count,
            }

        def summary(self) -> dict[str, Any]:
            return {"member": str(self.member_id), "action": self.action, **self.member}

        def apply(self, aggregate: Any) -> None:
            # The command that triggered this event derived the state it leaves; a replay
            # of the stored event derives it here.
            after = vars(aggregate).pop("_after_membership_change", None)
            if after is None:
                after = aggregate.after_membership_change(
                    self.member_id, self.previous, self.member
                )
            aggregate.owners, aggregate.pending = after["owners"], after["pending"]
            super().apply(aggregate)  # The counts and the owner, as recorded.

    def __init__(
        self,
        name: str,
        slug: str,
        external_id: str | None,
        settings: dict[str, Any],
        profile: dict[str, str | None],
        metadata: dict[str, str],
        region: str = DEFAULT_REGION,
    ) -> None:
        """State is set by ``Created.apply``, like every later change."""
        self.api_keys: dict[str, dict[str, Any]] = {}
        """Keyed by the key id as text, so snapshots can store them as JSON."""
        self.owners: list[str] = []
        """The user ids of the active members holding the owner role, first one first."""
        self.pending: dict[str, str | None] = {}
        """Pending invitations: their expiry time (ISO 8601) by membership id."""
        self.role_keys: list[str] = []
        """Every key an own role ever had: a deleted role's key is not given again, so
        members still holding it never gain a new role's permissions."""

    def rename(self, name: str) -> None:
        if name != self.name:
            self.trigger_event(self.Renamed, name=name)

    def change_slug(self, slug: str) -> None:
        if slug != self.slug:
            self.trigger_event(self.SlugChanged, slug=slug)

    def replace_settings(self, settings: dict[str, Any]) -> None:
        if settings != self.settings:
            self.trigger_event(self.SettingsUpdated, settings=settings)

    def update_profile(self, profile: dict[str, str | None]) -> None:
        changed = {f: v for f, v in profile.items() if getattr(self, f) != v}
        if changed:
            self.trigger_event(self.ProfileUpdated, profile=changed)

    def replace_metadata(self, metadata: dict[str, str]) -> None:
        if metadata != self.metadata:
            self.trigger_event(self.MetadataUpdated, metadata=metadata)

    def change_external_id(self, external_id: str | None) -> None:
        if external_id != self.external_id:
            self.trigger_event(self.ExternalIdChanged, external_id=external_id)

    def move_to_region(self, region: str) -> None:
        if region != self.region:
            self.trigger_event(self.RegionChanged, region=region)

    def change_status(self, status: str, reason: str | None) -> None:
        if (status, reason) != (self.status, self.status_reason):
            self.trigger_event(self.StatusChanged, status=status, reason=reason)

    def issue_api_key(
        self,
        key_id: UUID,
        name: str | None,
        prefix: str,
        secret_hash: str,
        expires_at: datetime | None,
    ) -> None:
        self.trigger_event(
            self.ApiKeyIssued,
            key_id=key_id,
            name=name,
            prefix=prefix,
            secret_hash=secret_hash,
            expires_at=expires_at,
        )

    def revoke_api_key(self, key_id: UUID) -> None:
        key = self.api_keys.get(str(key_id))
        if key is None:
            raise ApiKeyNotFoundError(key_id)
        if key["revoked_at"] is None:
            self.trigger_event(
                self.ApiKeyRevoked,
                key_id=key_id,
                prefix=key["prefix"],
                secret_hash=key["secret_hash"],
            )

    def update_account(self, account: dict[str, Any]) -> None:
        changed = {f: v for f, v in account.items() if getattr(self, f) != v}
        if changed:
            self.trigger_event(self.AccountUpdated, account=changed)

    def replace_roles(self, roles: dict[str, Any]) -> None:
        if roles != self.roles:
            self.trigger_event(self.RolesChanged, roles=roles)

    def record_membership_change(
        self, member: Membership, action: str, previous: dict[str, Any] | None
    ) -> None:
        """Record what happened to one of this organization's memberships (``previous``:
        its summary before, ``None`` for a new one), refusing a change that leaves the
        organization without an active owner."""
        summary = member.summary()
        after = self.after_membership_change(member.id, previous, summary)
        if self.owners and not after["owners"]:
            raise LastOwnerError(self.id)
        self._after_membership_change = after
        self.trigger_event(
            self.MembershipChanged,
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

    def after_membership_change(
        self, member_id: UUID, previous: dict[str, Any] | None, member: dict[str, Any]
    ) -> dict[str, Any]:
        """This organization's owners, pending invitations, counts and owner once one of
        its memberships changes from ``previous`` to ``member`` (``Membership.summary``
        values; ``previous`` is ``None`` for a new one)."""
        key, user_id = str(member_id), member["user_id"]
        pending = {k: v for k, v in self.pending.items() if k != key}
        if member["status"] == INVITED:
            pending[key] = member["invitation_expires_at"]
        owners = [o for o in self.owners if o != user_id]
        if member["status"] == MEMBER_ACTIVE and "owner" in member["roles"] and user_id:
            owners.append(user_id)
        was_active = previous is not None and previous["status"] == MEMBER_ACTIVE
        active = self.active_member_count - was_active + (member["status"] == MEMBER_ACTIVE)
        return {
            "owners": owners,
            "pending": pending,
            "active_member_count": active,
            "pending_member_count": len(pending),
            "owner": self.owner if self.owner in owners else (owners[0] if owners else None),
        }

    def api_key_details(self, key_id: UUID) -> dict[str, Any]:
        """One key as the API shows it: everything but the hash."""
        return {k: v for k, v in self.api_keys[str(key_id)].items() if k != "secret_hash"}

    def details(self) -> dict[str, Any]:
        """The organization's current state as plain values."""
        return organization_details(
            self.id, vars(self), self.version, self.created_on, self.modified_on
        )


STATE_FIELDS = (
    "name",
    "slug",
    "external_id",
    "status",
    "status_reason",
    "settings",
    *PROFILE_FIELDS,
    "metadata",
    *MEMBERSHIP_DEFAULTS,
    "region",
    *ATTRIBUTE_DEFAULTS,
)


def legacy_attributes() -> dict[str, Any]:
    """Seed 001's region and admin-only attributes as an organization recorded before they
    existed has them."""
    return {"region": DEFAULT_REGION, **attribute_defaults()}


def organization_details(
    organization_id: UUID, state: dict[str, Any], version: int, created_at: Any, updated_at: Any
) -> dict[str, Any]:
    """The one shape in which an organization leaves the domain (aggregate or read model)."""
    details = {
        "id": organization_id,
        **{f: state.get(f) for f in STATE_FIELDS},
        "version": version,
        "created_at": created_at,
        "updated_at": updated_at,
    }
    if "region" not in state:  # A read-model row written before seed 001's attributes.
        details.update(legacy_attributes())
    return details


EVENTS = (
    Organization.Created,
    Organization.Renamed,
    Organization.SlugChanged,
    Organization.SettingsUpdated,
    Organization.ProfileUpdated,
    Organization.MetadataUpdated,
    Organization.ExternalIdChanged,
    Organization.StatusChanged,
    Organization.RegionChanged,
    Organization.ApiKeyIssued,
    Organization.ApiKeyRevoked,
    Organization.AccountUpdated,
    Organization.RolesChanged,
    Organization.MembershipChanged,
)
"""Every event of an organization, in the order the API lists their types."""

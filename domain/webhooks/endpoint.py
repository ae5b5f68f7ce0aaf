"""The WebhookEndpoint aggregate: where an organization's events are pushed, and every
change ever made to that."""

from __future__ import annotations

from dataclasses import field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from eventsourcing.domain import Aggregate

from domain.context import current_actor, current_request_id
from domain.errors import WebhookEndpointNotFoundError

if TYPE_CHECKING:
    from uuid import UUID


def expired(secret: dict[str, Any], now: datetime) -> bool:
    """Whether ``secret`` (an entry of ``WebhookEndpoint.secrets``) has stopped signing at
    ``now`` (time-zone aware): compared as instants, whatever offset each was written in."""
    expires = secret["expires_at"]
    return expires is not None and datetime.fromisoformat(expires) <= now


def signing(secrets: list[dict[str, Any]], now: datetime) -> list[str]:
    """The ids of the secrets that sign at ``now``, newest first."""
    return [s["id"] for s in secrets if not expired(s, now)]


class WebhookEndpoint(Aggregate):
    """A URL the registry delivers events to, for one organization or for all of them."""

    organization_id: UUID | None
    url: str
    event_types: list[str] | None
    description: str | None
    enabled: bool
    disabled_reason: str | None
    deleted: bool
    secrets: list[dict[str, Any]]
    """The ids of the secrets that sign, newest first, each with when it stops signing
    (``None``: never). The secrets themselves are kept sealed, outside every event."""

    class Event(Aggregate.Event):
        actor: dict[str, Any] = field(default_factory=current_actor, init=False)
        """Who issued the command (see ``domain.context``)."""
        request_id: str | None = field(default_factory=current_request_id, init=False)

    class Created(Event, Aggregate.Created):
        organization_id: UUID | None
        url: str
        event_types: list[str] | None
        description: str | None
        secret_id: UUID

    class Updated(Event):
        changes: dict[str, Any]
        """``url``, ``event_types`` and ``description``, those that changed."""

        def apply(self, aggregate: Any) -> None:
            vars(aggregate).update(self.changes)

    class SecretRotated(Event):
        secret_id: UUID
        previous_expires_at: datetime
        """When the secrets before it stop signing (at the latest: one already expiring
        sooner keeps its own expiry)."""

        def apply(self, aggregate: Any) -> None:
            until = self.previous_expires_at.astimezone(UTC)
            older = [
                s if expired(s, until) else {**s, "expires_at": until.isoformat()}
                for s in aggregate.secrets
            ]
            aggregate.secrets = [{"id": str(self.secret_id), "expires_at": None}, *older]

    class SecretsExpired(Event):
        secret_ids: list[str]
        """Secrets past their expiry, dropped: they sign no more and are no longer kept."""

        def apply(self, aggregate: Any) -> None:
            gone = set(self.secret_ids)
            aggregate.secrets = [s for s in aggregate.secrets if s["id"] not in gone]

    class Disabled(Event):
        reason: str

        def apply(self, aggregate: Any) -> None:
            aggregate.enabled, aggregate.disabled_reason = False, self.reason

    class Enabled(Event):
        def apply(self, aggregate: Any) -> None:
            aggregate.enabled, aggregate.disabled_reason = True, None

    class Deleted(Event):
        def apply(self, aggregate: Any) -> None:
            aggregate.deleted, aggregate.enabled = True, False

    def __init__(
        self,
        organization_id: UUID | None,
        url: str,
        event_types: list[str] | None,
        description: str | None,
        secret_id: UUID,
    ) -> None:
        self.organization_id = organization_id
        self.url, self.event_types, self.description = url, event_types, description
        self.enabled, self.disabled_reason, self.deleted = True, None, False
        self.secrets = [{"id": str(secret_id), "expires_at": None}]

    def ensure_exists(self) -> None:
        if self.deleted:
            raise WebhookEndpointNotFoundError(self.id)

    def update(self, changes: dict[str, Any]) -> None:
        self.ensure_exists()
        changed = {k: v for k, v in changes.items() if getattr(self, k) != v}
        if changed:
            self.trigger_event(self.Updated, changes=changed)

    def rotate_secret(self, secret_id: UUID, previous_expires_at: datetime) -> None:
        self.ensure_exists()
        self.trigger_event(
            self.SecretRotated, secret_id=secret_id, previous_expires_at=previous_expires_at
        )

    def drop_expired_secrets(self, now: datetime) -> None:
        """Drop the secrets that stopped signing by ``now`` (the newest never expires)."""
        self.ensure_exists()
        gone = [s["id"] for s in self.secrets if expired(s, now)]
        if gone:
            self.trigger_event(self.SecretsExpired, secret_ids=gone)

    def disable(self, reason: str) -> None:
        self.ensure_exists()
        if self.enabled:
            self.trigger_event(self.Disabled, reason=reason)

    def enable(self) -> None:
        self.ensure_exists()
        if not self.enabled:
            self.trigger_event(self.Enabled)

    def delete(self) -> None:
        self.ensure_exists()
        self.trigger_event(self.Deleted)

    def details(self) -> dict[str, Any]:
        """The endpoint as plain values (never a secret)."""
        return {
            "id": self.id,
            "organization_id": self.organization_id,
            "url": self.url,
            "event_types": self.event_types,
            "description": self.description,
            "enabled": self.enabled,
            "disabled_reason": self.disabled_reason,
            "secrets": [dict(s) for s in self.secrets],
            "version": self.version,
            "created_at": self.created_on,
            "updated_at": self.modified_on,
        }

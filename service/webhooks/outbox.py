"""The outbox: for each organization event, in position order, one delivery row per
endpoint that wants it, written with the follower's position in one transaction.

It follows the read model (the event as the change feed shows it is a history row there)
and the endpoints' own events from the store, merged in position order, so an endpoint
receives exactly the events recorded after its creation.
"""

from __future__ import annotations

import json
import time
from functools import partial
from typing import TYPE_CHECKING, Any

from application.topics import topics_of
from domain.webhooks.endpoint import WebhookEndpoint
from domain.webhooks.validation import event_type
from projections.projection import OrganizationLookupProjection
from projections.webhooks.store import Delivery
from service.webhooks.payloads import render

if TYPE_CHECKING:
    from collections.abc import Callable
    from uuid import UUID

    from application.registry import OrganizationRegistry
    from projections.read_model import ReadModel
    from projections.records import HistoryEntry
    from projections.webhooks.store import WebhookStore

    Write = Callable[[Any], None]

BATCH = 500
ENDPOINT_TOPICS = topics_of(
    (
        WebhookEndpoint.Created,
        WebhookEndpoint.Updated,
        WebhookEndpoint.SecretRotated,
        WebhookEndpoint.SecretsExpired,
        WebhookEndpoint.Disabled,
        WebhookEndpoint.Enabled,
        WebhookEndpoint.Deleted,
    )
)


class Bodies:
    """The bodies of a batch of entries, each with the organization as it was just after
    its event: each organization is loaded once a batch, then carried forward event by
    event (loading it for each version would fold up to a snapshot interval each time)."""

    def __init__(self, registry: OrganizationRegistry, entries: list[HistoryEntry]) -> None:
        self._registry = registry
        self._last: dict[UUID, int] = {}
        for entry in entries:
            self._last[entry.organization_id] = entry.version
        self._found: dict[tuple[UUID, int], dict[str, Any]] = {}

    def body(self, entry: HistoryEntry) -> str:
        key = (entry.organization_id, entry.version)
        if key not in self._found:
            last = max(entry.version, self._last.get(entry.organization_id, entry.version))
            states = self._registry.details_from(entry.organization_id, entry.version, last)
            for version, details in enumerate(states, start=entry.version):
                self._found[(entry.organization_id, version)] = details
        organization = self._found.pop(key)
        return json.dumps(render(entry, organization), separators=(",", ":"))


def delivery(endpoint_id: str, entry: HistoryEntry, body: str) -> Delivery:
    """The outbox row of ``entry`` for the endpoint."""
    kind, organization = event_type(entry.type), str(entry.organization_id)
    moment = entry.occurred_at.timestamp()
    return Delivery(endpoint_id, entry.position, organization, kind, body, moment)


def wants(endpoint: dict[str, Any], entry: HistoryEntry) -> bool:
    organization = endpoint["organization_id"]
    if organization is not None and organization != str(entry.organization_id):
        return False
    types = endpoint["event_types"]
    return types is None or event_type(entry.type) in types


class Outbox:
    def __init__(
        self,
        store: WebhookStore,
        registry: OrganizationRegistry,
        read_model: ReadModel,
    ) -> None:
        self.store, self.registry, self.read_model = store, registry, read_model
        self.endpoints = {e["id"]: matching(e) for e in store.endpoints()}

    def bound(self) -> int:
        """The last position every organization event up to which the read model holds."""
        recorder = self.registry.recorder
        head = recorder.max_notification_id() or 0
        projected = self.read_model.position()
        beyond = recorder.select_notifications(
            start=projected + 1, limit=1, stop=head, topics=OrganizationLookupProjection.topics
        )
        return projected if beyond else max(head, projected)

    def step(self) -> int:
        """Fill the outbox with what was recorded since its position; returns how many
        events it went over."""
        position, bound = self.store.position(), self.bound()
        if bound <= position:
            return 0
        if not self.endpoints and not self._endpoint_notes(position, bound):
            self._write(position, bound, [], Bodies(self.registry, []))  # Nobody to send to.
            return 0
        entries = [
            e for e in self.read_model.queries.events_after(position, BATCH) if e.position <= bound
        ]
        upper = entries[-1].position if len(entries) == BATCH else bound
        notes = self.registry.recorder.select_notifications(
            start=position + 1, limit=BATCH, stop=upper, topics=ENDPOINT_TOPICS
        )
        if len(notes) == BATCH:
            upper = notes[-1].id
            entries = [e for e in entries if e.position <= upper]
        bodies = Bodies(self.registry, entries)
        items = sorted(
            [*((e.position, e) for e in entries), *((n.id, n) for n in notes)], key=lambda i: i[0]
        )
        self._write(position, upper, [item for _, item in items], bodies)
        return len(items)

    def _endpoint_notes(self, position: int, bound: int) -> list[Any]:
        """The first endpoint events after ``position`` up to ``bound``, if any."""
        return list(
            self.registry.recorder.select_notifications(
                start=position + 1, limit=1, stop=bound, topics=ENDPOINT_TOPICS
            )
        )

    def _write(self, position: int, upper: int, items: list[Any], bodies: Bodies) -> None:
        now, store, writes = time.time(), self.store, []
        # Bodies are made before the transaction: on SQLite it holds the one write lock.
        for item in items:
            if hasattr(item, "topic"):
                writes.append(self._endpoint_changed(item, now))
            elif rows := self._deliveries(item, bodies):
                writes.append(partial(store.insert_deliveries, rows=rows, now=now))
        with store.transaction() as cursor:
            if not store.advance(cursor, position, upper):
                raise RuntimeError("another process fills the outbox")
            for write in writes:  # In position order: an endpoint's changes between events.
                write(cursor)

    def _deliveries(self, entry: HistoryEntry, bodies: Bodies) -> list[Delivery]:
        wanted = [i for i, e in self.endpoints.items() if wants(e, entry)]
        if not wanted:
            return []
        body = bodies.body(entry)
        return [delivery(i, entry, body) for i in wanted]

    def _endpoint_changed(self, notification: Any, now: float) -> Write:
        """Follow the endpoint's change (which events it wants from here on); returns
        what to write of it."""
        event = self.registry.mapper.to_domain_event(notification)
        endpoint: WebhookEndpoint = self.registry.repository.get(
            event.originator_id, version=event.originator_version
        )
        details = {**endpoint.details(), "deleted": endpoint.deleted}
        key, store = str(endpoint.id), self.store
        if endpoint.deleted:
            self.endpoints.pop(key, None)
            secret_ids = [s["id"] for s in endpoint.secrets]

            def forget(cursor: Any) -> None:
                store.save_endpoint(cursor, details)
                store.forget_endpoint(cursor, key, secret_ids)

            return forget
        self.endpoints[key] = matching({**details, "id": key, "event_types": endpoint.event_types})
        enabled = isinstance(event, WebhookEndpoint.Enabled)
        expired = event.secret_ids if isinstance(event, WebhookEndpoint.SecretsExpired) else []

        def save(cursor: Any) -> None:
            store.save_endpoint(cursor, details)
            if enabled:
                store.enabled_again(cursor, key, now)
            store.forget_secrets(cursor, expired)

        return save


def matching(endpoint: dict[str, Any]) -> dict[str, Any]:
    """What decides which events an endpoint gets (from a table row, or details)."""
    types = endpoint["event_types"]
    if isinstance(types, str):
        types = json.loads(types)
    organization = endpoint["organization_id"]
    return {
        "organization_id": None if organization is None else str(organization),
        "event_types": None if types is None else frozenset(types),
    }

"""Reads of webhook endpoints and their deliveries, and a replay."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from api.webhooks.schemas import (
    WebhookDeliveriesPage,
    WebhookDelivery,
    WebhookEndpointPublic,
    WebhookReplay,
    WebhookReplayed,
)
from service.webhooks.outbox import Outbox
from service.webhooks.replay import position_at, replay

if TYPE_CHECKING:
    from service.composition import Services


def endpoint_public(details: dict[str, Any]) -> WebhookEndpointPublic:
    return WebhookEndpointPublic(**details)


def endpoints_of(services: Services, organization_id: UUID | None) -> list[WebhookEndpointPublic]:
    rows = services.webhook_store.endpoints(
        None if organization_id is None else str(organization_id)
    )
    return [endpoint_public(services.webhooks.get(_scope(r), UUID(r["id"]))) for r in rows]


def _scope(row: dict[str, Any]) -> object:
    from application.webhooks import ALL

    return ALL if row["organization_id"] is None else UUID(row["organization_id"])


def _time(value: float | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value, UTC)


def deliveries_page(
    services: Services, endpoint_id: UUID, after: int, limit: int
) -> WebhookDeliveriesPage:
    rows = services.webhook_store.deliveries(str(endpoint_id), after, limit + 1)
    shown = [
        WebhookDelivery(
            position=r["position"],
            organization_id=UUID(r["organization_id"]),
            event_type=r["event_type"],
            attempts=r["attempts"],
            last_status=r["last_status"],
            last_code=r["last_code"],
            last_attempt_at=_time(r["last_attempt_at"]),
            next_attempt_at=_time(r["next_attempt_at"]) if r["delivered_at"] is None else None,
            delivered_at=_time(r["delivered_at"]),
        )
        for r in rows[:limit]
    ]
    more = len(rows) > limit
    return WebhookDeliveriesPage(deliveries=shown, next=shown[-1].position if more else None)


def replay_from(services: Services, endpoint_id: UUID, body: WebhookReplay) -> WebhookReplayed:
    start = body.from_position or 1  # The schema asks for it, or for a time.
    if body.from_time is not None:
        start = position_at(services.read_model, body.from_time)
    outbox = Outbox(services.webhook_store, services.registry, services.read_model)
    replayed = replay(outbox, str(endpoint_id), start)
    if services.webhook_supervisor is not None:
        services.webhook_supervisor.wake()
    return WebhookReplayed(queued=replayed.queued, next_from_position=replayed.next_position)

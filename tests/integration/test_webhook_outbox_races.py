"""The outbox's rows under concurrent changes: an attempt's outcome is recorded only for
the row as it was sent, so a replay (or re-enabling) meanwhile is not undone by it."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest

from projections.webhooks.store import Delivery
from service.composition import bootstrap
from tests.helpers import make_settings

if TYPE_CHECKING:
    from collections.abc import Iterator

    from projections.webhooks.store import WebhookStore

ENDPOINT = "00000000-0000-4000-8000-000000000001"


@pytest.fixture
def store(database_url: str) -> Iterator[WebhookStore]:
    services = bootstrap(make_settings(database_url), run_projections=False)
    now = datetime.now(UTC)
    endpoint: dict[str, Any] = {
        "id": ENDPOINT,
        "organization_id": None,
        "url": "https://hooks.example.com/x",
        "event_types": None,
        "description": None,
        "enabled": True,
        "disabled_reason": None,
        "secrets": [],
        "version": 1,
        "created_at": now,
        "updated_at": now,
    }
    with services.webhook_store.transaction() as cursor:
        services.webhook_store.save_endpoint(cursor, endpoint)
    yield services.webhook_store
    services.close()


def queue(store: WebhookStore, position: int, now: float) -> None:
    row = Delivery(ENDPOINT, position, "org", "organization.renamed", "{}", now)
    with store.transaction() as cursor:
        store.insert_deliveries(cursor, [row], now)


def test_a_delivery_replayed_while_on_its_way_stays_queued_to_be_sent_again(
    store: WebhookStore,
) -> None:
    queue(store, 7, time.time() - 1)
    [sending] = store.due(time.time(), 10)
    queue(store, 7, time.time())  # A replay from position 7 while it is on its way.
    key = (ENDPOINT, 7, sending["next_attempt_at"])
    assert store.record_attempt(key, "delivered", 204, None) is False
    [row] = store.deliveries(ENDPOINT, 0, 10)
    assert row["delivered_at"] is None

"""A store with webhook endpoints written by an earlier version
(``tests/fixtures/webhook_store_v1``: before ``SecretsExpired`` and rotations with an
overlap) loads and delivers, on each store: SQLite from the file that version wrote
(outbox and sealed secrets included), PostgreSQL from its export (events only)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any
from uuid import UUID

import pytest
from standardwebhooks.webhooks import Webhook

from application.webhooks import ALL
from cli.main import main as tenant_registry
from domain.errors import WebhookEndpointNotFoundError
from domain.webhooks.endpoint import WebhookEndpoint
from service.composition import bootstrap
from tests.api.conftest import InProcessServer
from tests.helpers import ADMIN, ORGS, caught_up, make_settings
from tests.receiver import Receiver, eventually

if TYPE_CHECKING:
    from collections.abc import Iterator

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "webhook_store_v1"
EXPECTED: dict[str, Any] = json.loads((FIXTURE / "expected.json").read_text())
HOOK = f"/api/v1/webhook-endpoints/{EXPECTED['endpoint']}"


@pytest.fixture
def legacy_url(database_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    if database_url.startswith("sqlite:///"):
        shutil.copy(FIXTURE / "store.db", database_url.removeprefix("sqlite:///"))
    else:
        monkeypatch.setenv("REGISTRY_DATABASE_URL", database_url)
        tenant_registry(["import", str(FIXTURE / "events.jsonl")])
    return database_url


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    running = Receiver()
    yield running
    running.stop()


def dropped_secrets(server: InProcessServer, endpoint_id: UUID) -> set[str]:
    """The secrets the endpoint's ``SecretsExpired`` events dropped."""
    registry = server.app.state.services.registry
    events = [
        registry.mapper.to_domain_event(e) for e in registry.recorder.select_events(endpoint_id)
    ]
    return {
        i for e in events if isinstance(e, WebhookEndpoint.SecretsExpired) for i in e.secret_ids
    }


def test_every_webhook_event_of_the_earlier_version_folds_as_it_did(legacy_url: str) -> None:
    services = bootstrap(make_settings(legacy_url, secret_key=EXPECTED["secret_key"]))
    try:
        caught_up(services)
        stored = services.registry.recorder.select_notifications(start=1, limit=1000)
        assert len(stored) == EXPECTED["events"]
        for notification in stored:
            services.registry.mapper.to_domain_event(notification)
        endpoint = services.webhooks.get(ALL, UUID(EXPECTED["endpoint"]))
        with pytest.raises(WebhookEndpointNotFoundError):
            services.webhooks.get(ALL, UUID(EXPECTED["deleted_endpoint"]))
    finally:
        services.close()
    assert json.loads(json.dumps(endpoint, default=str)) == EXPECTED["endpoint_details"]


def test_an_endpoint_of_the_earlier_version_resumes_and_drops_its_old_secrets(
    legacy_url: str, receiver: Receiver
) -> None:
    server = InProcessServer(
        legacy_url,
        secret_key=EXPECTED["secret_key"],
        webhook_allowed_networks="127.0.0.0/8",
        webhook_retry_schedule="0.5," * 100,  # Its URL (a closed port) fails meanwhile.
    )
    try:
        # Rotated before the URL leads to the receiver: no request it gets is signed with
        # the old secret alone.
        rotated = server.client.post(
            f"{HOOK}/rotate-secret", json={"overlapSeconds": 0}, headers=ADMIN
        )
        assert [s["expiresAt"] for s in rotated.json()["endpoint"]["secrets"]] == [None]
        receiver.secrets = [rotated.json()["secret"]]
        moved = server.client.patch(HOOK, json={"url": receiver.url}, headers=ADMIN)
        assert moved.status_code == 200, moved.text
        org = EXPECTED["organization"]
        server.client.patch(f"{ORGS}/{org}", json={"name": "Hooked Four"}, headers=ADMIN)
        eventually(lambda: len(receiver.received) == 3)
        dropped = dropped_secrets(server, UUID(EXPECTED["endpoint"]))
    finally:
        server.stop()
    names = [r["body"]["data"]["organization"]["name"] for r in receiver.received]
    assert names == ["Hooked Two", "Hooked Three", "Hooked Four"]
    assert receiver.refused == 0
    assert all(" " not in r["headers"]["webhook-signature"] for r in receiver.received)
    for request in receiver.received:
        Webhook(receiver.secrets[0]).verify(request["raw"], request["headers"])
    assert dropped == {s["id"] for s in EXPECTED["endpoint_details"]["secrets"]}

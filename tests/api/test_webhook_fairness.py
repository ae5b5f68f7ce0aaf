"""A receiver that holds every request it gets, on each store: it holds up no other
endpoint, however many of its deliveries are due (only one of them is on its way at a
time until it answers 2xx, and endpoints take turns in what is read as due)."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from service.webhooks import dispatcher
from tests.api.conftest import InProcessServer
from tests.helpers import ADMIN, ORGS, new_org
from tests.receiver import Receiver, eventually

if TYPE_CHECKING:
    import pytest

HOOKS = "/api/v1/webhook-endpoints"


def endpoint(server: InProcessServer, receiver: Receiver, path: str) -> None:
    created = server.client.post(path, json={"url": receiver.url}, headers=ADMIN)
    assert created.status_code == 201, created.text
    receiver.secrets.append(created.json()["secret"])


def test_an_endpoint_whose_receiver_holds_every_request_holds_up_no_other(
    database_url: str,
) -> None:
    assert healthy_served_beside_a_holding_endpoint(database_url)


def test_an_endpoint_with_more_deliveries_due_than_are_read_at_once_crowds_out_no_other(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dispatcher, "DUE_LIMIT", 4)  # Fewer than the held endpoint has due.
    assert healthy_served_beside_a_holding_endpoint(database_url)


def healthy_served_beside_a_holding_endpoint(database_url: str) -> bool:
    """Whether an organization's endpoint receives its event while another endpoint,
    of every organization's events, has a dozen organizations' deliveries due to a
    receiver that holds every request."""
    holding, healthy, released = Receiver(), Receiver(), threading.Event()
    holding.held = released
    server = InProcessServer(
        database_url,
        secret_key="test-secret-key-0123456789abcdef",
        webhook_allowed_networks="127.0.0.0/8",
        webhook_timeout=60,  # Each held request occupies its sender for all that time.
    )
    try:
        endpoint(server, holding, HOOKS)  # Every organization's events.
        orgs = [new_org(server) for _ in range(12)]  # More than the registry's senders.
        eventually(lambda: holding.received)
        endpoint(server, healthy, f"{ORGS}/{orgs[0]['id']}/webhook-endpoints")
        server.client.patch(f"{ORGS}/{orgs[0]['id']}", json={"name": "On time"}, headers=ADMIN)
        eventually(lambda: healthy.received, timeout=15)
    finally:
        released.set()
        server.stop()
        holding.stop()
        healthy.stop()
    return bool(healthy.received[0]["body"]["data"]["organization"]["name"] == "On time")

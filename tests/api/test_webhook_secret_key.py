"""A process whose ``REGISTRY_SECRET_KEY`` is not the key an endpoint's secrets were sealed
under, on each store: it sends nothing (never a request unsigned), records each attempt as
refused, and the exhausted schedule disables the endpoint with the reason."""

from __future__ import annotations

from tests.api.conftest import InProcessServer
from tests.helpers import ADMIN, ORGS, new_org
from tests.receiver import Receiver, eventually

HOOKS = "/api/v1/webhook-endpoints"
LOOPBACK = "127.0.0.0/8"


def test_without_the_key_its_secrets_were_sealed_under_nothing_is_sent(database_url: str) -> None:
    receiver = Receiver()
    sealing = InProcessServer(
        database_url, secret_key="first-key-0123456789abcdef", webhook_allowed_networks=LOOPBACK
    )
    try:
        org = new_org(sealing)
        created = sealing.client.post(
            f"{ORGS}/{org['id']}/webhook-endpoints", json={"url": receiver.url}, headers=ADMIN
        )
        assert created.status_code == 201, created.text
    finally:
        sealing.stop()
    other = InProcessServer(
        database_url,
        secret_key="another-key-0123456789abcdef",
        webhook_allowed_networks=LOOPBACK,
        webhook_retry_schedule="0.1",
    )
    try:
        other.client.patch(f"{ORGS}/{org['id']}", json={"name": "New"}, headers=ADMIN)
        url = f"{HOOKS}/{created.json()['endpoint']['id']}"
        disabled = eventually(
            lambda: (
                not (e := other.client.get(url, headers=ADMIN).json()["endpoint"])["enabled"] and e
            )
        )
        [tried] = other.client.get(f"{url}/deliveries", headers=ADMIN).json()["deliveries"]
    finally:
        other.stop()
        receiver.stop()
    assert "REGISTRY_SECRET_KEY" in disabled["disabledReason"]
    assert (tried["attempts"], tried["lastStatus"]) == (2, "refused")
    assert (receiver.received, receiver.refused) == ([], 0)

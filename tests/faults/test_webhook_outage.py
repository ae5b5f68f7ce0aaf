"""PostgreSQL restarted under a server delivering webhooks (the fault suite's own cluster,
never another): once it is back, every event is received, each organization's in
position order, the events recorded before the outage and after it alike."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.helpers import ADMIN, ORGS, Server, create_body
from tests.receiver import (
    HOOKS_ENV,
    WORKERS,
    Receiver,
    all_received,
    assert_in_order,
    eventually,
    feed_positions,
    hook,
    write_concurrently,
)

if TYPE_CHECKING:
    from tests.pg_cluster import Cluster


def test_every_event_arrives_in_order_after_postgresql_restarts_mid_delivery(
    cluster: Cluster,
) -> None:
    receiver = Receiver()
    server = Server(cluster.schema_url(), env={**HOOKS_ENV, "REGISTRY_STORE_TIMEOUT": "2"})
    try:
        hook(server.client, receiver)
        org_ids = [
            server.client.post(ORGS, json=create_body(), headers=ADMIN).json()["organization"]["id"]
            for _ in range(8)
        ]
        write_concurrently(server, org_ids, 392)
        receiver.delay = 0.02  # Slow enough that the outage finds deliveries on their way.
        eventually(lambda: len(receiver.received) >= 50)
        cluster.stop()
        eventually(lambda: server.client.get("/readyz").status_code == 503)
        cluster.start()
        eventually(lambda: server.client.get("/readyz").status_code == 200)
        receiver.delay = 0.0
        write_concurrently(server, org_ids, 40, first=1000)
        expected = feed_positions(server.client, ADMIN)
        eventually(lambda: all_received(receiver, expected), timeout=120)
    finally:
        server.stop()
        receiver.stop()
    assert sum(map(len, expected.values())) == 440
    assert_in_order(receiver, expected)
    assert sum(receiver.duplicates().values()) <= WORKERS  # At most those cut off.

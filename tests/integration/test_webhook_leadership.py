"""Webhook delivery runs only while its process holds the leader lock: once the lock is
lost (its connection gone), the process stops sending and stands by."""

from __future__ import annotations

import time

from service.composition import bootstrap
from service.webhooks.dispatcher import parse_schedule
from service.webhooks.supervisor import WebhookSupervisor
from tests.helpers import make_settings


class LostLock:
    """A lock taken once, then found lost (as when its database connection drops)."""

    def __init__(self) -> None:
        self.acquired = self.released = 0

    def acquire(self) -> bool:
        self.acquired += 1
        return self.acquired == 1

    def held(self) -> bool:
        return False

    def release(self) -> None:
        self.released += 1


def test_delivery_stops_and_stands_by_once_the_leader_lock_is_lost(database_url: str) -> None:
    services = bootstrap(make_settings(database_url), run_projections=False)
    lock = LostLock()
    parts = (services.webhook_store, services.webhook_vault, services.webhooks)
    supervisor = WebhookSupervisor(
        parts, services.registry, services.read_model, lock, parse_schedule("1")
    )
    supervisor.start()
    try:
        deadline = time.monotonic() + 30
        while lock.acquired < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        supervisor.stop()
        services.close()
    assert lock.released >= 1  # It let go of the lost lock...
    assert lock.acquired >= 2  # ...and went back to trying to lead.

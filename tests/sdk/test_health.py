"""The process's health through the SDK."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tenant_registry_client import Client


def test_a_running_server_is_live_ready_and_measured(client: Client) -> None:
    assert client.health.live().status == "ok"
    assert client.health.ready().lag == 0
    assert "registry_http_requests_total" in client.health.metrics()

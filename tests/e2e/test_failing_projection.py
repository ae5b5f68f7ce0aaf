"""A projection that cannot go on is loud: the write's response says it timed out, /readyz
answers 503 and `projections status` names the event it stopped on, until it is mended."""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

import pytest

from service.composition import bootstrap
from tests.helpers import ADMIN, Server, make_settings, populate, run_cli, tamper

if TYPE_CHECKING:
    from collections.abc import Iterator

ORGS = "/api/v1/organizations"


def status(database_url: str) -> dict[str, Any]:
    row: dict[str, Any] = json.loads(
        run_cli("projections", "status", "--json", database_url=database_url).stdout
    )[0]
    return row


@pytest.fixture(scope="module")
def failing(module_database_url: str) -> Iterator[tuple[Server, dict[str, Any], str]]:
    """A server whose projection fails on the rename of an organization whose read-model
    row was deleted behind its back; yields the server, the rename's response and URL.
    Shared by the module's tests, in order: the last one mends it."""
    database_url = module_database_url
    [org] = populate(database_url, 1)
    server = Server(database_url, env={"REGISTRY_CONSISTENCY_TIMEOUT": "1"})
    try:
        services = bootstrap(make_settings(database_url), run_projections=False)
        try:
            tamper(services, org["id"], delete=True)
        finally:
            services.close()
        response = server.client.patch(f"{ORGS}/{org['id']}", json={"name": "Lost"}, headers=ADMIN)
        assert response.status_code == 200, response.text
        yield server, response.json() | {"_headers": dict(response.headers)}, database_url
    finally:
        server.stop()


def feed_position(server: Server) -> int:
    events = server.client.get("/api/v1/events", params={"after": 0, "limit": 1000}, headers=ADMIN)
    return int(events.json()["next"])


def test_a_write_the_read_models_never_reach_says_so_in_its_body_and_header(
    failing: tuple[Server, dict[str, Any], str],
) -> None:
    _, response, _ = failing
    assert response["readYourWrites"] == "timeout"
    assert response["_headers"]["x-read-your-writes"] == "timeout"


def test_readyz_is_503_and_names_the_event_while_the_projection_fails(
    failing: tuple[Server, dict[str, Any], str],
) -> None:
    server, _, _ = failing
    ready = server.client.get("/readyz")
    assert ready.status_code == 503
    body = ready.json()
    assert body["code"] == "NOT_READY"
    assert body["details"]["stoppedAt"] == {
        "position": feed_position(server) + 1,
        "type": "Renamed",
    }
    assert "error" not in body["details"]  # Anyone may ask /readyz: no event data.


def test_status_stays_failed_across_restarts_and_names_the_event(
    failing: tuple[Server, dict[str, Any], str],
) -> None:
    server, _, database_url = failing
    seen = set()
    deadline = time.monotonic() + 3  # Several restarts with backoff (0.2 s, 0.4 s, ...).
    while time.monotonic() < deadline:
        row = status(database_url)
        seen.add(row["state"])
        time.sleep(0.1)
    assert seen == {"failed"}
    assert row["stoppedAt"] == {"position": feed_position(server) + 1, "type": "Renamed"}
    printed = run_cli("projections", "status", database_url=database_url).stdout
    assert f"stopped on event {row['stoppedAt']['position']} (Renamed)" in printed


def test_readyz_answers_200_again_once_a_rebuild_mends_the_read_model(
    failing: tuple[Server, dict[str, Any], str],
) -> None:
    server, _, database_url = failing
    assert run_cli("projections", "rebuild", database_url=database_url).returncode == 0
    deadline = time.monotonic() + 30
    while (ready := server.client.get("/readyz")).status_code != 200:
        assert time.monotonic() < deadline, ready.text
        time.sleep(0.1)
    assert status(database_url)["state"] == "running"

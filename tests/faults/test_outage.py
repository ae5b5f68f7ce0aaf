"""PostgreSQL stopped under a running server: requests fail fast with 503, /readyz says so
within about a second, and everything works again once the database is back."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from tests.helpers import ADMIN, Server, create_body

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from tests.pg_cluster import Cluster

ORGS = "/api/v1/organizations"


def until(condition: Callable[[], bool], timeout: float) -> float:
    """Seconds until ``condition`` held; fails after ``timeout``."""
    started = time.monotonic()
    while not condition():
        assert time.monotonic() - started < timeout
        time.sleep(0.05)
    return time.monotonic() - started


@pytest.fixture(scope="module")
def outage(cluster: Cluster) -> Iterator[tuple[Server, dict[str, Any]]]:
    """A server with one organization, and its database stopped; started again after.
    Shared by the module's tests, in order: each leaves the database stopped."""
    server = Server(cluster.schema_url(), env={"REGISTRY_STORE_TIMEOUT": "2"})
    server.client.timeout = httpx.Timeout(20)
    try:
        org = server.client.post(ORGS, json=create_body(), headers=ADMIN).json()["organization"]
        cluster.stop()
        try:
            yield server, org
        finally:
            cluster.start()
    finally:
        server.stop()


def test_readyz_answers_503_within_seconds_of_losing_the_database(
    outage: tuple[Server, dict[str, Any]],
) -> None:
    server, _ = outage
    until(lambda: server.client.get("/readyz").status_code == 503, timeout=5)
    assert server.client.get("/readyz").json()["code"] == "NOT_READY"


@pytest.mark.parametrize(
    ("method", "path", "body", "may_have_committed"),
    [
        ("GET", ORGS, None, False),
        ("PATCH", "{org}", {"name": "Renamed"}, True),
        ("POST", ORGS, "new", True),
    ],
)
def test_requests_answer_503_store_unavailable_without_waiting_for_the_database(
    outage: tuple[Server, dict[str, Any]],
    method: str,
    path: str,
    body: Any,
    may_have_committed: bool,
) -> None:
    server, org = outage
    until(lambda: server.client.get("/readyz").status_code == 503, timeout=5)
    json = create_body() if body == "new" else body
    url = path.format(org=f"{ORGS}/{org['id']}")
    response = server.client.request(method, url, json=json, headers=ADMIN)
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"] == "1"
    assert response.json()["code"] == "STORE_UNAVAILABLE"
    assert response.json()["details"] == {"mayHaveCommitted": may_have_committed}


def test_a_keyed_write_answers_503_too(outage: tuple[Server, dict[str, Any]]) -> None:
    server, org = outage
    until(lambda: server.client.get("/readyz").status_code == 503, timeout=5)
    headers = {**ADMIN, "Idempotency-Key": f"rename-{org['id']}"}
    response = server.client.patch(f"{ORGS}/{org['id']}", json={"name": "X"}, headers=headers)
    assert (response.status_code, response.json()["code"]) == (503, "STORE_UNAVAILABLE")


def test_the_server_works_again_once_the_database_is_back(
    cluster: Cluster, outage: tuple[Server, dict[str, Any]]
) -> None:
    server, org = outage
    until(lambda: server.client.get("/readyz").status_code == 503, timeout=5)
    cluster.start()
    until(lambda: server.client.get("/readyz").status_code == 200, timeout=30)
    renamed = server.client.patch(f"{ORGS}/{org['id']}", json={"name": "Back"}, headers=ADMIN)
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["readYourWrites"] == "ok"
    cluster.stop()  # As the fixture left it.

"""Webhooks delivered by a real ``serve`` process (or ``project``) to a real receiver on
loopback that verifies each request with ``standardwebhooks``, on each store: every event
received, each organization's in position order, through receivers failing, answering
slowly, going down, and the delivering process killed."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
import time
from typing import TYPE_CHECKING

import pytest

from tests.helpers import ADMIN, ORGS, Server, create_body, dump_store, run_cli
from tests.receiver import (
    HOOKS_ENV,
    WORKERS,
    Receiver,
    all_received,
    assert_in_order,
    attempts,
    eventually,
    feed_positions,
    hook,
    write_concurrently,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

    import httpx


@pytest.fixture(scope="module")
def server(module_database_url: str) -> Iterator[Server]:
    running = Server(module_database_url, env=HOOKS_ENV)
    yield running
    running.stop()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    running = Receiver()
    yield running
    running.stop()


def organization_with_hook(server: Server, receiver: Receiver) -> tuple[str, str]:
    org = server.client.post(ORGS, json=create_body(), headers=ADMIN).json()["organization"]
    return org["id"], hook(server.client, receiver, org["id"])


def rename(client: httpx.Client, org_id: str, times: int, first: int = 0) -> None:
    """``times`` renames, each to a new name (the same name again records nothing)."""
    for n in range(first, first + times):
        renamed = client.patch(f"{ORGS}/{org_id}", json={"name": f"Name {n}"}, headers=ADMIN)
        assert renamed.status_code == 200, renamed.text


def test_an_organizations_events_arrive_in_order_through_500s(
    server: Server, receiver: Receiver
) -> None:
    org_id, endpoint = organization_with_hook(server, receiver)
    receiver.answers = [500, 500, 500]
    rename(server.client, org_id, 5)
    expected = {org_id: feed_positions(server.client, ADMIN)[org_id][1:]}
    eventually(lambda: all_received(receiver, expected))
    assert_in_order(receiver, expected)
    assert receiver.duplicates() == {}
    assert attempts(server.client, endpoint, ADMIN)[f"evt_{expected[org_id][0]}"] == 4


def test_events_arrive_in_order_once_a_receiver_down_for_several_retries_is_back(
    server: Server, receiver: Receiver
) -> None:
    org_id, endpoint = organization_with_hook(server, receiver)
    receiver.down()
    rename(server.client, org_id, 5)
    first = f"evt_{feed_positions(server.client, ADMIN)[org_id][1]}"
    eventually(lambda: attempts(server.client, endpoint, ADMIN)[first] >= 3)
    receiver.up()
    expected = {org_id: feed_positions(server.client, ADMIN)[org_id][1:]}
    eventually(lambda: all_received(receiver, expected))
    assert_in_order(receiver, expected)
    assert receiver.duplicates() == {}


def test_events_arrive_in_order_once_a_receiver_down_for_30_seconds_is_back(
    database_url: str, receiver: Receiver
) -> None:
    # A pause of 1 s between attempts, 40 of them: the 30 s outage spans many retries and
    # leaves the endpoint enabled.
    server = Server(database_url, env={**HOOKS_ENV, "REGISTRY_WEBHOOK_RETRY_SCHEDULE": "1," * 40})
    try:
        org_id, endpoint = organization_with_hook(server, receiver)
        receiver.down()
        down_at = time.monotonic()
        rename(server.client, org_id, 5)
        first = f"evt_{feed_positions(server.client, ADMIN)[org_id][1]}"
        time.sleep(max(0.0, 30 - (time.monotonic() - down_at)))
        assert attempts(server.client, endpoint, ADMIN)[first] >= 10  # All of them failed.
        receiver.up()
        expected = {org_id: feed_positions(server.client, ADMIN)[org_id][1:]}
        eventually(lambda: all_received(receiver, expected))
    finally:
        server.stop()
    assert_in_order(receiver, expected)
    assert receiver.duplicates() == {}


def test_events_arrive_in_order_after_answers_slower_than_the_timeout(
    server: Server, receiver: Receiver
) -> None:
    org_id, endpoint = organization_with_hook(server, receiver)
    receiver.delay = 3.0  # The registry gives up after REGISTRY_WEBHOOK_TIMEOUT (1 s).
    rename(server.client, org_id, 5)
    first = f"evt_{feed_positions(server.client, ADMIN)[org_id][1]}"
    eventually(lambda: attempts(server.client, endpoint, ADMIN)[first] >= 2)
    receiver.delay = 0.0
    expected = {org_id: feed_positions(server.client, ADMIN)[org_id][1:]}
    eventually(lambda: all_received(receiver, expected))
    assert_in_order(receiver, expected)
    tried = attempts(server.client, endpoint, ADMIN)
    assert receiver.duplicates()  # The slow answers were received, then retried.
    assert all(tried[i] > n for i, n in receiver.duplicates().items())


def test_replay_from_the_cli_delivers_exactly_the_events_from_there(
    server: Server, receiver: Receiver, module_database_url: str
) -> None:
    org_id, endpoint = organization_with_hook(server, receiver)
    rename(server.client, org_id, 3)
    positions = feed_positions(server.client, ADMIN)[org_id][1:]
    eventually(lambda: len(receiver.received) == 3)
    endpoint_id = endpoint.rsplit("/", 1)[1]
    replay = ("webhooks", "replay", endpoint_id, "--from-position", str(positions[1]))
    replayed = run_cli(*replay, database_url=module_database_url)
    assert replayed.returncode == 0, replayed.stderr
    assert "queued 2 deliveries" in replayed.stdout
    eventually(lambda: len(receiver.received) == 5)
    assert receiver.positions()[3:] == positions[1:]


def test_the_cli_shows_each_events_deliveries(
    server: Server, receiver: Receiver, module_database_url: str
) -> None:
    org_id, endpoint = organization_with_hook(server, receiver)
    receiver.answers = [503]
    rename(server.client, org_id, 1)
    eventually(lambda: receiver.received)
    endpoint_id = endpoint.rsplit("/", 1)[1]
    listed = run_cli("webhooks", "deliveries", endpoint_id, database_url=module_database_url)
    assert listed.returncode == 0, listed.stderr
    assert "organization.renamed" in listed.stdout
    assert "attempts=2 last=delivered/204" in listed.stdout


def test_a_serve_without_projections_beside_project_delivers_from_project(
    database_url: str, receiver: Receiver
) -> None:
    server = Server(database_url, "--no-projections", env=HOOKS_ENV)
    project = subprocess.Popen(
        [sys.executable, "-m", "cli.main", "project"],
        env={**os.environ, **HOOKS_ENV, "REGISTRY_DATABASE_URL": database_url},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        org_id, _ = organization_with_hook(server, receiver)
        rename(server.client, org_id, 2)
        eventually(lambda: len(receiver.received) == 2)
    finally:
        project.terminate()
        project.wait(15)
        server.stop()
    assert receiver.by_organization()[org_id] == sorted(receiver.by_organization()[org_id])


def forms_of(secret: str) -> list[bytes]:
    """A webhook secret as it might be written: whole, its base64 part, its raw bytes."""
    encoded = secret.removeprefix("whsec_")
    return [secret.encode(), encoded.encode(), base64.b64decode(encoded)]


def stored_bytes(database_url: str) -> bytes:
    """Every row as text and, on SQLite, the database's files byte by byte (rows deleted
    since included)."""
    found = dump_store(database_url).encode()
    if database_url.startswith("sqlite:///"):
        path = database_url.removeprefix("sqlite:///")
        for name in (path, f"{path}-wal"):
            if os.path.exists(name):
                with open(name, "rb") as file:
                    found += file.read()
    return found


def test_secrets_are_never_in_clear_in_the_store_its_files_or_the_logs(
    server: Server, receiver: Receiver, module_database_url: str
) -> None:
    org_id, endpoint = organization_with_hook(server, receiver)
    keyed = {**ADMIN, "Idempotency-Key": f"rotate-{org_id}"}
    rotated = server.client.post(f"{endpoint}/rotate-secret", json={}, headers=keyed)
    assert rotated.status_code == 200, rotated.text
    receiver.secrets.append(rotated.json()["secret"])
    rename(server.client, org_id, 2)
    eventually(lambda: len(receiver.received) == 2)  # Signed with both secrets.
    stored, logs = stored_bytes(module_database_url), server.logs().encode()
    assert rotated.json()["endpoint"]["secrets"][0]["id"].encode() in stored  # Its sealed row.
    for secret in receiver.secrets:
        for form in forms_of(secret):
            assert form not in stored
            assert form not in logs


def test_ten_thousand_events_from_eight_writers_over_fifty_organizations_all_arrive_in_order(
    database_url: str, receiver: Receiver
) -> None:
    server = Server(database_url, env=HOOKS_ENV)
    try:
        endpoint = hook(server.client, receiver)
        created = [server.client.post(ORGS, json=create_body(), headers=ADMIN) for _ in range(50)]
        org_ids = [c.json()["organization"]["id"] for c in created]
        write_concurrently(server, org_ids, 10_000 - 50)
        expected = feed_positions(server.client, ADMIN)
        assert sum(map(len, expected.values())) == 10_000
        eventually(lambda: all_received(receiver, expected), timeout=600)
        assert_in_order(receiver, expected)
        tried = attempts(server.client, endpoint, ADMIN)
    finally:
        server.stop()
    assert all(tried[i] > n for i, n in receiver.duplicates().items())


def test_events_arrive_in_order_after_the_delivering_process_is_killed_mid_batch(
    database_url: str, receiver: Receiver
) -> None:
    server = Server(database_url, env=HOOKS_ENV)
    try:
        hook(server.client, receiver)
        org_ids = [
            server.client.post(ORGS, json=create_body(), headers=ADMIN).json()["organization"]["id"]
            for _ in range(10)
        ]
        write_concurrently(server, org_ids, 392)
        receiver.delay = 0.02  # Slow enough that the kill finds deliveries on their way.
        expected = feed_positions(server.client, ADMIN)
        eventually(lambda: len(receiver.received) >= 100)
        server.process.kill()  # SIGKILL: no shutdown, deliveries cut off mid-flight.
    finally:
        server.stop()
    restarted = Server(database_url, env=HOOKS_ENV)
    try:
        eventually(lambda: all_received(receiver, expected), timeout=120)
    finally:
        restarted.stop()
    assert_in_order(receiver, expected)
    assert sum(receiver.duplicates().values()) <= WORKERS  # At most those cut off.

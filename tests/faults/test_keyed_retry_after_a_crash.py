"""A keyed command whose server died after committing it but before answering: the retry,
on another server, gets the original outcome (the created organization's id included) and
nothing runs twice. On each store."""

from __future__ import annotations

import signal
import threading
import time
from typing import TYPE_CHECKING, Any
from uuid import UUID

import httpx
import pytest

from domain.errors import OrganizationNotFoundError
from service.composition import bootstrap
from tests.helpers import ADMIN, Server, create_body, make_settings, written_by_admin

if TYPE_CHECKING:
    from collections.abc import Callable

ORGS = "/api/v1/organizations"


def killed_while_answering(
    database_url: str, send: Callable[[httpx.Client], httpx.Response], committed: Callable[[], bool]
) -> None:
    """Send a request to a server that commits it, then SIGKILL the server before it
    answers (it waits for read models that no process builds)."""
    server = Server(database_url, "--no-projections", env={"REGISTRY_CONSISTENCY_TIMEOUT": "60"})
    errors: list[Exception] = []

    def call() -> None:
        try:
            with httpx.Client(base_url=server.url, timeout=60) as client:
                send(client)
        except httpx.TransportError as error:
            errors.append(error)

    thread = threading.Thread(target=call)
    try:
        thread.start()
        deadline = time.monotonic() + 20
        while not committed():
            assert time.monotonic() < deadline, "the command was not committed"
            time.sleep(0.05)
    finally:
        server.process.send_signal(signal.SIGKILL)
        thread.join(10)
        server.stop()
    assert errors, "the first request must not have been answered"


def holder(database_url: str, slug: str) -> Any:
    services = bootstrap(make_settings(database_url), run_projections=False)
    try:
        return services.registry.find_by_slug(slug)
    except OrganizationNotFoundError:
        return None
    finally:
        services.close()


def test_a_keyed_create_retried_after_a_crash_gets_the_organization_it_created(
    database_url: str,
) -> None:
    body, key = create_body(), "create-once"
    headers = {**ADMIN, "Idempotency-Key": key}
    killed_while_answering(
        database_url,
        lambda client: client.post(ORGS, json=body, headers=headers),
        lambda: holder(database_url, body["slug"]) is not None,
    )
    created_id = str(holder(database_url, body["slug"]))
    server = Server(database_url)
    try:
        retry = server.client.post(ORGS, json=body, headers=headers)
        assert retry.status_code == 201, retry.text
        assert retry.json()["organizationId"] == created_id
        assert retry.json()["readYourWrites"] == "ok"
        assert retry.headers["location"] == f"{ORGS}/{created_id}"
        again = server.client.post(ORGS, json=body, headers=headers)
        assert (again.status_code, again.json()) == (201, retry.json())
        history = server.client.get(f"{ORGS}/{created_id}/history", headers=ADMIN).json()
        assert [e["type"] for e in history["events"]] == ["Created"]
    finally:
        server.stop()


@pytest.mark.parametrize("changed_body", [{"name": "Changed by the retry"}])
def test_a_keyed_update_retried_after_a_crash_is_not_applied_twice(
    database_url: str, changed_body: dict[str, Any]
) -> None:
    org = {"id": str(written_by_admin(database_url)[0]["id"])}
    headers = {**ADMIN, "Idempotency-Key": "rename-once"}
    renamed = {"name": "Renamed once"}

    def committed() -> bool:
        services = bootstrap(make_settings(database_url), run_projections=False)
        try:
            return bool(services.registry.get_details(UUID(org["id"]))["version"] == 2)
        finally:
            services.close()

    killed_while_answering(
        database_url,
        lambda client: client.patch(f"{ORGS}/{org['id']}", json=renamed, headers=headers),
        committed,
    )
    server = Server(database_url)
    try:
        retry = server.client.patch(f"{ORGS}/{org['id']}", json=renamed, headers=headers)
        assert retry.status_code == 200, retry.text
        assert (retry.json()["organization"]["name"], retry.headers["etag"]) == (
            "Renamed once",
            '"2"',
        )
        reused = server.client.patch(f"{ORGS}/{org['id']}", json=changed_body, headers=headers)
        assert (reused.status_code, reused.json()["code"]) == (409, "IDEMPOTENCY_KEY_REUSED")
        current = server.client.get(f"{ORGS}/{org['id']}", headers=ADMIN).json()
        assert current["organization"]["version"] == 2
    finally:
        server.stop()

"""Secret keys over HTTP, on each store: issue, use, revoke; and where secrets never go."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from uuid import uuid4

import pytest

from domain.keys.secrets import hash_secret
from tests.helpers import ADMIN, Server, bearer, dump_store, issue_key, new_org, run_cli

if TYPE_CHECKING:
    from collections.abc import Iterator

ORGS = "/api/v1/organizations"


@pytest.fixture(scope="module")
def two_servers(module_database_url: str) -> Iterator[tuple[Server, Server]]:
    """Two processes on the module's store (beside its ``server``, which stands by)."""
    url = module_database_url
    projector = Server(url, "--access-log", env={"REGISTRY_LOG_LEVEL": "debug"})
    reader = Server(url, "--no-projections", "--access-log")
    yield projector, reader
    reader.stop()
    projector.stop()


def test_revoked_key_is_refused_at_once_by_another_server_process(
    two_servers: tuple[Server, Server],
) -> None:
    for writer, reader in (two_servers, two_servers[::-1]) * 3:
        org = new_org(writer)
        issued = issue_key(writer, org["id"])
        assert reader.client.get(f"{ORGS}/current", headers=bearer(issued["secret"])).is_success
        revoke = f"{ORGS}/{org['id']}/api-keys/{issued['apiKey']['id']}"
        assert writer.client.delete(revoke, headers=ADMIN).is_success
        refused = reader.client.get(f"{ORGS}/current", headers=bearer(issued["secret"]))
        assert refused.status_code == 401


def test_secrets_never_reach_the_event_store_the_read_models_or_the_logs(
    module_database_url: str, two_servers: tuple[Server, Server]
) -> None:
    projector, reader = two_servers
    org = new_org(projector)
    issued = issue_key(projector, org["id"], name="billing")
    secret = issued["secret"]
    for server in two_servers:
        server.client.patch(f"{ORGS}/current", json={"name": "By key"}, headers=bearer(secret))
    projector.client.delete(f"{ORGS}/{org['id']}/api-keys/{issued['apiKey']['id']}", headers=ADMIN)
    reader.client.get(f"{ORGS}/current", headers=bearer(secret))  # A refused use, logged.
    store, logs = dump_store(module_database_url), projector.logs() + reader.logs()
    assert hash_secret(secret) in store  # The dump does reach the events and the read model.
    assert "By key" in store
    assert "/current" in logs
    for text in (store, logs):
        assert secret not in text
        assert secret[len(issued["apiKey"]["prefix"]) :] not in text


def test_changes_made_with_a_key_record_the_key_as_their_actor(
    server: Server, module_database_url: str
) -> None:
    org = new_org(server)
    issued = issue_key(server, org["id"])
    server.client.patch(f"{ORGS}/current", json={"name": "Keyed"}, headers=bearer(issued["secret"]))
    result = run_cli("history", org["id"], "--json", database_url=module_database_url)
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(r["type"], r["actor"]) for r in rows] == [
        ("Created", {"type": "admin"}),
        ("ApiKeyIssued", {"type": "admin"}),
        ("Renamed", {"type": "apiKey", "id": issued["apiKey"]["id"]}),
    ]


def test_issued_key_is_listed_without_its_secret(server: Server) -> None:
    org = new_org(server)
    issued = issue_key(server, org["id"], name="ci", expiresAt="2099-01-01T00:00:00Z")
    assert issued["secret"].startswith(issued["apiKey"]["prefix"])
    listed = server.client.get(f"{ORGS}/{org['id']}/api-keys", headers=ADMIN).json()
    assert listed == {"organizationId": org["id"], "apiKeys": [issued["apiKey"]]}
    assert issued["apiKey"]["expiresAt"] == "2099-01-01T00:00:00Z"


def test_invalid_key_requests_are_refused_and_record_nothing(server: Server) -> None:
    org = new_org(server)
    past = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    refused = server.client.post(
        f"{ORGS}/{org['id']}/api-keys", json={"name": "", "expiresAt": past}, headers=ADMIN
    )
    assert refused.status_code == 400
    fields = {f["field"] for f in refused.json()["details"]["fields"]}
    assert fields == {"name", "expiresAt"}
    assert (
        server.client.get(f"{ORGS}/{org['id']}", headers=ADMIN).json()["organization"]["version"]
        == 1
    )
    unknown = server.client.post(f"{ORGS}/{uuid4()}/api-keys", json={}, headers=ADMIN)
    assert unknown.json()["code"] == "ORGANIZATION_NOT_FOUND"


def test_key_of_an_archived_organization_is_unauthorized(server: Server) -> None:
    org = new_org(server)
    secret = issue_key(server, org["id"])["secret"]
    server.client.delete(f"{ORGS}/{org['id']}", headers=ADMIN)
    response = server.client.get(f"{ORGS}/current", headers=bearer(secret))
    assert (response.status_code, response.json()["code"]) == (401, "UNAUTHORIZED")


def test_responses_to_a_key_carry_its_organization_id(server: Server) -> None:
    org = new_org(server)
    key = bearer(issue_key(server, org["id"])["secret"])
    for path in ("/current", f"/{org['id']}", f"/slug/availability?slug={org['slug']}"):
        assert server.client.get(ORGS + path, headers=key).json()["organizationId"] == org["id"]


def test_own_slug_counts_as_available_to_its_key(server: Server) -> None:
    org = new_org(server)
    key = bearer(issue_key(server, org["id"])["secret"])
    path = f"{ORGS}/slug/availability?slug={org['slug']}"
    assert server.client.get(path, headers=key).json()["available"] is True
    assert server.client.get(path).json()["reason"] == "taken"


def test_admin_names_the_current_organization_with_a_context_header(server: Server) -> None:
    org = new_org(server, stytchOrgId=f"organization-test-{uuid4()}")
    for header in (
        {"X-Organization-Id": org["id"]},
        {"x-stytch-organization-id": org["externalId"]},
    ):
        response = server.client.get(f"{ORGS}/current", headers={**ADMIN, **header})
        assert response.json()["organization"] == org
    for header in ({"X-Organization-Id": str(uuid4())}, {"x-stytch-organization-id": "nobody"}):
        response = server.client.get(f"{ORGS}/current", headers={**ADMIN, **header})
        assert response.json()["code"] == "ORGANIZATION_NOT_FOUND"


def test_key_naming_another_organization_as_current_is_not_found(server: Server) -> None:
    own, other = new_org(server), new_org(server)
    key = bearer(issue_key(server, own["id"])["secret"])
    response = server.client.get(
        f"{ORGS}/current", headers={**key, "X-Organization-Id": other["id"]}
    )
    assert response.json()["code"] == "ORGANIZATION_NOT_FOUND"
    same = server.client.get(f"{ORGS}/current", headers={**key, "X-Organization-Id": own["id"]})
    assert same.json()["organization"]["id"] == own["id"]


def test_a_key_updates_its_organization_under_the_admin_rules(server: Server) -> None:
    org, taken = new_org(server), new_org(server)
    key = bearer(issue_key(server, org["id"])["secret"])
    duplicate = server.client.put(ORGS, json={"slug": taken["slug"]}, headers=key)
    assert (duplicate.status_code, duplicate.json()["code"]) == (400, "DUPLICATE_SLUG")
    invalid = server.client.patch(f"{ORGS}/current", json={"slug": "A--b"}, headers=key)
    assert invalid.json()["code"] == "VALIDATION_ERROR"
    body: dict[str, Any] = {"settings": {"timezone": "Europe/Paris"}, "supportEmail": "a@b.co"}
    updated = server.client.patch(f"{ORGS}/current", json=body, headers=key)
    assert updated.json()["organization"]["settings"] == {"timezone": "Europe/Paris"}
    seen = server.client.get(f"{ORGS}/{org['id']}", headers=ADMIN).json()["organization"]
    assert seen == updated.json()["organization"]

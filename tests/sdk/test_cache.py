"""The SDK's live local cache against a real server, on each store: it holds what the server
answers, has a write made through its client before the call returns, and mends itself
after the server restarts."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from tenant_registry_client import (
    Client,
    ConnectionFailedError,
    ForbiddenError,
    RetryPolicy,
)
from tenant_registry_client.cache import (
    FEED_POSITION,
    OrganizationNotCachedError,
    PermissionAnswer,
    RegistryCache,
)
from tests.helpers import (
    ADMIN,
    ADMIN_TOKEN,
    ORGS,
    Server,
    free_port,
    issue_key,
    new_org,
    org_with,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

    import httpx

WAIT = 2.0
"""The cache's long polls: short, so that stopping it is quick."""
CATCH_UP = 30.0
"""At most how long a test waits for the cache to reach a position."""


@pytest.fixture
def cache(server: Server) -> Iterator[RegistryCache]:
    with RegistryCache(server.url, ADMIN_TOKEN, wait=WAIT) as started:
        yield started


def written_position(response: httpx.Response) -> int:
    assert response.status_code in (200, 201), response.text
    return int(response.headers[FEED_POSITION])


def test_the_cache_holds_an_organization_as_the_server_answers_it(
    server: Server, cache: RegistryCache
) -> None:
    org = org_with(server, ann="owner", bob="member")
    role = {"name": "Billing", "permissions": ["billing:*"]}
    put = server.client.put(f"{ORGS}/{org['id']}/roles/billing", json=role, headers=ADMIN)
    assert cache.wait_for(written_position(put), CATCH_UP)
    read = server.client.get(f"{ORGS}/{org['id']}", headers=ADMIN).json()["organization"]
    assert cache.organization(org["id"]) == read
    assert cache.organization_by(slug=org["slug"]) == read
    roles = server.client.get(f"{ORGS}/{org['id']}/roles", headers=ADMIN).json()["roles"]
    assert sorted(cache.roles(org["id"]), key=str) == sorted(roles, key=str)


def test_a_cached_permission_check_answers_as_the_server_does(
    server: Server, cache: RegistryCache
) -> None:
    org = org_with(server, ann="owner", bob="member")
    patch = server.client.patch(
        f"{ORGS}/{org['id']}/members/bob", json={"status": "inactive"}, headers=ADMIN
    )
    assert cache.wait_for(written_position(patch), CATCH_UP)
    assert cache.check(org["id"], "ann", "billing:write") == PermissionAnswer(True, None)
    assert cache.check(org["id"], "bob", "organization:read") == PermissionAnswer(
        False, "member_inactive"
    )
    assert cache.check(org["id"], "cy", "organization:read") == PermissionAnswer(
        False, "not_a_member"
    )


def test_an_organization_the_cache_does_not_hold_is_not_found(cache: RegistryCache) -> None:
    with pytest.raises(OrganizationNotCachedError):
        cache.check("00000000-0000-4000-8000-000000000000", "ann", "organization:read")


def test_a_write_through_the_sdk_is_in_the_cache_when_it_returns(server: Server) -> None:
    org = new_org(server)
    with Client(server.url, ADMIN_TOKEN) as client, RegistryCache.of(client, wait=WAIT) as cache:
        client.members.add(org["id"], user_id="dee", email="dee@example.com", roles=["admin"])
        member = cache.member(org["id"], "dee")
        assert cache.check(org["id"], "dee", "members:write") == PermissionAnswer(True, None)
    assert member is not None
    assert (member["status"], member["roles"]) == ("active", ["admin"])


def test_a_write_answer_names_the_feed_position_of_its_event(server: Server) -> None:
    org = new_org(server)
    renamed = server.client.patch(f"{ORGS}/{org['id']}", json={"name": "N"}, headers=ADMIN)
    after = written_position(renamed) - 1
    page = server.client.get("/api/v1/events", params={"after": after}, headers=ADMIN).json()
    assert (page["events"][0]["organizationId"], page["events"][0]["type"]) == (
        org["id"],
        "Renamed",
    )


def _catch_up(server: Server, cache: RegistryCache, org: dict[str, Any], name: str) -> None:
    renamed = server.client.patch(f"{ORGS}/{org['id']}", json={"name": name}, headers=ADMIN)
    assert cache.wait_for(written_position(renamed), CATCH_UP)


def test_the_cache_recovers_after_the_server_restarts(database_url: str) -> None:
    server = Server(database_url)
    try:
        org = new_org(server)
        with RegistryCache(server.url, ADMIN_TOKEN, wait=WAIT) as cache:
            _catch_up(server, cache, org, "Before")
            server.restart()
            _catch_up(server, cache, org, "After")
            cached = cache.organization(org["id"])
            assert cached is not None
            assert cached["name"] == "After"
    finally:
        server.stop()


def test_a_cache_with_an_organizations_key_is_refused_at_start(server: Server) -> None:
    """The feed is the admin's: a key's cache would never keep up, so it does not start."""
    key = issue_key(server, new_org(server)["id"])["secret"]
    with pytest.raises(ForbiddenError):
        RegistryCache(server.url, key, wait=WAIT).start()


def test_a_cache_that_reaches_no_server_raises_the_sdks_error() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    client = Client(url, ADMIN_TOKEN, retry=RetryPolicy(max_attempts=2, initial_backoff=0.01))
    with pytest.raises(ConnectionFailedError):
        RegistryCache(url, ADMIN_TOKEN, client=client).start()

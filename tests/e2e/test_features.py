"""Each feature once over a real server process (uvicorn) on each store: a happy path and an
unhappy one. The HTTP behaviour in detail is in ``tests/api``, in process."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

import httpx

from tests.helpers import ADMIN, ORGS, bearer, issue_key, new_org

if TYPE_CHECKING:
    from tests.helpers import Server


def test_an_organization_is_created_renamed_and_read_back(server: Server) -> None:
    org = new_org(server)
    renamed = server.client.patch(f"{ORGS}/{org['id']}", json={"name": "Renamed"}, headers=ADMIN)
    assert renamed.status_code == 200, renamed.text
    found = server.client.get(f"{ORGS}/lookup", params={"slug": org["slug"]}, headers=ADMIN)
    assert found.json()["organization"]["name"] == "Renamed"


def test_a_taken_slug_is_refused(server: Server) -> None:
    org = new_org(server)
    again = server.client.post(ORGS, json={"name": "Again", "slug": org["slug"]}, headers=ADMIN)
    assert (again.status_code, again.json()["code"]) == (400, "DUPLICATE_SLUG")


def test_a_member_is_added_and_allowed_what_their_role_grants(server: Server) -> None:
    org = new_org(server)
    body = {"userId": "u1", "email": "u1@example.com", "roles": ["admin"]}
    added = server.client.post(f"{ORGS}/{org['id']}/members", json=body, headers=ADMIN)
    assert added.status_code == 201, added.text
    check = server.client.get(
        f"{ORGS}/{org['id']}/members/u1/permissions/members:write", headers=ADMIN
    )
    assert check.json()["allowed"] is True


def test_concurrent_invitations_of_one_email_have_one_winner(server: Server) -> None:
    org = new_org(server)

    def attempt(_: int) -> int:
        with httpx.Client(base_url=server.url, timeout=30) as client:
            return client.post(
                f"{ORGS}/{org['id']}/invitations",
                json={"email": "same@example.com"},
                headers=ADMIN,
            ).status_code

    with ThreadPoolExecutor(12) as pool:
        codes = list(pool.map(attempt, range(12)))
    assert sorted(codes) == [201] + [409] * 11
    listed = server.client.get(
        f"{ORGS}/{org['id']}/members", params={"status": "invited"}, headers=ADMIN
    )
    assert [m["email"] for m in listed.json()["members"]] == ["same@example.com"]


def test_an_organizations_key_reads_its_own_organization(server: Server) -> None:
    org = new_org(server)
    secret = issue_key(server, org["id"])["secret"]
    current = server.client.get(f"{ORGS}/current", headers=bearer(secret))
    assert current.json()["organization"]["id"] == org["id"]


def test_a_revoked_key_is_refused(server: Server) -> None:
    org = new_org(server)
    issued = issue_key(server, org["id"])
    key_path = f"{ORGS}/{org['id']}/api-keys/{issued['apiKey']['id']}"
    assert server.client.delete(key_path, headers=ADMIN).status_code == 200
    refused = server.client.get(f"{ORGS}/current", headers=bearer(issued["secret"]))
    assert refused.status_code == 401


def test_history_and_the_feed_show_a_change(server: Server) -> None:
    org = new_org(server)
    server.client.patch(f"{ORGS}/{org['id']}", json={"name": "Renamed"}, headers=ADMIN)
    history = server.client.get(f"{ORGS}/{org['id']}/history", headers=ADMIN).json()
    assert [e["type"] for e in history["events"]] == ["Created", "Renamed"]
    feed = server.client.get("/api/v1/events", params={"limit": 1000}, headers=ADMIN).json()
    assert org["id"] in {e["organizationId"] for e in feed["events"]}


def test_the_feed_is_refused_to_an_organizations_key(server: Server) -> None:
    org = new_org(server)
    secret = issue_key(server, org["id"])["secret"]
    assert server.client.get("/api/v1/events", headers=bearer(secret)).status_code == 403

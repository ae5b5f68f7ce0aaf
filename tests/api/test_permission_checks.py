"""The permission check other services call: why it refuses, and as of a past moment."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pytest

from tests.helpers import ADMIN, ORGS, new_org

if TYPE_CHECKING:
    from tests.api.conftest import InProcessServer as Server


def check(
    server: Server, org_id: str, user: str, permission: str, **params: str
) -> dict[str, object]:
    path = f"{ORGS}/{org_id}/members/{user}/permissions/{permission}"
    response = server.client.get(path, params=params, headers=ADMIN)
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


def owned(server: Server) -> str:
    org_id: str = new_org(server)["id"]
    body = {"userId": "boss", "email": "boss@example.com", "roles": ["owner"]}
    server.client.post(f"{ORGS}/{org_id}/members", json=body, headers=ADMIN).raise_for_status()
    return org_id


def test_an_allowed_check_gives_no_reason(server: Server) -> None:
    answer = check(server, owned(server), "boss", "members:write")
    assert (answer["allowed"], answer["reason"]) == (True, None)


@pytest.mark.parametrize("status", ["suspended", "archived"])
def test_no_one_is_allowed_anything_in_an_organization_that_is_not_active(
    server: Server, status: str
) -> None:
    org_id = owned(server)
    change = {"status": status}
    server.client.patch(f"{ORGS}/{org_id}", json=change, headers=ADMIN).raise_for_status()
    answer = check(server, org_id, "boss", "members:write")
    assert (answer["allowed"], answer["reason"]) == (False, f"organization_{status}")


def test_a_stranger_is_refused_as_not_a_member(server: Server) -> None:
    answer = check(server, owned(server), "stranger", "members:read")
    assert (answer["allowed"], answer["reason"]) == (False, "not_a_member")


def test_a_role_without_the_permission_is_refused_as_not_granted(server: Server) -> None:
    org_id = owned(server)
    body = {"userId": "m", "email": "m@example.com", "roles": ["member"]}
    server.client.post(f"{ORGS}/{org_id}/members", json=body, headers=ADMIN).raise_for_status()
    answer = check(server, org_id, "m", "members:write")
    assert (answer["allowed"], answer["reason"]) == (False, "permission_not_granted")


def test_a_check_as_of_a_past_moment_answers_as_the_list_does(server: Server) -> None:
    org_id = owned(server)
    time.sleep(0.05)
    before = datetime.now(UTC).isoformat()
    time.sleep(0.05)
    member = f"{ORGS}/{org_id}/members/boss"
    server.client.post(
        f"{ORGS}/{org_id}/members",
        json={"userId": "b2", "email": "b2@example.com", "roles": ["owner"]},
        headers=ADMIN,
    ).raise_for_status()
    server.client.patch(member, json={"roles": ["member"]}, headers=ADMIN).raise_for_status()
    then = check(server, org_id, "boss", "members:write", asOf=before)
    listed = server.client.get(f"{member}/permissions", params={"asOf": before}, headers=ADMIN)
    assert (then["allowed"], then["asOf"] is not None) == (True, True)
    assert listed.json()["roles"] == ["owner"]
    assert check(server, org_id, "boss", "members:write")["allowed"] is False


@pytest.mark.parametrize("user_id", [".", ".."])
def test_a_user_id_that_is_a_dot_segment_is_refused(server: Server, user_id: str) -> None:
    org_id = new_org(server)["id"]
    body = {"userId": user_id, "email": "dots@example.com"}
    response = server.client.post(f"{ORGS}/{org_id}/members", json=body, headers=ADMIN)
    assert (response.status_code, response.json()["details"]["fields"][0]["field"]) == (
        400,
        "userId",
    )
    listed = server.client.get(f"{ORGS}/{org_id}/members", headers=ADMIN).json()["members"]
    assert listed == []

"""Members, invitations, roles and permission checks over HTTP, on each store."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from tests.helpers import ADMIN, bearer, issue_key, new_org

if TYPE_CHECKING:
    import httpx

    from tests.api.conftest import InProcessServer as Server

ORGS = "/api/v1/organizations"


def members(org_id: str) -> str:
    return f"{ORGS}/{org_id}/members"


def add(server: Server, org_id: str, user: str, *roles: str, **extra: Any) -> httpx.Response:
    body = {"userId": user, "email": f"{user}@example.com", **extra}
    if roles:
        body["roles"] = list(roles)
    return server.client.post(members(org_id), json=body, headers=ADMIN)


def invite(server: Server, org_id: str, email: str, **extra: Any) -> dict[str, Any]:
    response = server.client.post(
        f"{ORGS}/{org_id}/invitations", json={"email": email, **extra}, headers=ADMIN
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def test_added_member_is_readable_at_once_and_counted(server: Server) -> None:
    org = new_org(server)
    response = add(server, org["id"], "u1", "owner", metadata={"team": "core"})
    assert response.status_code == 201, response.text
    assert response.headers["Location"].endswith("/members/u1")
    member = server.client.get(f"{members(org['id'])}/u1", headers=ADMIN).json()["member"]
    assert (member["status"], member["roles"], member["metadata"]) == (
        "active",
        ["owner"],
        {"team": "core"},
    )
    fetched = server.client.get(f"{ORGS}/{org['id']}", headers=ADMIN).json()["organization"]
    assert (fetched["owner"], fetched["activeMemberCount"], fetched["pendingMemberCount"]) == (
        "u1",
        1,
        0,
    )


def test_a_member_is_read_in_the_envelope_its_commands_answer(server: Server) -> None:
    org = new_org(server)
    added = add(server, org["id"], "e1", "admin").json()
    read = server.client.get(f"{members(org['id'])}/e1", headers=ADMIN).json()
    assert (read["organizationId"], read["member"]) == (org["id"], added["member"])


def test_a_member_with_any_user_id_is_reachable_at_its_location(server: Server) -> None:
    org = new_org(server)
    body = {"userId": "jürgen ünïcode ✓|42", "email": "j@example.com"}
    response = server.client.post(members(org["id"]), json=body, headers=ADMIN)
    assert response.status_code == 201, response.text
    fetched = server.client.get(response.headers["Location"], headers=ADMIN)
    assert fetched.json()["member"]["userId"] == "jürgen ünïcode ✓|42"


def test_a_user_id_with_a_slash_is_refused(server: Server) -> None:
    org = new_org(server)
    body = {"userId": "a/b", "email": "ab@example.com"}
    response = server.client.post(members(org["id"]), json=body, headers=ADMIN)
    assert (response.status_code, response.json()["details"]["fields"][0]["field"]) == (
        400,
        "userId",
    )


def test_a_command_and_a_read_give_a_member_the_same_times(server: Server) -> None:
    org = new_org(server)
    added = add(server, org["id"], "t1").json()["member"]
    changed = server.client.patch(
        f"{members(org['id'])}/t1", json={"roles": ["admin"]}, headers=ADMIN
    ).json()["member"]
    read = server.client.get(f"{members(org['id'])}/t1", headers=ADMIN).json()["member"]
    assert (read["createdAt"], read["updatedAt"]) == (added["createdAt"], changed["updatedAt"])


def test_duplicate_member_is_409_and_records_nothing(server: Server) -> None:
    org = new_org(server)
    add(server, org["id"], "u1")
    history = f"{ORGS}/{org['id']}/history"
    before = len(server.client.get(history, headers=ADMIN).json()["events"])
    response = add(server, org["id"], "u1")
    assert response.status_code == 409
    assert response.json()["code"] == "DUPLICATE_MEMBER"
    assert len(server.client.get(history, headers=ADMIN).json()["events"]) == before


def test_invitation_lifecycle_end_to_end(server: Server) -> None:
    org = new_org(server)
    issued = invite(server, org["id"], "new@example.com", roles=["admin"], expiresInDays=3)
    assert issued["token"].startswith("inv_")
    invitation = issued["member"]
    assert (invitation["status"], invitation["userId"]) == ("invited", None)
    base = f"{ORGS}/{org['id']}/invitations/{invitation['id']}"
    resent = server.client.post(f"{base}/resend", json={}, headers=ADMIN)
    assert resent.status_code == 200, resent.text
    assert resent.headers["Cache-Control"] == "no-store"
    old = server.client.post(
        f"{base}/accept", json={"token": issued["token"], "userId": "u9"}, headers=ADMIN
    )
    assert (old.status_code, old.json()["code"]) == (404, "MEMBER_NOT_FOUND")
    accepted = server.client.post(
        f"{base}/accept", json={"token": resent.json()["token"], "userId": "u9"}, headers=ADMIN
    )
    assert accepted.status_code == 200, accepted.text
    assert (accepted.json()["member"]["status"], accepted.json()["member"]["userId"]) == (
        "active",
        "u9",
    )
    fetched = server.client.get(f"{ORGS}/{org['id']}", headers=ADMIN).json()["organization"]
    assert (fetched["activeMemberCount"], fetched["pendingMemberCount"]) == (1, 0)


def test_revoked_invitation_is_gone(server: Server) -> None:
    org = new_org(server)
    issued = invite(server, org["id"], "gone@example.com")
    base = f"{ORGS}/{org['id']}/invitations/{issued['member']['id']}"
    assert server.client.delete(base, headers=ADMIN).json()["member"]["status"] == "removed"
    accept = server.client.post(
        f"{base}/accept", json={"token": issued["token"], "userId": "u1"}, headers=ADMIN
    )
    assert accept.status_code == 404


def test_invitation_expiry_out_of_range_is_400(server: Server) -> None:
    org = new_org(server)
    response = server.client.post(
        f"{ORGS}/{org['id']}/invitations",
        json={"email": "a@example.com", "expiresInDays": 31},
        headers=ADMIN,
    )
    assert response.status_code == 400
    assert response.json()["details"]["fields"][0]["field"] == "expiresInDays"


def test_last_owner_is_refused_with_its_code(server: Server) -> None:
    org = new_org(server)
    add(server, org["id"], "u1", "owner")
    response = server.client.delete(f"{members(org['id'])}/u1", headers=ADMIN)
    assert (response.status_code, response.json()["code"]) == (409, "LAST_OWNER")
    demote = server.client.patch(
        f"{members(org['id'])}/u1", json={"roles": ["member"]}, headers=ADMIN
    )
    assert demote.json()["code"] == "LAST_OWNER"


def test_membership_cap_is_refused_with_its_code(server: Server) -> None:
    org = new_org(server)
    server.client.patch(
        f"{ORGS}/{org['id']}", json={"maxAllowedMemberships": 1}, headers=ADMIN
    ).raise_for_status()
    invite(server, org["id"], "a@example.com")
    response = add(server, org["id"], "u2")
    assert (response.status_code, response.json()["code"]) == (409, "MEMBERSHIP_LIMIT_REACHED")


def test_roles_and_permission_checks(server: Server) -> None:
    org = new_org(server)
    role = server.client.put(
        f"{ORGS}/{org['id']}/roles/billing",
        json={"name": "Billing", "permissions": ["billing:*"]},
        headers=ADMIN,
    )
    assert role.status_code == 200, role.text
    keys = {r["key"] for r in role.json()["roles"]}
    assert keys == {"owner", "admin", "member", "billing"}
    add(server, org["id"], "u1", "billing")
    check = f"{members(org['id'])}/u1/permissions"
    assert server.client.get(f"{check}/billing:read", headers=ADMIN).json()["allowed"] is True
    assert server.client.get(f"{check}/members:write", headers=ADMIN).json()["allowed"] is False
    assert server.client.get(check, headers=ADMIN).json()["permissions"] == ["billing:*"]
    nobody = server.client.get(
        f"{members(org['id'])}/nobody/permissions/billing:read", headers=ADMIN
    )
    assert nobody.json()["allowed"] is False


def test_deactivated_member_is_not_allowed(server: Server) -> None:
    org = new_org(server)
    add(server, org["id"], "u1", "admin")
    server.client.patch(
        f"{members(org['id'])}/u1", json={"status": "inactive"}, headers=ADMIN
    ).raise_for_status()
    check = server.client.get(f"{members(org['id'])}/u1/permissions/members:read", headers=ADMIN)
    assert check.json()["allowed"] is False


def test_permissions_as_of_a_past_time(server: Server) -> None:
    org = new_org(server)
    add(server, org["id"], "u1", "member")
    time.sleep(0.05)
    between = datetime.now(UTC).isoformat()
    time.sleep(0.05)
    server.client.patch(
        f"{members(org['id'])}/u1", json={"roles": ["admin"]}, headers=ADMIN
    ).raise_for_status()
    past = server.client.get(
        f"{members(org['id'])}/u1/permissions", params={"asOf": between}, headers=ADMIN
    )
    assert past.status_code == 200, past.text
    assert past.json()["roles"] == ["member"]
    assert "members:write" not in past.json()["permissions"]


def test_member_changes_are_in_history_and_feed(server: Server) -> None:
    org = new_org(server)
    add(server, org["id"], "u1", "member")
    server.client.patch(
        f"{members(org['id'])}/u1",
        json={"roles": ["admin"]},
        headers={**ADMIN, "X-Change-Reason": "promoted"},
    ).raise_for_status()
    events = server.client.get(
        f"{ORGS}/{org['id']}/history",
        params={"type": "MembershipChanged", "order": "desc"},
        headers=ADMIN,
    ).json()["events"]
    last = events[0]
    assert last["reason"] == "promoted"
    assert last["actor"] == {"type": "admin"}
    member = server.client.get(f"{members(org['id'])}/u1", headers=ADMIN).json()["member"]
    member_id = member["id"]
    assert last["changes"][f"members.{member_id}.roles"] == {"from": ["member"], "to": ["admin"]}


def test_members_are_paged_and_filtered(server: Server) -> None:
    org = new_org(server)
    for i in range(5):
        add(server, org["id"], f"p{i}", "admin" if i % 2 else "member")
    first = server.client.get(members(org["id"]), params={"limit": 2}, headers=ADMIN).json()
    second = server.client.get(
        members(org["id"]), params={"limit": 2, "cursor": first["nextCursor"]}, headers=ADMIN
    ).json()
    assert [m["userId"] for m in first["members"] + second["members"]] == ["p0", "p1", "p2", "p3"]
    admins = server.client.get(members(org["id"]), params={"role": "admin"}, headers=ADMIN)
    assert [m["userId"] for m in admins.json()["members"]] == ["p1", "p3"]
    by_email = server.client.get(members(org["id"]), params={"email": "p4@"}, headers=ADMIN)
    assert [m["userId"] for m in by_email.json()["members"]] == ["p4"]


def test_organizations_of_a_user(server: Server) -> None:
    user = f"person-{time.monotonic_ns()}"
    first, second = new_org(server), new_org(server)
    add(server, first["id"], user, "owner")
    add(server, second["id"], user, "member")
    page = server.client.get(f"/api/v1/users/{user}/organizations", headers=ADMIN).json()
    assert [(m["organizationId"], m["member"]["roles"]) for m in page["memberships"]] == [
        (first["id"], ["owner"]),
        (second["id"], ["member"]),
    ]


def test_an_organization_key_reaches_only_its_own_members(server: Server) -> None:
    own, other = new_org(server), new_org(server)
    key = bearer(issue_key(server, own["id"])["secret"])
    assert (
        server.client.post(
            members(own["id"]), json={"userId": "k1", "email": "k1@example.com"}, headers=key
        ).status_code
        == 201
    )
    assert server.client.get(members(other["id"]), headers=key).status_code == 404
    assert (
        server.client.post(
            members(other["id"]), json={"userId": "k1", "email": "k1@example.com"}, headers=key
        ).status_code
        == 404
    )
    assert server.client.get("/api/v1/users/k1/organizations", headers=key).status_code == 403


def test_hostile_member_input_is_refused_and_records_nothing(server: Server) -> None:
    org = new_org(server)
    issued = invite(server, org["id"], "h@example.com")
    history = f"{ORGS}/{org['id']}/history"
    before = server.client.get(history, params={"limit": 100}, headers=ADMIN).json()["events"]
    accept = server.client.post(
        f"{ORGS}/{org['id']}/invitations/{issued['member']['id']}/accept",
        content=b'{"token": "\\ud800", "userId": "u1"}',
        headers={**ADMIN, "Content-Type": "application/json"},
    )
    assert (accept.status_code, accept.json()["details"]["fields"][0]["field"]) == (400, "token")
    bad_user = server.client.post(
        members(org["id"]),
        content=b'{"userId": "a\\u0000b", "email": "x@example.com"}',
        headers={**ADMIN, "Content-Type": "application/json"},
    )
    assert bad_user.status_code == 400
    odd_path = server.client.get(f"{members(org['id'])}/%ED%A0%80", headers=ADMIN)
    assert odd_path.status_code == 404
    bad_permission = server.client.get(
        f"{members(org['id'])}/u1/permissions/Not%20A%20Permission", headers=ADMIN
    )
    assert bad_permission.status_code == 400
    after = server.client.get(history, params={"limit": 100}, headers=ADMIN).json()["events"]
    assert after == before

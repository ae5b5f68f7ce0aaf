"""History, time travel, revert and the change feed over HTTP, on each store."""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Any

from tests.helpers import ADMIN, bearer, create_body, issue_key, new_org, random_slug

if TYPE_CHECKING:
    from tests.api.conftest import InProcessServer as Server

ORGS = "/api/v1/organizations"


def patch(server: Server, org_id: str, body: dict[str, Any], **headers: str) -> Any:
    response = server.client.patch(f"{ORGS}/{org_id}", json=body, headers={**ADMIN, **headers})
    assert response.status_code == 200, response.text
    return response


def test_history_lists_events_with_their_changes_actor_and_reason(server: Server) -> None:
    org = new_org(server, settings={"fiscalYearStart": "01-01"})
    patch(
        server,
        org["id"],
        {"supportEmail": "help@acme.com", "settings": {"fiscalYearStart": "04-01"}},
        **{"X-Change-Reason": "new fiscal year", "X-Request-Id": "req-h-1"},
    )
    body = server.client.get(f"{ORGS}/{org['id']}/history", headers=ADMIN).json()
    assert [e["type"] for e in body["events"]] == ["Created", "SettingsUpdated", "ProfileUpdated"]
    settings_event = body["events"][1]
    assert settings_event["changes"] == {
        "settings.fiscalYearStart": {"from": "01-01", "to": "04-01"}
    }
    assert (settings_event["actor"], settings_event["requestId"], settings_event["reason"]) == (
        {"type": "admin"},
        "req-h-1",
        "new fiscal year",
    )
    assert body["events"][2]["changes"] == {"supportEmail": {"from": None, "to": "help@acme.com"}}
    assert body["nextCursor"] is None


def test_history_pages_newest_first_with_next_cursor(server: Server) -> None:
    org = new_org(server)
    for i in range(4):
        patch(server, org["id"], {"name": f"Name {i}"})
    path, versions, cursor = f"{ORGS}/{org['id']}/history", [], None
    while True:
        params: dict[str, Any] = {"order": "desc", "limit": 2, "cursor": cursor}
        page = server.client.get(path, params={k: v for k, v in params.items() if v}, headers=ADMIN)
        versions += [e["version"] for e in page.json()["events"]]
        cursor = page.json()["nextCursor"]
        if cursor is None:
            break
    assert versions == [5, 4, 3, 2, 1]


def test_history_refuses_bad_parameters(server: Server) -> None:
    org = new_org(server)
    path = f"{ORGS}/{org['id']}/history"
    for params in ({"type": "Deleted"}, {"limit": 0}, {"since": "yesterday"}, {"cursor": "x"}):
        response = server.client.get(path, params=params, headers=ADMIN)
        assert (response.status_code, response.json()["code"]) == (400, "VALIDATION_ERROR")


def test_current_history_is_the_keys_own_and_nobody_elses(server: Server) -> None:
    own, other = new_org(server), new_org(server)
    key = bearer(issue_key(server, own["id"])["secret"])
    mine = server.client.get(f"{ORGS}/current/history", headers=key).json()
    assert mine["organizationId"] == own["id"]
    assert [e["type"] for e in mine["events"]] == ["Created", "ApiKeyIssued"]
    refused = server.client.get(f"{ORGS}/{other['id']}/history", headers=key)
    assert refused.json()["code"] == "ORGANIZATION_NOT_FOUND"


def test_get_as_of_a_version_or_a_moment(server: Server) -> None:
    org = new_org(server)
    renamed = patch(server, org["id"], {"name": "Renamed"}).json()["organization"]
    path = f"{ORGS}/{org['id']}"
    at_one = server.client.get(path, params={"version": 1}, headers=ADMIN)
    assert (at_one.json()["organization"], at_one.headers["etag"]) == (org, '"1"')
    moment = renamed["updatedAt"]
    assert (
        server.client.get(path, params={"asOf": moment}, headers=ADMIN).json()["organization"]
        == renamed
    )
    before = server.client.get(path, params={"asOf": "2001-01-01T00:00:00Z"}, headers=ADMIN)
    assert before.json()["code"] == "ORGANIZATION_NOT_FOUND"
    for params in (
        {"asOf": "2026-05-11T12:33:59"},
        {"version": -1},
        {"version": 1, "asOf": moment},
    ):
        response = server.client.get(path, params=params, headers=ADMIN)
        assert (response.status_code, response.json()["code"]) == (400, "VALIDATION_ERROR")


def test_revert_brings_back_an_earlier_state_and_respects_if_match(server: Server) -> None:
    org = new_org(server)
    patch(server, org["id"], {"name": "Mistake", "slug": random_slug()})
    path = f"{ORGS}/{org['id']}/revert"
    stale = server.client.post(path, json={"toVersion": 1}, headers={**ADMIN, "If-Match": '"1"'})
    assert (stale.status_code, stale.json()["details"]) == (412, {"currentVersion": 3})
    reverted = server.client.post(
        path, json={"toVersion": 1, "reason": "undo"}, headers={**ADMIN, "If-Match": '"3"'}
    )
    body = reverted.json()["organization"]
    assert (body["name"], body["slug"], body["version"]) == (org["name"], org["slug"], 5)
    history = server.client.get(f"{ORGS}/{org['id']}/history?order=desc&limit=1", headers=ADMIN)
    assert history.json()["events"][0]["reason"] == "undo"


def test_change_feed_pages_in_commit_order_and_echoes_after_when_empty(server: Server) -> None:
    head = server.client.get("/api/v1/events", params={"after": 0, "limit": 1000}, headers=ADMIN)
    start = head.json()["next"]
    org = new_org(server)
    patch(server, org["id"], {"name": "Fed"})
    page = server.client.get("/api/v1/events", params={"after": start}, headers=ADMIN).json()
    assert [(e["organizationId"], e["type"]) for e in page["events"]] == [
        (org["id"], "Created"),
        (org["id"], "Renamed"),
    ]
    assert page["next"] == page["events"][-1]["position"] > start
    empty = server.client.get("/api/v1/events", params={"after": page["next"]}, headers=ADMIN)
    assert empty.json() == {"events": [], "next": page["next"]}
    typed = server.client.get(
        "/api/v1/events", params={"after": start, "type": "Renamed"}, headers=ADMIN
    )
    assert [e["type"] for e in typed.json()["events"]] == ["Renamed"]


def test_an_empty_page_of_a_feed_filtered_by_type_moves_past_what_it_scanned(
    server: Server,
) -> None:
    head = server.client.get("/api/v1/events", params={"after": 0, "limit": 1000}, headers=ADMIN)
    start = head.json()["next"]
    org = new_org(server)
    params = {"after": start, "type": "ApiKeyRevoked"}
    empty = server.client.get("/api/v1/events", params=params, headers=ADMIN).json()
    created = server.client.get("/api/v1/events", params={"after": start}, headers=ADMIN)
    assert (created.json()["events"][0]["organizationId"], empty["events"]) == (org["id"], [])
    assert empty["next"] >= created.json()["events"][0]["position"] > start


def test_change_feed_long_poll_returns_when_an_event_arrives(server: Server) -> None:
    head = server.client.get("/api/v1/events", params={"after": 0, "limit": 1000}, headers=ADMIN)
    after = head.json()["next"]
    while head.json()["events"]:
        head = server.client.get(
            "/api/v1/events", params={"after": after, "limit": 1000}, headers=ADMIN
        )
        after = head.json()["next"]
    body = create_body()
    writer = threading.Timer(0.5, lambda: server.client.post(ORGS, json=body, headers=ADMIN))
    writer.start()
    started = time.monotonic()
    polled = server.client.get("/api/v1/events", params={"after": after, "wait": 20}, headers=ADMIN)
    writer.join()
    assert [e["type"] for e in polled.json()["events"]] == ["Created"]
    assert time.monotonic() - started < 20


def test_change_feed_is_for_admins(server: Server) -> None:
    org = new_org(server)
    key = bearer(issue_key(server, org["id"])["secret"])
    response = server.client.get("/api/v1/events", headers=key)
    assert (response.status_code, response.json()["code"]) == (403, "FORBIDDEN")

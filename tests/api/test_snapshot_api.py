"""The snapshot a cache starts from, over HTTP, on each store: every organization with its
roles and members, exactly as of the change-feed position it names."""

from __future__ import annotations

import json
import socket
import threading
from typing import TYPE_CHECKING, Any

from domain.commands import NewOrganization
from service.composition import bootstrap
from tests.helpers import (
    ADMIN,
    ADMIN_TOKEN,
    ORGS,
    bearer,
    issue_key,
    make_settings,
    new_org,
    org_with,
    random_slug,
)
from tests.helpers import (
    Server as ServerProcess,
)

if TYPE_CHECKING:
    from tests.api.conftest import InProcessServer as Server

SNAPSHOT = "/api/v1/snapshot"


def snapshot(server: Server, headers: dict[str, str] = ADMIN, **params: str) -> list[Any]:
    response = server.client.get(SNAPSHOT, params=params, headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/x-ndjson"
    return [json.loads(line) for line in response.text.splitlines()]


def organization_lines(lines: list[Any]) -> dict[str, Any]:
    return {line["organization"]["id"]: line for line in lines if line["kind"] == "organization"}


def feed_after(server: Server, position: int) -> list[Any]:
    events: list[Any] = []
    while True:
        params = {"after": position, "limit": 1000}
        page = server.client.get("/api/v1/events", params=params, headers=ADMIN).json()
        if not page["events"]:
            return events
        events += page["events"]
        position = page["next"]


def get(server: Server, path: str) -> Any:
    response = server.client.get(f"{ORGS}/{path}", headers=ADMIN)
    assert response.status_code == 200, response.text
    return response.json()


def test_a_snapshot_holds_each_organization_as_reads_answer_it(server: Server) -> None:
    org = org_with(server, ann="owner", bob="member")
    role = {"name": "Billing", "permissions": ["billing:*"]}
    server.client.put(f"{ORGS}/{org['id']}/roles/billing", json=role, headers=ADMIN)
    line = organization_lines(snapshot(server))[org["id"]]
    assert line["organization"] == get(server, org["id"])["organization"]
    assert line["roles"] == get(server, f"{org['id']}/roles")["roles"]
    assert line["members"] == get(server, f"{org['id']}/members")["members"]


def test_a_snapshot_starts_with_its_position_and_ends_with_its_count(
    server: Server,
) -> None:
    new_org(server)
    lines = snapshot(server)
    start, end = lines[0], lines[-1]
    assert start["kind"] == "start"
    assert end == {"kind": "end", "position": start["position"], "organizations": len(lines) - 2}
    ids = [line["organization"]["id"] for line in lines[1:-1]]
    assert ids == sorted(set(ids))  # By id, each once.


def test_the_feed_after_the_snapshot_holds_exactly_the_later_changes(
    server: Server,
) -> None:
    org = org_with(server, ann="owner")
    lines = snapshot(server)
    version = organization_lines(lines)[org["id"]]["organization"]["version"]
    server.client.patch(f"{ORGS}/{org['id']}", json={"name": "Renamed"}, headers=ADMIN)
    member = {"userId": "cy", "email": "cy@example.com"}
    server.client.post(f"{ORGS}/{org['id']}/members", json=member, headers=ADMIN)
    later = [
        e for e in feed_after(server, lines[0]["position"]) if e["organizationId"] == org["id"]
    ]
    assert [e["version"] for e in later] == [version + 1, version + 2]
    assert get(server, org["id"])["organization"]["version"] == version + 2


def test_a_key_gets_its_own_organization_only(server: Server) -> None:
    org, other = new_org(server), new_org(server)
    key = bearer(issue_key(server, org["id"])["secret"])
    assert list(organization_lines(snapshot(server, key))) == [org["id"]]
    refused = server.client.get(SNAPSHOT, params={"organizationId": other["id"]}, headers=key)
    assert refused.status_code == 404
    assert refused.json()["code"] == "ORGANIZATION_NOT_FOUND"


def test_the_admin_may_ask_for_one_organization(server: Server) -> None:
    org = new_org(server)
    lines = snapshot(server, organizationId=org["id"])
    assert [line["kind"] for line in lines] == ["start", "organization", "end"]
    assert lines[1]["organization"]["id"] == org["id"]


def test_a_snapshot_of_an_organization_that_does_not_exist_is_404(server: Server) -> None:
    missing = "00000000-0000-4000-8000-000000000000"
    response = server.client.get(SNAPSHOT, params={"organizationId": missing}, headers=ADMIN)
    assert response.status_code == 404
    assert response.json()["code"] == "ORGANIZATION_NOT_FOUND"


def test_a_snapshot_needs_credentials(server: Server) -> None:
    response = server.client.get(SNAPSHOT)
    assert response.status_code == 401
    assert response.json()["code"] == "UNAUTHORIZED"


def _consistent(server: Server, lines: list[Any], orgs: list[str]) -> None:
    """Each organization's row, its members and the position agree: its active members are
    its count, and its version is that of its last event at or before the position."""
    position, by_id = lines[0]["position"], organization_lines(lines)
    last: dict[str, int] = {}
    for event in feed_after(server, 0):
        if event["position"] <= position and event["organizationId"] in orgs:
            last[event["organizationId"]] = event["version"]
    for org_id in orgs:
        organization, members = by_id[org_id]["organization"], by_id[org_id]["members"]
        assert organization["version"] == last[org_id]
        active = [m for m in members if m["status"] == "active"]
        assert organization["activeMemberCount"] == len(active)


def test_writes_racing_snapshots_never_give_one_out_of_step(server: Server) -> None:
    orgs = [org_with(server, owner="owner")["id"] for _ in range(3)]
    stop = threading.Event()

    def write(org_id: str) -> None:
        n = 0
        while not stop.is_set():
            n += 1
            body = {"userId": f"u{n}", "email": f"u{n}@example.com"}
            server.client.post(f"{ORGS}/{org_id}/members", json=body, headers=ADMIN)
            server.client.delete(f"{ORGS}/{org_id}/members/u{n}", headers=ADMIN)

    writers = [threading.Thread(target=write, args=(org_id,)) for org_id in orgs]
    for writer in writers:
        writer.start()
    try:
        taken = [snapshot(server) for _ in range(15)]
    finally:
        stop.set()
        for writer in writers:
            writer.join()
    for lines in taken:
        _consistent(server, lines, orgs)
    assert len({lines[0]["position"] for lines in taken}) > 1  # The writes did race them.


def _fill(database_url: str, organizations: int) -> None:
    """Organizations of 16 KB of settings each, written from the test's process."""
    services = bootstrap(make_settings(database_url))
    try:
        for _ in range(organizations):
            settings = {"blob": "x" * 16_000}
            written = services.registry.create(
                NewOrganization(name="Big", slug=random_slug(), settings=settings)
            )
        assert services.read_model.queries.wait_for_position(written.position or 0, 60)
    finally:
        services.close()


def _stalled_snapshot(server: ServerProcess) -> socket.socket:
    """A connection that asks for a snapshot, takes its first byte, then reads no more
    (with a receive buffer of 4 KB: the server cannot send it all)."""
    stalled = socket.socket()
    stalled.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    stalled.connect(("127.0.0.1", server.port))
    request = f"GET {SNAPSHOT} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {ADMIN_TOKEN}\r\n\r\n"
    stalled.sendall(request.encode())
    assert stalled.recv(1) == b"H"
    return stalled


def test_a_client_that_stops_reading_holds_no_store_turn(database_url: str) -> None:
    _fill(database_url, 500)  # 8 MB of lines: more than the sockets' buffers hold.
    server = ServerProcess(database_url, env={"REGISTRY_SNAPSHOT_CONCURRENCY": "1"})
    try:
        with _stalled_snapshot(server):
            response = server.client.get(SNAPSHOT, headers=ADMIN, timeout=60)
        assert response.status_code == 200
        assert json.loads(response.text.splitlines()[-1])["organizations"] == 500
    finally:
        server.stop()

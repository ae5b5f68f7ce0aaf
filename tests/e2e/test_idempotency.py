"""Idempotency keys over HTTP, on each store: retries replay, reuse is refused, races run once."""

from __future__ import annotations

import hashlib
import json
import threading
from typing import TYPE_CHECKING, Any

import pytest

from tests.helpers import ADMIN, Server, bearer, create_body, issue_key, new_org

if TYPE_CHECKING:
    from collections.abc import Iterator

ORGS = "/api/v1/organizations"


def keyed(key: str, headers: dict[str, str] = ADMIN) -> dict[str, str]:
    return {**headers, "Idempotency-Key": key}


def events(server: Server) -> int:
    """The change feed's head: the position of the last organization event."""
    after, more = 0, True
    while more:
        page = server.client.get(
            "/api/v1/events", params={"after": after, "limit": 1000}, headers=ADMIN
        )
        more, after = bool(page.json()["events"]), page.json()["next"]
    return int(after)


def test_a_retry_gets_the_first_response_and_records_nothing(server: Server) -> None:
    body, key = create_body(), f"create-{create_body()['slug']}"
    first = server.client.post(ORGS, json=body, headers=keyed(key))
    before = events(server)
    retry = server.client.post(ORGS, json=body, headers=keyed(key))
    assert (retry.status_code, retry.json()) == (201, first.json())
    assert (retry.headers["etag"], retry.headers["location"]) == (
        first.headers["etag"],
        first.headers["location"],
    )
    assert retry.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert events(server) == before


def test_a_refused_request_is_replayed_too(server: Server) -> None:
    taken = new_org(server)
    body = create_body(slug=taken["slug"])
    first = server.client.post(ORGS, json=body, headers=keyed("dup-slug-1"))
    retry = server.client.post(ORGS, json=body, headers=keyed("dup-slug-1"))
    assert first.json()["code"] == retry.json()["code"] == "DUPLICATE_SLUG"
    assert retry.headers["idempotent-replayed"] == "true"


def test_the_same_key_with_another_request_is_refused(server: Server) -> None:
    org = new_org(server)
    path = f"{ORGS}/{org['id']}"
    server.client.patch(path, json={"name": "One"}, headers=keyed(f"k-{org['id']}"))
    for method, other_path, body in (
        ("PATCH", path, {"name": "Two"}),
        ("PUT", path, {"name": "One"}),
        ("PATCH", f"{path}?x=1", {"name": "One"}),
    ):
        response = server.client.request(
            method, other_path, json=body, headers=keyed(f"k-{org['id']}")
        )
        assert (response.status_code, response.json()["code"]) == (409, "IDEMPOTENCY_KEY_REUSED")
    assert server.client.get(path, headers=ADMIN).json()["organization"]["name"] == "One"


def test_keys_are_scoped_per_credential(server: Server) -> None:
    org = new_org(server)
    key = bearer(issue_key(server, org["id"])["secret"])
    by_admin = server.client.patch(
        f"{ORGS}/{org['id']}", json={"name": "By admin"}, headers=keyed("shared")
    )
    by_key = server.client.patch(
        f"{ORGS}/current", json={"name": "By key"}, headers=keyed("shared", key)
    )
    assert by_admin.json()["organization"]["name"] == "By admin"
    assert by_key.json()["organization"]["name"] == "By key"
    assert "idempotent-replayed" not in by_key.headers


def test_concurrent_requests_with_one_key_execute_once(server: Server) -> None:
    body, responses = create_body(), []
    barrier = threading.Barrier(8)

    def post() -> None:
        barrier.wait()
        responses.append(server.client.post(ORGS, json=body, headers=keyed(body["slug"])))

    threads = [threading.Thread(target=post) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert {r.status_code for r in responses} == {201}
    assert len({r.json()["organization"]["id"] for r in responses}) == 1
    assert sum(r.headers.get("idempotent-replayed") == "true" for r in responses) == 7


def test_an_invalid_key_is_refused(server: Server) -> None:
    response = server.client.post(ORGS, json=create_body(), headers=keyed("k" * 256))
    assert (response.status_code, response.json()["code"]) == (400, "VALIDATION_ERROR")


@pytest.fixture
def restartable(database_url: str) -> Iterator[list[Server]]:
    servers = [Server(database_url)]
    yield servers
    servers[-1].stop()


def test_replay_survives_a_server_restart(database_url: str, restartable: list[Server]) -> None:
    body: dict[str, Any] = create_body()
    first = restartable[0].client.post(ORGS, json=body, headers=keyed("across-restart"))
    restartable[0].stop()
    restartable.append(Server(database_url))
    before = events(restartable[-1])
    retry = restartable[-1].client.post(ORGS, json=body, headers=keyed("across-restart"))
    assert (retry.status_code, retry.json()) == (201, first.json())
    assert retry.headers["idempotent-replayed"] == "true"
    assert events(restartable[-1]) == before


def test_a_keyed_key_issuance_replays_its_secret_which_is_kept_only_sealed(
    server: Server, module_database_url: str
) -> None:
    from tests.helpers import dump_store

    org = new_org(server)
    key = f"issue-{org['id']}"
    path = f"{ORGS}/{org['id']}/api-keys"
    first = server.client.post(path, json={"name": "ci"}, headers=keyed(key))
    replay = server.client.post(path, json={"name": "ci"}, headers=keyed(key))
    secret = first.json()["secret"]
    assert (replay.status_code, replay.json()) == (201, first.json())
    assert replay.headers["idempotent-replayed"] == "true"
    store, logs = dump_store(module_database_url), server.logs()
    assert hashlib.sha256(key.encode()).hexdigest() in store  # The dump holds its record.
    for text in (store, logs):
        assert secret not in text
        assert secret[len(first.json()["apiKey"]["prefix"]) :] not in text
        assert key not in text


def test_a_retry_with_the_same_json_spaced_and_ordered_otherwise_is_the_same_request(
    server: Server,
) -> None:
    body = create_body()
    headers = {**keyed(f"spacing-{body['slug']}"), "Content-Type": "application/json"}
    first = server.client.post(ORGS, content=json.dumps(body), headers=headers)
    respaced = json.dumps(dict(reversed(body.items())), indent=2)
    retry = server.client.post(ORGS, content=respaced, headers=headers)
    assert (first.status_code, retry.status_code) == (201, 201)
    assert retry.headers["idempotent-replayed"] == "true"
    assert retry.json() == first.json()


def test_a_keyed_invitation_replays_its_token_which_is_kept_only_sealed(
    server: Server, module_database_url: str
) -> None:
    from tests.helpers import dump_store

    org = new_org(server)
    key = f"invite-{org['id']}"
    path = f"{ORGS}/{org['id']}/invitations"
    first = server.client.post(path, json={"email": "keyed@example.com"}, headers=keyed(key))
    replay = server.client.post(path, json={"email": "keyed@example.com"}, headers=keyed(key))
    assert (replay.status_code, replay.json()) == (201, first.json())
    assert replay.headers["idempotent-replayed"] == "true"
    pending = server.client.get(
        f"{ORGS}/{org['id']}/members", params={"status": "invited"}, headers=ADMIN
    )
    assert len(pending.json()["members"]) == 1
    token = first.json()["token"]
    for text in (dump_store(module_database_url), server.logs()):
        assert token not in text
        assert token[len("inv_") :] not in text


def invite_by_key(server: Server, org: dict[str, Any], secret: str) -> Any:
    path = f"{ORGS}/{org['id']}/invitations"
    headers = keyed(f"invite-by-key-{org['id']}", bearer(secret))
    return server.client.post(path, json={"email": "by-key@example.com"}, headers=headers)


def test_a_keys_keyed_invitation_replays_its_token_to_that_key(server: Server) -> None:
    org = new_org(server)
    secret = issue_key(server, org["id"])["secret"]
    first = invite_by_key(server, org, secret)
    replay = invite_by_key(server, org, secret)
    assert first.status_code == 201, first.text
    assert (replay.status_code, replay.json()) == (201, first.json())
    assert replay.headers["idempotent-replayed"] == "true"


def test_a_revoked_key_gets_nothing_from_its_sealed_answer(server: Server) -> None:
    org = new_org(server)
    issued = issue_key(server, org["id"])
    first = invite_by_key(server, org, issued["secret"])
    revoke = f"{ORGS}/{org['id']}/api-keys/{issued['apiKey']['id']}"
    server.client.delete(revoke, headers=ADMIN).raise_for_status()
    replay = invite_by_key(server, org, issued["secret"])
    assert first.status_code == 201, first.text
    assert (replay.status_code, replay.json()["code"]) == (401, "UNAUTHORIZED")
    assert first.json()["token"] not in replay.text

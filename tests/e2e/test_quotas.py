"""Request quotas per credential, over a real server on each store: refusals beyond the
quota, the RateLimit headers on every answer, an organization's own quota, and a keyed
write refused before its Idempotency-Key is claimed."""

from __future__ import annotations

import re
import subprocess
import sys
import threading
import time
from typing import TYPE_CHECKING, Any

import pytest

from tests.helpers import ADMIN, ORGS, Server, bearer, create_body, issue_key, new_org, org_with

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    import httpx

BURST = 3
QUOTAS = {
    # One token a minute: none comes back while a test runs.
    "REGISTRY_RATE_LIMIT_READS_PER_MINUTE": "1",
    "REGISTRY_RATE_LIMIT_READ_BURST": str(BURST),
    "REGISTRY_RATE_LIMIT_WRITES_PER_MINUTE": "1",
    "REGISTRY_RATE_LIMIT_WRITE_BURST": "5",
    "REGISTRY_RATE_LIMIT_ADMIN": "true",
}
POLICY = re.compile(r'^"(reads|writes)";q=\d+;w=\d+$')
STATE = re.compile(r'^"(reads|writes)";r=\d+;t=\d+$')


def users_env(keys: Path) -> dict[str, str]:
    """A local identity provider's settings (``tenant-registry users keys``)."""
    exports = users_cli("keys", "--dir", str(keys))
    return dict(line.removeprefix("export ").split("=", 1) for line in exports.splitlines())


def users_cli(*args: str) -> str:
    command = [sys.executable, "-m", "cli.main", "users", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=60, check=True).stdout


@pytest.fixture
def limited(database_url: str, tmp_path: Path) -> Iterator[Server]:
    server = Server(database_url, env={**QUOTAS, **users_env(tmp_path)})
    server.keys = tmp_path  # type: ignore[attr-defined]
    yield server
    server.stop()


def credential_and_path(server: Server, kind: str) -> tuple[dict[str, str], str]:
    """Credentials of ``kind`` and a path they may read."""
    if kind == "admin":
        return ADMIN, ORGS
    if kind == "apiKey":
        key = issue_key(server, new_org(server)["id"])
        return bearer(key["secret"]), f"{ORGS}/current"
    org = org_with(server, alice="owner")
    token = users_cli("token", "alice", "--dir", str(server.keys))  # type: ignore[attr-defined]
    return bearer(token.strip()), f"{ORGS}/{org['id']}"


@pytest.mark.parametrize("kind", ["admin", "apiKey", "user"])
def test_each_kind_of_credential_is_refused_beyond_its_read_quota(
    limited: Server, kind: str
) -> None:
    headers, path = credential_and_path(limited, kind)
    answers = [limited.client.get(path, headers=headers) for _ in range(BURST + 1)]
    assert [a.status_code for a in answers] == [200] * BURST + [429], answers[-1].text
    refused = answers[-1]
    assert refused.json()["code"] == "RATE_LIMITED"
    assert int(refused.headers["retry-after"]) == refused.json()["details"]["retryAfter"] >= 1


def test_writes_have_a_quota_of_their_own(limited: Server) -> None:
    key = bearer(issue_key(limited, new_org(limited)["id"])["secret"])
    for _ in range(BURST):
        limited.client.get(f"{ORGS}/current", headers=key)
    assert limited.client.get(f"{ORGS}/current", headers=key).status_code == 429
    renamed = limited.client.patch(f"{ORGS}/current", json={"name": "Renamed"}, headers=key)
    assert renamed.status_code == 200, renamed.text
    assert renamed.headers["ratelimit-policy"].startswith('"writes";')


def has_quota_headers(answer: httpx.Response) -> bool:
    return bool(
        POLICY.match(answer.headers.get("ratelimit-policy", ""))
        and STATE.match(answer.headers.get("ratelimit", ""))
    )


def test_every_answer_to_a_request_with_credentials_carries_the_quota_headers(
    limited: Server,
) -> None:
    answers = [
        limited.client.get(ORGS, headers=ADMIN),  # 200
        limited.client.get(f"{ORGS}/00000000-0000-4000-8000-000000000000", headers=ADMIN),
        limited.client.get(ORGS, headers=bearer("sk_wrong")),  # 401
        limited.client.post(ORGS, json={"name": ""}, headers=ADMIN),  # 400
        limited.client.get(ORGS, headers=ADMIN),
        limited.client.get(ORGS, headers=ADMIN),  # 429: the admin's fourth read
    ]
    assert [a.status_code for a in answers] == [200, 404, 401, 400, 200, 429]
    assert all(has_quota_headers(a) for a in answers)


def test_the_quota_headers_say_how_many_requests_are_left(limited: Server) -> None:
    first = limited.client.get(ORGS, headers=ADMIN)
    assert first.headers["ratelimit-policy"] == f'"reads";q={BURST};w={BURST * 60}'
    assert first.headers["ratelimit"] == f'"reads";r={BURST - 1};t=60'


def test_a_request_without_credentials_has_no_quota(limited: Server) -> None:
    answers = [limited.client.get("/healthz") for _ in range(BURST + 1)]
    assert {a.status_code for a in answers} == {200}
    assert "ratelimit" not in answers[-1].headers


def test_the_admin_token_can_be_exempted_from_quotas(database_url: str) -> None:
    server = Server(database_url, env={**QUOTAS, "REGISTRY_RATE_LIMIT_ADMIN": "false"})
    try:
        answers = [server.client.get(ORGS, headers=ADMIN) for _ in range(BURST + 1)]
    finally:
        server.stop()
    assert {a.status_code for a in answers} == {200}
    assert "ratelimit" not in answers[-1].headers


def test_a_long_poll_of_the_feed_leaves_its_credential_free_to_ask_more(
    database_url: str,
) -> None:
    env = {**QUOTAS, "REGISTRY_RATE_LIMIT_READ_BURST": "100", "REGISTRY_RATE_LIMIT_IN_FLIGHT": "1"}
    server = Server(database_url, env=env)
    try:
        feed = server.client.get("/api/v1/events", headers=ADMIN).json()
        after = {"after": feed["next"], "wait": 5}
        poll = threading.Thread(
            target=server.client.get,
            args=("/api/v1/events",),
            kwargs={"params": after, "headers": ADMIN},
        )
        poll.start()
        time.sleep(0.5)  # The poll is waiting for events now.
        answer = server.client.get(ORGS, headers=ADMIN)
        still_polling = poll.is_alive()
        poll.join()
    finally:
        server.stop()
    assert answer.status_code == 200
    assert still_polling  # Answered while the credential's one request in flight waited.


def set_quota(server: Server, org_id: str, quota: dict[str, Any] | None) -> httpx.Response:
    body = {"requestQuota": quota}
    return server.client.patch(f"{ORGS}/{org_id}", json=body, headers=ADMIN)


def test_an_organizations_own_quota_set_by_the_admin_applies_to_its_keys(
    database_url: str,
) -> None:
    env = {"REGISTRY_RATE_LIMIT_READS_PER_MINUTE": "1", "REGISTRY_RATE_LIMIT_READ_BURST": "100"}
    server = Server(database_url, env=env)
    try:
        org, other = new_org(server), new_org(server)
        assert set_quota(server, org["id"], {"readBurst": 2}).status_code == 200
        key, others = (bearer(issue_key(server, o["id"])["secret"]) for o in (org, other))
        # Its first request tells which organization the key is of; its quota from then on.
        statuses = [server.client.get(f"{ORGS}/current", headers=key).status_code for _ in "1234"]
        assert statuses == [200, 200, 200, 429]
        mine = server.client.get(f"{ORGS}/current", headers=others)
        assert mine.status_code == 200
        assert mine.headers["ratelimit-policy"].startswith('"reads";q=100;')
    finally:
        server.stop()


def test_an_organizations_quota_is_in_its_history(limited: Server) -> None:
    org = new_org(limited)
    quota = {"readsPerMinute": 600, "readBurst": 20, "writesPerMinute": None, "writeBurst": 5}
    assert set_quota(limited, org["id"], quota).status_code == 200
    events = limited.client.get(f"{ORGS}/{org['id']}/history", headers=ADMIN).json()["events"]
    assert events[-1]["type"] == "AccountUpdated"
    assert events[-1]["changes"] == {"requestQuota": {"from": None, "to": quota}}


def test_an_organization_cannot_set_its_own_quota(limited: Server) -> None:
    key = bearer(issue_key(limited, new_org(limited)["id"])["secret"])
    refused = limited.client.patch(
        f"{ORGS}/current", json={"requestQuota": {"readBurst": 1000}}, headers=key
    )
    assert (refused.status_code, refused.json()["code"]) == (403, "FORBIDDEN")


def test_a_bad_quota_is_refused_naming_the_field(limited: Server) -> None:
    refused = set_quota(limited, new_org(limited)["id"], {"readBurst": 0})
    assert refused.status_code == 400
    assert refused.json()["details"]["fields"][0]["field"] == "requestQuota.readBurst"


def test_a_keyed_write_refused_for_its_quota_runs_when_retried_after_the_refill(
    database_url: str,
) -> None:
    one_every_two_seconds = {
        "REGISTRY_RATE_LIMIT_WRITES_PER_MINUTE": "30",
        "REGISTRY_RATE_LIMIT_WRITE_BURST": "1",
        "REGISTRY_RATE_LIMIT_ADMIN": "true",
    }
    server = Server(database_url, env=one_every_two_seconds)
    try:
        body = create_body()

        def create() -> httpx.Response:
            keyed = {**ADMIN, "Idempotency-Key": "quota-retry"}
            return server.client.post(ORGS, json=body, headers=keyed)

        assert server.client.post(ORGS, json=create_body(), headers=ADMIN).status_code == 201
        refused = create()
        assert refused.status_code == 429
        time.sleep(int(refused.headers["retry-after"]))
        ran = create()
        assert (ran.status_code, ran.headers.get("idempotent-replayed")) == (201, None)
        time.sleep(int(ran.headers["ratelimit"].rsplit("t=", 1)[1]))
        again = create()
        assert (again.status_code, again.headers["idempotent-replayed"]) == (201, "true")
        assert again.json()["organization"]["id"] == ran.json()["organization"]["id"]
    finally:
        server.stop()


def test_refusals_are_counted_by_kind_of_credential(limited: Server) -> None:
    key = bearer(issue_key(limited, new_org(limited)["id"])["secret"])
    for _ in range(BURST + 2):
        limited.client.get(f"{ORGS}/current", headers=key)
    metrics = limited.client.get("/metrics").text
    assert 'registry_quota_refusals_total{kind="apiKey"} 2.0' in metrics

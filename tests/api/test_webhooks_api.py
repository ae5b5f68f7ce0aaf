"""Webhook endpoints over HTTP, on each store, delivering to a real receiver on loopback
that verifies each request as a customer would."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from tests.api.conftest import InProcessServer
from tests.helpers import ADMIN, ORGS, bearer, issue_key, new_org
from tests.receiver import NeverAccepting, Receiver

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

HOOKS = "/api/v1/webhook-endpoints"


@pytest.fixture(scope="module")
def server(module_database_url: str) -> Iterator[InProcessServer]:
    running = InProcessServer(
        module_database_url,
        secret_key="test-secret-key-0123456789abcdef",
        webhook_allowed_networks="127.0.0.0/8",
        webhook_retry_schedule="0.1,0.1,0.1",
        webhook_timeout=1,
        webhook_secret_overlap=3600,
    )
    yield running
    running.stop()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    running = Receiver()
    yield running
    running.stop()


def eventually(check: Callable[[], Any], timeout: float = 15) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if found := check():
            return found
        time.sleep(0.05)
    raise AssertionError("not within the time allowed")


def endpoint_for(
    server: InProcessServer, receiver: Receiver, org_id: str, **body: Any
) -> dict[str, Any]:
    response = server.client.post(
        f"{ORGS}/{org_id}/webhook-endpoints", json={"url": receiver.url, **body}, headers=ADMIN
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    receiver.secrets.append(created["secret"])
    endpoint: dict[str, Any] = created["endpoint"]
    return endpoint


def test_an_organizations_events_arrive_signed_in_order_with_the_organization_after_each(
    server: InProcessServer, receiver: Receiver
) -> None:
    org = new_org(server)
    endpoint_for(server, receiver, org["id"])
    for name in ("Two", "Three", "Four"):
        renamed = server.client.patch(f"{ORGS}/{org['id']}", json={"name": name}, headers=ADMIN)
        assert renamed.status_code == 200, renamed.text
    eventually(lambda: len(receiver.received) == 3)
    bodies = [r["body"] for r in receiver.received]
    assert [b["data"]["organization"]["name"] for b in bodies] == ["Two", "Three", "Four"]
    assert [b["type"] for b in bodies] == ["organization.renamed"] * 3
    assert receiver.positions() == sorted(receiver.positions())
    assert bodies[0]["data"]["event"]["changes"]["name"]["to"] == "Two"


def test_a_body_shows_the_event_as_the_feed_does_and_the_organization_as_get_does(
    server: InProcessServer, receiver: Receiver
) -> None:
    org = new_org(server, settings={"plan": "gold"})
    endpoint_for(server, receiver, org["id"])
    server.client.patch(f"{ORGS}/{org['id']}", json={"statusReason": "x"}, headers=ADMIN)
    body = eventually(lambda: receiver.received)[0]["body"]
    event = body["data"]["event"]
    feed = server.client.get(
        "/api/v1/events", params={"after": event["position"] - 1, "limit": 1}, headers=ADMIN
    )
    shown = server.client.get(
        f"{ORGS}/{org['id']}", params={"version": event["version"]}, headers=ADMIN
    )
    assert event == feed.json()["events"][0]
    assert body["data"]["organization"] == shown.json()["organization"]


def test_deleting_an_endpoint_removes_its_sealed_secret(
    server: InProcessServer, receiver: Receiver
) -> None:
    org = new_org(server)
    endpoint = endpoint_for(server, receiver, org["id"])
    secret_id = endpoint["secrets"][0]["id"]
    store = server.app.state.services.webhook_store
    assert store.sealed_secret(secret_id) is not None
    url = f"{ORGS}/{org['id']}/webhook-endpoints/{endpoint['id']}"
    assert server.client.delete(url, headers=ADMIN).status_code == 200
    eventually(lambda: store.sealed_secret(secret_id) is None)


def test_metrics_show_an_endpoints_undelivered_events_their_age_and_the_outcomes(
    server: InProcessServer, receiver: Receiver
) -> None:
    org = new_org(server)
    endpoint = endpoint_for(server, receiver, org["id"])
    receiver.answers = [410]  # Disabled: the event stays undelivered.
    server.client.patch(f"{ORGS}/{org['id']}", json={"name": "Late"}, headers=ADMIN)
    label = '{{endpoint="{}"}}'.format(endpoint["id"])
    waiting = f"registry_webhook_lag_events{label} 1.0"
    text = eventually(lambda: waiting in (t := server.client.get("/metrics").text) and t)
    age = float(text.split(f"registry_webhook_oldest_undelivered_seconds{label} ")[1].split()[0])
    assert age > 0
    assert 'registry_webhook_deliveries_total{outcome="failed"}' in text


def test_the_admin_creates_an_endpoint_for_one_organization(
    server: InProcessServer, receiver: Receiver
) -> None:
    org = new_org(server)
    body = {"url": receiver.url, "organizationId": org["id"]}
    created = server.client.post(HOOKS, json=body, headers=ADMIN)
    assert created.status_code == 201, created.text
    assert created.json()["endpoint"]["organizationId"] == org["id"]


def test_a_secret_is_shown_once_and_never_in_a_later_answer(
    server: InProcessServer, receiver: Receiver
) -> None:
    org = new_org(server)
    endpoint = endpoint_for(server, receiver, org["id"])
    got = server.client.get(f"{ORGS}/{org['id']}/webhook-endpoints/{endpoint['id']}", headers=ADMIN)
    assert got.status_code == 200
    assert receiver.secrets[-1] not in got.text
    assert receiver.secrets[-1].startswith("whsec_")


@pytest.mark.parametrize("operation", ["create", "rotate-secret"])
def test_an_answer_with_a_secret_is_kept_for_a_retry_only_sealed(
    server: InProcessServer, receiver: Receiver, operation: str
) -> None:
    org = new_org(server)
    path, body = f"{ORGS}/{org['id']}/webhook-endpoints", {"url": receiver.url}
    if operation == "rotate-secret":
        path, body = f"{path}/{endpoint_for(server, receiver, org['id'])['id']}/{operation}", {}
    headers = {**ADMIN, "Idempotency-Key": f"secret-{operation}-{org['id']}"}
    first = server.client.post(path, json=body, headers=headers)
    again = server.client.post(path, json=body, headers=headers)
    assert first.headers["Cache-Control"] == "no-store"  # The idempotency store seals it.
    assert again.json()["secret"] == first.json()["secret"]


def test_failed_deliveries_are_retried_with_the_same_webhook_id_and_order_kept(
    server: InProcessServer, receiver: Receiver
) -> None:
    org = new_org(server)
    endpoint_for(server, receiver, org["id"])
    receiver.answers = [500, 503]
    for name in ("Two", "Three"):
        server.client.patch(f"{ORGS}/{org['id']}", json={"name": name}, headers=ADMIN)
    eventually(lambda: len(receiver.received) == 2)
    assert [r["body"]["data"]["organization"]["name"] for r in receiver.received] == [
        "Two",
        "Three",
    ]


def test_410_gone_disables_the_endpoint_and_enabling_it_resumes_at_the_first_undelivered(
    server: InProcessServer, receiver: Receiver
) -> None:
    org = new_org(server)
    endpoint = endpoint_for(server, receiver, org["id"])
    url = f"{ORGS}/{org['id']}/webhook-endpoints/{endpoint['id']}"
    receiver.answers = [410]
    server.client.patch(f"{ORGS}/{org['id']}", json={"name": "Gone"}, headers=ADMIN)
    disabled = eventually(
        lambda: not (e := server.client.get(url, headers=ADMIN).json()["endpoint"])["enabled"] and e
    )
    assert "410" in disabled["disabledReason"]
    server.client.patch(f"{ORGS}/{org['id']}", json={"name": "Later"}, headers=ADMIN)
    assert server.client.patch(url, json={"enabled": True}, headers=ADMIN).status_code == 200
    eventually(lambda: len(receiver.received) == 2)
    assert [r["body"]["data"]["organization"]["name"] for r in receiver.received] == [
        "Gone",
        "Later",
    ]


def test_an_exhausted_schedule_disables_the_endpoint_with_its_reason(
    server: InProcessServer, receiver: Receiver
) -> None:
    org = new_org(server)
    endpoint = endpoint_for(server, receiver, org["id"])
    url = f"{ORGS}/{org['id']}/webhook-endpoints/{endpoint['id']}"
    receiver.answers = [500] * 4
    server.client.patch(f"{ORGS}/{org['id']}", json={"name": "Failing"}, headers=ADMIN)
    disabled = eventually(
        lambda: not (e := server.client.get(url, headers=ADMIN).json()["endpoint"])["enabled"] and e
    )
    assert "exhausted" in disabled["disabledReason"]
    assert receiver.received == []


def rotate(server: InProcessServer, org_id: str, endpoint_id: str, **body: Any) -> dict[str, Any]:
    path = f"{ORGS}/{org_id}/webhook-endpoints/{endpoint_id}/rotate-secret"
    rotated = server.client.post(path, json=body or None, headers=ADMIN)
    assert rotated.status_code == 200, rotated.text
    answer: dict[str, Any] = rotated.json()
    return answer


def one_delivery(server: InProcessServer, receiver: Receiver, org_id: str) -> dict[str, Any]:
    """The request the organization's next event makes (the first the receiver verifies)."""
    server.client.patch(f"{ORGS}/{org_id}", json={"name": f"Name {time.time()}"}, headers=ADMIN)
    request: dict[str, Any] = eventually(lambda: receiver.received and receiver.received[0])
    return request


def signed_by(secret: str, request: dict[str, Any]) -> bool:
    try:
        Webhook(secret).verify(request["raw"], request["headers"])
    except WebhookVerificationError:
        return False
    return True


def test_during_a_rotation_each_request_carries_both_signatures(
    server: InProcessServer, receiver: Receiver
) -> None:
    org = new_org(server)
    endpoint = endpoint_for(server, receiver, org["id"])
    old, new = receiver.secrets[-1], rotate(server, org["id"], endpoint["id"])["secret"]
    request = one_delivery(server, receiver, org["id"])
    assert len(request["headers"]["webhook-signature"].split(" ")) == 2
    assert (signed_by(old, request), signed_by(new, request)) == (True, True)


def test_after_a_rotations_overlap_only_the_new_secret_signs(
    server: InProcessServer, receiver: Receiver
) -> None:
    org = new_org(server)
    endpoint = endpoint_for(server, receiver, org["id"])
    old = receiver.secrets[-1]
    rotated = rotate(server, org["id"], endpoint["id"], overlapSeconds=1)
    until = datetime.fromisoformat(rotated["endpoint"]["secrets"][1]["expiresAt"])
    eventually(lambda: datetime.now(UTC) > until)
    receiver.secrets = [rotated["secret"]]
    request = one_delivery(server, receiver, org["id"])
    assert len(request["headers"]["webhook-signature"].split(" ")) == 1
    assert signed_by(old, request) is False


def test_a_secret_past_its_overlap_is_dropped_by_an_event_and_no_longer_kept(
    server: InProcessServer, receiver: Receiver
) -> None:
    org = new_org(server)
    endpoint = endpoint_for(server, receiver, org["id"])
    old_id = endpoint["secrets"][0]["id"]
    rotated = rotate(server, org["id"], endpoint["id"], overlapSeconds=1)
    until = datetime.fromisoformat(rotated["endpoint"]["secrets"][1]["expiresAt"])
    eventually(lambda: datetime.now(UTC) > until)
    receiver.secrets = [rotated["secret"]]
    one_delivery(server, receiver, org["id"])  # It sees the old secret expired.
    store = server.app.state.services.webhook_store
    eventually(lambda: store.sealed_secret(old_id) is None)
    url = f"{ORGS}/{org['id']}/webhook-endpoints/{endpoint['id']}"
    shown = server.client.get(url, headers=ADMIN).json()["endpoint"]["secrets"]
    assert [s["id"] for s in shown] == [rotated["endpoint"]["secrets"][0]["id"]]
    recorder = server.app.state.services.registry.recorder
    last = recorder.select_events(UUID(endpoint["id"]), desc=True, limit=1)[0]
    assert last.topic.endswith("WebhookEndpoint.SecretsExpired")


def test_a_rotation_with_no_overlap_stops_and_drops_the_old_secret_at_once(
    server: InProcessServer, receiver: Receiver
) -> None:
    org = new_org(server)
    endpoint = endpoint_for(server, receiver, org["id"])
    old_id = endpoint["secrets"][0]["id"]
    rotated = rotate(server, org["id"], endpoint["id"], overlapSeconds=0)
    assert [s["id"] for s in rotated["endpoint"]["secrets"]] != [old_id]
    assert len(rotated["endpoint"]["secrets"]) == 1
    store = server.app.state.services.webhook_store
    eventually(lambda: store.sealed_secret(old_id) is None)


def test_a_rotation_naming_no_overlap_has_the_settings(
    server: InProcessServer, receiver: Receiver
) -> None:
    org = new_org(server)
    endpoint = endpoint_for(server, receiver, org["id"])
    before = datetime.now(UTC)
    rotated = rotate(server, org["id"], endpoint["id"])
    until = datetime.fromisoformat(rotated["endpoint"]["secrets"][1]["expiresAt"])
    assert before + timedelta(hours=1) <= until <= datetime.now(UTC) + timedelta(hours=1)


@pytest.mark.parametrize("overlap", [-1, 7 * 86400 + 1, "60", 1.5])
def test_an_overlap_out_of_range_is_refused_and_nothing_recorded(
    server: InProcessServer, receiver: Receiver, overlap: object
) -> None:
    org = new_org(server)
    endpoint = endpoint_for(server, receiver, org["id"])
    path = f"{ORGS}/{org['id']}/webhook-endpoints/{endpoint['id']}"
    answer = server.client.post(
        f"{path}/rotate-secret", json={"overlapSeconds": overlap}, headers=ADMIN
    )
    assert (answer.status_code, answer.json()["code"]) == (400, "VALIDATION_ERROR")
    assert server.client.get(path, headers=ADMIN).json()["endpoint"]["version"] == 1


def test_an_attempt_to_a_listener_that_never_accepts_is_recorded_as_a_timeout(
    server: InProcessServer,
) -> None:
    org, listener = new_org(server), NeverAccepting()
    try:
        body = {"url": listener.url}
        created = server.client.post(
            f"{ORGS}/{org['id']}/webhook-endpoints", json=body, headers=ADMIN
        )
        assert created.status_code == 201, created.text
        server.client.patch(f"{ORGS}/{org['id']}", json={"name": "Waiting"}, headers=ADMIN)
        page = f"{HOOKS}/{created.json()['endpoint']['id']}/deliveries"
        tried = eventually(
            lambda: (
                (d := server.client.get(page, headers=ADMIN).json()["deliveries"])
                and d[0]["attempts"]
                and d[0]
            )
        )
    finally:
        listener.stop()
    assert (tried["lastStatus"], tried["lastCode"], tried["deliveredAt"]) == ("timeout", None, None)


def test_an_endpoint_disabled_by_an_exhausted_schedule_resumes_at_the_first_undelivered(
    server: InProcessServer, receiver: Receiver
) -> None:
    org = new_org(server)
    endpoint = endpoint_for(server, receiver, org["id"])
    url = f"{ORGS}/{org['id']}/webhook-endpoints/{endpoint['id']}"
    receiver.answers = [500] * 4  # One more than the schedule's three retries.
    server.client.patch(f"{ORGS}/{org['id']}", json={"name": "Failing"}, headers=ADMIN)
    eventually(lambda: not server.client.get(url, headers=ADMIN).json()["endpoint"]["enabled"])
    server.client.patch(f"{ORGS}/{org['id']}", json={"name": "While disabled"}, headers=ADMIN)
    assert server.client.patch(url, json={"enabled": True}, headers=ADMIN).status_code == 200
    eventually(lambda: len(receiver.received) == 2)
    names = [r["body"]["data"]["organization"]["name"] for r in receiver.received]
    assert names == ["Failing", "While disabled"]


def test_replay_from_a_position_delivers_exactly_the_events_from_there(
    server: InProcessServer, receiver: Receiver
) -> None:
    org = new_org(server)
    endpoint = endpoint_for(server, receiver, org["id"])
    for name in ("Two", "Three", "Four"):
        server.client.patch(f"{ORGS}/{org['id']}", json={"name": name}, headers=ADMIN)
    eventually(lambda: len(receiver.received) == 3)
    second = receiver.positions()[1]
    replay = f"{ORGS}/{org['id']}/webhook-endpoints/{endpoint['id']}/replay"
    replayed = server.client.post(replay, json={"fromPosition": second}, headers=ADMIN)
    assert replayed.json() == {"queued": 2, "nextFromPosition": None}
    eventually(lambda: len(receiver.received) == 5)
    assert receiver.positions()[3:] == receiver.positions()[1:3]


def test_replay_from_a_time_delivers_exactly_the_events_recorded_since(
    server: InProcessServer, receiver: Receiver
) -> None:
    org = new_org(server)
    endpoint = endpoint_for(server, receiver, org["id"])
    for name in ("Two", "Three", "Four"):
        server.client.patch(f"{ORGS}/{org['id']}", json={"name": name}, headers=ADMIN)
    eventually(lambda: len(receiver.received) == 3)
    since = receiver.received[1]["body"]["data"]["event"]["occurredAt"]
    replay = f"{ORGS}/{org['id']}/webhook-endpoints/{endpoint['id']}/replay"
    replayed = server.client.post(replay, json={"fromTime": since}, headers=ADMIN)
    assert replayed.json() == {"queued": 2, "nextFromPosition": None}
    eventually(lambda: len(receiver.received) == 5)
    assert receiver.positions()[3:] == receiver.positions()[1:3]


@pytest.mark.parametrize(
    "body", [{}, {"fromPosition": 1, "fromTime": "2026-01-01T00:00:00Z"}, {"fromPosition": 0}]
)
def test_a_replay_names_exactly_one_start(
    server: InProcessServer, receiver: Receiver, body: dict[str, Any]
) -> None:
    org = new_org(server)
    endpoint = endpoint_for(server, receiver, org["id"])
    replay = f"{ORGS}/{org['id']}/webhook-endpoints/{endpoint['id']}/replay"
    answer = server.client.post(replay, json=body, headers=ADMIN)
    assert (answer.status_code, answer.json()["code"]) == (400, "VALIDATION_ERROR")


def test_deliveries_show_attempts_and_status(server: InProcessServer, receiver: Receiver) -> None:
    org = new_org(server)
    endpoint = endpoint_for(server, receiver, org["id"])
    receiver.answers = [500]
    server.client.patch(f"{ORGS}/{org['id']}", json={"name": "Shown"}, headers=ADMIN)
    eventually(lambda: receiver.received)
    page = f"{HOOKS}/{endpoint['id']}/deliveries"
    delivered = eventually(
        lambda: (
            (d := server.client.get(page, headers=ADMIN).json()["deliveries"])
            and d[0]["deliveredAt"]
            and d
        )
    )
    assert (delivered[0]["attempts"], delivered[0]["lastCode"]) == (2, 204)


@pytest.mark.parametrize("status", [429, 503])
def test_a_retry_after_answer_puts_the_next_attempt_at_least_that_late(
    server: InProcessServer, receiver: Receiver, status: int
) -> None:
    org = new_org(server)
    endpoint = endpoint_for(server, receiver, org["id"])
    receiver.answers, receiver.retry_after = [status], "120"  # The schedule says 0.1 s.
    server.client.patch(f"{ORGS}/{org['id']}", json={"name": "Later"}, headers=ADMIN)
    page = f"{HOOKS}/{endpoint['id']}/deliveries"
    failed = eventually(
        lambda: (
            (d := server.client.get(page, headers=ADMIN).json()["deliveries"])
            and d[0]["lastCode"] == status
            and d[0]
        )
    )
    asked = datetime.fromisoformat(failed["lastAttemptAt"]) + timedelta(seconds=120)
    assert datetime.fromisoformat(failed["nextAttemptAt"]) >= asked - timedelta(seconds=1)
    assert failed["deliveredAt"] is None


@pytest.mark.parametrize(
    "url",
    [
        "https://10.0.0.1/hook",
        "https://169.254.169.254/latest",
        "https://[::1]/hook",
        "https://[fe80::1]/hook",
        "https://0.0.0.0/hook",
        "http://example.com/hook",
    ],
)
def test_internal_addresses_and_plain_http_are_refused(server: InProcessServer, url: str) -> None:
    response = server.client.post(HOOKS, json={"url": url}, headers=ADMIN)
    assert response.status_code == 400, response.text
    assert response.json()["code"] in ("WEBHOOK_URL_NOT_ALLOWED", "VALIDATION_ERROR")


def test_an_organizations_key_manages_only_its_own_endpoints(
    server: InProcessServer, receiver: Receiver
) -> None:
    mine, other = new_org(server), new_org(server)
    key = bearer(issue_key(server, mine["id"])["secret"])
    created = server.client.post(
        f"{ORGS}/{mine['id']}/webhook-endpoints", json={"url": receiver.url}, headers=key
    )
    assert created.status_code == 201, created.text
    theirs = server.client.get(f"{ORGS}/{other['id']}/webhook-endpoints", headers=key)
    assert theirs.status_code == 404
    assert server.client.get(HOOKS, headers=key).status_code == 403


@pytest.mark.parametrize(
    ("method", "suffix", "params", "body"),
    [
        ("GET", "deliveries", {"after": 2**63}, None),
        ("POST", "replay", None, {"fromPosition": 2**63}),
    ],
)
def test_a_position_beyond_any_store_is_refused_with_a_clear_error(
    server: InProcessServer,
    receiver: Receiver,
    method: str,
    suffix: str,
    params: dict[str, Any] | None,
    body: dict[str, Any] | None,
) -> None:
    org = new_org(server)
    endpoint = endpoint_for(server, receiver, org["id"])
    url = f"{HOOKS}/{endpoint['id']}/{suffix}"
    answer = server.client.request(method, url, params=params, json=body, headers=ADMIN)
    assert (answer.status_code, answer.json()["code"]) == (400, "VALIDATION_ERROR")


def test_a_redirect_is_not_followed_and_the_delivery_is_retried(
    server: InProcessServer, receiver: Receiver
) -> None:
    elsewhere = Receiver()
    try:
        org = new_org(server)
        endpoint = endpoint_for(server, receiver, org["id"])
        elsewhere.secrets = receiver.secrets
        receiver.answers, receiver.headers = [307], {"Location": elsewhere.url}
        server.client.patch(f"{ORGS}/{org['id']}", json={"name": "Moved"}, headers=ADMIN)
        page = f"{HOOKS}/{endpoint['id']}/deliveries"
        delivered = eventually(  # By its retry, answered 204.
            lambda: (
                (d := server.client.get(page, headers=ADMIN).json()["deliveries"])
                and d[0]["deliveredAt"]
                and d[0]
            )
        )
    finally:
        elsewhere.stop()
    assert (delivered["attempts"], delivered["lastCode"], elsewhere.received) == (2, 204, [])


def test_an_answer_whose_body_never_ends_is_read_only_in_part(
    server: InProcessServer, receiver: Receiver
) -> None:
    org = new_org(server)
    endpoint = endpoint_for(server, receiver, org["id"])
    receiver.answers, receiver.endless = [200], True  # Its 1 s deadline would cut a full read.
    server.client.patch(f"{ORGS}/{org['id']}", json={"name": "Endless"}, headers=ADMIN)
    page = f"{HOOKS}/{endpoint['id']}/deliveries"
    tried = eventually(
        lambda: (
            (d := server.client.get(page, headers=ADMIN).json()["deliveries"])
            and d[0]["attempts"]
            and d[0]
        )
    )
    assert (tried["attempts"], tried["lastStatus"], tried["lastCode"]) == (1, "delivered", 200)


def test_an_answer_whose_headers_alone_are_over_64_kb_is_not_a_delivery(
    server: InProcessServer, receiver: Receiver
) -> None:
    org = new_org(server)
    endpoint = endpoint_for(server, receiver, org["id"])
    receiver.headers = {f"X-Padding-{i}": "p" * 30_000 for i in range(4)}  # Each line allowed.
    server.client.patch(f"{ORGS}/{org['id']}", json={"name": "Padded"}, headers=ADMIN)
    page = f"{HOOKS}/{endpoint['id']}/deliveries"
    tried = eventually(
        lambda: (
            (d := server.client.get(page, headers=ADMIN).json()["deliveries"])
            and d[0]["attempts"]
            and d[0]
        )
    )
    assert (tried["lastStatus"], tried["lastCode"], tried["deliveredAt"]) == ("failed", None, None)

"""GET /metrics: Prometheus text a scraper reads, over a real server on each store."""

from __future__ import annotations

from typing import TYPE_CHECKING

from prometheus_client.parser import text_string_to_metric_families

from tests.helpers import ADMIN, create_body

if TYPE_CHECKING:
    from tests.helpers import Server

ORGS = "/api/v1/organizations"


def scrape(server: Server) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = server.client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(
    samples: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str
) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_requests_are_counted_by_route_template_method_and_status(server: Server) -> None:
    org = server.client.post(ORGS, json=create_body(), headers=ADMIN).json()["organization"]
    before = scrape(server)
    for _ in range(3):
        server.client.get(f"{ORGS}/{org['id']}", headers=ADMIN)
    server.client.get(f"{ORGS}/{org['id']}")  # No credentials: 401.
    after = scrape(server)
    route = {"route": "/api/v1/organizations/{org_id}", "method": "GET"}
    name = "registry_http_requests_total"
    assert (
        value(after, name, **route, status="200") - value(before, name, **route, status="200") == 3
    )
    assert (
        value(after, name, **route, status="401") - value(before, name, **route, status="401") == 1
    )
    assert value(after, "registry_http_request_duration_seconds_count", **route) >= 4


def test_the_projection_and_the_read_cache_are_reported(server: Server) -> None:
    org = server.client.post(ORGS, json=create_body(), headers=ADMIN).json()["organization"]
    server.client.get(f"{ORGS}/{org['id']}", headers=ADMIN)
    server.client.get(f"{ORGS}/{org['id']}", headers=ADMIN)
    samples = scrape(server)
    feed = server.client.get("/api/v1/events", params={"after": 0, "limit": 1000}, headers=ADMIN)
    assert value(samples, "registry_projection_position") >= feed.json()["next"]
    assert value(samples, "registry_projection_lag_events") == 0
    assert value(samples, "registry_projection_state", state="running") == 1
    assert value(samples, "registry_read_cache_hits_total") >= 1
    assert value(samples, "registry_store_available") == 1


def test_idempotent_replays_are_counted(server: Server) -> None:
    body, headers = create_body(), {**ADMIN, "Idempotency-Key": "metrics-replay"}
    headers["Idempotency-Key"] += body["slug"]
    server.client.post(ORGS, json=body, headers=headers)
    before = value(scrape(server), "registry_idempotent_replays_total")
    server.client.post(ORGS, json=body, headers=headers)
    assert value(scrape(server), "registry_idempotent_replays_total") == before + 1


def test_group_commit_transactions_and_the_commands_they_held_are_counted(server: Server) -> None:
    before = scrape(server)
    for _ in range(3):
        server.client.post(ORGS, json=create_body(), headers=ADMIN)
    after = scrape(server)
    commands = "registry_group_commit_commands_total"
    transactions = "registry_group_commit_transactions_total"
    assert value(after, commands) - value(before, commands) == 3
    assert 1 <= value(after, transactions) - value(before, transactions) <= 3


def test_a_rebuild_under_way_reports_how_far_it_got(
    server: Server, module_database_url: str
) -> None:
    from projections.builder import Builder
    from projections.rebuild import empty_copy
    from projections.tables import NEXT_SUFFIX
    from service.composition import bootstrap
    from tests.helpers import make_settings

    for _ in range(3):
        server.client.post(ORGS, json=create_body(), headers=ADMIN)
    assert value(scrape(server), "registry_rebuild_position") == 0  # None under way.
    services = bootstrap(make_settings(module_database_url), run_projections=False)
    copy = empty_copy(services.read_model, NEXT_SUFFIX)  # A rebuild's copy, filled part way.
    try:
        Builder(services.registry, copy, 2).catch_up(until=4)
        assert value(scrape(server), "registry_rebuild_position") == copy.position() > 0
    finally:
        copy.admin.drop()
        services.close()

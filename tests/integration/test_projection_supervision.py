"""One projector per database at a time; it takes over when the leader stops, and recovers
from lost connections without a manual step."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import psycopg

from application.registry import OrganizationRegistry
from domain.commands import NewOrganization, OrganizationChanges
from projections import runner
from projections.rebuild import rebuild
from projections.runner import FAILED, RUNNING, STANDBY
from service.composition import bootstrap
from tests.helpers import caught_up, lock, make_settings, postgres_conninfo, random_slug, tamper

if TYPE_CHECKING:
    import pytest

    from service.composition import Services


def eventually(condition: object, timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.05)
    return False


def create(services: Services) -> int:
    written = services.registry.create(NewOrganization(name="Acme", slug=random_slug()))
    return written.position or 0


def test_exactly_one_process_runs_the_projection_and_another_takes_over(database_url: str) -> None:
    first = bootstrap(make_settings(database_url))
    assert eventually(lambda: first.supervisor.state == RUNNING)  # type: ignore[union-attr]
    second = bootstrap(make_settings(database_url))
    time.sleep(1.5)  # Longer than a standby's retry interval.
    assert second.supervisor.state == STANDBY  # type: ignore[union-attr]

    first.close()
    assert eventually(lambda: second.supervisor.state == RUNNING)  # type: ignore[union-attr]
    assert second.read_model.queries.wait_for_position(create(second), 10)
    second.close()


def test_projection_recovers_after_its_database_connections_are_killed(
    postgres_database_url: str,
) -> None:
    services = bootstrap(make_settings(postgres_database_url))
    assert services.read_model.queries.wait_for_position(create(services), 10)

    with psycopg.connect(**postgres_conninfo(postgres_database_url), autocommit=True) as admin:
        killed = admin.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchone()
    assert killed is not None
    assert killed[0] > 0

    position = create(services)  # The registry's pool reconnects; the projector must too.
    assert services.read_model.queries.wait_for_position(position, 30)
    supervisor = services.supervisor
    assert supervisor is not None
    # The command's rows may have been written with its events; the projector finds its
    # lock's connection gone at its next health check, and leads again.
    assert eventually(lambda: supervisor.restarts >= 1 and supervisor.state == RUNNING)
    assert services.read_model.queries.wait_for_position(create(services), 30)
    services.close()


def test_projection_keeps_up_with_a_busy_writer_without_a_restart(
    services: Services, database_url: str
) -> None:
    writer = OrganizationRegistry(make_settings(database_url).registry_env())
    org_id = writer.create(NewOrganization(name="Busy", slug=random_slug())).organization["id"]
    for i in range(300):
        written = writer.update(org_id, OrganizationChanges(name=f"Name {i}"))
    writer.close()
    assert services.read_model.queries.wait_for_position(written.position or 0, 30)
    assert services.supervisor is not None
    assert services.supervisor.restarts == 0, services.supervisor.last_error


def test_events_saved_by_another_process_wake_the_projection_at_once(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On PostgreSQL the projector listens for the events table's NOTIFY: a command saved
    elsewhere is projected without waiting for the next poll (made 60 s long here)."""
    monkeypatch.setattr(runner, "POLL_SECONDS", 60.0)
    projecting = bootstrap(make_settings(postgres_url))
    writer = bootstrap(make_settings(postgres_url, run_projections=False))
    try:
        assert eventually(lambda: projecting.supervisor.state == RUNNING)  # type: ignore[union-attr]
        time.sleep(0.5)  # The projector has gone back to waiting.
        for _ in range(3):
            position = create(writer)
            assert projecting.read_model.queries.wait_for_position(position, 5)
    finally:
        writer.close()
        projecting.close()


def test_a_failed_projection_resumes_once_a_rebuild_mends_it_not_at_its_next_try(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runner, "BACKOFF_START", 60.0)  # The next try, left to itself.
    services = bootstrap(make_settings(database_url))
    try:
        created = services.registry.create(NewOrganization(name="Acme", slug=random_slug()))
        org_id = created.organization["id"]
        caught_up(services)
        tamper(services, org_id, delete=True)  # The rename cannot apply.
        services.registry.update(org_id, OrganizationChanges(name="Lost"))
        assert eventually(lambda: services.supervisor.state == FAILED)  # type: ignore[union-attr]

        rebuild(services.registry, services.read_model, lock(services))
        assert eventually(lambda: services.supervisor.state == RUNNING, 10)  # type: ignore[union-attr]
        caught_up(services)
        found = services.read_model.queries.get_organization(org_id)
        assert found is not None
        assert found["name"] == "Lost"
    finally:
        services.close()

"""A command's read-model rows written in its events' own transaction (``projections.inline``),
while this process leads the projection; the follower projects what is left to it."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from psycopg.sql import SQL, Identifier

from domain.commands import NewOrganization, OrganizationChanges
from projections.inline import InlineProjection
from projections.postgres.writer import PostgresRowWriter
from projections.rebuild import verify
from projections.runner import RUNNING
from service.composition import bootstrap
from tests.helpers import caught_up, make_settings, random_slug

if TYPE_CHECKING:
    from collections.abc import Callable

    from service.composition import Services


def eventually(condition: Callable[[], bool], timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def inline_of(services: Services) -> InlineProjection:
    inline = services.registry.inline
    assert isinstance(inline, InlineProjection)
    return inline


def leading(services: Services) -> Services:
    supervisor = services.supervisor
    assert supervisor is not None
    assert eventually(lambda: supervisor.state == RUNNING)
    return services


def rename_table(services: Services, table: str, to: str) -> None:
    """Rename one of the read model's tables (a fault of the read model alone)."""
    model = services.read_model
    if isinstance(model.writer, PostgresRowWriter):
        statement: Any = SQL("ALTER TABLE {}.{} RENAME TO {}").format(
            Identifier(model.datastore.schema), Identifier(table), Identifier(to)
        )
    else:
        statement = f"ALTER TABLE {table} RENAME TO {to}"
    with model.datastore.transaction(commit=True) as c:
        c.execute(statement)


def test_a_command_is_in_the_read_model_as_soon_as_it_is_recorded(services: Services) -> None:
    leading(services)
    written = services.registry.create(NewOrganization(name="Acme", slug=random_slug()))
    assert written.position is not None
    # No wait: the rows were committed with the events.
    assert services.read_model.position() >= written.position
    org_id = written.organization["id"]
    assert services.read_model.queries.select_organization(org_id)["name"] == "Acme"  # type: ignore[index]
    assert inline_of(services).written >= 1


def test_the_follower_applies_nothing_twice_that_was_written_inline(services: Services) -> None:
    leading(services)
    org_id = services.registry.create(NewOrganization(name="Acme", slug=random_slug()))
    org_id = org_id.organization["id"]
    for i in range(20):
        services.registry.update(org_id, OrganizationChanges(name=f"Acme {i}"))
    caught_up(services)
    history = services.read_model.admin.rows(services.read_model.tables.history, "position")
    assert [row["version"] for row in history] == list(range(1, 22))
    assert services.supervisor is not None
    assert services.supervisor.restarts == 0
    assert verify(services.registry, services.read_model) == []


def test_a_command_is_left_to_the_follower_while_the_read_model_is_behind(
    database_url: str,
) -> None:
    services = bootstrap(make_settings(database_url), run_projections=False)
    try:
        writer = services.read_model.writer
        # Recorded while nothing projects: the read model is behind.
        first = services.registry.create(NewOrganization(name="First", slug=random_slug()))
        writer.position_signal.local = True  # As if this process led the projection.
        inline = InlineProjection(writer, services.registry, lambda: None)
        services.registry.inline = inline
        second = services.registry.create(NewOrganization(name="Second", slug=random_slug()))
        assert second.position is not None
        assert inline.written == 0
        assert services.read_model.position() == 0
        assert services.read_model.queries.select_organization(first.organization["id"]) is None
    finally:
        services.close()


def test_a_read_model_that_cannot_be_written_refuses_no_command(services: Services) -> None:
    leading(services)
    inline, history = inline_of(services), services.read_model.tables.history
    rename_table(services, history, "history_away")
    try:
        written = services.registry.create(NewOrganization(name="Acme", slug=random_slug()))
    finally:
        rename_table(services, "history_away", history)
    org_id = written.organization["id"]
    assert services.registry.get_details(org_id)["name"] == "Acme"
    assert services.read_model.queries.wait_for_position(written.position or 0, 30)
    # Written inline again once the read model can be (its statements intact).
    before = inline.written
    services.registry.update(org_id, OrganizationChanges(name="Acme Again"))
    assert inline.written == before + 1
    assert services.read_model.queries.select_organization(org_id)["name"] == "Acme Again"  # type: ignore[index]

"""The in-process read cache on each store: what it serves is never older than a write the
reader has waited for, while other readers keep filling it."""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Any

from psycopg.sql import SQL, Identifier

from domain.commands import (
    MemberChanges,
    NewApiKey,
    NewMember,
    NewOrganization,
    OrganizationChanges,
)
from projections.leadership import leader_lock
from projections.postgres.writer import PostgresRowWriter
from projections.rebuild import LOCK_NAME, rebuild
from service.composition import bootstrap
from tests.helpers import make_settings, random_slug

if TYPE_CHECKING:
    from uuid import UUID

    from service.composition import Services


def create(services: Services) -> dict[str, Any]:
    written = services.registry.create(NewOrganization(name="Acme", slug=random_slug()))
    assert services.read_model.queries.wait_for_position(written.position or 0, 10)
    return written.organization


def change(services: Services, org_id: UUID, **changes: Any) -> dict[str, Any]:
    written = services.registry.update(org_id, OrganizationChanges(**changes))
    assert services.read_model.queries.wait_for_position(written.position or 0, 10)
    return written.organization


def test_a_cached_organization_is_replaced_once_its_change_is_projected(
    services: Services,
) -> None:
    org = create(services)
    assert services.read_model.queries.get_organization(org["id"]) == org
    assert services.read_model.cache.get(org["id"]) == org  # It is served from the cache now.
    new_slug = random_slug("moved")
    changed = change(services, org["id"], name="Moved", slug=new_slug)
    assert services.read_model.queries.get_organization(org["id"]) == changed
    assert services.read_model.queries.find_organization(slug=org["slug"]) is None
    assert services.read_model.queries.find_organization(slug=new_slug) == changed


def kept_as_stored(services: Services, org_id: UUID) -> bool:
    """The cache holds the organization as the store has it, without having read it."""
    kept = services.read_model.cache.get(org_id)
    return kept is not None and kept == services.read_model.queries.select_organization(org_id)


def test_each_write_leaves_the_organization_cached_as_the_store_has_it(
    services: Services,
) -> None:
    org_id = create(services)["id"]
    assert kept_as_stored(services, org_id)  # Created: kept, never read.
    settings = {"x": {"y": [1, 2.5]}}
    change(services, org_id, name="Re", slug=random_slug(), metadata={"b": "2"}, settings=settings)
    assert kept_as_stored(services, org_id)
    issued = services.registry.issue_api_key(org_id, NewApiKey(name="ci"))
    assert services.read_model.queries.wait_for_position(issued.written.position or 0, 10)
    assert kept_as_stored(services, org_id)  # Its version moved, its document did not.
    added = services.registry.add_member(org_id, NewMember(user_id="u1", email="u@x.io"))
    assert services.read_model.queries.wait_for_position(added.written.position or 0, 10)
    assert kept_as_stored(services, org_id)
    change(services, org_id, status="suspended")
    assert kept_as_stored(services, org_id)


def test_reads_never_go_back_behind_a_write_while_readers_fill_the_cache(
    services: Services,
) -> None:
    org = create(services)
    stop, seen, errors = threading.Event(), [], []

    def read() -> None:
        last = 0
        while not stop.is_set():
            found = services.read_model.queries.get_organization(org["id"])
            assert found is not None
            if found["version"] < last:
                errors.append((last, found["version"]))
            last = found["version"]
            seen.append(last)

    readers = [threading.Thread(target=read) for _ in range(4)]
    for reader in readers:
        reader.start()
    try:
        for i in range(40):
            written = change(services, org["id"], name=f"Name {i}")
            found = services.read_model.queries.get_organization(org["id"])
            assert found is not None
            assert found["version"] >= written["version"]
            assert found["name"] == written["name"] or found["version"] > written["version"]
    finally:
        stop.set()
        for reader in readers:
            reader.join(10)
    assert errors == []
    assert len(seen) > 40  # The readers did read meanwhile.


def test_a_process_that_does_not_project_keeps_nothing(
    services: Services, database_url: str
) -> None:
    org = create(services)
    other = bootstrap(make_settings(database_url), run_projections=False)
    try:
        assert other.read_model.queries.get_organization(org["id"]) == org
        assert len(other.read_model.cache) == 0
    finally:
        other.close()


def rename_behind_the_projection(services: Services, org_id: UUID) -> None:
    """Drift: change the live row's document without an event."""
    model = services.read_model
    table_name = model.tables.organizations
    if isinstance(model.writer, PostgresRowWriter):
        table = SQL("{}.{}").format(Identifier(model.datastore.schema), Identifier(table_name))
        statement: Any = SQL(
            "UPDATE {} SET doc = jsonb_set(doc::jsonb, '{{name}}', '\"Drifted\"') WHERE id = %s"
        ).format(table)
        key: Any = org_id
    else:
        change = "UPDATE {} SET doc = json_set(doc, '$.name', 'Drifted') WHERE id = ?"
        statement = change.format(table_name)
        key = str(org_id)
    with model.datastore.transaction(commit=True) as c:
        c.execute(statement, (key,))
    model.cache.clear()  # The row the projector kept as it wrote it: read the drift.


def test_a_rebuild_by_another_process_empties_this_process_cache(
    services: Services, database_url: str
) -> None:
    org = create(services)
    rename_behind_the_projection(services, org["id"])
    drifted = services.read_model.queries.get_organization(org["id"])
    assert drifted is not None
    assert drifted["name"] == "Drifted"
    assert services.read_model.cache.get(org["id"]) == drifted  # Cached, drift and all.
    other = bootstrap(make_settings(database_url), run_projections=False)
    try:
        rebuild(other.registry, other.read_model, leader_lock(other.registry.env, LOCK_NAME))
    finally:
        other.close()
    deadline = time.monotonic() + 10
    while (services.read_model.queries.get_organization(org["id"]) or {}).get("name") != "Acme":
        assert time.monotonic() < deadline, "the cache kept the replaced tables' row"
        time.sleep(0.05)


def test_a_cached_member_is_served_from_memory_until_its_change_is_projected(
    services: Services,
) -> None:
    org = create(services)
    new = NewMember(user_id="u1", email="u1@example.com", roles=["member"])
    written = services.registry.add_member(org["id"], new).written
    queries = services.read_model.queries
    assert queries.wait_for_position(written.position or 0, 10)
    assert queries.get_member(org["id"], "u1")["roles"] == ["member"]  # type: ignore[index]
    hits = queries.cache.hits
    assert queries.get_member(org["id"], "u1")["roles"] == ["member"]  # type: ignore[index]
    assert queries.cache.hits == hits + 1
    changed = services.registry.update_member(org["id"], "u1", MemberChanges(roles=["admin"]))
    assert queries.wait_for_position(changed.written.position or 0, 10)
    assert queries.get_member(org["id"], "u1")["roles"] == ["admin"]  # type: ignore[index]

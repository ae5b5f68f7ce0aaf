"""Rebuilding and verifying the read model, on each store."""

from __future__ import annotations

import threading
import time
from functools import partial
from typing import TYPE_CHECKING, Any

import pytest
from eventsourcing.persistence import Tracking
from psycopg.sql import SQL, Identifier

from domain.commands import (
    MemberChanges,
    NewApiKey,
    NewInvitation,
    NewMember,
    NewOrganization,
    OrganizationChanges,
)
from projections.builder import Builder, Partition
from projections.postgres.writer import PostgresRowWriter
from projections.projection import OrganizationLookupProjection
from projections.rebuild import RebuildRunningError, new_copy, rebuild, verify
from projections.records import APPLICATION_NAME
from projections.stores import construct_read_model, copy_of
from tests.helpers import TABLES, caught_up, lock, random_slug, snapshot, tamper

if TYPE_CHECKING:
    from service.composition import Services


def populate(services: Services, organizations: int = 30) -> None:
    for i in range(organizations):
        org_id = services.registry.create(
            NewOrganization(name=f"Org {i}", slug=random_slug(), settings={"i": i})
        ).organization["id"]
        services.registry.update(
            org_id, OrganizationChanges(name=f"Renamed {i}", metadata={"m": "x"})
        )
        if i % 3 == 0:
            issued = services.registry.issue_api_key(org_id, NewApiKey(name="k"))
            services.registry.revoke_api_key(org_id, issued.api_key["id"])
        if i % 3 == 1:
            add_people(services, org_id)
    caught_up(services)


def add_people(services: Services, org_id: Any) -> None:
    """Members, an accepted and a pending invitation, an own role, admin fields."""
    registry = services.registry
    registry.define_role(org_id, "billing", "Billing", ["billing:*"])
    registry.add_member(org_id, NewMember(user_id="o", email="o@example.com", roles=["owner"]))
    registry.add_members(
        org_id, [NewMember(user_id=f"m{k}", email=f"m{k}@example.com") for k in range(3)]
    )
    registry.update_member(org_id, "m0", MemberChanges(roles=["billing"], metadata={"t": "1"}))
    registry.remove_member(org_id, "m1")
    issued = registry.invite_member(org_id, NewInvitation(email="i@example.com"))
    registry.accept_invitation(org_id, issued.member["id"], issued.token, "i")
    registry.invite_member(org_id, NewInvitation(email="pending@example.com"))
    registry.update(
        org_id,
        OrganizationChanges(
            verified=True,
            max_allowed_memberships=50,
            can_switch_live=True,
            max_concurrent_imports=4,
            subscription_info={"plan": "pro", "totals": {"orders": 3}},
            profile={"gtm_id": "GTM-AB12CD3"},
        ),
    )


def test_rebuild_equals_the_incrementally_built_read_model(services: Services) -> None:
    populate(services)
    before = snapshot(services)
    assert len(before["members"]) == 10 * 6  # Every membership, removed ones too.
    report = rebuild(services.registry, services.read_model, lock(services))
    assert report.events == len(before["history"])
    assert snapshot(services) == before
    assert verify(services.registry, services.read_model) == []


def indexes(services: Services) -> set[tuple[str, str]]:
    """The live tables' indexes: name and definition."""
    model = services.read_model
    tables = model.tables.all
    with model.datastore.transaction(commit=False) as c:
        if isinstance(model.writer, PostgresRowWriter):
            c.execute(
                "SELECT indexname, indexdef FROM pg_indexes "
                "WHERE schemaname = %s AND tablename = ANY(%s)",
                (model.datastore.schema, list(tables)),
            )
            return {(row["indexname"], row["indexdef"]) for row in c.fetchall()}
        marks = ", ".join("?" * len(tables))
        where = f"type = 'index' AND tbl_name IN ({marks})"
        c.execute(f"SELECT name, sql FROM sqlite_master WHERE {where}", tables)  # noqa: S608
        return {(row[0], row[1]) for row in c.fetchall()}


def test_a_rebuilt_read_model_has_every_index_the_live_one_had(services: Services) -> None:
    populate(services, organizations=3)
    before = indexes(services)
    assert any("slug" in name for name, _ in before)
    rebuild(services.registry, services.read_model, lock(services))
    assert indexes(services) == before


def test_projecting_event_by_event_builds_what_batches_build(services: Services) -> None:
    populate(services, organizations=6)
    copy = copy_of(services.read_model, "__each")
    projection = OrganizationLookupProjection(copy.writer)
    try:
        for notification in services.registry.recorder.select_notifications(
            start=1, limit=10_000, topics=projection.topics
        ):
            event = services.registry.mapper.to_domain_event(notification)
            tracking = Tracking(APPLICATION_NAME, notification.id)
            copy.writer.apply_one(tracking, partial(projection.process_event, event, tracking))
        live = snapshot(services)
        for name, attribute, key in TABLES:
            assert copy.admin.rows(getattr(copy.tables, attribute), key) == live[name]
    finally:
        copy.admin.drop()


def test_verify_finds_a_row_changed_by_hand(services: Services) -> None:
    populate(services, organizations=3)
    row = services.read_model.admin.rows(services.read_model.tables.organizations, "id")[0]
    tamper(services, row["id"])
    [difference] = verify(services.registry, services.read_model)
    assert (difference.table, difference.key) == (
        services.read_model.tables.organizations,
        str(row["id"]),
    )
    assert difference.live is not None
    assert difference.live["name_folded"] == "tampered"


def test_rebuild_resumes_from_the_new_copys_checkpoint(services: Services) -> None:
    populate(services, organizations=10)
    partial = Builder(services.registry, new_copy(services.read_model))
    halfway = services.read_model.position() // 2
    partial.catch_up(until=halfway)
    report = rebuild(services.registry, services.read_model, lock(services))
    history = services.read_model.admin.rows(services.read_model.tables.history, "position")
    assert report.events == len([r for r in history if r["position"] > partial.position])
    assert verify(services.registry, services.read_model) == []


def test_a_copy_begun_by_another_version_of_the_projection_is_built_again(
    services: Services,
) -> None:
    from projections.projection import READ_MODEL_VERSION

    populate(services, organizations=10)
    partial = Builder(services.registry, new_copy(services.read_model))
    partial.catch_up(until=services.read_model.position() // 2)
    partial.copy.admin.record_version(READ_MODEL_VERSION - 1)
    copy = partial.copy
    tamper(services, copy.admin.rows(copy.tables.organizations, "id")[0]["id"], model=copy)
    report = rebuild(services.registry, services.read_model, lock(services))
    assert report.events == len(
        services.read_model.admin.rows(services.read_model.tables.history, "position")
    )
    assert verify(services.registry, services.read_model) == []


def test_a_server_starts_after_rebuilds_that_replaced_copies_of_another_version(
    services: Services,
) -> None:
    """Each such rebuild drops the old copy and creates its tables anew; the tracking table
    it switches in must be one a starting server opens as it is (not one it migrates,
    which fails the second time)."""
    from projections.projection import READ_MODEL_VERSION

    populate(services, organizations=4)
    for _ in range(2):
        partial = Builder(services.registry, new_copy(services.read_model))
        partial.catch_up(until=services.read_model.position() // 2)
        partial.copy.admin.record_version(READ_MODEL_VERSION - 1)
        rebuild(services.registry, services.read_model, lock(services))
        restarted = construct_read_model(services.registry.env)
        assert restarted.position() == services.read_model.position()
        restarted.datastore.close()


def partition_names(model: Any) -> list[str]:
    return [name for name in model.admin.tracked() if Partition.named(name) is not None]


def test_a_rebuild_by_several_processes_equals_the_incrementally_built_read_model(
    services: Services,
) -> None:
    populate(services, organizations=30)
    before = snapshot(services)
    report = rebuild(
        services.registry, services.read_model, lock(services), workers=3, batch_size=7
    )
    assert report.events == len(before["history"])
    assert snapshot(services) == before
    assert partition_names(services.read_model) == []
    assert verify(services.registry, services.read_model) == []


def test_a_partitioned_fill_stopped_midway_resumes_each_partition_where_it_stopped(
    services: Services,
) -> None:
    populate(services, organizations=20)
    before = snapshot(services)
    copy, head = new_copy(services.read_model), services.read_model.position()
    for partition, until in ((Partition(0, 2), head // 3), (Partition(1, 2), head // 2)):
        Builder(services.registry, copy, 5, partition).catch_up(until=until)
    # Resumed with the two partitions it was begun with, whatever the number of workers.
    rebuild(services.registry, services.read_model, lock(services), workers=3)
    assert snapshot(services) == before
    assert partition_names(services.read_model) == []


@pytest.mark.parametrize("options", [{"batch_size": 0}, {"workers": 0}])
def test_a_rebuild_with_no_batch_size_or_workers_is_refused_and_changes_nothing(
    services: Services, options: dict[str, Any]
) -> None:
    populate(services, organizations=3)
    before = snapshot(services)
    with pytest.raises(ValueError, match="1 or more"):
        rebuild(services.registry, services.read_model, lock(services), **options)
    assert snapshot(services) == before


def test_a_second_rebuild_at_once_is_refused(services: Services) -> None:
    held = lock(services)
    assert held.acquire()
    try:
        with pytest.raises(RebuildRunningError):
            rebuild(services.registry, services.read_model, lock(services))
    finally:
        held.release()


def test_rebuild_under_concurrent_writes_loses_nothing(services: Services) -> None:
    populate(services, organizations=20)
    stop = threading.Event()
    org_id = services.registry.create(
        NewOrganization(name="Busy", slug=random_slug())
    ).organization["id"]

    def write() -> None:
        i = 0
        while not stop.is_set():
            services.registry.update(org_id, OrganizationChanges(settings={"n": i}))
            i += 1

    writer = threading.Thread(target=write)
    writer.start()
    try:
        for keep_old in (False, True):
            rebuild(services.registry, services.read_model, lock(services), keep_old=keep_old)
    finally:
        stop.set()
        writer.join()
    caught_up(services)
    assert verify(services.registry, services.read_model) == []
    assert services.supervisor is not None
    details = services.read_model.queries.get_organization(org_id)
    assert details == services.registry.get_details(org_id)


def test_an_outdated_read_model_is_rebuilt_in_the_background_on_start(
    services: Services, database_url: str
) -> None:
    from projections.projection import READ_MODEL_VERSION
    from service.composition import bootstrap
    from tests.helpers import make_settings

    populate(services, organizations=5)
    expected = snapshot(services)
    assert services.read_model.admin.stored_version() == READ_MODEL_VERSION
    services.read_model.admin.record_version(
        READ_MODEL_VERSION - 1
    )  # As if built by older code ...
    tamper(services, expected["lookup"][0]["id"])  # ... that wrote something else.
    services.close()

    restarted = bootstrap(make_settings(database_url))
    try:
        deadline = time.monotonic() + 30
        while restarted.read_model.admin.stored_version() != READ_MODEL_VERSION:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert snapshot(restarted) == expected
    finally:
        restarted.close()


def test_a_rebuilds_progress_ends_at_its_total_though_slug_claims_are_not_projected(
    services: Services,
) -> None:
    populate(services, organizations=10)
    reports: list[tuple[int, int]] = []
    rebuild(
        services.registry,
        services.read_model,
        lock(services),
        progress=lambda done, total, _: reports.append((done, total)),
        batch_size=7,
    )
    assert len(reports) > 1
    assert reports[-1][0] == reports[-1][1] > 0
    assert [done for done, _ in reports] == sorted(done for done, _ in reports)


def written_before_request_quotas(services: Services, org_id: Any) -> None:
    """The organization's live row as read model 6 wrote it: no ``request_quota``."""
    model = services.read_model
    if isinstance(model.writer, PostgresRowWriter):
        table = SQL("{}.{}").format(
            Identifier(model.datastore.schema), Identifier(model.tables.organizations)
        )
        statement: Any = SQL(
            "UPDATE {} SET doc = (doc::jsonb - 'request_quota')::json WHERE id = %s"
        ).format(table)
    else:
        change = "UPDATE {} SET doc = json_remove(doc, '$.request_quota') WHERE id = ?"
        statement = change.format(model.tables.organizations)
        org_id = str(org_id)
    with model.datastore.transaction(commit=True) as c:
        c.execute(statement, (org_id,))
    model.cache.clear()


def test_an_organization_written_before_request_quotas_changes_as_a_rebuild_writes_it(
    services: Services,
) -> None:
    org = services.registry.create(NewOrganization(name="A", slug=random_slug())).organization
    caught_up(services)
    written_before_request_quotas(services, org["id"])
    services.registry.update(org["id"], OrganizationChanges(name="B"))
    caught_up(services)
    assert verify(services.registry, services.read_model) == []


def test_a_read_model_written_before_request_quotas_is_rebuilt_on_start(
    services: Services, database_url: str
) -> None:
    from service.composition import bootstrap
    from tests.helpers import make_settings

    org = services.registry.create(NewOrganization(name="A", slug=random_slug())).organization
    caught_up(services)
    written_before_request_quotas(services, org["id"])
    services.read_model.admin.record_version(6)  # The release before request quotas.
    services.close()
    restarted = bootstrap(make_settings(database_url))
    try:
        deadline = time.monotonic() + 30
        while restarted.read_model.admin.stored_version() == 6:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        caught_up(restarted)
        assert verify(restarted.registry, restarted.read_model) == []
    finally:
        restarted.close()

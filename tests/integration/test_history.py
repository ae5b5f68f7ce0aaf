"""History, time travel, revert and the change feed, on each store."""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Any

import pytest

from domain.commands import NewApiKey, NewOrganization, OrganizationChanges
from domain.context import because
from domain.errors import ConcurrentUpdateError, SlugTakenError, ValidationError
from projections.projection import OrganizationLookupProjection
from projections.records import HistoryQuery
from tests.helpers import race, random_slug

if TYPE_CHECKING:
    from uuid import UUID

    from projections.records import HistoryEntry
    from service.composition import Services


def create(services: Services, **fields: Any) -> UUID:
    new = NewOrganization(**{"name": "Acme", "slug": random_slug(), **fields})
    written = services.registry.create(new)
    assert services.read_model.queries.wait_for_position(written.position or 0, 10)
    org_id: UUID = written.organization["id"]
    return org_id


def update(services: Services, org_id: UUID, **changes: Any) -> dict[str, Any]:
    written = services.registry.update(org_id, OrganizationChanges(**changes))
    assert services.read_model.queries.wait_for_position(written.position or 0, 10)
    return written.organization


def caught_up(services: Services) -> None:
    """Wait until the read model includes every organization event recorded so far."""
    deadline = time.monotonic() + 10
    while services.lag()[1] and time.monotonic() < deadline:
        time.sleep(0.01)
    assert services.lag()[1] == 0


def history(services: Services, org_id: UUID, **query: Any) -> list[HistoryEntry]:
    return services.read_model.queries.organization_history(
        HistoryQuery(org_id, **{"limit": 100, **query})
    )


def test_history_shows_what_every_kind_of_event_changed(services: Services) -> None:
    org_id = create(services, settings={"n": {"a": 1}}, metadata={"tier": "gold"})
    update(services, org_id, name="Renamed", slug=random_slug("new"), external_id="idp-1")
    update(services, org_id, settings={"n": {"a": 2, "b": 3}}, metadata={"tier": None}, merge=True)
    update(services, org_id, profile={"domain": "acme.com"}, status="suspended")
    issued = services.registry.issue_api_key(org_id, NewApiKey(name="ci"))
    services.registry.revoke_api_key(org_id, issued.api_key["id"])
    caught_up(services)
    entries = {e.type: e for e in history(services, org_id)}
    assert list(entries) == [
        "Created", "Renamed", "SlugChanged", "ExternalIdChanged", "SettingsUpdated",
        "MetadataUpdated", "ProfileUpdated", "StatusChanged", "ApiKeyIssued", "ApiKeyRevoked",
    ]  # fmt: skip
    assert entries["Created"].changes["settings.n.a"] == {"from": None, "to": 1}
    assert entries["Renamed"].changes == {"name": {"from": "Acme", "to": "Renamed"}}
    assert entries["SettingsUpdated"].changes == {
        "settings.n.a": {"from": 1, "to": 2},
        "settings.n.b": {"from": None, "to": 3},
    }
    assert entries["MetadataUpdated"].changes == {"metadata.tier": {"from": "gold", "to": None}}
    assert entries["ProfileUpdated"].changes == {"domain": {"from": None, "to": "acme.com"}}
    assert entries["ExternalIdChanged"].changes == {"external_id": {"from": None, "to": "idp-1"}}
    key_id = issued.api_key["id"]
    assert entries["ApiKeyIssued"].changes[f"api_keys.{key_id}"]["to"]["name"] == "ci"
    assert entries["ApiKeyRevoked"].changes == {
        f"api_keys.{key_id}.revoked": {"from": False, "to": True}
    }


def test_history_records_the_reason_given(services: Services) -> None:
    org_id = create(services)
    with because("customer asked"):
        update(services, org_id, name="Renamed")
    update(services, org_id, status="suspended", status_reason="unpaid")
    assert [e.reason for e in history(services, org_id)] == [None, "customer asked", "unpaid"]


def test_history_pages_by_version_in_both_orders_and_filters(services: Services) -> None:
    org_id = create(services)
    for i in range(12):
        update(services, org_id, name=f"Name {i}", settings={"i": i})
    everything = history(services, org_id)
    assert [e.version for e in everything] == list(range(1, 26))
    for descending in (False, True):
        seen, after = [], None
        while page := history(
            services, org_id, limit=7, after_version=after, descending=descending
        ):
            seen += page
            after = page[-1].version
        assert seen == (everything[::-1] if descending else everything)
    renames = history(services, org_id, types=("Renamed",))
    assert [e.version for e in renames] == list(range(2, 26, 2))
    window = history(
        services, org_id, since=everything[3].occurred_at, until=everything[5].occurred_at
    )
    assert [e.version for e in window] == [4, 5, 6]


def test_state_as_of_every_version_equals_the_state_folded_by_hand(services: Services) -> None:
    org_id = create(services, settings={"n": 0})
    expected: dict[int, dict[str, Any]] = {
        1: {"name": "Acme", "settings": {"n": 0}, "metadata": {}, "status": "active"}
    }
    for version in range(2, 51):
        state = dict(expected[version - 1])
        if version % 3 == 0:
            state["settings"] = {**state["settings"], f"k{version}": version}
            update(services, org_id, settings={f"k{version}": version}, merge=True)
        elif version % 3 == 1:
            state["metadata"] = {"v": str(version)}
            update(services, org_id, metadata={"v": str(version)})
        else:
            state["name"] = f"Name {version}"
            update(services, org_id, name=f"Name {version}")
        expected[version] = state
    for entry in history(services, org_id):
        at_version = services.registry.get_details(org_id, entry.version)
        assert services.read_model.queries.version_at(org_id, entry.occurred_at) == entry.version
        assert {k: at_version[k] for k in expected[1]} == expected[entry.version]
        assert at_version["version"] == entry.version


def test_no_state_before_the_first_event_or_beyond_the_last(services: Services) -> None:
    from domain.errors import OrganizationNotFoundError

    org_id = create(services)
    created_at = history(services, org_id)[0].occurred_at
    assert services.read_model.queries.version_at(org_id, created_at.replace(year=2000)) is None
    for version in (0, 2):
        with pytest.raises(OrganizationNotFoundError):
            services.registry.get_details(org_id, version)


def test_revert_records_changes_back_to_an_earlier_state(services: Services) -> None:
    org_id = create(services, settings={"a": 1})
    original = services.registry.get_details(org_id)
    update(
        services, org_id, name="Other", slug=random_slug(), settings={"b": 2}, status="suspended"
    )
    written = services.registry.revert(org_id, 1, reason="undo")
    same = ("name", "slug", "settings", "status", "metadata")
    assert {k: written.organization[k] for k in same} == {k: original[k] for k in same}
    caught_up(services)
    reverted = history(services, org_id, after_version=5)
    assert {e.reason for e in reverted} == {"undo"}
    assert written.organization["version"] == 5 + len(reverted)


def test_revert_to_a_slug_held_by_another_organization_records_nothing(services: Services) -> None:
    org_id = create(services)
    old_slug = services.registry.get_details(org_id)["slug"]
    update(services, org_id, slug=random_slug())
    create(services, slug=old_slug)
    before = services.registry.recorder.max_notification_id()
    with pytest.raises(SlugTakenError):
        services.registry.revert(org_id, 1)
    with pytest.raises(ValidationError):
        services.registry.revert(org_id, 3)
    assert services.registry.recorder.max_notification_id() == before


def test_concurrent_patches_of_different_settings_keys_lose_no_update(
    services: Services, database_url: str
) -> None:
    org_id = create(services)

    def patch(registry: Any, i: int) -> Any:
        return registry.update(org_id, OrganizationChanges(settings={f"k{i}": i}, merge=True))

    outcomes = race(database_url, patch, writers=20)
    applied = {f"k{i}": i for i, o in enumerate(outcomes) if not isinstance(o, Exception)}
    # Each update took effect, or its writer was told (409): none was lost silently.
    assert services.registry.get_details(org_id)["settings"] == applied
    refused = [o for o in outcomes if isinstance(o, Exception)]
    assert all(isinstance(o, ConcurrentUpdateError) for o in refused), refused


def test_feed_reader_sees_every_event_once_in_order_while_writers_commit(
    services: Services, database_url: str
) -> None:
    done, seen = threading.Event(), []

    def read() -> None:
        after = 0
        while not (done.is_set() and after >= services.read_model.position()):
            page = services.read_model.queries.events_after(after, 50)
            seen.extend(page)
            after = page[-1].position if page else after

    def write(registry: Any, i: int) -> None:
        for j in range(10):
            org = registry.create(NewOrganization(name=f"W{i}", slug=random_slug())).organization
            registry.update(org["id"], OrganizationChanges(name=f"W{i} {j}"))

    reader = threading.Thread(target=read)
    reader.start()
    outcomes = race(database_url, write, writers=8)
    caught_up(services)
    done.set()
    reader.join(30)
    assert not any(isinstance(o, Exception) for o in outcomes), outcomes
    expected = services.registry.recorder.select_notifications(
        start=1, limit=10_000, topics=OrganizationLookupProjection.topics
    )
    assert [e.position for e in seen] == [n.id for n in expected]
    assert len(seen) == 8 * 10 * 2

"""A store written by an earlier version (``tests/fixtures/legacy_store``: its events were
recorded before their classes moved into feature folders, under the old topics) loads,
rebuilds, verifies and takes new commands, on each store: SQLite from the file the earlier
version wrote (snapshots and read model included), PostgreSQL from its export."""

from __future__ import annotations

import json
import shutil
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any
from uuid import UUID

import pytest

from cli.main import main as tenant_registry
from domain.command_records import CommandKey
from domain.commands import MemberChanges, NewMember, OrganizationChanges
from projections.leadership import leader_lock
from projections.rebuild import rebuild, verify
from service.composition import bootstrap
from tests.helpers import caught_up, make_settings, snapshot

if TYPE_CHECKING:
    from collections.abc import Iterator

    from service.composition import Services

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "legacy_store"
EXPECTED: dict[str, Any] = json.loads((FIXTURE / "expected.json").read_text())
ACME, BUSY = UUID(EXPECTED["acme"]), UUID(EXPECTED["busy"])


def load_store(database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    if database_url.startswith("sqlite:///"):
        shutil.copy(FIXTURE / "store.db", database_url.removeprefix("sqlite:///"))
        return
    # `tenant-registry import`, in this process (a new one would spend a second starting).
    monkeypatch.setenv("REGISTRY_DATABASE_URL", database_url)
    tenant_registry(["import", str(FIXTURE / "events.jsonl")])


def background_rebuilds_done() -> None:
    """The earlier version's read model is outdated (it lacks seed 001's attributes): the
    start rebuilds it in the background; wait for that."""
    for thread in threading.enumerate():
        if thread.name.startswith("rebuild-"):
            thread.join(timeout=60)
            assert not thread.is_alive()


@pytest.fixture
def legacy(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Services]:
    load_store(database_url, monkeypatch)
    services = bootstrap(make_settings(database_url))
    background_rebuilds_done()
    caught_up(services)
    yield services
    services.close()


def test_every_legacy_event_loads(legacy: Services) -> None:
    stored = legacy.registry.recorder.select_notifications(start=1, limit=10_000)
    assert len(stored) == EXPECTED["events"]
    assert {n.topic.partition(":")[0] for n in stored} >= {"domain.organization", "domain.indexes"}
    for notification in stored:
        legacy.registry.mapper.to_domain_event(notification)


def test_a_legacy_organization_answers_as_it_did(legacy: Services) -> None:
    details = json.loads(json.dumps(legacy.registry.get_details(ACME), default=str))
    assert {f: details[f] for f in EXPECTED["acme_details"]} == EXPECTED["acme_details"]
    row = legacy.read_model.queries.get_organization(ACME)
    assert row is not None
    assert row["version"] == details["version"]


def test_a_legacy_organization_has_seed_001s_defaults(legacy: Services) -> None:
    folded = legacy.registry.get_details(ACME)
    from_snapshot = legacy.registry.get_details(BUSY)  # Folded from an earlier snapshot.
    row = legacy.read_model.queries.get_organization(ACME)
    assert row is not None
    for details in (folded, from_snapshot, row):
        assert details["region"] == "eu-west-1"
        assert (details["gtm_id"], details["max_concurrent_imports"]) == (None, None)
        assert details["discount_disabled"] is False
        assert details["subscription_info"] == {"plan": None, "limits": {}, "totals": {}}


def test_a_legacy_organization_moves_region_and_verifies(legacy: Services) -> None:
    registry = legacy.registry
    registry.regions = ("eu-west-1", "us-east-1")
    for org_id in (ACME, BUSY):  # BUSY is loaded from an earlier version's snapshot.
        registry.update(org_id, OrganizationChanges(region="us-east-1", can_switch_live=True))
    caught_up(legacy)
    for org_id in (ACME, BUSY):
        row = legacy.read_model.queries.get_organization(org_id)
        assert row is not None
        assert (row["region"], row["can_switch_live"]) == ("us-east-1", True)
    assert verify(registry, legacy.read_model) == []


def test_a_legacy_organization_past_its_snapshot_loads(legacy: Services) -> None:
    assert legacy.registry.get_details(BUSY)["version"] == EXPECTED["busy_version"]


def test_a_legacy_store_rebuilds_to_the_same_read_model_and_verifies(legacy: Services) -> None:
    before = snapshot(legacy)
    lock = leader_lock(legacy.registry.env, "organization_lookup-rebuild")
    rebuild(legacy.registry, legacy.read_model, lock)
    assert snapshot(legacy) == before
    assert verify(legacy.registry, legacy.read_model) == []


def test_a_legacy_keyed_command_is_still_recorded(legacy: Services) -> None:
    assert legacy.registry.is_recorded(CommandKey("scope-hash", "key-hash", "fingerprint-hash"))


def test_a_legacy_store_takes_new_commands(legacy: Services) -> None:
    registry = legacy.registry
    # A slug and a member's email the earlier version released are claimed again.
    registry.update(ACME, OrganizationChanges(slug="acme-group", name="Acme Again"))
    registry.add_member(ACME, NewMember(user_id="user-2", email="u2@acme.example"))
    registry.update_member(ACME, "user-ann", MemberChanges(roles=["member"]))
    registry.revoke_api_key(ACME, UUID(EXPECTED["key_id"]))
    caught_up(legacy)
    now = legacy.read_model.queries.get_organization(ACME)
    assert now is not None
    assert (now["slug"], now["name"]) == ("acme-group", "Acme Again")
    assert now["active_member_count"] == EXPECTED["acme_details"]["active_member_count"] + 1
    assert verify(registry, legacy.read_model) == []

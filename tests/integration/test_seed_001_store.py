"""Seed 001's attributes in the store, on each store: a rebuilt read model equals the live
one and verifies; export and import carry every attribute."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from domain.commands import NewOrganization, OrganizationChanges
from domain.organizations.attributes import ATTRIBUTE_DEFAULTS
from projections.rebuild import rebuild, verify
from service.composition import bootstrap
from tests.helpers import caught_up, lock, make_settings, random_slug, run_cli, snapshot

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path
    from uuid import UUID

    from service.composition import Services

REGIONS = "eu-west-1,us-east-1"
FIELDS = ("region", "gtm_id", "gtm_id_test", *ATTRIBUTE_DEFAULTS)


@pytest.fixture
def regional(database_url: str) -> Iterator[Services]:
    """The registry and its running projection, its operator serving two regions."""
    services = bootstrap(make_settings(database_url, regions=REGIONS))
    yield services
    services.close()


def with_every_attribute(services: Services) -> UUID:
    """An organization created in one region with GTM ids, given every admin-only
    attribute, then moved to the other region."""
    registry = services.registry
    profile: dict[str, Any] = {"gtm_id": "GTM-AB12CD3", "gtm_id_test": "GTM-TEST01"}
    new = NewOrganization(name="Acme", slug=random_slug(), profile=profile, region="us-east-1")
    org_id: UUID = registry.create(new).organization["id"]
    attributes = OrganizationChanges(
        discount_disabled=True,
        account_disabled=True,
        acceptance_disabled=True,
        can_switch_live=True,
        max_concurrent_promotions=10,
        max_concurrent_imports=2,
        subscription_info={"plan": "growth", "limits": {"orders": 9}, "totals": {"orders": 1}},
    )
    registry.update(org_id, attributes)
    registry.update(org_id, OrganizationChanges(region="eu-west-1"))
    caught_up(services)
    return org_id


def test_a_rebuild_with_every_attribute_equals_the_live_read_model_and_verifies(
    regional: Services,
) -> None:
    with_every_attribute(regional)
    before = snapshot(regional)
    rebuild(regional.registry, regional.read_model, lock(regional))
    assert snapshot(regional) == before
    assert verify(regional.registry, regional.read_model) == []


def test_the_read_model_answers_each_attribute_as_the_events_fold_it(
    regional: Services,
) -> None:
    org_id = with_every_attribute(regional)
    row = regional.read_model.queries.get_organization(org_id)
    assert row is not None
    folded = regional.registry.get_details(org_id)
    assert {f: row[f] for f in FIELDS} == {f: folded[f] for f in FIELDS}
    assert (row["region"], row["max_concurrent_imports"]) == ("eu-west-1", 2)


def test_export_and_import_carry_every_attribute(
    regional: Services, database_url: str, tmp_path: Path
) -> None:
    org_id = with_every_attribute(regional)
    expected = regional.registry.get_details(org_id)
    exported = tmp_path / "events.jsonl"
    assert run_cli("export", "--output", str(exported), database_url=database_url).returncode == 0
    target = f"sqlite:///{tmp_path}/imported.db"
    imported = run_cli("import", str(exported), database_url=target)
    assert imported.returncode == 0, imported.stderr
    restored = bootstrap(make_settings(target, regions=REGIONS))
    try:
        caught_up(restored)
        row = restored.read_model.queries.get_organization(org_id)
        assert row is not None
        assert {f: row[f] for f in FIELDS} == {f: expected[f] for f in FIELDS}
        assert verify(restored.registry, restored.read_model) == []
    finally:
        restored.close()

"""Seed 001's attributes through the registry's commands: region, GTM ids, flags, limits,
subscription; who may set them, their rules, revert and time travel."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from domain.commands import NewOrganization, OrganizationChanges
from domain.context import acting_as, api_key_actor, user_actor
from domain.errors import ForbiddenError, ValidationError
from tests.helpers import random_slug

if TYPE_CHECKING:
    from uuid import UUID

    from application.registry import OrganizationRegistry

ADMIN_ONLY: list[dict[str, Any]] = [
    {"region": "us-east-1"},
    {"discount_disabled": True},
    {"account_disabled": True},
    {"acceptance_disabled": True},
    {"can_switch_live": True},
    {"max_concurrent_promotions": 5},
    {"max_concurrent_imports": 2},
    {"subscription_info": {"plan": "growth"}},
]


@pytest.fixture
def registry(registry: OrganizationRegistry) -> OrganizationRegistry:
    """The admin's in-memory registry, its operator serving two regions."""
    registry.regions = ("eu-west-1", "us-east-1")
    return registry


def new(registry: OrganizationRegistry, **fields: Any) -> UUID:
    written = registry.create(NewOrganization(name="Acme", slug=random_slug(), **fields))
    org_id: UUID = written.organization["id"]
    return org_id


def problem_fields(error: pytest.ExceptionInfo[ValidationError]) -> list[str]:
    return [p.field for p in error.value.problems]


def test_an_organization_is_in_the_operators_first_region_unless_told(
    registry: OrganizationRegistry,
) -> None:
    assert registry.get_details(new(registry))["region"] == "eu-west-1"
    assert registry.get_details(new(registry, region="us-east-1"))["region"] == "us-east-1"


def test_an_organization_in_an_unknown_region_is_refused_and_nothing_recorded(
    registry: OrganizationRegistry,
) -> None:
    recorded = registry.recorder.max_notification_id()
    with pytest.raises(ValidationError) as error:
        registry.create(NewOrganization(name="Acme", slug=random_slug(), region="mars-1"))
    assert problem_fields(error) == ["region"]
    assert registry.recorder.max_notification_id() == recorded


def test_a_move_to_another_region_is_an_event_of_its_own(registry: OrganizationRegistry) -> None:
    org_id = new(registry)
    registry.update(org_id, OrganizationChanges(region="us-east-1", can_switch_live=True))
    *_, moved = registry.history(org_id)
    assert type(moved).__name__ == "RegionChanged"
    assert moved.changes() == {"region": "us-east-1"}


@pytest.mark.parametrize("changes", ADMIN_ONLY)
@pytest.mark.parametrize("actor", [api_key_actor("k-1"), user_actor("ann")])
def test_a_tenant_may_not_set_an_admin_only_attribute_and_nothing_is_recorded(
    registry: OrganizationRegistry, changes: dict[str, Any], actor: dict[str, Any]
) -> None:
    org_id = new(registry)
    with acting_as(actor), pytest.raises(ForbiddenError):
        registry.update(org_id, OrganizationChanges(**changes))
    assert registry.get_details(org_id)["version"] == 1


def test_a_tenants_key_sets_its_own_gtm_ids(registry: OrganizationRegistry) -> None:
    org_id = new(registry)
    with acting_as(api_key_actor("k-1")):
        registry.update(org_id, OrganizationChanges(profile={"gtm_id": "GTM-AB12CD3"}))
    assert registry.get_details(org_id)["gtm_id"] == "GTM-AB12CD3"


def test_every_broken_attribute_is_named_and_nothing_recorded(
    registry: OrganizationRegistry,
) -> None:
    org_id = new(registry)
    broken = OrganizationChanges(
        profile={"gtm_id": "UA-1234", "gtm_id_test": "gtm-abc1"},
        region="mars-1",
        max_concurrent_promotions=-1,
        subscription_info={"limits": {"orders": -1}},
    )
    with pytest.raises(ValidationError) as error:
        registry.update(org_id, broken)
    assert sorted(problem_fields(error)) == [
        "gtm_id",
        "gtm_id_test",
        "max_concurrent_promotions",
        "region",
        "subscription_info.limits.orders",
    ]
    assert registry.get_details(org_id)["version"] == 1


def test_a_merge_changes_the_named_parts_of_the_subscription(
    registry: OrganizationRegistry,
) -> None:
    org_id = new(registry)
    subscription: dict[str, Any] = {
        "plan": "growth",
        "limits": {"orders": 10, "skus": 5},
        "totals": {"orders": 1},
    }
    registry.update(org_id, OrganizationChanges(subscription_info=subscription))
    patch: dict[str, Any] = {"limits": {"skus": None}, "totals": {"orders": 2}}
    registry.update(org_id, OrganizationChanges(subscription_info=patch, merge=True))
    assert registry.get_details(org_id)["subscription_info"] == {
        "plan": "growth",
        "limits": {"orders": 10},
        "totals": {"orders": 2},
    }


def test_a_replacement_of_the_subscription_keeps_only_what_it_gives(
    registry: OrganizationRegistry,
) -> None:
    org_id = new(registry)
    registry.update(org_id, OrganizationChanges(subscription_info={"limits": {"orders": 10}}))
    registry.update(org_id, OrganizationChanges(subscription_info={"plan": "pro"}))
    assert registry.get_details(org_id)["subscription_info"] == {
        "plan": "pro",
        "limits": {},
        "totals": {},
    }


def test_a_revert_brings_back_the_region_and_the_attributes(
    registry: OrganizationRegistry,
) -> None:
    org_id = new(registry, profile={"gtm_id": "GTM-AB12CD3"})
    registry.update(
        org_id,
        OrganizationChanges(
            region="us-east-1",
            profile={"gtm_id": None},
            discount_disabled=True,
            max_concurrent_imports=3,
            subscription_info={"plan": "pro"},
        ),
    )
    registry.revert(org_id, 1)
    reverted, first = registry.get_details(org_id), registry.get_details(org_id, 1)
    fields = ("region", "gtm_id", "discount_disabled", "max_concurrent_imports")
    assert [reverted[f] for f in (*fields, "subscription_info")] == [
        first[f] for f in (*fields, "subscription_info")
    ]


def test_an_earlier_version_shows_the_region_it_was_in(registry: OrganizationRegistry) -> None:
    org_id = new(registry)
    registry.update(org_id, OrganizationChanges(region="us-east-1"))
    assert registry.get_details(org_id, 1)["region"] == "eu-west-1"
    assert registry.get_details(org_id)["region"] == "us-east-1"


def test_a_revert_in_a_region_no_longer_served_keeps_the_region(
    registry: OrganizationRegistry,
) -> None:
    org_id = new(registry)
    registry.update(org_id, OrganizationChanges(name="Renamed"))
    registry.regions = ("us-east-1",)  # The operator no longer serves eu-west-1.
    registry.revert(org_id, 1)
    reverted = registry.get_details(org_id)
    assert (reverted["name"], reverted["region"]) == ("Acme", "eu-west-1")


def test_a_revert_in_a_region_no_longer_served_records_no_move(
    registry: OrganizationRegistry,
) -> None:
    org_id = new(registry)
    registry.update(org_id, OrganizationChanges(name="Renamed"))
    registry.regions = ("us-east-1",)
    registry.revert(org_id, 1)
    assert [type(e).__name__ for e in registry.history(org_id)][-1] == "Renamed"


def test_an_update_naming_a_region_no_longer_served_that_it_is_in_is_accepted(
    registry: OrganizationRegistry,
) -> None:
    org_id = new(registry)
    registry.regions = ("us-east-1",)
    registry.update(org_id, OrganizationChanges(name="Renamed", region="eu-west-1"))
    details = registry.get_details(org_id)
    assert (details["name"], details["region"], details["version"]) == ("Renamed", "eu-west-1", 2)


def test_a_move_to_a_region_no_longer_served_is_refused(registry: OrganizationRegistry) -> None:
    org_id = new(registry, region="us-east-1")
    registry.regions = ("us-east-1",)
    with pytest.raises(ValidationError) as error:
        registry.update(org_id, OrganizationChanges(region="eu-west-1"))
    assert problem_fields(error) == ["region"]


def test_seed_002s_banned_status_is_suspended(registry: OrganizationRegistry) -> None:
    org_id = new(registry)
    registry.update(org_id, OrganizationChanges(status="banned", status_reason="fraud"))
    assert registry.get_details(org_id)["status"] == "suspended"

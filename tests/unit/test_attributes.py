"""Seed 001's attribute rules: regions, GTM ids, flags, limits and the subscription."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from domain.errors import InvalidValueError
from domain.organizations.attributes import (
    check_flag,
    check_gtm_id,
    check_limit,
    check_region,
    check_subscription_info,
    parse_regions,
)
from service.settings import Settings

REGIONS = ("eu-west-1", "us-east-1")

REJECTED: list[tuple[Any, Any]] = [
    (check_gtm_id, "UA-12345-1"),
    (check_gtm_id, "GTM-abc123"),
    (check_gtm_id, "GTM-ABC"),
    (check_gtm_id, "GTM-ABCDEFGHIJKLM"),
    (check_gtm_id, " GTM-ABC123"),
    (check_gtm_id, 12345),
    (check_flag, "true"),
    (check_flag, 1),
    (check_limit, -1),
    (check_limit, 1_000_001),
    (check_limit, 2.5),
    (check_limit, True),
    (check_subscription_info, []),
    (check_subscription_info, {"tier": "gold"}),
    (check_subscription_info, {"plan": ""}),
    (check_subscription_info, {"plan": 7}),
    (check_subscription_info, {"limits": {"orders": -1}}),
    (check_subscription_info, {"limits": {"orders": "10"}}),
    (check_subscription_info, {"totals": {"1st": 1}}),
    (check_subscription_info, {"totals": {"orders": 2**53}}),
    (check_subscription_info, {"limits": {f"l{i}": 1 for i in range(51)}}),
]


@pytest.mark.parametrize(("rule", "value"), REJECTED)
def test_a_value_breaking_an_attribute_rule_is_refused(rule: Any, value: Any) -> None:
    with pytest.raises(InvalidValueError):
        rule(value)


def test_a_region_must_be_one_of_the_operators() -> None:
    assert check_region("us-east-1", REGIONS) == "us-east-1"
    with pytest.raises(InvalidValueError, match="eu-west-1, us-east-1"):
        check_region("ap-south-1", REGIONS)


def test_gtm_ids_of_4_to_12_uppercase_letters_or_digits_are_accepted() -> None:
    assert check_gtm_id("GTM-AB12") == "GTM-AB12"
    assert check_gtm_id("GTM-AB12CD34EF56") == "GTM-AB12CD34EF56"


def test_null_flags_are_false_and_null_limits_are_not_set() -> None:
    assert check_flag(None) is False
    assert check_limit(None) is None
    assert check_limit(0) == 0


def test_a_subscription_is_its_plan_limits_and_totals_each_defaulted() -> None:
    assert check_subscription_info({"plan": " growth "}) == {
        "plan": "growth",
        "limits": {},
        "totals": {},
    }
    assert check_subscription_info(None) == {"plan": None, "limits": {}, "totals": {}}


def test_a_subscription_names_the_count_that_is_wrong() -> None:
    with pytest.raises(InvalidValueError) as caught:
        check_subscription_info({"limits": {"orders": -5}})
    assert caught.value.path == "limits.orders"


def test_the_operators_regions_are_read_in_order_without_repeats() -> None:
    assert parse_regions(" us-east-1, eu-west-1,us-east-1 ") == ("us-east-1", "eu-west-1")
    assert parse_regions("") == ("eu-west-1",)


def test_a_malformed_region_setting_is_refused_at_start() -> None:
    with pytest.raises(ValidationError, match="region"):
        Settings(regions="eu-west-1,EU West")

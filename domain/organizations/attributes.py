"""Seed 001's commerce attributes: where an organization's data lives (its region), its
Google Tag Manager ids, the flags and limits its operator sets, and its subscription."""

from __future__ import annotations

import copy
import re
from typing import Any

from domain.errors import InvalidValueError

DEFAULT_REGION = "eu-west-1"
"""Seed 001's default region; also the region of organizations recorded before regions."""
DEFAULT_REGIONS = (DEFAULT_REGION,)
MAX_LIMIT = 1_000_000
"""The highest limit: concurrency limits, and the cap on memberships."""
MAX_NAMED = 50
"""At most this many named limits, and as many named totals."""
MAX_COUNT = 2**53 - 1
"""The highest named limit or total: the largest integer every JSON reader holds exactly."""

REGION_PATTERN = r"[a-z0-9](?:[a-z0-9-]{0,48}[a-z0-9])?"
"""A region's form, matched whole (the API's schemas anchor it)."""
GTM_ID_PATTERN = r"GTM-[A-Z0-9]{4,12}"
"""A Google Tag Manager id's form, matched whole."""
COUNT_NAME_PATTERN = r"[A-Za-z][A-Za-z0-9_]{0,63}"
"""The form of a named limit's or total's name, matched whole."""
_REGION = re.compile(REGION_PATTERN)
_GTM_ID = re.compile(GTM_ID_PATTERN)
_NAME = re.compile(COUNT_NAME_PATTERN)

FLAGS = ("discount_disabled", "account_disabled", "acceptance_disabled", "can_switch_live")
LIMITS = ("max_concurrent_promotions", "max_concurrent_imports")
SUBSCRIPTION_DEFAULT: dict[str, Any] = {"plan": None, "limits": {}, "totals": {}}
QUOTA_RATES = ("readsPerMinute", "writesPerMinute")
QUOTA_BURSTS = ("readBurst", "writeBurst")
"""A request quota's fields, named as the API names them (like a subscription's)."""
ATTRIBUTE_DEFAULTS: dict[str, Any] = {
    **dict.fromkeys(FLAGS, False),
    **dict.fromkeys(LIMITS),
    "subscription_info": SUBSCRIPTION_DEFAULT,
    "request_quota": None,
}
"""The admin-only attributes an organization starts with (and has, when folded from events
recorded before they existed): seed 001's, and the request quota of its credentials
(``None``: the service's)."""


def attribute_defaults() -> dict[str, Any]:
    """A fresh copy of ``ATTRIBUTE_DEFAULTS`` (nothing shared)."""
    return copy.deepcopy(ATTRIBUTE_DEFAULTS)


def parse_regions(configured: str) -> tuple[str, ...]:
    """The operator's regions (comma-separated; the first is the default), or
    ``DEFAULT_REGIONS`` when none are given; ``ValueError`` for a malformed one."""
    regions = tuple(dict.fromkeys(r.strip() for r in configured.split(",") if r.strip()))
    for region in regions:
        if not _REGION.fullmatch(region):
            msg = f"region {region!r} must be 1-50 lowercase letters, digits and hyphens"
            raise ValueError(msg)
    return regions or DEFAULT_REGIONS


def check_region(value: Any, regions: tuple[str, ...], current: str | None = None) -> str:
    """One of the operator's regions, or the organization's ``current`` one: an
    organization keeps a region the operator no longer serves until it is moved."""
    if value != current and value not in regions:
        raise InvalidValueError(f"must be one of {', '.join(regions)}")
    return str(value)


def check_gtm_id(value: Any) -> str:
    """A Google Tag Manager container id: GTM- and 4-12 uppercase letters or digits."""
    if not isinstance(value, str) or not _GTM_ID.fullmatch(value):
        raise InvalidValueError("must be a Google Tag Manager id, such as GTM-AB12CD3")
    return value


def check_flag(value: Any) -> bool:
    """``true`` or ``false`` (``null``: ``false``): seed 001's flags, and ``verified``."""
    if value is None:
        return False
    if type(value) is not bool:
        raise InvalidValueError("must be true or false")
    return value


def check_limit(value: Any) -> int | None:
    """A whole number from 0 to ``MAX_LIMIT``, or ``None`` (not set): seed 001's
    concurrency limits, and the cap on memberships (0 or ``None``: no cap)."""
    if value is None:
        return None
    if type(value) is not int or not 0 <= value <= MAX_LIMIT:
        raise InvalidValueError(f"must be a whole number from 0 to {MAX_LIMIT}, or null")
    return value


def _counts(value: Any, path: str) -> dict[str, int]:
    """Named non-negative whole numbers: up to ``MAX_NAMED``, names of 1-64 letters,
    digits and underscores starting with a letter."""
    if value is None:
        return {}
    if not isinstance(value, dict) or len(value) > MAX_NAMED:
        raise InvalidValueError(f"must be an object of at most {MAX_NAMED} counts", path)
    for name, count in value.items():
        if not _NAME.fullmatch(name):
            message = "names must be 1-64 letters, digits or _, starting with a letter"
            raise InvalidValueError(message, path)
        if type(count) is not int or not 0 <= count <= MAX_COUNT:
            message = f"must be a whole number from 0 to {MAX_COUNT}"
            raise InvalidValueError(message, f"{path}.{name}")
    return dict(value)


def check_subscription_info(value: Any) -> dict[str, Any]:
    """``{"plan", "limits", "totals"}``: the plan's name (1-100 characters, or ``None``),
    its limits and the subscription's running totals (named counts); ``null`` clears it."""
    if value is None:
        return copy.deepcopy(SUBSCRIPTION_DEFAULT)
    if not isinstance(value, dict) or not set(value) <= {"plan", "limits", "totals"}:
        raise InvalidValueError('must be an object with "plan", "limits" and "totals"')
    plan = value.get("plan")
    if plan is not None and (not isinstance(plan, str) or not 1 <= len(plan.strip()) <= 100):
        raise InvalidValueError("must be 1-100 characters, or null", "plan")
    return {
        "plan": plan and plan.strip(),
        "limits": _counts(value.get("limits"), "limits"),
        "totals": _counts(value.get("totals"), "totals"),
    }


def check_request_quota(value: Any) -> dict[str, int | None] | None:
    """The request quota of each of an organization's credentials: reads and writes a
    minute (0: none), and their bursts (1 or more); ``None`` for any of them (or for the
    whole): the service's own."""
    if value is None:
        return None
    if not isinstance(value, dict) or not set(value) <= {*QUOTA_RATES, *QUOTA_BURSTS}:
        fields = ", ".join(f'"{f}"' for f in (*QUOTA_RATES, *QUOTA_BURSTS))
        raise InvalidValueError(f"must be an object with {fields}")
    for name in (*QUOTA_RATES, *QUOTA_BURSTS):
        least = 1 if name in QUOTA_BURSTS else 0
        count = value.get(name)
        if count is not None and (type(count) is not int or not least <= count <= MAX_LIMIT):
            message = f"must be a whole number from {least} to {MAX_LIMIT}, or null"
            raise InvalidValueError(message, name)
    return {name: value.get(name) for name in (*QUOTA_RATES, *QUOTA_BURSTS)}


ATTRIBUTE_RULES: dict[str, Any] = {
    **dict.fromkeys(FLAGS, check_flag),
    **dict.fromkeys(LIMITS, check_limit),
    "subscription_info": check_subscription_info,
    "request_quota": check_request_quota,
}
"""The admin-only attributes' rules, by field."""

"""Turns a command's raw input into validated values, naming every field that is wrong."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from domain.commands import UNSET
from domain.errors import InvalidValueError, ValidationError
from domain.keys.secrets import check_expires_at, check_key_name
from domain.organizations.attributes import DEFAULT_REGIONS, check_region
from domain.organizations.organization import SEED_002_STATUSES, STATUSES
from domain.rules import (
    ACCOUNT_RULES,
    PROFILE_FIELDS,
    Problems,
    check_external_id,
    check_name,
    check_owner,
    check_profile_value,
    check_slug,
    merge_patch,
    metadata_problems,
    settings_problems,
)
from domain.storable import check_text, value_problems

if TYPE_CHECKING:
    from datetime import datetime

    from domain.commands import NewApiKey, NewOrganization, OrganizationChanges
    from domain.organizations.organization import Organization


def check_reason(value: str | None) -> str | None:
    """Why a change was made: up to 1000 characters of storable text."""
    if value is not None and len(value) > 1000:
        raise InvalidValueError("must be at most 1000 characters")
    return None if value is None else check_text(value)


def ensure_storable(fields: dict[str, Any]) -> None:
    """Refuse, naming each field, any value no store holds exactly (``domain.storable``);
    every other rule can then rely on storable input."""
    problems = [p for name, value in fields.items() for p in value_problems(name, value)]
    if problems:
        raise ValidationError(problems)


def _check_status(value: str) -> str:
    """One of ``STATUSES``, or a seed 002 status that means one of them."""
    if isinstance(value, str):
        value = SEED_002_STATUSES.get(value, value)
    if value not in STATUSES:
        raise InvalidValueError(f"must be one of {', '.join(STATUSES)}")
    return value


def _not_null(rule: Any) -> Any:
    def check(value: Any, *args: Any) -> Any:
        if value is None:
            raise InvalidValueError("must not be null")
        return rule(value, *args)

    return check


def _object(value: Any) -> dict[str, Any]:
    """A JSON object; ``null`` is the empty object (it clears settings or metadata)."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InvalidValueError("must be an object")
    return dict(value)


def _profile(problems: Problems, profile: dict[str, Any]) -> dict[str, Any]:
    return {f: problems.check(f, check_profile_value, f, v) for f, v in profile.items()}


def validate_new(
    new: NewOrganization, reserved: frozenset[str], regions: tuple[str, ...] = DEFAULT_REGIONS
) -> dict[str, Any]:
    """The ``Organization`` constructor's arguments, or a ``ValidationError``."""
    ensure_storable(
        {
            "name": new.name,
            "slug": new.slug,
            "external_id": new.external_id,
            "settings": new.settings,
            "metadata": new.metadata,
            "region": new.region,
            **new.profile,
        }
    )
    problems = Problems()
    values = {
        "name": problems.check("name", _not_null(check_name), new.name),
        "slug": problems.check("slug", _not_null(check_slug), new.slug, reserved),
        "external_id": None
        if new.external_id is None
        else problems.check("external_id", check_external_id, new.external_id),
        "settings": problems.check("settings", _object, new.settings) or {},
        "profile": _profile(problems, {f: new.profile.get(f) for f in PROFILE_FIELDS}),
        "metadata": problems.check("metadata", _object, new.metadata) or {},
        "region": regions[0]
        if new.region is None
        else problems.check("region", check_region, new.region, regions),
    }
    problems.extend(settings_problems(values["settings"]))
    problems.extend(metadata_problems(values["metadata"]))
    problems.raise_if_any()
    return values


_UPDATABLE = (
    "name",
    "slug",
    "external_id",
    "settings",
    "metadata",
    "status_reason",
    *ACCOUNT_RULES,
    "owner",
    "region",
)


def validate_changes(
    changes: OrganizationChanges,
    org: Organization,
    reserved: frozenset[str],
    regions: tuple[str, ...] = DEFAULT_REGIONS,
) -> dict[str, Any]:
    """The new values an update asks for (only those given), or a ``ValidationError``."""
    given = {f: getattr(changes, f) for f in _UPDATABLE if getattr(changes, f) is not UNSET}
    ensure_storable({**given, **changes.profile})
    problems = Problems()
    values: dict[str, Any] = {
        **_identity_changes(problems, changes, reserved),
        **_document_changes(problems, changes, org),
        "profile": _profile(problems, changes.profile),
        "account": _account_changes(problems, given, org, merge=changes.merge),
        **_status_changes(problems, changes, org),
    }
    if "region" in given:
        values["region"] = problems.check(
            "region", check_region, given["region"], regions, org.region
        )
    problems.raise_if_any()
    return values


def _identity_changes(
    problems: Problems, changes: OrganizationChanges, reserved: frozenset[str]
) -> dict[str, Any]:
    """The new name, slug and external id, those given."""
    values: dict[str, Any] = {}
    if changes.name is not UNSET:
        values["name"] = problems.check("name", _not_null(check_name), changes.name)
    if changes.slug is not UNSET:
        values["slug"] = problems.check("slug", _not_null(check_slug), changes.slug, reserved)
    if changes.external_id is not UNSET:
        values["external_id"] = (
            None
            if changes.external_id is None
            else problems.check("external_id", check_external_id, changes.external_id)
        )
    return values


def _document_changes(
    problems: Problems, changes: OrganizationChanges, org: Organization
) -> dict[str, Any]:
    """The new settings and metadata, those given (merged into the current ones when the
    update is a merge)."""
    values: dict[str, Any] = {}
    for name, current, find_problems in (
        ("settings", org.settings, settings_problems),
        ("metadata", org.metadata, metadata_problems),
    ):
        patch = getattr(changes, name)
        if patch is not UNSET:
            patch = merge_patch(current, patch) if changes.merge else patch
            values[name] = problems.check(name, _object, patch) or {}
            problems.extend(find_problems(values[name]))
    return values


def _account_changes(
    problems: Problems, given: dict[str, Any], org: Organization, *, merge: bool
) -> dict[str, Any]:
    """The new account fields (``ACCOUNT_RULES``) and owner, those given (the subscription
    merged into the current one when the update is a merge)."""
    account = {f: given[f] for f in ACCOUNT_RULES if f in given}
    subscription = account.get("subscription_info")
    if merge and isinstance(subscription, dict):
        account["subscription_info"] = merge_patch(org.subscription_info, subscription)
    values = {f: problems.check(f, ACCOUNT_RULES[f], v) for f, v in account.items()}
    if "owner" in given:
        values["owner"] = problems.check("owner", check_owner, given["owner"], org.owners)
    return values


def _status_changes(
    problems: Problems, changes: OrganizationChanges, org: Organization
) -> dict[str, Any]:
    """The new status and status reason, both, if either is given (the other is then the
    current status, or no reason)."""
    if changes.status is UNSET and changes.status_reason is UNSET:
        return {}
    status = org.status if changes.status is UNSET else changes.status
    reason = None if changes.status_reason is UNSET else changes.status_reason
    return {
        "status": problems.check("status", _not_null(_check_status), status),
        "status_reason": problems.check("status_reason", check_reason, reason),
    }


def validate_reason(reason: str | None, field: str = "reason") -> str | None:
    """A reason given for a change, or a ``ValidationError`` naming ``field``."""
    problems = Problems()
    checked = problems.check(field, check_reason, reason)
    problems.raise_if_any()
    return checked  # type: ignore[no-any-return]


def validate_new_api_key(new: NewApiKey, now: datetime) -> tuple[str | None, datetime | None]:
    """A new key's name and expiry time, or a ``ValidationError``."""
    ensure_storable({"name": new.name})
    problems = Problems()
    name = problems.check("name", check_key_name, new.name)
    expires_at = problems.check("expires_at", check_expires_at, new.expires_at, now)
    problems.raise_if_any()
    return name, expires_at

"""Turns the raw input of membership, invitation, role and account commands into
validated values, naming every field that is wrong (as ``domain.organizations.validation``
does for an organization's own fields)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from domain.commands import UNSET
from domain.errors import FieldProblem, InvalidValueError, ValidationError
from domain.members.membership import (
    ACTIVE,
    INACTIVE,
    INVITATION_DAYS_DEFAULT,
    INVITATION_DAYS_MAX,
    INVITATION_DAYS_MIN,
)
from domain.members.roles import (
    MEMBER,
    check_permission,
    check_permissions,
    check_role_name,
    check_roles,
)
from domain.organizations.validation import ensure_storable
from domain.rules import Problems, check_email, check_external_id, metadata_problems

if TYPE_CHECKING:
    from domain.commands import MemberChanges, NewInvitation, NewMember


MAX_BULK = 1000
"""The most members one bulk add takes."""


def check_user_id(value: Any) -> str:
    """The identity provider's id of a person: 1-255 printable characters but ``/``, and
    not ``.`` or ``..`` (it is a segment of the member's URL, which clients would remove
    or resolve to the organization's own)."""
    if not isinstance(value, str):
        raise InvalidValueError("must be a string")
    if "/" in value:
        raise InvalidValueError("must not contain '/'")
    if value in (".", ".."):
        raise InvalidValueError("must not be '.' or '..'")
    return check_external_id(value)


def _email(value: Any) -> str:
    if not isinstance(value, str):
        raise InvalidValueError("must be a string")
    return check_email(value)


def _metadata(problems: Problems, value: Any) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        problems.check("metadata", _fail, "must be an object")
        return {}
    problems.extend(metadata_problems(value))
    return dict(value)


def _fail(message: str) -> None:
    raise InvalidValueError(message)


def _days(value: Any) -> int:
    if value is None:
        return INVITATION_DAYS_DEFAULT
    if type(value) is not int or not INVITATION_DAYS_MIN <= value <= INVITATION_DAYS_MAX:
        raise InvalidValueError(
            f"must be a whole number of days from {INVITATION_DAYS_MIN} to {INVITATION_DAYS_MAX}"
        )
    return value


def _roles(problems: Problems, value: Any, custom_roles: dict[str, Any]) -> list[str]:
    return problems.check("roles", check_roles, [MEMBER] if value is None else value, custom_roles)  # type: ignore[no-any-return]


def validate_new_member(new: NewMember, custom_roles: dict[str, Any]) -> dict[str, Any]:
    ensure_storable({"user_id": new.user_id, "email": new.email, "metadata": new.metadata})
    problems = Problems()
    values = {
        "user_id": problems.check("user_id", check_user_id, new.user_id),
        "email": problems.check("email", _email, new.email),
        "roles": _roles(problems, new.roles, custom_roles),
        "metadata": _metadata(problems, new.metadata),
    }
    problems.raise_if_any()
    return values


def validate_new_members(
    news: list[NewMember], custom_roles: dict[str, Any]
) -> list[dict[str, Any]]:
    """Every member of a bulk add, or one ``ValidationError`` naming each wrong field
    (``members[3].email``), duplicates within the list included."""
    problems, values, seen = Problems(), [], set()
    for i, new in enumerate(news):
        try:
            value = validate_new_member(new, custom_roles)
        except ValidationError as error:
            problems.extend(
                [FieldProblem(f"members[{i}].{p.field}", p.message) for p in error.problems]
            )
            continue
        for field in ("email", "user_id"):
            key = value[field].casefold() if field == "email" else value[field]
            if (field, key) in seen:
                problems.extend(
                    [FieldProblem(f"members[{i}].{field}", "appears twice in the list")]
                )
            seen.add((field, key))
        values.append(value)
    problems.raise_if_any()
    return values


def validate_new_invitation(new: NewInvitation, custom_roles: dict[str, Any]) -> dict[str, Any]:
    ensure_storable({"email": new.email, "metadata": new.metadata})
    problems = Problems()
    values = {
        "email": problems.check("email", _email, new.email),
        "roles": _roles(problems, new.roles, custom_roles),
        "days": problems.check("expires_in_days", _days, new.expires_in_days),
        "metadata": _metadata(problems, new.metadata),
    }
    problems.raise_if_any()
    return values


def _one(field: str, rule: Any, value: Any) -> Any:
    """One value checked by ``rule``, or a ``ValidationError`` naming ``field``."""
    ensure_storable({field: value})
    problems = Problems()
    checked = problems.check(field, rule, value)
    problems.raise_if_any()
    return checked


def validate_days(value: Any) -> int:
    return _one("expires_in_days", _days, value)  # type: ignore[no-any-return]


def validate_user_id(value: Any) -> str:
    return _one("user_id", check_user_id, value)  # type: ignore[no-any-return]


def validate_permission(value: Any) -> str:
    return _one("permission", check_permission, value)  # type: ignore[no-any-return]


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise InvalidValueError("must be a string")
    return value


def validate_token(value: Any) -> str:
    """An invitation token as given: storable text (whether it is the right one is for the
    invitation to say)."""
    return _one("token", _text, value)  # type: ignore[no-any-return]


def _member_status(value: Any) -> str:
    if value not in (ACTIVE, INACTIVE):
        raise InvalidValueError(f"must be {ACTIVE} or {INACTIVE}")
    return str(value)


def validate_member_changes(changes: MemberChanges, custom_roles: dict[str, Any]) -> dict[str, Any]:
    given = {
        f: getattr(changes, f)
        for f in ("roles", "status", "metadata")
        if getattr(changes, f) is not UNSET
    }
    ensure_storable(given)
    problems = Problems()
    values: dict[str, Any] = {}
    if "roles" in given:
        values["roles"] = problems.check("roles", check_roles, given["roles"], custom_roles)
    if "status" in given:
        values["status"] = problems.check("status", _member_status, given["status"])
    if "metadata" in given:
        values["metadata"] = _metadata(problems, given["metadata"])
    problems.raise_if_any()
    return values


def validate_role(name: Any, permissions: Any) -> dict[str, Any]:
    ensure_storable({"name": name, "permissions": permissions})
    problems = Problems()
    values = {
        "name": problems.check("name", check_role_name, name),
        "permissions": problems.check("permissions", check_permissions, permissions),
    }
    problems.raise_if_any()
    return values

"""Roles and permissions: which role grants what, and the rules their names obey.

A permission is a string such as ``billing:read``: a resource and an action, separated by
colons. ``*`` as the last part grants every action under it (``billing:*``); ``*`` alone
grants everything. Every organization has the built-in roles ``owner``, ``admin`` and
``member``; it may define its own, each with a key, a name and its permissions.
"""

from __future__ import annotations

import re
from typing import Any

from domain.errors import InvalidValueError
from domain.rules import check_line

OWNER, ADMIN, MEMBER = "owner", "admin", "member"
BUILT_IN_ROLES: dict[str, dict[str, Any]] = {
    OWNER: {"name": "Owner", "permissions": ["*"]},
    ADMIN: {
        "name": "Admin",
        "permissions": [
            "organization:read",
            "organization:write",
            "members:read",
            "members:write",
            "roles:read",
            "roles:write",
            "billing:read",
            "billing:write",
            "webhooks:write",
        ],
    },
    MEMBER: {"name": "Member", "permissions": ["organization:read", "members:read"]},
}
MAX_ROLES_PER_MEMBER = 10
MAX_CUSTOM_ROLES = 50
MAX_PERMISSIONS_PER_ROLE = 100

ROLE_KEY_PATTERN = r"[a-z][a-z0-9_-]{0,39}"
_PERMISSION_PART = r"[a-z0-9][a-z0-9_.-]{0,39}"
PERMISSION_PATTERN = rf"\*|{_PERMISSION_PART}(?::{_PERMISSION_PART})*(?::\*)?"
_ROLE_KEY = re.compile(ROLE_KEY_PATTERN)
_PERMISSION = re.compile(PERMISSION_PATTERN)


def check_role_key(value: Any) -> str:
    """A custom role's key: 1-40 lowercase letters, digits, ``_`` and ``-``, starting
    with a letter, and not the key of a built-in role."""
    if not isinstance(value, str) or not _ROLE_KEY.fullmatch(value):
        raise InvalidValueError(
            "must be 1-40 lowercase letters, digits, '_' or '-', starting with a letter"
        )
    if value in BUILT_IN_ROLES:
        raise InvalidValueError(f"{value!r} is a built-in role")
    return value


def check_role_name(value: Any) -> str:
    if not isinstance(value, str):
        raise InvalidValueError("must be a string")
    return check_line(value, 100)


def check_permissions(value: Any) -> list[str]:
    """A role's permissions: 0-100 distinct strings such as ``billing:read`` (kept sorted)."""
    if not isinstance(value, list):
        raise InvalidValueError("must be a list of permissions")
    if len(value) > MAX_PERMISSIONS_PER_ROLE:
        raise InvalidValueError(f"must hold at most {MAX_PERMISSIONS_PER_ROLE} permissions")
    for i, permission in enumerate(value):
        check_permission(permission, f"[{i}]")
    return sorted(set(value))


def check_permission(value: Any, path: str = "") -> str:
    if not isinstance(value, str) or len(value) > 200 or not _PERMISSION.fullmatch(value):
        raise InvalidValueError(
            "must be a permission such as 'billing:read' (lowercase parts separated by ':', "
            "'*' as the last part for all)",
            path,
        )
    return value


def check_roles(value: Any, custom_roles: dict[str, Any]) -> list[str]:
    """A member's roles: 1-10 distinct keys of built-in roles or of the organization's own."""
    if not isinstance(value, list) or not value:
        raise InvalidValueError("must be a non-empty list of role keys")
    if len(value) > MAX_ROLES_PER_MEMBER:
        raise InvalidValueError(f"must hold at most {MAX_ROLES_PER_MEMBER} roles")
    for i, role in enumerate(value):
        if not isinstance(role, str) or (role not in BUILT_IN_ROLES and role not in custom_roles):
            raise InvalidValueError(f"unknown role {role!r}", f"[{i}]")
    return sorted(set(value))


def role_permissions(roles: list[str], custom_roles: dict[str, Any]) -> list[str]:
    """Every permission the roles grant (a role since deleted grants nothing)."""
    granted: set[str] = set()
    for role in roles:
        definition = BUILT_IN_ROLES.get(role) or custom_roles.get(role)
        if definition is not None:
            granted.update(definition["permissions"])
    return sorted(granted)


def grants(granted: list[str], permission: str) -> bool:
    """Whether ``granted`` includes ``permission``, directly or through a ``*``."""
    if permission in granted or "*" in granted:
        return True
    parts = permission.split(":")
    return any(":".join(parts[:i]) + ":*" in granted for i in range(1, len(parts)))


def all_roles(custom_roles: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The built-in roles and the organization's own, by key."""
    return {**BUILT_IN_ROLES, **custom_roles}

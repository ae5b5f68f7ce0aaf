"""Roles and permissions: what grants what, and the names they may have."""

from __future__ import annotations

from typing import Any

import pytest

from domain.errors import InvalidValueError
from domain.members.roles import check_permission, check_role_key, grants, role_permissions


@pytest.mark.parametrize(
    ("granted", "permission", "allowed"),
    [
        (["billing:read"], "billing:read", True),
        (["billing:read"], "billing:write", False),
        (["billing:*"], "billing:write", True),
        (["billing:*"], "billing", False),
        (["billing:*"], "billingx:read", False),
        (["a:b:*"], "a:b:c", True),
        (["a:*"], "a:b:c", True),
        (["*"], "anything:at:all", True),
        ([], "members:read", False),
    ],
)
def test_grants(granted: list[str], permission: str, allowed: bool) -> None:
    assert grants(granted, permission) is allowed


@pytest.mark.parametrize("permission", ["billing:read", "*", "a:*", "a.b:c-d_e", "x"])
def test_valid_permissions(permission: str) -> None:
    assert check_permission(permission) == permission


@pytest.mark.parametrize(
    "permission", ["", "Billing:read", "a::b", "*:a", "a:*:b", " a", "a:", 3, "a" * 201]
)
def test_invalid_permissions(permission: Any) -> None:
    with pytest.raises(InvalidValueError):
        check_permission(permission)


@pytest.mark.parametrize("key", ["owner", "admin", "member", "", "1abc", "Abc", "a b", "a" * 41])
def test_invalid_role_keys(key: str) -> None:
    with pytest.raises(InvalidValueError):
        check_role_key(key)


def test_role_permissions_of_built_in_custom_and_deleted_roles() -> None:
    custom = {"billing": {"name": "Billing", "permissions": ["billing:*"]}}
    assert role_permissions(["member", "billing", "gone"], custom) == [
        "billing:*",
        "members:read",
        "organization:read",
    ]

"""One answer to "may this member use this permission here?", with the reason when not."""

from __future__ import annotations

from typing import Any

import pytest

from domain.members.access import refusal

ORG = {"status": "active", "roles": {"billing": {"name": "Billing", "permissions": ["b:*"]}}}


def member(status: str = "active", *roles: str) -> dict[str, Any]:
    return {"status": status, "roles": list(roles) or ["member"]}


@pytest.mark.parametrize(
    ("org", "who", "permission", "reason"),
    [
        (ORG, member("active", "owner"), "members:write", None),
        (ORG, member("active", "billing"), "b:read", None),
        (
            {**ORG, "status": "suspended"},
            member("active", "owner"),
            "x:y",
            "organization_suspended",
        ),
        ({**ORG, "status": "archived"}, member("active", "owner"), "x:y", "organization_archived"),
        (ORG, None, "members:read", "not_a_member"),
        (ORG, member("inactive", "owner"), "members:read", "member_inactive"),
        (ORG, member("active", "member"), "members:write", "permission_not_granted"),
    ],
)
def test_a_permission_is_refused_with_its_reason(
    org: dict[str, Any], who: dict[str, Any] | None, permission: str, reason: str | None
) -> None:
    assert refusal(org, who, permission) == reason

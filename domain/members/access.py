"""Whether a person may do something in an organization: one answer for every check,
now or as it was."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from domain.context import USER, current_actor, grantable_cvar
from domain.errors import PermissionRequiredError
from domain.members.membership import ACTIVE as MEMBER_ACTIVE
from domain.members.roles import grants, role_permissions

if TYPE_CHECKING:
    from collections.abc import Mapping

NOT_A_MEMBER = "not_a_member"
MEMBER_INACTIVE = "member_inactive"
NOT_GRANTED = "permission_not_granted"
ORGANIZATION_NOT_ACTIVE = "organization_{}"
"""With the organization's status: ``organization_suspended``, ``organization_archived``."""


def refusal(
    org: Mapping[str, Any], member: Mapping[str, Any] | None, permission: str
) -> str | None:
    """Why ``member`` may not use ``permission`` in ``org`` (their status and roles, its
    status and own roles), or ``None`` when they may: only an active member of an active
    organization whose roles grant it may."""
    if org["status"] != "active":
        return ORGANIZATION_NOT_ACTIVE.format(org["status"])
    if member is None:
        return NOT_A_MEMBER
    if member["status"] != MEMBER_ACTIVE:
        return MEMBER_INACTIVE
    if not grants(role_permissions(member["roles"], org["roles"]), permission):
        return NOT_GRANTED
    return None


def ensure_may_grant(permissions: list[str]) -> None:
    """Refuse to give (or take from someone) permissions the acting member does not hold:
    no one raises anyone, themselves included, above their own roles."""
    held = grantable_cvar.get()
    if held is None and current_actor().get("type") == USER:
        held = []  # A user's own permissions were not established: they grant nothing.
    if held is None:
        return
    for permission in permissions:
        if not grants(held, permission):
            raise PermissionRequiredError(permission)


def ensure_may_grant_roles(roles: list[str], org_roles: Mapping[str, Any]) -> None:
    ensure_may_grant(role_permissions(roles, dict(org_roles)))

"""What an organization's own API key may do to it, beyond what an admin may."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from domain.commands import UNSET
from domain.context import USER
from domain.errors import ForbiddenError
from domain.organizations.attributes import ATTRIBUTE_DEFAULTS

if TYPE_CHECKING:
    from domain.commands import OrganizationChanges

API_KEY = "apiKey"
ADMIN_ONLY_FIELDS = (
    "status",
    "status_reason",
    "external_id",
    "verified",
    "managed_by",
    "max_allowed_memberships",
    "region",
    *ATTRIBUTE_DEFAULTS,
)
"""Fields only an admin may change: a tenant cannot reinstate itself, re-link its identity,
verify itself, raise its own membership cap, move itself to another region, nor set its own
flags, limits or subscription (seed 001's), nor its own request quota."""


TENANT_ACTORS = {API_KEY: "an API key", USER: "a user"}
"""Who acts for a tenant (never the admin, nor the system)."""


def is_api_key(actor: dict[str, Any]) -> bool:
    return actor.get("type") == API_KEY


def ensure_may_change(actor: dict[str, Any], changes: OrganizationChanges) -> None:
    """Raise ``ForbiddenError`` when a tenant's key or user asks for an admin-only change."""
    who = TENANT_ACTORS.get(actor.get("type", ""))
    if who is not None:
        refused = [f for f in ADMIN_ONLY_FIELDS if getattr(changes, f) is not UNSET]
        if refused:
            raise ForbiddenError(f"{who} may not change {', '.join(refused)}")

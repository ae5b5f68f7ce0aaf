"""What a signed-in user needs to call each operation: one table, checked in one place
(``api.http.auth``), never route by route.

A user reaches an organization only as an active member of it, and calls an operation
only if their roles there grant its permission. Operations not in this table are not for
users (admin-only, or for an organization's key): 403 ``FORBIDDEN``.
"""

from __future__ import annotations

ROUTE_PERMISSIONS: dict[str, tuple[str, ...]] = {
    # Organizations
    "get_organization": ("organization:read",),
    "lookup_organization": ("organization:read",),
    "get_current_organization": ("organization:read",),
    "replace_organization_fields": ("organization:write",),
    "patch_organization": ("organization:write",),
    "patch_current_organization": ("organization:write",),
    "replace_current_organization_fields": ("organization:write",),
    "replace_caller_organization_fields": ("organization:write",),
    # History also shows what happened to members: who joined, left, with which roles.
    "organization_history": ("organization:read", "members:read"),
    "current_organization_history": ("organization:read", "members:read"),
    # Members and invitations
    "list_members": ("members:read",),
    "get_member": ("members:read",),
    "get_member_permissions": ("members:read",),
    "check_member_permission": ("members:read",),
    "add_member": ("members:write",),
    "add_members": ("members:write",),
    "update_member": ("members:write",),
    "remove_member": ("members:write",),
    "invite_member": ("members:write",),
    "resend_invitation": ("members:write",),
    "revoke_invitation": ("members:write",),
    # Roles
    "list_roles": ("roles:read",),
    "define_role": ("roles:write",),
    "delete_role": ("roles:write",),
    # Webhooks: their deliveries show every event, so reading them needs the write permission too.
    **dict.fromkeys(
        (
            "create_organization_webhook_endpoint",
            "list_organization_webhook_endpoints",
            "get_organization_webhook_endpoint",
            "update_organization_webhook_endpoint",
            "delete_organization_webhook_endpoint",
            "rotate_organization_webhook_secret",
            "list_organization_webhook_deliveries",
            "replay_organization_webhook_endpoint",
        ),
        ("webhooks:write",),
    ),
}
"""Route (its function's name) -> the permissions a user needs (all of them) to call it."""

SUSPENDED_ROUTES = frozenset({"get_current_organization"})
"""What a member of a suspended organization may still call (as its key may)."""

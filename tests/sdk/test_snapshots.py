"""``getSnapshot`` through the SDK: everything at one feed position, or one organization."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tenant_registry_client import Client, ForbiddenError
from tests.helpers import random_slug

if TYPE_CHECKING:
    from tenant_registry_client import Organization
    from tests.helpers import Server
    from tests.key_server import KeyServer


def test_a_snapshot_of_one_organization_holds_it_its_roles_and_members(client: Client) -> None:
    org = client.organizations.create(name="Snap", slug=random_slug())
    client.members.add(org.id, user_id="ann", email="ann@example.com", roles=["admin"])
    lines = client.snapshots.get(organization_id=org.id)
    assert [line["kind"] for line in lines] == ["start", "organization", "end"]
    (line,) = lines[1:2]
    assert line["organization"]["id"] == org.id
    assert [m["userId"] for m in line["members"]] == ["ann"]
    assert "admin" in [role["key"] for role in line["roles"]]
    assert lines[0]["position"] == lines[-1]["position"]


def test_a_user_may_not_take_a_snapshot(server: Server, keys: KeyServer, org: Organization) -> None:
    """A snapshot is for machines (the admin, an organization's key); a user's
    organizations are ``GET /me/organizations``, with what their roles grant."""
    user = Client(server.url, keys.token("ann"))
    with user, pytest.raises(ForbiddenError):
        user.snapshots.get(organization_id=org.id)

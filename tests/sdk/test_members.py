"""Members, invitations, roles and users through the SDK."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tenant_registry_client import Client, DuplicateMemberError, MemberNotFoundError
from tests.helpers import ADMIN_TOKEN, random_slug

if TYPE_CHECKING:
    from tenant_registry_client import Organization
    from tests.helpers import Server
    from tests.key_server import KeyServer


def test_an_added_member_reads_back_and_is_checked(client: Client, org: Organization) -> None:
    added = client.members.add(org.id, user_id="ann", email="ann@example.com", roles=["admin"])
    assert client.members.get(org.id, "ann") == added
    assert client.members.check(org.id, "ann", "billing:read").allowed is True
    denied = client.members.check(org.id, "ann", "secrets:read")
    assert (denied.allowed, denied.reason) == (False, "permission_not_granted")
    assert "members:write" in client.members.permissions(org.id, "ann").permissions


def test_a_second_membership_of_one_person_raises(client: Client, org: Organization) -> None:
    client.members.add(org.id, user_id="bob", email="bob@example.com")
    with pytest.raises(DuplicateMemberError):
        client.members.add(org.id, user_id="bob", email="bob@example.com", idempotency_key="k2")


def test_members_added_in_bulk_are_listed_page_by_page(client: Client, org: Organization) -> None:
    people = [{"user_id": f"u{n}", "email": f"u{n}@example.com"} for n in range(5)]
    added = client.members.add_many(org.id, people)
    assert [m.user_id for m in added] == [f"u{n}" for n in range(5)]
    listed = [m.user_id for m in client.members.list(org.id, limit=2)]
    assert listed == [f"u{n}" for n in range(5)]


def test_a_member_is_changed_then_removed(client: Client, org: Organization) -> None:
    client.members.add(org.id, user_id="cid", email="cid@example.com")
    changed = client.members.update(org.id, "cid", roles=["admin"], metadata={"team": "x"})
    assert (changed.roles, changed.metadata) == (["admin"], {"team": "x"})
    assert client.members.update(org.id, "cid", status="inactive").status == "inactive"
    assert client.members.remove(org.id, "cid").status == "removed"
    with pytest.raises(MemberNotFoundError):
        client.members.get(org.id, "cid")


def test_an_invitation_resent_is_accepted_with_the_new_token(
    client: Client, org: Organization
) -> None:
    invited = client.invitations.create(org.id, email="dee@example.com", roles=["member"])
    resent = client.invitations.resend(org.id, invited.member.id, expires_in_days=3)
    assert resent.token != invited.token
    accepted = client.invitations.accept(
        org.id, invited.member.id, token=resent.token, user_id="dee"
    )
    assert (accepted.status, accepted.user_id) == ("active", "dee")


def test_a_revoked_invitation_cannot_be_accepted(client: Client, org: Organization) -> None:
    invited = client.invitations.create(org.id, email="eve@example.com")
    client.invitations.revoke(org.id, invited.member.id)
    with pytest.raises(MemberNotFoundError):
        client.invitations.accept(org.id, invited.member.id, token=invited.token, user_id="eve")


def test_an_own_role_is_defined_then_deleted(client: Client, org: Organization) -> None:
    defined = client.roles.define(org.id, "billing", name="Billing", permissions=["billing:*"])
    assert {r.key for r in defined} >= {"owner", "admin", "member", "billing"}
    assert not next(r for r in client.roles.list(org.id) if r.key == "billing").built_in
    assert "billing" not in {r.key for r in client.roles.delete(org.id, "billing")}


def test_a_users_organizations_are_listed(client: Client, org: Organization) -> None:
    client.members.add(org.id, user_id="fay-" + org.slug, email="fay@example.com")
    memberships = list(client.users.organizations("fay-" + org.slug))
    assert [(m.organization_id, m.member.email) for m in memberships] == [
        (org.id, "fay@example.com")
    ]


def test_a_signed_in_user_reads_themselves_and_their_organizations(
    server: Server, keys: KeyServer
) -> None:
    token = keys.token("gus")
    with Client(server.url, token) as user:
        created = user.organizations.create(name="Gus Inc", slug=random_slug("gus"))
        assert user.me.get().user_id == "gus"
        mine = list(user.me.organizations())
    assert [(m.organization_id, m.permissions) for m in mine] == [(created.id, ["*"])]
    with Client(server.url, ADMIN_TOKEN) as admin:
        assert admin.members.get(created.id, "gus").roles == ["owner"]

"""Membership commands on each store: members, invitations, roles, the last-owner rule,
the membership cap, and permissions now and at a past time."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from uuid import uuid4

import pytest

from domain.commands import (
    MemberChanges,
    NewInvitation,
    NewMember,
    NewOrganization,
    OrganizationChanges,
)
from domain.errors import (
    DuplicateMemberError,
    InvitationExpiredError,
    LastOwnerError,
    MemberNotFoundError,
    MembershipLimitReachedError,
    RoleNotFoundError,
    ValidationError,
)
from tests.helpers import random_slug

if TYPE_CHECKING:
    from uuid import UUID

    from application.registry import OrganizationRegistry


def new_org(registry: OrganizationRegistry, **fields: Any) -> UUID:
    written = registry.create(NewOrganization(name="Acme", slug=random_slug(), **fields))
    org_id: UUID = written.organization["id"]
    return org_id


def add(registry: OrganizationRegistry, org_id: UUID, user: str, *roles: str) -> dict[str, Any]:
    new = NewMember(user_id=user, email=f"{user}@example.com", roles=list(roles) or None)
    return registry.add_member(org_id, new).member


def test_adding_members_counts_them_and_names_the_first_owner(
    registry: OrganizationRegistry,
) -> None:
    org_id = new_org(registry)
    add(registry, org_id, "u1", "owner")
    member = add(registry, org_id, "u2")
    assert (member["status"], member["roles"]) == ("active", ["member"])
    org = registry.get_details(org_id)
    assert (org["owner"], org["active_member_count"], org["pending_member_count"]) == ("u1", 2, 0)


def test_a_second_membership_for_one_email_or_user_id_is_refused(
    registry: OrganizationRegistry,
) -> None:
    org_id = new_org(registry)
    add(registry, org_id, "u1")
    with pytest.raises(DuplicateMemberError):
        registry.add_member(org_id, NewMember(user_id="u1", email="other@example.com"))
    with pytest.raises(DuplicateMemberError):
        registry.add_member(org_id, NewMember(user_id="u9", email="U1@Example.com"))
    with pytest.raises(DuplicateMemberError):
        registry.invite_member(org_id, NewInvitation(email="u1@example.com"))


def test_the_same_person_may_belong_to_two_organizations(registry: OrganizationRegistry) -> None:
    first, second = new_org(registry), new_org(registry)
    add(registry, first, "u1")
    assert add(registry, second, "u1")["status"] == "active"


def test_invitation_lifecycle_accept_binds_the_user_and_activates(
    registry: OrganizationRegistry,
) -> None:
    org_id = new_org(registry)
    issued = registry.invite_member(org_id, NewInvitation(email="new@example.com", roles=["admin"]))
    assert issued.token.startswith("inv_")
    assert registry.get_details(org_id)["pending_member_count"] == 1
    invitation_id = issued.member["id"]
    with pytest.raises(MemberNotFoundError):
        registry.accept_invitation(org_id, invitation_id, "inv_wrong", "u7")
    accepted = registry.accept_invitation(org_id, invitation_id, issued.token, "u7")
    assert (accepted.member["status"], accepted.member["user_id"]) == ("active", "u7")
    org = registry.get_details(org_id)
    assert (org["active_member_count"], org["pending_member_count"]) == (1, 0)
    with pytest.raises(MemberNotFoundError):  # Used once.
        registry.accept_invitation(org_id, invitation_id, issued.token, "u8")


def test_resending_an_invitation_kills_the_old_token(registry: OrganizationRegistry) -> None:
    org_id = new_org(registry)
    first = registry.invite_member(org_id, NewInvitation(email="new@example.com"))
    second = registry.resend_invitation(org_id, first.member["id"], 3)
    assert second.token != first.token
    with pytest.raises(MemberNotFoundError):
        registry.accept_invitation(org_id, first.member["id"], first.token, "u1")
    registry.accept_invitation(org_id, first.member["id"], second.token, "u1")


def test_a_revoked_invitation_cannot_be_accepted_and_frees_the_email(
    registry: OrganizationRegistry,
) -> None:
    org_id = new_org(registry)
    issued = registry.invite_member(org_id, NewInvitation(email="new@example.com"))
    registry.revoke_invitation(org_id, issued.member["id"])
    assert registry.get_details(org_id)["pending_member_count"] == 0
    with pytest.raises(MemberNotFoundError):
        registry.accept_invitation(org_id, issued.member["id"], issued.token, "u1")
    registry.invite_member(org_id, NewInvitation(email="new@example.com"))


def test_an_expired_invitation_is_refused_and_can_be_resent(
    registry: OrganizationRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    org_id = new_org(registry)
    issued = registry.invite_member(
        org_id, NewInvitation(email="new@example.com", expires_in_days=1)
    )
    later = datetime.now(UTC) + timedelta(days=2)
    monkeypatch.setattr("domain.members.decisions.datetime", _Clock(later))
    with pytest.raises(InvitationExpiredError):
        registry.accept_invitation(org_id, issued.member["id"], issued.token, "u1")
    resent = registry.resend_invitation(org_id, issued.member["id"])
    registry.accept_invitation(org_id, issued.member["id"], resent.token, "u1")


class _Clock:
    """``datetime`` as the module under test uses it, at a fixed later time."""

    def __init__(self, now: datetime) -> None:
        self._now = now

    def now(self, tz: Any = None) -> datetime:
        return self._now

    fromisoformat = staticmethod(datetime.fromisoformat)


@pytest.mark.parametrize("days", [0, 31, 2.5, "7", True])
def test_invitation_expiry_outside_1_to_30_days_is_refused(
    registry: OrganizationRegistry, days: Any
) -> None:
    org_id = new_org(registry)
    before = registry.recorder.max_notification_id()
    with pytest.raises(ValidationError, match="expires_in_days"):
        registry.invite_member(org_id, NewInvitation(email="a@example.com", expires_in_days=days))
    assert registry.recorder.max_notification_id() == before


def test_the_last_owner_can_be_neither_removed_nor_demoted_nor_deactivated(
    registry: OrganizationRegistry,
) -> None:
    org_id = new_org(registry)
    add(registry, org_id, "u1", "owner")
    with pytest.raises(LastOwnerError):
        registry.remove_member(org_id, "u1")
    with pytest.raises(LastOwnerError):
        registry.update_member(org_id, "u1", MemberChanges(roles=["admin"]))
    with pytest.raises(LastOwnerError):
        registry.update_member(org_id, "u1", MemberChanges(status="inactive"))
    add(registry, org_id, "u2", "owner")
    registry.remove_member(org_id, "u1")
    assert registry.get_details(org_id)["owner"] == "u2"


def test_the_membership_cap_counts_pending_invitations(registry: OrganizationRegistry) -> None:
    org_id = new_org(registry)
    registry.update(org_id, OrganizationChanges(max_allowed_memberships=2))
    add(registry, org_id, "u1")
    registry.invite_member(org_id, NewInvitation(email="b@example.com"))
    with pytest.raises(MembershipLimitReachedError):
        add(registry, org_id, "u3")
    with pytest.raises(MembershipLimitReachedError):
        registry.invite_member(org_id, NewInvitation(email="c@example.com"))


def test_a_deactivated_member_keeps_roles_and_gets_no_permissions(
    registry: OrganizationRegistry,
) -> None:
    org_id = new_org(registry)
    add(registry, org_id, "u1", "admin")
    registry.update_member(org_id, "u1", MemberChanges(status="inactive"))
    answer = registry.member_permissions(org_id, "u1")
    assert (answer["member"]["roles"], answer["permissions"]) == (["admin"], [])
    registry.update_member(org_id, "u1", MemberChanges(status="active"))
    assert "members:write" in registry.member_permissions(org_id, "u1")["permissions"]


def test_custom_roles_grant_their_permissions(registry: OrganizationRegistry) -> None:
    org_id = new_org(registry)
    registry.define_role(org_id, "billing", "Billing", ["billing:read", "invoices:*"])
    member = add(registry, org_id, "u1", "billing")
    assert member["roles"] == ["billing"]
    answer = registry.member_permissions(org_id, "u1")
    assert answer["permissions"] == ["billing:read", "invoices:*"]
    registry.delete_role(org_id, "billing")
    assert registry.member_permissions(org_id, "u1")["permissions"] == []
    with pytest.raises(RoleNotFoundError):
        registry.delete_role(org_id, "billing")


@pytest.mark.parametrize(
    ("key", "permissions"),
    [("owner", ["a:b"]), ("Bad Key", ["a:b"]), ("ok", ["Billing:Read"]), ("ok", "a:b")],
)
def test_invalid_roles_are_refused(
    registry: OrganizationRegistry, key: str, permissions: Any
) -> None:
    org_id = new_org(registry)
    with pytest.raises(ValidationError):
        registry.define_role(org_id, key, "Name", permissions)


def test_unknown_roles_are_refused_for_members(registry: OrganizationRegistry) -> None:
    org_id = new_org(registry)
    with pytest.raises(ValidationError, match="roles"):
        registry.add_member(org_id, NewMember(user_id="u1", email="a@example.com", roles=["x"]))


def test_permissions_as_of_a_past_time(registry: OrganizationRegistry) -> None:
    org_id = new_org(registry)
    add(registry, org_id, "u1", "member")
    time.sleep(0.01)
    between = datetime.now(UTC)
    time.sleep(0.01)
    registry.update_member(org_id, "u1", MemberChanges(roles=["admin"]))
    registry.remove_member(org_id, "u1")
    past = registry.member_permissions(org_id, "u1", as_of=between)
    assert past["member"]["roles"] == ["member"]
    with pytest.raises(MemberNotFoundError):
        registry.member_permissions(org_id, "u1")
    with pytest.raises(MemberNotFoundError):
        registry.member_permissions(org_id, "u1", as_of=datetime.now(UTC))


def test_unknown_members_and_invitations_are_not_found(registry: OrganizationRegistry) -> None:
    org_id = new_org(registry)
    with pytest.raises(MemberNotFoundError):
        registry.update_member(org_id, "nobody", MemberChanges(roles=["admin"]))
    with pytest.raises(MemberNotFoundError):
        registry.revoke_invitation(org_id, uuid4())


def test_owner_can_be_set_only_to_an_active_owner(registry: OrganizationRegistry) -> None:
    org_id = new_org(registry)
    add(registry, org_id, "u1", "owner")
    add(registry, org_id, "u2", "owner")
    add(registry, org_id, "u3", "member")
    with pytest.raises(ValidationError, match="owner"):
        registry.update(org_id, OrganizationChanges(owner="u3"))
    assert registry.update(org_id, OrganizationChanges(owner="u2")).organization["owner"] == "u2"


def test_account_fields_are_validated_and_recorded(registry: OrganizationRegistry) -> None:
    org_id = new_org(registry)
    managers = [{"type": "scim", "id": "okta-1"}]
    org = registry.update(
        org_id, OrganizationChanges(verified=True, managed_by=managers)
    ).organization
    assert (org["verified"], org["managed_by"]) == (True, managers)
    with pytest.raises(ValidationError, match="verified"):
        registry.update(org_id, OrganizationChanges(verified="yes"))
    with pytest.raises(ValidationError, match="max_allowed_memberships"):
        registry.update(org_id, OrganizationChanges(max_allowed_memberships=-1))


def test_revert_restores_neither_roles_nor_members(registry: OrganizationRegistry) -> None:
    org_id = new_org(registry)
    registry.define_role(org_id, "billing", "Billing", ["*"])
    version = registry.get_details(org_id)["version"]
    add(registry, org_id, "u1", "billing")
    registry.define_role(org_id, "billing", "Billing", ["billing:read"])
    registry.revert(org_id, version)
    assert registry.member_permissions(org_id, "u1")["permissions"] == ["billing:read"]
    assert registry.get_details(org_id)["active_member_count"] == 1


def test_a_deleted_roles_key_is_never_given_to_another_role(
    registry: OrganizationRegistry,
) -> None:
    org_id = new_org(registry)
    registry.define_role(org_id, "billing", "Billing", ["billing:read"])
    add(registry, org_id, "u1", "billing")
    registry.delete_role(org_id, "billing")
    with pytest.raises(ValidationError, match="deleted role"):
        registry.define_role(org_id, "billing", "Billing", ["*"])
    assert registry.member_permissions(org_id, "u1")["permissions"] == []


def test_a_member_change_that_changes_nothing_records_nothing(
    registry: OrganizationRegistry,
) -> None:
    org_id = new_org(registry)
    add(registry, org_id, "u1", "admin")
    before = registry.recorder.max_notification_id()
    written = registry.update_member(org_id, "u1", MemberChanges(roles=["admin"]))
    assert written.written.position is None
    assert registry.recorder.max_notification_id() == before


def test_bulk_add_records_all_members_in_one_transaction(registry: OrganizationRegistry) -> None:
    org_id = new_org(registry)
    news = [NewMember(user_id=f"b{i}", email=f"b{i}@example.com") for i in range(50)]
    written = registry.add_members(org_id, news)
    assert len(written.members) == 50
    assert registry.get_details(org_id)["active_member_count"] == 50
    with pytest.raises(DuplicateMemberError):
        registry.add_members(org_id, [NewMember(user_id="new", email="B7@example.com")])


def test_bulk_add_refuses_the_whole_list_for_one_bad_member(
    registry: OrganizationRegistry,
) -> None:
    org_id = new_org(registry)
    before = registry.recorder.max_notification_id()
    news = [
        NewMember(user_id="a", email="a@example.com"),
        NewMember(user_id="b", email="not an email"),
        NewMember(user_id="a", email="c@example.com"),
    ]
    with pytest.raises(ValidationError) as refused:
        registry.add_members(org_id, news)
    fields = {p.field for p in refused.value.problems}
    assert fields == {"members[1].email", "members[2].user_id"}
    assert registry.recorder.max_notification_id() == before


def test_bulk_add_reclaims_the_email_of_a_removed_member(registry: OrganizationRegistry) -> None:
    org_id = new_org(registry)
    add(registry, org_id, "u1")
    registry.remove_member(org_id, "u1")
    written = registry.add_members(org_id, [NewMember(user_id="u1", email="u1@example.com")])
    assert written.members[0]["status"] == "active"


def test_expired_invitations_hold_no_seat_until_resent(
    registry: OrganizationRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    org_id = new_org(registry)
    registry.update(org_id, OrganizationChanges(max_allowed_memberships=1))
    first = registry.invite_member(org_id, NewInvitation(email="a@example.com", expires_in_days=1))
    monkeypatch.setattr(
        "domain.members.decisions.datetime", _Clock(datetime.now(UTC) + timedelta(days=2))
    )
    registry.invite_member(org_id, NewInvitation(email="b@example.com"))
    with pytest.raises(MembershipLimitReachedError):
        registry.resend_invitation(org_id, first.member["id"])

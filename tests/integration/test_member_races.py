"""Membership rules under concurrency: many writers at once, each with its own connections."""

from __future__ import annotations

from typing import TYPE_CHECKING

from domain.commands import (
    MemberChanges,
    NewInvitation,
    NewMember,
    NewOrganization,
    OrganizationChanges,
)
from domain.errors import DuplicateMemberError, LastOwnerError, MembershipLimitReachedError
from tests.helpers import race, random_slug

if TYPE_CHECKING:
    from uuid import UUID

    from application.registry import OrganizationRegistry


def _org(registry: OrganizationRegistry, *owners: str) -> UUID:
    created = registry.create(NewOrganization(name="Acme", slug=random_slug()))
    org_id: UUID = created.organization["id"]
    for user in owners:
        registry.add_member(
            org_id, NewMember(user_id=user, email=f"{user}@example.com", roles=["owner"])
        )
    return org_id


def test_concurrent_invitations_of_one_email_have_exactly_one_winner(
    database_url: str, registry: OrganizationRegistry
) -> None:
    org_id = _org(registry)
    outcomes = race(
        database_url,
        lambda r, i: r.invite_member(org_id, NewInvitation(email="SAME@example.com")),
    )
    winners = [o for o in outcomes if not isinstance(o, Exception)]
    assert len(winners) == 1
    assert all(isinstance(o, DuplicateMemberError) for o in outcomes if o not in winners)
    assert registry.get_details(org_id)["pending_member_count"] == 1


def test_concurrent_adds_of_one_user_id_have_exactly_one_winner(
    database_url: str, registry: OrganizationRegistry
) -> None:
    org_id = _org(registry)
    outcomes = race(
        database_url,
        lambda r, i: r.add_member(org_id, NewMember(user_id="same", email=f"u{i}@example.com")),
    )
    winners = [o for o in outcomes if not isinstance(o, Exception)]
    assert len(winners) == 1
    assert all(isinstance(o, DuplicateMemberError) for o in outcomes if o not in winners)
    assert registry.get_details(org_id)["active_member_count"] == 1


def test_owners_removing_each_other_at_once_leave_one_owner(
    database_url: str, registry: OrganizationRegistry
) -> None:
    owners = [f"owner{i}" for i in range(8)]
    org_id = _org(registry, *owners)
    outcomes = race(
        database_url,
        lambda r, i: r.remove_member(org_id, owners[i]),
        writers=len(owners),
    )
    refused = [o for o in outcomes if isinstance(o, Exception)]
    assert len(refused) == 1
    assert isinstance(refused[0], LastOwnerError)
    org = registry.get_details(org_id)
    assert org["active_member_count"] == 1
    assert org["owner"] in owners


def test_concurrent_adds_never_pass_the_membership_cap(
    database_url: str, registry: OrganizationRegistry
) -> None:
    org_id = _org(registry)
    registry.update(org_id, OrganizationChanges(max_allowed_memberships=5))
    outcomes = race(
        database_url,
        lambda r, i: r.add_member(org_id, NewMember(user_id=f"u{i}", email=f"u{i}@example.com")),
    )
    assert sum(not isinstance(o, Exception) for o in outcomes) == 5
    assert all(
        isinstance(o, MembershipLimitReachedError) for o in outcomes if isinstance(o, Exception)
    )
    assert registry.get_details(org_id)["active_member_count"] == 5


def test_concurrent_role_changes_keep_the_counts_exact(
    database_url: str, registry: OrganizationRegistry
) -> None:
    org_id = _org(registry, "boss")
    for i in range(8):
        registry.add_member(org_id, NewMember(user_id=f"u{i}", email=f"u{i}@example.com"))
    race(
        database_url,
        lambda r, i: r.update_member(org_id, f"u{i}", MemberChanges(roles=["owner"])),
        writers=8,
    )
    org = registry.get_details(org_id)
    assert (org["active_member_count"], org["owner"]) == (9, "boss")

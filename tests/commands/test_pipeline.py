"""The command pipeline: load, decide, save with claims and command record, retry."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from domain.command_records import CommandAlreadyRecordedError, CommandKey, keyed
from domain.commands import NewMember, NewOrganization, OrganizationChanges
from domain.errors import SlugTakenError
from domain.members import decisions as members
from domain.organizations.organization import Organization
from tests.helpers import random_slug

if TYPE_CHECKING:
    from application.pipeline import Attempt
    from application.registry import OrganizationRegistry


def new(registry: OrganizationRegistry, slug: str | None = None) -> Organization:
    written = registry.create(NewOrganization(name="Acme", slug=slug or random_slug()))
    org: Any = registry.repository.get(written.organization["id"])
    assert isinstance(org, Organization)
    return org


def test_a_change_that_changes_nothing_records_nothing(registry: OrganizationRegistry) -> None:
    org = new(registry)
    written = registry.update(org.id, OrganizationChanges(name="Acme"))
    assert written.position is None
    assert registry.get_details(org.id)["version"] == org.version


def test_a_slug_claimed_by_another_organization_is_refused(
    registry: OrganizationRegistry,
) -> None:
    taken = new(registry)
    with pytest.raises(SlugTakenError):
        registry.create(NewOrganization(name="Other", slug=taken.slug))


def test_a_slug_its_holder_released_is_claimed_again(registry: OrganizationRegistry) -> None:
    first = new(registry)
    registry.update(first.id, OrganizationChanges(slug=random_slug()))
    second = new(registry, slug=first.slug)
    assert registry.find_by_slug(first.slug) == second.id


def test_a_decision_another_writer_overtook_is_made_again_on_its_result(
    registry: OrganizationRegistry,
) -> None:
    org = new(registry)
    seen: list[str] = []

    def decide(attempt: Attempt, loaded: Organization) -> None:
        seen.append(loaded.name)
        if len(seen) == 1:  # Another writer commits between this load and this save.
            registry.update(org.id, OrganizationChanges(name="Overtaken"))
        loaded.rename(f"{loaded.name}, then renamed")

    registry.pipeline.change(org.id, decide)
    assert seen == ["Acme", "Overtaken"]
    assert registry.get_details(org.id)["name"] == "Overtaken, then renamed"


def test_a_keyed_command_runs_once(registry: OrganizationRegistry) -> None:
    org = new(registry)
    key = CommandKey("scope", "key", "fingerprint")
    with keyed(key):
        registry.update(org.id, OrganizationChanges(name="Once"))
    with keyed(key), pytest.raises(CommandAlreadyRecordedError) as again:
        registry.update(org.id, OrganizationChanges(name="Twice"))
    assert (again.value.record.version, again.value.same_request) == (org.version + 1, True)
    assert registry.get_details(org.id)["name"] == "Once"


def test_a_member_change_leaves_the_state_a_replay_of_its_events_gives(
    registry: OrganizationRegistry,
) -> None:
    org = new(registry)
    registry.add_member(org.id, NewMember(user_id="o", email="o@example.com", roles=["owner"]))
    registry.add_member(org.id, NewMember(user_id="p", email="p@example.com", roles=["owner"]))
    after_command: list[Organization] = []

    def demote(attempt: Attempt, loaded: Organization) -> None:
        members.update(attempt, loaded, "o", {"roles": ["member"]})
        after_command.append(loaded)

    registry.pipeline.change(org.id, demote)
    replayed = None
    recorded: list[Any] = list(registry.events.get(org.id))
    for event in recorded:
        replayed = event.mutate(replayed)
    assert (after_command[0].owners, after_command[0].owner) == (["p"], "p")
    assert state(replayed) == state(after_command[0])


def state(org: object) -> dict[str, object]:
    return {k: v for k, v in vars(org).items() if k != "_pending_events"}

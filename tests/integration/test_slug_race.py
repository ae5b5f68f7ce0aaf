"""Uniqueness under concurrency: many writers claim one slug, exactly one wins."""

from __future__ import annotations

from application.registry import OrganizationRegistry
from domain.commands import NewOrganization, OrganizationChanges
from domain.errors import SlugTakenError
from service.settings import Settings
from tests.helpers import WRITERS, make_settings, race, random_slug


def test_concurrent_creates_of_one_slug_have_exactly_one_winner(database_url: str) -> None:
    slug = random_slug()
    outcomes = race(
        database_url, lambda r, i: r.create(NewOrganization(name=f"Org {i}", slug=slug))
    )
    winners = [o for o in outcomes if not isinstance(o, Exception)]
    assert len(winners) == 1
    assert all(isinstance(o, SlugTakenError) for o in outcomes if o not in winners)
    registry = OrganizationRegistry(Settings(database_url=database_url).registry_env())
    assert registry.find_by_slug(slug) == winners[0].organization["id"]
    registry.close()


def test_concurrent_slug_changes_into_one_slug_have_exactly_one_winner(database_url: str) -> None:
    env = make_settings(database_url).registry_env()
    setup = OrganizationRegistry(env)
    ids = [
        setup.create(NewOrganization(name=f"Org {i}", slug=random_slug())).organization["id"]
        for i in range(WRITERS)
    ]
    target = random_slug()
    outcomes = race(database_url, lambda r, i: r.update(ids[i], OrganizationChanges(slug=target)))
    winners = [i for i, o in enumerate(outcomes) if not isinstance(o, Exception)]
    assert len(winners) == 1
    assert all(isinstance(o, SlugTakenError) for i, o in enumerate(outcomes) if i not in winners)
    losers_versions = {
        setup.get_details(ids[i])["version"] for i in range(WRITERS) if i not in winners
    }
    assert losers_versions == {1}  # The losers recorded nothing.
    assert setup.find_by_slug(target) == ids[winners[0]]
    setup.close()

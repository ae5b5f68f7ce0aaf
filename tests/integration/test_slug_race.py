"""Uniqueness under concurrency: many writers claim one slug, exactly one wins."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from application.registry import OrganizationRegistry
from domain.commands import NewOrganization, OrganizationChanges
from domain.errors import SlugTakenError
from projections.leadership import schema_setup
from service.settings import Settings
from tests.conftest import make_settings
from tests.helpers import random_slug

if TYPE_CHECKING:
    from collections.abc import Callable

WRITERS = 16


def race(
    database_url: str, command: Callable[[OrganizationRegistry, int], Any], writers: int = WRITERS
) -> list[Any]:
    """Run ``command`` in ``writers`` threads at once, each with its own registry (own
    connections)."""
    env = make_settings(database_url).registry_env()
    with schema_setup(env):
        registries = [OrganizationRegistry(env) for _ in range(writers)]
    barrier = threading.Barrier(writers)
    outcomes: list[Any] = [None] * writers

    def run(i: int) -> None:
        barrier.wait()
        try:
            outcomes[i] = command(registries[i], i)
        except Exception as error:
            outcomes[i] = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for r in registries:
        r.close()
    return outcomes


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

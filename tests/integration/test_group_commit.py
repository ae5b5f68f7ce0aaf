"""Group commit on each store: commands queued while a transaction is written share the
next one, and a losing claim in a shared transaction fails alone."""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Any

from domain.commands import NewOrganization
from domain.errors import SlugTakenError
from tests.helpers import random_slug

if TYPE_CHECKING:
    from collections.abc import Callable

    from service.composition import Services

QUEUED = 12


def with_held_first_commit(services: Services) -> tuple[threading.Event, list[int]]:
    """Hold the first transaction until released, so that commands queue up behind it;
    return the release and the number of events each transaction is asked to record."""
    commit = services.registry._group_commit
    record: Callable[[Any], Any] = commit._record
    release, sizes = threading.Event(), []

    def held(events: Any) -> Any:
        sizes.append(len(events.events))
        if len(sizes) == 1:
            release.wait(10)
        return record(events)

    commit._record = held
    return release, sizes


def until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 10
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.002)


def create_in_threads(
    services: Services, slugs: list[str], release: threading.Event, sizes: list[int]
) -> list[Any]:
    """Create one organization per slug, each in its own thread, all queued behind a
    held first command; each thread's result or error, in order."""
    outcomes: list[Any] = [None] * (len(slugs) + 1)

    def create(i: int, slug: str) -> None:
        try:
            outcomes[i] = services.registry.create(NewOrganization(name="Acme", slug=slug))
        except SlugTakenError as error:
            outcomes[i] = error

    first = threading.Thread(target=create, args=(len(slugs), random_slug()))
    first.start()
    until(lambda: len(sizes) == 1)  # The first command is held.
    threads = [threading.Thread(target=create, args=(i, s)) for i, s in enumerate(slugs)]
    for thread in threads:
        thread.start()
    until(lambda: services.registry._group_commit.queued() == len(slugs))
    release.set()
    for thread in [first, *threads]:
        thread.join(20)
    return outcomes[:-1]


def test_queued_commands_are_recorded_in_one_transaction(services: Services) -> None:
    release, sizes = with_held_first_commit(services)
    slugs = [random_slug() for _ in range(QUEUED)]
    outcomes = create_in_threads(services, slugs, release, sizes)
    assert [o.organization["slug"] for o in outcomes] == slugs
    # The held first command (organization + slug claim), then all the queued ones at once.
    assert sizes == [2, 2 * QUEUED]
    positions = [o.position for o in outcomes]
    assert len(set(positions)) == QUEUED
    assert services.read_model.queries.wait_for_position(max(positions), 10)
    for slug in slugs:
        assert services.read_model.queries.find_organization(slug=slug) is not None


def test_a_losing_slug_claim_in_a_shared_transaction_fails_alone(services: Services) -> None:
    release, sizes = with_held_first_commit(services)
    shared = random_slug("shared")
    slugs = [random_slug() for _ in range(QUEUED - 4)] + [shared] * 4
    outcomes = create_in_threads(services, slugs, release, sizes)
    assert sizes[1] == 2 * QUEUED  # Tried together first, refused as a whole.
    winners = [o for o in outcomes if not isinstance(o, Exception)]
    losers = [o for o in outcomes if isinstance(o, SlugTakenError)]
    assert len(winners) == QUEUED - 3
    assert len(losers) == 3
    assert sorted(o.organization["slug"] for o in winners) == sorted([*slugs[: QUEUED - 4], shared])

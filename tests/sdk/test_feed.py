"""The change feed through the SDK: a follower that resumes where it stopped."""

from __future__ import annotations

import threading
from itertools import islice
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tenant_registry_client import Client, FeedEvent, Organization


def caught_up(client: Client, after: int = 0, **options: object) -> list[FeedEvent]:
    """Every event after ``after`` recorded so far."""
    return list(client.events.follow(after=after, wait=0, stop_when_idle=True, **options))  # type: ignore[arg-type]


def test_a_follower_resumed_from_a_saved_position_misses_and_repeats_nothing(
    client: Client, org: Organization
) -> None:
    start = caught_up(client)[-1].position
    for n in range(5):
        client.organizations.update(org.id, name=f"Name {n}")
    first_run = list(islice(client.events.follow(after=start, wait=0), 2))
    saved = first_run[-1].position  # What a consumer keeps, then it restarts.
    second_run = caught_up(client, after=saved)
    positions = [e.position for e in first_run + second_run]
    assert positions == [e.position for e in caught_up(client, after=start)]
    assert positions == sorted(set(positions))
    names = [e.changes["name"].to for e in first_run + second_run if e.type == "Renamed"]
    assert names == [f"Name {n}" for n in range(5)]


def test_a_waiting_follower_gets_an_event_recorded_while_it_waits(
    client: Client, org: Organization
) -> None:
    start = caught_up(client)[-1].position
    got: list[FeedEvent] = []
    follower = client.events.follow(after=start, wait=20)
    waiting = threading.Thread(target=lambda: got.append(next(follower)))
    waiting.start()
    client.organizations.update(org.id, name="While waiting")
    waiting.join(30)
    assert [(e.organization_id, e.type) for e in got] == [(org.id, "Renamed")]
    assert follower.position == got[0].position


def test_a_filtered_follower_gets_only_its_types_and_moves_past_the_rest(
    client: Client, org: Organization
) -> None:
    start = caught_up(client)[-1].position
    client.organizations.update(org.id, name="Renamed once")
    client.organizations.update(org.id, metadata={"k": "v"})
    follower = client.events.follow(after=start, wait=0, types=["Renamed"], stop_when_idle=True)
    assert [e.type for e in follower] == ["Renamed"]
    assert follower.position >= caught_up(client)[-1].position

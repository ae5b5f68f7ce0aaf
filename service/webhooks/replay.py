"""Deliver an endpoint's past events again: from a position, or from a time.

One call reads at most ``REPLAY_EVENTS`` events of the history (so one request cannot
queue unbounded work); its answer says where to go on from (``next_position``), and the
CLI goes on until the end. Replayed events go before the endpoint's later ones, each
organization's in position order, with their first ``webhook-id`` again.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from service.webhooks.outbox import BATCH, Bodies, delivery, matching, wants

if TYPE_CHECKING:
    from datetime import datetime

    from projections.read_model import ReadModel
    from service.webhooks.outbox import Outbox

REPLAY_EVENTS = 10_000
"""The most events of the history one replay call reads."""


@dataclass(frozen=True)
class Replayed:
    queued: int
    """Deliveries queued again (or for the first time)."""
    next_position: int | None
    """Where to replay on from; ``None``: the replay reached the last event."""


def replay(
    outbox: Outbox, endpoint_id: str, from_position: int, limit: int = REPLAY_EVENTS
) -> Replayed:
    """Queue for the endpoint every event it wants from ``from_position`` on, up to the
    outbox's position, reading at most ``limit`` events."""
    endpoint = next((e for e in outbox.store.endpoints() if e["id"] == endpoint_id), None)
    if endpoint is None:
        return Replayed(0, None)
    wanted, upto = matching(endpoint), outbox.store.position()
    after, read, queued = max(0, from_position - 1), 0, 0
    while after < upto and read < limit:
        page = outbox.read_model.queries.events_after(after, min(BATCH, limit - read))
        entries = [e for e in page if e.position <= upto]
        if not entries:
            return Replayed(queued, None)
        wanted_entries = [e for e in entries if wants(wanted, e)]
        bodies = Bodies(outbox.registry, wanted_entries)
        rows = [delivery(endpoint_id, e, bodies.body(e)) for e in wanted_entries]
        with outbox.store.transaction() as cursor:
            outbox.store.insert_deliveries(cursor, rows, time.time())
        queued, read, after = queued + len(rows), read + len(entries), entries[-1].position
    return Replayed(queued, after + 1 if after < upto and read >= limit else None)


def position_at(read_model: ReadModel, moment: datetime) -> int:
    """The position of the first event recorded at or after ``moment`` (one past the last
    event when none was): a bisection over positions, one index seek per step."""
    low, high = 0, read_model.position()
    while low < high:
        middle = (low + high) // 2
        found = read_model.queries.events_after(middle, 1)
        if not found or found[0].occurred_at >= moment:
            high = middle
        else:  # Every event up to this one was recorded before the moment.
            low = min(found[0].position, high)
    return low + 1

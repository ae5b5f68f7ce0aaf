"""Writing a command's rows in its events' own transaction (an inline projection).

While this process leads the projection, the rows of a command's organization events are
written, with their tracking, in the transaction that records the events: the command's
response needs no wait for the follower, and no event is read back or decoded. It is done
only when the live copy includes every earlier organization event, checked in that
transaction, which holds the store's write lock: then nothing else can be recorded before
the command's events, and the rows they change are as the follower would find them.
Otherwise (the follower is behind, or stopped on an event), the events are left to the
follower, as every event of other processes is. The follower moves past what was
written inline: its tracking is there.
"""

from __future__ import annotations

import logging
import sqlite3
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import psycopg
from eventsourcing.persistence import PersistenceError, Tracking

from application.transcoder import may_decode_differently
from domain.organizations.organization import Organization
from projections.projection import ORGANIZATION_EVENTS, OrganizationLookupProjection
from projections.records import APPLICATION_NAME
from projections.writer import cached_rows

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence

    from eventsourcing.persistence import StoredEvent

    from application.registry import OrganizationRegistry
    from projections.changes import RowChanges
    from projections.writer import RowWriter

log = logging.getLogger("tenant_registry.projections")
PERSISTENCE_ERRORS = (PersistenceError, psycopg.Error, sqlite3.Error)
"""What a statement raises: after one, the transaction may be aborted."""


@dataclass
class _Written:
    changes: RowChanges | None = None
    to: int = 0
    """The position written up to, in the transaction."""
    last: int = 0
    """The same, once committed."""
    holding: bool = False
    """Whether this holds the writer's ``inline_commit``."""


class InlineProjection:
    def __init__(
        self, writer: RowWriter, registry: OrganizationRegistry, wake: Callable[[], None]
    ) -> None:
        """``writer``: the live copy's, in the database of ``registry``'s event store;
        ``wake``: wakes the follower, for events left to it."""
        self.writer, self.wake, self.mapper = writer, wake, registry.mapper
        self.events_table: str = registry.recorder.events_table_name  # type: ignore[attr-defined]
        self.projection = OrganizationLookupProjection(writer)
        self.topics = sorted(self.projection.topics)
        self.written = 0
        """Commands whose rows were written inline (the others were left to the follower)."""

    @contextmanager
    def around(self, events: Sequence[Any]) -> Iterator[Any]:
        """Around recording ``events``: yields what writes their rows in the recording
        transaction (called with its cursor and the events' positions), or ``None`` when
        this process does not lead the projection or the events change no row. Once
        committed, the read cache keeps the rows and waiting requests are woken; the
        follower is woken unless their rows were written."""
        written = _Written()
        try:
            with self._around(events, written) as write:
                yield write
        finally:
            if written.holding:
                self.writer.inline_commit.release()
            if not written.last:
                self.wake()

    @contextmanager
    def _around(self, events: Sequence[Any], written: _Written) -> Iterator[Any]:
        writer = self.writer
        projected = [(i, e) for i, e in enumerate(events) if isinstance(e, ORGANIZATION_EVENTS)]
        if not writer.position_signal.local or not projected:
            yield None
            return
        touched = {e.originator_id for _, e in projected}
        members = {e.originator_id for _, e in projected if _changes_members(e)}

        def write(cursor: Any, positions: Sequence[int], stored: Sequence[StoredEvent]) -> None:
            ours = [(self._as_read(event, stored[i]), positions[i]) for i, event in projected]
            first, last = ours[0][1], ours[-1][1]
            if writer.behind(cursor, first, self.events_table, self.topics):
                return  # Left to the follower.
            try:
                with writer.gathering(cursor) as changes:
                    self.projection.process_events(ours, APPLICATION_NAME)
            except PERSISTENCE_ERRORS:
                raise  # The transaction may be aborted: recorded again without rows.
            except Exception as error:  # Nothing written yet: the events are recorded alone.
                log.warning("left to the projection: event %d: %s", first, error)
                return
            if not written.holding:
                writer.inline_commit.acquire()
                written.holding = True
            tracked = Tracking(APPLICATION_NAME, first)
            writer.track_in(cursor, tracked)  # The events' insert holds the write lock already.
            writer.write_rows(cursor, changes, Tracking(APPLICATION_NAME, last), tracked)
            written.changes, written.to = changes, last

        with writer.cache.changing(touched, members) as change:
            yield write
            if written.changes is not None:  # Committed: the cache keeps what it wrote.
                change.written = list(cached_rows(written.changes, change.previous))
        if written.to:
            written.last = written.to
            self.written += 1
            writer.position_signal.advanced(written.last)

    def _as_read(self, event: Any, stored: StoredEvent) -> Any:
        """The event as the follower would read it: the event itself, unless its stored
        text holds what reading it replaces."""
        if may_decode_differently(stored.state):
            return self.mapper.to_domain_event(stored)
        return event


def _changes_members(event: Any) -> bool:
    return isinstance(event, Organization.MembershipChanged)

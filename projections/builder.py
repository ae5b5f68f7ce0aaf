"""Projecting the event store's organization events into a copy of the read model in
batches: many events to a transaction, tracking written once per batch, the next batch read
while one is projected and written. A copy can be filled by one builder, or by several
processes at once, each projecting a partition of the organizations (``Partition``)."""

from __future__ import annotations

import gc
import re
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from eventsourcing.persistence import Tracking

from projections.projection import OrganizationLookupProjection
from projections.records import APPLICATION_NAME

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence

    from eventsourcing.persistence import Notification

    from application.registry import OrganizationRegistry
    from projections.read_model import ReadModel

BATCH_SIZE = 5000
"""Events per transaction: larger batches spread each transaction's fixed costs (tracking,
COPY set-up, commit) thinner; 5,000 were about 10% faster than 1,000 and hold a few MB."""


@dataclass(frozen=True)
class Partition:
    """The organizations one of several processes filling a copy projects: those whose
    id's integer value modulo ``of`` is ``index``. Each partition records its progress under
    its own tracking name."""

    index: int
    of: int

    @property
    def tracking_name(self) -> str:
        return f"{APPLICATION_NAME} partition {self.index} of {self.of}"

    @classmethod
    def named(cls, tracking_name: str) -> Partition | None:
        """The partition recording its progress under ``tracking_name``, if any."""
        match = re.fullmatch(rf"{APPLICATION_NAME} partition (\d+) of (\d+)", tracking_name)
        return None if match is None else cls(int(match[1]), int(match[2]))


@contextmanager
def collection_paused() -> Iterator[None]:
    """No automatic garbage collection while one batch is projected and written: the
    batch's tens of thousands of live objects would be scanned again and again. It runs
    again between batches, so garbage from other threads waits one batch at most."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


class Builder:
    """Projects the event store's organization events into one copy of the read model."""

    def __init__(
        self,
        registry: OrganizationRegistry,
        copy: ReadModel,
        batch_size: int = BATCH_SIZE,
        partition: Partition | None = None,
    ) -> None:
        self.registry = registry
        self.batch_size = batch_size
        self.copy = copy
        self.projection = OrganizationLookupProjection(copy.writer)
        self.partition = partition
        self.tracking_name = APPLICATION_NAME if partition is None else partition.tracking_name
        self.position = copy.writer.max_tracking_id(self.tracking_name) or copy.position()
        # A rebuild allocates millions of short-lived objects: keep the collector from
        # scanning everything the process already holds on each full collection.
        gc.freeze()

    def remaining(self) -> int:
        head = self.registry.recorder.max_notification_id() or 0
        return max(head - self.position, 0)

    def _batches(self, until: int | None) -> Iterator[Sequence[Notification]]:
        """The store's organization events after this copy's position (up to ``until``),
        a batch at a time. Each batch is read while the one before it is projected and
        written: the read's waits and the write's waits overlap."""

        def read(after: int) -> Sequence[Notification]:
            if until is not None and after >= until:
                return []
            return self.registry.recorder.select_notifications(
                start=after + 1, limit=self.batch_size, stop=until, topics=self.projection.topics
            )

        with ThreadPoolExecutor(1, thread_name_prefix="rebuild-read") as reader:
            pending = reader.submit(read, self.position)
            while notifications := pending.result():
                pending = reader.submit(read, notifications[-1].id)
                yield notifications

    def _mine(self, notifications: Sequence[Notification]) -> Sequence[Notification]:
        """The events of this builder's partition's organizations."""
        if self.partition is None:
            return notifications
        of, index = self.partition.of, self.partition.index
        # The registry's originator ids are UUIDs.
        return [n for n in notifications if n.originator_id.int % of == index]  # type: ignore[union-attr]

    def catch_up(
        self,
        cursor: Any = None,
        progress: Callable[[int, int, float], None] | None = None,
        until: int | None = None,
    ) -> int:
        """Project batches until the store has no more events (or ``until`` is reached);
        in ``cursor``'s transaction if given. Returns the number of events projected.
        ``progress`` is told the store positions covered so far out of those to cover (the
        events of other aggregates, slug claims among them, count too: it ends at 100%)."""
        done, total, started = 0, self.remaining(), time.monotonic()
        start = self.position
        mapper = self.registry.mapper
        for notifications in self._batches(until):
            first = Tracking(self.tracking_name, notifications[0].id)
            last = Tracking(self.tracking_name, notifications[-1].id)
            mine = self._mine(notifications)
            with collection_paused(), self.copy.writer.batch(first, last, cursor):
                self.projection.process_notifications(mine, mapper, self.tracking_name)
            self.position, done = last.notification_id, done + len(mine)
            if progress is not None:
                covered = self.position - start
                progress(covered, max(total, covered), time.monotonic() - started)
        return done

"""Rebuilding the read model from the event store beside the live one (blue/green), and
verifying the live one against a scratch copy built from the events.

A rebuild projects every organization event into a new copy (``__next`` tables) in
batches, many events to a transaction with tracking written once per batch, while the
live copy keeps serving and following. The new copy gets its secondary indexes once it
is filled (built from all its rows at once rather than kept up row by row). When it has
caught up, one transaction holds off the live projector, projects the last few events
into the new copy, and puts its tables under the live names. A rebuild that is stopped
at any point leaves the live copy untouched; run again, it resumes from the new copy's
own tracking position (unless that copy was begun by another version of the
projection's code: then it starts over).
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from projections.builder import BATCH_SIZE, Builder
from projections.partitions import begun_partitions, fill_in_partitions, filled_up_to
from projections.projection import READ_MODEL_VERSION
from projections.stores import copy_of
from projections.tables import NEXT_SUFFIX, SCRATCH_SUFFIX

if TYPE_CHECKING:
    from collections.abc import Callable

    from application.registry import OrganizationRegistry
    from projections.leadership import LeaderLock
    from projections.read_model import ReadModel

LOCK_NAME = "organization_lookup-rebuild"
"""The leader lock a rebuild holds: one rebuild of the read model at a time."""

log = logging.getLogger("tenant_registry.projections")


class RebuildRunningError(Exception):
    """Another rebuild of this read model is running."""


@dataclass(frozen=True)
class Report:
    events: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0


def rebuild_checkpoint(live: ReadModel, suffix: str = NEXT_SUFFIX) -> int | None:
    """How far an unfinished rebuild's new copy got, if one exists (by any process)."""
    try:
        return filled_up_to(copy_of(live, suffix, create=False)) or None
    except Exception:  # No such tables: no rebuild under way.
        return None


def empty_copy(model: ReadModel, suffix: str) -> ReadModel:
    """A copy of the read model whose tables are new and empty (without their secondary
    indexes). Tables left under that name are dropped first, through another object: the
    library's recorder remembers the tracking table it created, and creating that table
    again through the same object would leave out the row that marks its format, so the
    next process to open it would take it for an old one and migrate it."""
    copy_of(model, suffix, create=False).admin.drop()
    return copy_of(model, suffix, indexes=False)


def new_copy(live: ReadModel) -> ReadModel:
    """The copy a rebuild fills: the one an earlier rebuild left, to resume it, unless
    another version of the projection's code began it; then a new one."""
    copy = copy_of(live, NEXT_SUFFIX, indexes=False)
    if copy.position() > 0 and copy.admin.stored_version() != READ_MODEL_VERSION:
        log.info(
            "dropping %s: begun by another version of the projection", copy.tables.organizations
        )
        copy = empty_copy(live, NEXT_SUFFIX)
    copy.admin.record_version(READ_MODEL_VERSION)
    return copy


def rebuild(
    registry: OrganizationRegistry,
    live: ReadModel,
    lock: LeaderLock,
    *,
    keep_old: bool = False,
    progress: Callable[[int, int, float], None] | None = None,
    batch_size: int = BATCH_SIZE,
    workers: int = 1,
) -> Report:
    """Rebuild ``live`` blue/green; see the module's docstring. With ``workers`` above 1,
    that many processes fill the new copy up to the store's head (see
    ``projections.partitions``); this process then catches up and switches."""
    if batch_size < 1 or workers < 1:
        raise ValueError("a rebuild needs a batch size and a number of workers of 1 or more")
    if not lock.acquire():
        raise RebuildRunningError
    try:
        started = time.monotonic()
        copy = new_copy(live)
        head = registry.recorder.max_notification_id() or 0
        begun = copy.position()
        done = _fill_with_workers(registry, copy, head, workers, batch_size, progress)
        builder = Builder(registry, copy, batch_size)
        done += _catch_up(builder, begun, started, progress)
        _build_indexes(copy, done)
        _switch_readers(live, copy, builder, keep_old)
        return Report(done, time.monotonic() - started)
    finally:
        lock.release()


def _fill_with_workers(
    registry: OrganizationRegistry,
    copy: ReadModel,
    head: int,
    workers: int,
    batch_size: int,
    progress: Callable[[int, int, float], None] | None,
) -> int:
    """Fill ``copy`` up to ``head`` with a process per partition, if there are more than one
    (``_partitions``). Returns the number of events they projected."""
    done = 0
    partitions = _partitions(copy, workers)
    if partitions > 1 and head > copy.position():
        env = dict(registry.env)
        done = fill_in_partitions(env, copy, partitions, head, batch_size, progress)
        log.info(
            "%s: %d events projected by %d processes",
            copy.tables.organizations,
            done,
            partitions,
        )
    return done


def _partitions(copy: ReadModel, workers: int) -> int:
    """How many partitions fill ``copy``: as many as it was begun with, if it was; otherwise
    ``workers``."""
    partitions = begun_partitions(copy) or workers
    if partitions != workers:
        log.info(
            "resuming %s with the %d partitions it was begun with",
            copy.tables.organizations,
            partitions,
        )
    return partitions


def _catch_up(
    builder: Builder,
    begun: int,
    started: float,
    progress: Callable[[int, int, float], None] | None,
) -> int:
    """Project in this process the events the partitions (if any) left, up to the store's
    head; ``progress`` counts from ``begun``, the copy's position before they ran. Returns
    how many events were projected."""
    filled = builder.position - begun  # Positions the partitions covered, if any.

    def more(covered: int, total: int, seconds: float) -> None:
        if progress is not None:
            progress(filled + covered, filled + total, time.monotonic() - started)

    return builder.catch_up(progress=more)


def _build_indexes(copy: ReadModel, done: int) -> None:
    log.info("%s: %d events projected; building its indexes", copy.tables.organizations, done)
    copy.admin.create_indexes()
    log.info("%s: indexes built; switching readers to it", copy.tables.organizations)


def _switch_readers(live: ReadModel, copy: ReadModel, builder: Builder, keep_old: bool) -> None:
    """Put ``copy``'s tables under the live names, in the transaction that projects the last
    events into it."""
    with live.cache.changing(None):
        live.admin.replace_with(
            copy.admin, lambda cursor: builder.catch_up(cursor=cursor), keep_old=keep_old
        )
    live.admin.record_switch()  # Other processes' caches forget the old tables' rows.
    live.admin.record_version(READ_MODEL_VERSION)


@dataclass(frozen=True)
class Difference:
    table: str
    key: str
    live: dict[str, Any] | None
    rebuilt: dict[str, Any] | None


COMPARED = (
    ("organizations", "id"),
    ("keys", "id"),
    ("history", "position"),
    ("members", "id"),
)


def verify(registry: OrganizationRegistry, live: ReadModel, attempts: int = 3) -> list[Difference]:
    """Build a scratch copy from the events up to the live copy's position and compare
    them row by row. The live copy may move on meanwhile; then the comparison is run
    again at its new position (up to ``attempts`` times)."""
    scratch = empty_copy(live, SCRATCH_SUFFIX)  # Compared, never queried: no indexes.
    try:
        builder = Builder(registry, scratch)
        differences: list[Difference] = []
        for _ in range(attempts):
            position = live.position()
            builder.catch_up(until=position)
            differences = _compare(live, scratch)
            if live.position() == position:
                break
        return differences
    finally:
        scratch.admin.drop()


def _compare(live: ReadModel, scratch: ReadModel) -> list[Difference]:
    differences = []
    for attribute, key in COMPARED:
        name = getattr(live.tables, attribute)
        live_rows = {str(r[key]): r for r in live.admin.rows(name, key)}
        scratch_table = getattr(scratch.tables, attribute)
        scratch_rows = {str(r[key]): r for r in scratch.admin.rows(scratch_table, key)}
        for k in sorted(live_rows.keys() | scratch_rows.keys()):
            if live_rows.get(k) != scratch_rows.get(k):
                differences.append(Difference(name, k, live_rows.get(k), scratch_rows.get(k)))
    return differences


def is_outdated(live: ReadModel) -> bool:
    """Whether the live tables were built by another version of the projection's code.
    An empty read model is simply marked current."""
    stored = live.admin.stored_version()
    if stored is None and live.position() == 0:
        live.admin.record_version(READ_MODEL_VERSION)
        return False
    return stored != READ_MODEL_VERSION


def rebuild_in_background(
    registry: OrganizationRegistry, live: ReadModel, lock: LeaderLock
) -> threading.Thread:
    """Rebuild an outdated read model while the old one keeps serving (one process does
    it; the others find the rebuild lock held and leave it be)."""

    def run() -> None:
        log.info(
            "read model %s is outdated: rebuilding it in the background", live.tables.organizations
        )
        try:
            report = rebuild(registry, live, lock)
        except RebuildRunningError:
            log.info("another process is rebuilding read model %s", live.tables.organizations)
            return
        except Exception:
            log.exception(
                "rebuilding read model %s failed; the next start tries again",
                live.tables.organizations,
            )
            return
        log.info(
            "rebuilt read model %s: %d events at %.0f events/s; readers switched to it",
            live.tables.organizations,
            report.events,
            report.rate,
        )

    thread = threading.Thread(target=run, name=f"rebuild-{live.tables.organizations}", daemon=True)
    thread.start()
    return thread

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
from projections.interface import NEXT_SUFFIX, SCRATCH_SUFFIX
from projections.partitions import begun_partitions, fill_in_partitions, filled_up_to
from projections.projection import READ_MODEL_VERSION

if TYPE_CHECKING:
    from collections.abc import Callable

    from domain.registry import OrganizationRegistry
    from projections.interface import OrganizationLookupView
    from projections.leadership import LeaderLock

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


def copy_of(
    view: OrganizationLookupView, suffix: str, indexes: bool = True, create: bool = True
) -> OrganizationLookupView:
    """Another copy of the read model in the same database, with its tables created
    (without their secondary indexes, if ``indexes`` is false and the store allows)."""
    copy: OrganizationLookupView = type(view)(view.datastore, suffix=suffix)  # type: ignore[call-arg]
    if create:
        copy.create_table(indexes=indexes)
    return copy


def rebuild_checkpoint(live: OrganizationLookupView, suffix: str = NEXT_SUFFIX) -> int | None:
    """How far an unfinished rebuild's new copy got, if one exists (by any process)."""
    try:
        return filled_up_to(copy_of(live, suffix, create=False)) or None
    except Exception:  # No such tables: no rebuild under way.
        return None


def empty_copy(view: OrganizationLookupView, suffix: str) -> OrganizationLookupView:
    """A copy of the read model whose tables are new and empty (without their secondary
    indexes). Tables left under that name are dropped first, through another object: the
    library's recorder remembers the tracking table it created, and creating that table
    again through the same object would leave out the row that marks its format, so the
    next process to open it would take it for an old one and migrate it."""
    copy_of(view, suffix, create=False).drop()
    return copy_of(view, suffix, indexes=False)


def new_copy(live: OrganizationLookupView) -> OrganizationLookupView:
    """The copy a rebuild fills: the one an earlier rebuild left, to resume it, unless
    another version of the projection's code began it; then a new one."""
    copy = copy_of(live, NEXT_SUFFIX, indexes=False)
    if copy.position() > 0 and copy.stored_version() != READ_MODEL_VERSION:
        log.info("dropping %s: begun by another version of the projection", copy.table)
        copy = empty_copy(live, NEXT_SUFFIX)
    copy.record_version(READ_MODEL_VERSION)
    return copy


def rebuild(
    registry: OrganizationRegistry,
    live: OrganizationLookupView,
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
        done = 0
        head = registry.recorder.max_notification_id() or 0
        begun = copy.position()
        partitions = begun_partitions(copy) or workers
        if partitions != workers:
            log.info("resuming %s with the %d partitions it was begun with", copy.table, partitions)
        if partitions > 1 and head > copy.position():
            env = dict(registry.env)
            done = fill_in_partitions(env, copy, partitions, head, batch_size, progress)
            log.info("%s: %d events projected by %d processes", copy.table, done, partitions)
        builder = Builder(registry, copy, batch_size)
        filled = builder.position - begun  # Positions the partitions covered, if any.

        def more(covered: int, total: int, seconds: float) -> None:
            if progress is not None:
                progress(filled + covered, filled + total, time.monotonic() - started)

        done += builder.catch_up(progress=more)
        log.info("%s: %d events projected; building its indexes", copy.table, done)
        copy.create_indexes()
        log.info("%s: indexes built; switching readers to it", copy.table)
        with live.cache.changing(None):
            live.replace_with(
                copy, lambda cursor: builder.catch_up(cursor=cursor), keep_old=keep_old
            )
        live.record_switch()  # Other processes' caches forget the old tables' rows.
        live.record_version(READ_MODEL_VERSION)
        return Report(done, time.monotonic() - started)
    finally:
        lock.release()


@dataclass(frozen=True)
class Difference:
    table: str
    key: str
    live: dict[str, Any] | None
    rebuilt: dict[str, Any] | None


COMPARED = (("table", "id"), ("keys_table", "id"), ("history_table", "position"))


def verify(
    registry: OrganizationRegistry, live: OrganizationLookupView, attempts: int = 3
) -> list[Difference]:
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
        scratch.drop()


def _compare(live: OrganizationLookupView, scratch: OrganizationLookupView) -> list[Difference]:
    differences = []
    for attribute, key in COMPARED:
        live_rows = {str(r[key]): r for r in live.rows(getattr(live, attribute), key)}
        scratch_rows = {str(r[key]): r for r in scratch.rows(getattr(scratch, attribute), key)}
        for k in sorted(live_rows.keys() | scratch_rows.keys()):
            if live_rows.get(k) != scratch_rows.get(k):
                name = getattr(live, attribute)
                differences.append(Difference(name, k, live_rows.get(k), scratch_rows.get(k)))
    return differences


def is_outdated(live: OrganizationLookupView) -> bool:
    """Whether the live tables were built by another version of the projection's code.
    An empty read model is simply marked current."""
    stored = live.stored_version()
    if stored is None and live.position() == 0:
        live.record_version(READ_MODEL_VERSION)
        return False
    return stored != READ_MODEL_VERSION


def rebuild_in_background(
    registry: OrganizationRegistry, live: OrganizationLookupView, lock: LeaderLock
) -> threading.Thread:
    """Rebuild an outdated read model while the old one keeps serving (one process does
    it; the others find the rebuild lock held and leave it be)."""

    def run() -> None:
        log.info("read model %s is outdated: rebuilding it in the background", live.table)
        try:
            report = rebuild(registry, live, lock)
        except RebuildRunningError:
            log.info("another process is rebuilding read model %s", live.table)
            return
        except Exception:
            log.exception("rebuilding read model %s failed; the next start tries again", live.table)
            return
        log.info(
            "rebuilt read model %s: %d events at %.0f events/s; readers switched to it",
            live.table,
            report.events,
            report.rate,
        )

    thread = threading.Thread(target=run, name=f"rebuild-{live.table}", daemon=True)
    thread.start()
    return thread

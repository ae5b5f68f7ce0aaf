"""Filling a rebuild's new copy with several processes at once.

Each worker process takes one partition of the organizations (``Partition``): it reads
every organization event up to the same position, projects its own organizations' events
into the copy in batches, and records its progress under its partition's tracking name.
All of an organization's events go to one worker, in their order, and every row of the
read model belongs to one organization, so the workers never write each other's rows.
When all have reached the position, one transaction records it as the copy's position and
forgets the partitions' own.

A worker dies with the process that started it; if that process is stopped at any point,
the next rebuild resumes each partition from its own position (with as many partitions as
the copy was begun with).
"""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import sys
import time
import traceback
from multiprocessing import get_context
from typing import TYPE_CHECKING, Any

from projections.builder import Builder, Partition
from projections.leadership import is_postgres
from projections.records import APPLICATION_NAME

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from multiprocessing.context import SpawnContext, SpawnProcess
    from multiprocessing.queues import Queue
    from multiprocessing.sharedctypes import SynchronizedArray

    from projections.read_model import ReadModel

POLL_SECONDS = 0.2
PARTITIONED_FROM = 100_000
"""Stores with fewer events are rebuilt by one process by default: starting the workers
takes about a second."""
MAX_WORKERS = 8
PR_SET_PDEATHSIG = 1

log = logging.getLogger("tenant_registry.projections")


class PartitionFailedError(Exception):
    """A worker process filling a partition of the copy failed."""


def default_workers(env: dict[str, str], events: int) -> int:
    """How many processes fill a copy unless told: one per CPU on PostgreSQL for a large
    store; one on SQLite (one writer at a time: more processes would only wait)."""
    if not is_postgres(env) or events < PARTITIONED_FROM:
        return 1
    return max(1, min(os.cpu_count() or 1, MAX_WORKERS))


def _partition_positions(tracked: dict[str, int]) -> dict[Partition, int]:
    """The partitions among a copy's tracked positions (``tracked()``)."""
    return {p: position for name, position in tracked.items() if (p := Partition.named(name))}


def begun_partitions(copy: ReadModel) -> int:
    """How many partitions filling ``copy`` began with (0 if none did)."""
    return max((p.of for p in _partition_positions(copy.admin.tracked())), default=0)


def filled_up_to(copy: ReadModel) -> int:
    """The position up to which ``copy`` has every event: its own position, or while
    processes fill it (and each has recorded some progress), the lowest of its partitions'
    positions."""
    tracked = copy.admin.tracked()
    positions, own = _partition_positions(tracked), tracked.get(APPLICATION_NAME, 0)
    if positions and len(positions) == next(iter(positions)).of:
        return max(own, min(positions.values()))
    return own


def fill_in_partitions(
    env: dict[str, str],
    copy: ReadModel,
    partitions: int,
    until: int,
    batch_size: int,
    progress: Callable[[int, int, float], None] | None = None,
) -> int:
    """Project the organization events up to position ``until`` into ``copy`` with a
    process per partition (as many as the copy was begun with, if it was), then record
    ``until`` as its position. Returns the number of events projected."""
    start, started = copy.position(), time.monotonic()
    context = get_context("spawn")  # Not fork: the parent may hold threads and connections.
    done = context.Array("q", partitions, lock=False)  # Events each projected.
    covered = context.Array("q", partitions, lock=False)  # Positions each went past.
    errors: Queue[tuple[int, str]] = context.Queue()
    shared = {"done": done, "covered": covered, "errors": errors}
    processes = _workers(context, env, copy.tables.suffix, partitions, until, batch_size, shared)
    _run(processes, errors, covered, progress, until - start, started)
    copy.admin.merge_tracking(
        [Partition(k, partitions).tracking_name for k in range(partitions)], until
    )
    return sum(done)


def _workers(
    context: SpawnContext,
    env: dict[str, str],
    suffix: str,
    partitions: int,
    until: int,
    batch_size: int,
    shared: dict[str, Any],
) -> list[SpawnProcess]:
    """A worker process (not started) per partition; ``shared``: the arrays and the queue
    they report through."""
    return [
        context.Process(
            target=_fill_partition,
            args=(env, suffix, Partition(k, partitions), until, batch_size),
            kwargs={**shared, "parent": os.getpid()},
            name=f"rebuild-partition-{k}",
            daemon=True,
        )
        for k in range(partitions)
    ]


def _run(
    processes: list[SpawnProcess],
    errors: Queue[tuple[int, str]],
    covered: Sequence[int],
    progress: Callable[[int, int, float], None] | None,
    total: int,
    started: float,
) -> None:
    """Start the workers and wait until all have finished, reporting the positions the
    slowest went past (of ``total``); raise ``PartitionFailedError`` when one fails. The
    workers still running then (or when this process is interrupted) are stopped."""
    try:
        for process in processes:
            process.start()
        while any(p.exitcode is None for p in processes):
            _raise_failure(processes, errors)
            if progress is not None:
                slowest = min(covered)
                progress(slowest, max(total, slowest), time.monotonic() - started)
            time.sleep(POLL_SECONDS)
        _raise_failure(processes, errors)
    finally:
        for process in processes:
            if process.is_alive():
                process.terminate()
            process.join()


def _raise_failure(processes: list[Any], errors: Queue[tuple[int, str]]) -> None:
    failed = [p for p in processes if p.exitcode not in (None, 0)]
    if not failed:
        return
    reason = f"exit code {failed[0].exitcode}"
    while not errors.empty():
        _, reason = errors.get()
    raise PartitionFailedError(f"{failed[0].name} failed: {reason}")


def _fill_partition(
    env: dict[str, str],
    suffix: str,
    partition: Partition,
    until: int,
    batch_size: int,
    *,
    done: SynchronizedArray[int],
    covered: SynchronizedArray[int],
    errors: Queue[tuple[int, str]],
    parent: int,
) -> None:
    """A worker process: fill one partition of the copy up to ``until``; it writes the
    positions it went past into ``covered`` as it goes, its events into ``done`` at the end."""
    _die_with(parent)
    from application.registry import OrganizationRegistry
    from projections.stores import construct_read_model, copy_of

    env = {**env, "CREATE_TABLE": "no"}  # The rebuild created every table.
    registry = OrganizationRegistry(env)
    try:
        copy = copy_of(construct_read_model(env), suffix, create=False)
        builder = Builder(registry, copy, batch_size, partition)

        def report(positions: int, _total: int, _seconds: float) -> None:
            covered[partition.index] = positions
            if os.getppid() != parent:  # Where the parent's death sends no signal.
                os._exit(1)

        done[partition.index] = builder.catch_up(until=until, progress=report)
    except Exception as e:
        errors.put((partition.index, f"{type(e).__name__}: {e}"))
        traceback.print_exc()
        sys.exit(1)
    finally:
        registry.close()


def _die_with(parent: int) -> None:
    """Make this worker die with the process that started it: Ctrl-C is for that process
    to handle (it stops its workers), and a worker left running by a killed rebuild would
    go on writing into the copy the next rebuild resumes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if sys.platform == "linux":
        ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # It died before the line above.
        os._exit(1)

"""Group commit: the commands that arrive while a transaction is being written are written
together in the next one, each still getting its own outcome.

The event store serializes writers (one table lock per transaction), so a store handles
a fixed number of transactions per second however many requests wait. One committer
thread takes every command queued at that moment (up to ``MAX_BATCH``) and records their
events in one transaction. If that transaction is refused (a clash: two commands claiming
one slug, or writing one organization), each of its commands is recorded again on its own,
so one losing command fails alone and its neighbours succeed. Any other failure of the
shared transaction is handled the same way: each command then gets its own outcome. No
command waits for others to arrive: a lone command is written at once, on its own thread
when nothing is being written (no hand-off to the committer and back).
"""

from __future__ import annotations

import logging
import queue
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from eventsourcing.application import ProcessingEvent

if TYPE_CHECKING:
    from collections.abc import Callable
    from uuid import UUID

    from eventsourcing.persistence import Recording

MAX_BATCH = 100

log = logging.getLogger("tenant_registry.registry")


class ClosedError(RuntimeError):
    def __init__(self) -> None:
        super().__init__("the registry is closed: nothing more can be recorded")


@dataclass
class _Command:
    events: ProcessingEvent[UUID]
    done: threading.Event = field(default_factory=threading.Event)
    recordings: list[Recording[UUID]] | None = None
    error: BaseException | None = None


class GroupCommit:
    def __init__(
        self,
        record: Callable[[ProcessingEvent[UUID]], list[Recording[UUID]]],
        after: Callable[[ProcessingEvent[UUID], list[Recording[UUID]]], None],
        name: str,
    ) -> None:
        """``record`` writes a processing event's events in one transaction; ``after``
        runs once they are recorded (snapshots, notifications)."""
        self._record, self._after = record, after
        self._queue: queue.SimpleQueue[_Command | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name=f"{name}-commit", daemon=True)
        self._state = threading.Lock()
        self._writing = threading.Lock()
        """Held while a transaction is written (by the committer or a lone command)."""
        self._held: _Command | None = None
        """The command the committer took from the queue, while it waits to write."""
        self._started = self._closed = False
        self.transactions = 0
        self.commands = 0
        """Transactions committed and the commands they held (their ratio: the batch size)."""

    def save(self, events: ProcessingEvent[UUID]) -> list[Recording[UUID]]:
        """Record ``events`` (in a transaction shared with concurrent commands, or alone)
        and return their recordings; raises what recording them alone would raise."""
        command: _Command = _Command(events)
        with self._state:  # Nothing is queued behind the stop that ``close`` queues.
            if self._closed:
                raise ClosedError
            alone = (
                self._queue.empty() and self._held is None and self._writing.acquire(blocking=False)
            )
            if not alone:
                if not self._started:
                    self._thread.start()
                    self._started = True
                self._queue.put(command)
        if alone:  # Nothing else is being written: write it here, at once.
            try:
                self._commit([command])
            except BaseException as error:
                self._finish([command], error=error)
            finally:
                self._writing.release()
        command.done.wait()
        if command.error is not None:
            raise command.error
        assert command.recordings is not None
        return command.recordings

    def queued(self) -> int:
        """The commands waiting to be written."""
        return self._queue.qsize() + (self._held is not None)

    def close(self) -> None:
        """Record what is queued, then stop; later saves raise ``ClosedError``."""
        with self._state:
            if self._closed:
                return
            self._closed = True
            if self._started:
                self._queue.put(None)
        if self._started:
            self._thread.join(10)
        if self._writing.acquire(timeout=10):  # A lone command being written finishes.
            self._writing.release()

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            self._held = first
            with self._writing:  # Those queued meanwhile join the batch.
                self._held = None
                batch = self._batch(first)
                try:
                    self._commit(batch)
                except BaseException as error:  # The committer must not die: hand it over.
                    self._finish([c for c in batch if not c.done.is_set()], error=error)

    def _batch(self, first: _Command) -> list[_Command]:
        """``first`` and the commands queued behind it (up to ``MAX_BATCH``)."""
        batch = [first]
        while len(batch) < MAX_BATCH:
            try:
                command = self._queue.get_nowait()
            except queue.Empty:
                break
            if command is None:
                self._queue.put(None)  # Stop after this batch.
                break
            batch.append(command)
        return batch

    def _commit(self, batch: list[_Command]) -> None:
        if len(batch) > 1:
            together: ProcessingEvent[UUID] = ProcessingEvent()
            for command in batch:
                together.events += command.events.events
                together.aggregates.update(command.events.aggregates)
            try:
                recordings = self._record(together)
            except Exception:  # noqa: S110
                # A clash within the batch or with the store, or one command's bad value:
                # each on its own, below, so that each gets its own outcome.
                pass
            else:
                self._recorded(batch, together, recordings)
                return
        for command in batch:
            try:
                recordings = self._record(command.events)
            except BaseException as error:
                self._finish([command], error=error)
                continue
            self._recorded([command], command.events, recordings)

    def _recorded(
        self,
        batch: list[_Command],
        events: ProcessingEvent[UUID],
        recordings: list[Recording[UUID]],
    ) -> None:
        """The events are recorded: the commands have succeeded, whatever ``after`` does."""
        self.transactions += 1  # Only the committing thread counts.
        self.commands += len(batch)
        try:
            self._after(events, recordings)
        except Exception:
            log.exception("recorded %d events, but what follows a save failed", len(recordings))
        self._finish(batch, recordings=recordings)

    @staticmethod
    def _finish(
        batch: list[_Command],
        recordings: list[Recording[UUID]] | None = None,
        error: BaseException | None = None,
    ) -> None:
        for command in batch:
            if recordings is not None:
                ids = {id(e) for e in command.events.events}
                command.recordings = [r for r in recordings if id(r.domain_event) in ids]
            command.error = error
            command.done.set()

"""Keeps a projection running: leader election, following the store, restarts with backoff.

The store is followed in batches with ``select_notifications``: all the events recorded
since the last batch (up to ``BATCH``) are projected in one transaction, so a busy store
costs one commit per batch, not one per event. The follower wakes at once for commands
saved in this process and, on PostgreSQL, on the events table's NOTIFY (commands saved by
other processes); it also polls every ``POLL_SECONDS``.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from typing import TYPE_CHECKING, Any, cast

import psycopg
from eventsourcing.persistence import IntegrityError, Tracking
from eventsourcing.postgres import PostgresApplicationRecorder
from psycopg.sql import SQL, Identifier

from projections.leadership import postgres_conninfo
from projections.projection import MEMBER_TOPICS, OrganizationLookupProjection
from projections.store_errors import STORE_ERRORS

if TYPE_CHECKING:
    from collections.abc import Sequence
    from uuid import UUID

    from eventsourcing.persistence import Notification

    from application.registry import OrganizationRegistry
    from projections.leadership import LeaderLock
    from projections.read_model import ReadModel

log = logging.getLogger("tenant_registry.projections")

BATCH = 500
POLL_SECONDS = 0.05
LEADER_RETRY_SECONDS = 1.0
HEALTH_CHECK_SECONDS = 1.0
LISTEN_STOP_SECONDS = 0.1
"""How soon the NOTIFY listener sees it is to stop (it waits for a NOTIFY this long at a
time): a process shutting down, or a projector losing its lead, is not held up."""
LISTEN_CONNECT_SECONDS = 5
BACKOFF_START, BACKOFF_MAX = 0.2, 30.0

STANDBY, STARTING, RUNNING, FAILED, STOPPED = "standby", "starting", "running", "failed", "stopped"
_STOPPED_AT = re.compile(r"event (\d+) \((\w+)\): ")


class ProjectionFailure(Exception):
    """An event the projection could not apply: the projector stops on it."""

    def __init__(self, position: int, event_type: str, error: Exception) -> None:
        super().__init__(f"event {position} ({event_type}): {type(error).__name__}: {error}")


def stopped_at(last_error: str | None) -> dict[str, Any] | None:
    """The position and type of the event a failure names (``ProjectionFailure``)."""
    found = _STOPPED_AT.match(last_error or "")
    return None if found is None else {"position": int(found[1]), "type": found[2]}


class ProjectionSupervisor:
    """Runs the read model's projection in a background thread whenever this process holds
    its lock."""

    def __init__(
        self,
        read_model: ReadModel,
        registry: OrganizationRegistry,
        lock: LeaderLock,
        env: dict[str, str],
    ) -> None:
        self.read_model = read_model
        self.projection = projection = OrganizationLookupProjection(read_model.writer)
        self.registry = registry
        self.lock = lock
        self.env = env
        self.state = STANDBY
        self.last_error: str | None = None
        self.restarts = 0
        self._stopping = threading.Event()
        self._wake = threading.Event()
        self._thread = threading.Thread(
            target=self._supervise, name=f"projection-{projection.name}", daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stopping.set()
        self._wake.set()
        self._thread.join(timeout)
        self.state = STOPPED

    def _report(self, state: str) -> None:
        """Record the state where `projections status` in any process can read it."""
        self.state = state
        try:
            self.read_model.admin.record_status(state, self.last_error)
        except Exception as error:  # The database may be the very thing that failed.
            name = self.projection.name
            log.warning("projection %s: could not record state %s: %s", name, state, error)

    def wake(self) -> None:
        """Called after a command is saved in this process: follow it at once."""
        self._wake.set()

    def _supervise(self) -> None:
        backoff = BACKOFF_START
        while not self._stopping.is_set():
            if not self.lock.acquire():
                self.state = STANDBY
                self._stopping.wait(LEADER_RETRY_SECONDS)
                continue
            signal, cache = self.read_model.position_signal, self.read_model.cache
            try:
                signal.local = True
                cache.activate()
                if self.state != FAILED:  # Failed stays failed until a batch succeeds.
                    self._report(STARTING)
                log.info("projection %s: leading, following the event store", self.projection.name)
                self._follow()
                self._report(STOPPED)  # Returned: this process is shutting down.
                backoff = BACKOFF_START
            except Exception as error:
                self.last_error = (
                    str(error)  # It names the event, then its cause.
                    if isinstance(error, ProjectionFailure)
                    else f"{type(error).__name__}: {error}"
                )
                self._report(FAILED)
                self.restarts += 1
                log.exception(
                    "projection %s stopped on an error; restarting in %.1fs",
                    self.projection.name,
                    backoff,
                )
                self._wait_to_retry(backoff)
                if not isinstance(error, STORE_ERRORS):  # The database recovers by itself.
                    backoff = min(backoff * 2, BACKOFF_MAX)
            finally:
                cache.deactivate()
                signal.local = False
                self.lock.release()

    def _wait_to_retry(self, seconds: float) -> None:
        """Wait ``seconds`` before trying again, or less: tables a rebuild switched in
        meanwhile (``projections rebuild``, which mends a read model an event could not be
        applied to) end the wait within a health check, not at the end of a long backoff."""
        deadline = time.monotonic() + seconds
        switches = self._switches()
        while not self._stopping.wait(min(HEALTH_CHECK_SECONDS, deadline - time.monotonic())):
            if time.monotonic() >= deadline or self._switches() != switches:
                return

    def _switches(self) -> int | None:
        """The count of switches, or ``None`` while it cannot be read."""
        try:
            return self.read_model.admin.switches()
        except Exception:  # The database may be the very thing that failed.
            return None

    def _follow(self) -> None:
        """Project new events in batches (many events to a transaction, one tracking write
        at each end) until stopped. Woken at once by commands saved in this process and,
        on PostgreSQL, by the store's NOTIFY for commands saved in other processes; polls
        every ``POLL_SECONDS`` besides."""
        recorder = self.registry.recorder
        stop_listening = threading.Event()
        listener = None
        if isinstance(recorder, PostgresApplicationRecorder):
            listener = threading.Thread(
                target=self._listen, args=(recorder.channel_name, stop_listening), daemon=True
            )
            listener.start()
        try:
            self._follow_in_batches()
        finally:
            stop_listening.set()
            if listener is not None:
                listener.join(HEALTH_CHECK_SECONDS * 2)

    def _follow_in_batches(self) -> None:
        recorder, topics = self.registry.recorder, self.projection.topics
        writer, admin = self.read_model.writer, self.read_model.admin
        position, checked, switches = writer.position(), time.monotonic(), admin.switches()
        while not self._stopping.is_set():
            read = recorder.select_notifications(start=position + 1, limit=BATCH, topics=topics)
            # Past what commands wrote inline (``projections.inline``) until now: their
            # position is signalled before the lock is released.
            with writer.inline_commit:
                position = max(position, writer.position_signal.position)
            notifications = [n for n in read if n.id > position]
            if notifications:
                position, projected = self._project_batch(notifications, position)
                if not projected:
                    continue  # Another writer was ahead: read on from its position.
            if self.state != RUNNING:
                self._report(RUNNING)  # Only once a batch (or an empty read) succeeded.
            if len(read) < BATCH:
                self._wake.wait(POLL_SECONDS)
                self._wake.clear()
            if time.monotonic() - checked > HEALTH_CHECK_SECONDS:
                switches = self._check_health(switches)
                checked = time.monotonic()

    def _project_batch(
        self, notifications: Sequence[Notification], position: int
    ) -> tuple[int, bool]:
        """Project ``notifications`` (those after ``position``) in one transaction. Returns
        the position to follow on from, and whether they were projected: not when another
        writer is ahead of ``position`` (the position is then that writer's)."""
        writer, mapper, name = self.read_model.writer, self.registry.mapper, self.registry.name
        first = Tracking(name, notifications[0].id)
        last = Tracking(name, notifications[-1].id)
        # The registry's events are identified by UUIDs.
        touched = cast("set[UUID]", {n.originator_id for n in notifications})
        members = cast(
            "set[UUID]", {n.originator_id for n in notifications if n.topic in MEMBER_TOPICS}
        )
        try:
            with writer.batch(first, last, touched=touched, members=members):
                self.projection.process_notifications(notifications, mapper, name)
        except IntegrityError:
            # Another writer is ahead of this position: a leader elsewhere (this
            # process lost its lock), or a rebuilt copy switched in meanwhile.
            if not self.lock.held():
                raise RuntimeError("lost the leader lock") from None
            ahead = writer.position()
            if ahead <= position:
                raise
            writer.cache.clear()  # Rows this projector did not write.
            return ahead, False
        except STORE_ERRORS:
            raise  # The database is at fault, not an event: try again later.
        except Exception:
            # Find the event that fails: apply the batch's events one by one, so
            # those before it are projected and the failure names it.
            self._one_by_one(notifications)
        return last.notification_id, True

    def _check_health(self, switches: int) -> int:
        """Raise if this process lost the leader lock; forget the cached rows if a rebuild
        switched in new tables since the count of switches was ``switches``. Returns the
        count now."""
        if not self.lock.held():
            raise RuntimeError("lost the leader lock")
        current = self.read_model.admin.switches()
        if current != switches:  # A rebuild elsewhere replaced the tables.
            self.read_model.writer.cache.clear()
        return current

    def _one_by_one(self, notifications: Sequence[Notification]) -> None:
        """Project each event in its own transaction; raise ``ProjectionFailure`` naming
        the first that fails."""
        writer, mapper, name = self.read_model.writer, self.registry.mapper, self.registry.name
        for notification in notifications:
            tracking = Tracking(name, notification.id)
            try:
                with writer.batch(tracking, tracking, touched={notification.originator_id}):  # type: ignore[arg-type]
                    self.projection.process_notifications([notification], mapper, name)
            except STORE_ERRORS:
                raise
            except Exception as error:
                event_type = notification.topic.rpartition(".")[2]
                raise ProjectionFailure(notification.id, event_type, error) from error

    def _listen(self, channel: str, stop: threading.Event) -> None:
        """Wake the follower on every NOTIFY of the events table (new events recorded by
        any process), until ``stop`` is set. Polling covers the moments it is down. The
        NOTIFYs of this process's own commands are passed over: it wakes the follower
        itself for those whose rows it did not write inline."""
        own: set[int] = getattr(self.registry.recorder, "backend_pids", set())
        conninfo = {**postgres_conninfo(self.env), "connect_timeout": LISTEN_CONNECT_SECONDS}
        while not stop.is_set():
            try:
                with psycopg.connect(**conninfo, autocommit=True) as conn:
                    conn.execute(SQL("LISTEN {}").format(Identifier(channel)))
                    while not stop.is_set():
                        for notify in conn.notifies(timeout=LISTEN_STOP_SECONDS, stop_after=1):
                            if notify.pid not in own:
                                self._wake.set()
            except Exception as error:  # Logged; polling goes on meanwhile.
                log.warning("projection %s: LISTEN failed: %s", self.projection.name, error)
                stop.wait(HEALTH_CHECK_SECONDS)

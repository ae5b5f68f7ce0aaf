"""Keeps a projection running: leader election, following the store, restarts with backoff.

PostgreSQL stores are followed by the library's ``ProjectionRunner`` machinery
(LISTEN/NOTIFY subscription, one transaction per event). The SQLite recorder has no
subscription, so there the store is polled in batches with ``select_notifications``,
and woken at once by commands saved in this process.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Any

from eventsourcing.persistence import Tracking
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.projection import BaseProjectionRunner

from domain.registry import OrganizationRegistry
from projections.leadership import schema_setup

if TYPE_CHECKING:
    from eventsourcing.projection import Projection

    from projections.leadership import LeaderLock

log = logging.getLogger("tenant_registry.projections")

POLL_BATCH = 500
POLL_SECONDS = 0.05
LEADER_RETRY_SECONDS = 1.0
HEALTH_CHECK_SECONDS = 1.0
BACKOFF_START, BACKOFF_MAX = 0.2, 30.0

STANDBY, RUNNING, FAILED, STOPPED = "standby", "running", "failed", "stopped"


class ProjectionSupervisor:
    """Runs one projection in a background thread whenever this process holds its lock."""

    def __init__(
        self,
        projection: Projection[Any],
        registry: OrganizationRegistry,
        lock: LeaderLock,
        env: dict[str, str],
    ) -> None:
        self.projection = projection
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
            self.projection.view.record_status(state, self.last_error)
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
            signal = self.projection.view.position_signal
            try:
                signal.local = True
                self._report(RUNNING)
                log.info("projection %s: leading, following the event store", self.projection.name)
                self._follow()
                self._report(STOPPED)  # Returned: this process is shutting down.
                backoff = BACKOFF_START
            except Exception as error:
                self.last_error = f"{type(error).__name__}: {error}"
                self._report(FAILED)
                self.restarts += 1
                log.exception(
                    "projection %s stopped on an error; restarting in %.1fs",
                    self.projection.name,
                    backoff,
                )
                self._stopping.wait(backoff)
                backoff = min(backoff * 2, BACKOFF_MAX)
            finally:
                signal.local = False
                self.lock.release()

    def _follow(self) -> None:
        if isinstance(self.registry.recorder, PostgresApplicationRecorder):
            self._follow_subscription()
        else:
            self._follow_by_polling()

    def _follow_subscription(self) -> None:
        with schema_setup(self.env):  # The runner builds its own registry, tables included.
            runner: BaseProjectionRunner[OrganizationRegistry] = BaseProjectionRunner(
                projection=self.projection,
                application_class=OrganizationRegistry,
                tracking_recorder=self.projection.view,
                topics=self.projection.topics,
                env=self.env,
            )
        with runner:
            while not self._stopping.is_set():
                runner.run_forever(timeout=HEALTH_CHECK_SECONDS)  # Re-raises the runner's error.
                if runner.is_interrupted.is_set() and not self._stopping.is_set():
                    raise RuntimeError("projection runner stopped")
                if not self.lock.held():
                    raise RuntimeError("lost the leader lock")

    def _follow_by_polling(self) -> None:
        recorder, mapper = self.registry.recorder, self.registry.mapper
        name = self.registry.name
        position = self.projection.view.max_tracking_id(name) or 0
        while not self._stopping.is_set():
            notifications = recorder.select_notifications(
                start=position + 1, limit=POLL_BATCH, topics=self.projection.topics
            )
            for notification in notifications:
                event = mapper.to_domain_event(notification)
                self.projection.process_event(event, Tracking(name, notification.id))
                position = notification.id
            if len(notifications) < POLL_BATCH:
                self._wake.wait(POLL_SECONDS)
                self._wake.clear()

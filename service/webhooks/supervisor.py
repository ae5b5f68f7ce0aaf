"""Runs webhook delivery in a background thread whenever this process holds its leader
lock: fills the outbox, then starts the due deliveries, and again; restarts with backoff
after an error, as the projections do."""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING

from service.webhooks.dispatcher import Dispatcher, Outcomes
from service.webhooks.outbox import Outbox
from service.webhooks.sender import TIMEOUT

if TYPE_CHECKING:
    from application.registry import OrganizationRegistry
    from application.webhooks import WebhookEndpoints
    from projections.leadership import LeaderLock
    from projections.read_model import ReadModel
    from projections.webhooks.store import WebhookStore
    from projections.webhooks.vault import SecretVault

log = logging.getLogger("tenant_registry.webhooks")

POLL_SECONDS = 0.05
IDLE_POLL_SECONDS = 1.0
"""How often delivery looks for work while no endpoint exists: it is not woken by every
command then (a new endpoint's first deliveries start within this time)."""
BACKOFF_START, BACKOFF_MAX = 0.2, 30.0
LEADER_RETRY_SECONDS = 1.0
LEADER_CHECK_SECONDS = 1.0
"""How often the leader checks that it still holds its lock."""


class WebhookSupervisor:
    def __init__(
        self,
        parts: tuple[WebhookStore, SecretVault, WebhookEndpoints],
        registry: OrganizationRegistry,
        read_model: ReadModel,
        lock: LeaderLock,
        schedule: tuple[float, ...],
        timeout: float = TIMEOUT,
    ) -> None:
        self.store, self.vault, self.endpoints = parts
        self.registry, self.read_model = registry, read_model
        self.lock, self.schedule, self.timeout = lock, schedule, timeout
        self.outcomes = Outcomes()
        self._stopping, self._wake = threading.Event(), threading.Event()
        self._active = False
        """Whether any endpoint exists: only then is delivery woken by every command."""
        self._thread = threading.Thread(target=self._supervise, name="webhooks", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def wake(self) -> None:
        if self._active:
            self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        self._stopping.set()
        self._active = True
        self._wake.set()
        self._thread.join(timeout)

    def _supervise(self) -> None:
        backoff = BACKOFF_START
        while not self._stopping.is_set():
            if not self.lock.acquire():
                self._stopping.wait(LEADER_RETRY_SECONDS)
                continue
            try:
                self._run()
                backoff = BACKOFF_START
            except Exception:
                log.exception("webhook delivery stopped on an error; restarting in %.1fs", backoff)
                self._stopping.wait(backoff)
                backoff = min(backoff * 2, BACKOFF_MAX)
            finally:
                self.lock.release()

    def _run(self) -> None:
        outbox = Outbox(self.store, self.registry, self.read_model)
        dispatcher = Dispatcher(
            self.store,
            self.vault,
            self.endpoints,
            self.schedule,
            self.outcomes,
            self.timeout,
            self.wake,
        )
        checked = time.monotonic()
        try:
            while not self._stopping.is_set():
                if time.monotonic() - checked > LEADER_CHECK_SECONDS:
                    # Another process may lead once this one's lock is gone (its
                    # connection dropped): stop sending before both do.
                    if not self.lock.held():
                        log.warning("webhook delivery: leader lock lost; standing by")
                        return
                    checked = time.monotonic()
                self._wake.clear()  # Before looking: a wake from now on is not lost.
                filled = outbox.step()
                started = dispatcher.step()
                self._active = bool(outbox.endpoints)
                if not filled and not started:
                    self._wake.wait(POLL_SECONDS if self._active else IDLE_POLL_SECONDS)
        finally:
            dispatcher.close()

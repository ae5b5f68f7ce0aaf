"""The lookup read model's interface, shared by its SQLite and PostgreSQL implementations."""

from __future__ import annotations

import threading
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from eventsourcing.persistence import TrackingRecorder

if TYPE_CHECKING:
    from datetime import datetime
    from uuid import UUID

    from eventsourcing.persistence import Tracking

APPLICATION_NAME = "OrganizationRegistry"
REMOTE_POLL_SECONDS = 0.005
LOCAL_POLL_SECONDS = 0.1


@dataclass(frozen=True)
class ListQuery:
    limit: int = 20
    status: str | None = None
    """``None`` lists every organization that is not archived."""
    q: str | None = None
    """Case-insensitive prefix of the name or the slug."""
    external_id: str | None = None
    after: tuple[datetime, UUID] | None = None
    """Keyset cursor: list what comes after this (created_at, id), newest first."""


@dataclass(frozen=True)
class KeyCredential:
    """What a request's key check needs: the key's state and its organization's status."""

    key_id: UUID
    organization_id: UUID
    secret_hash: str
    expires_at: datetime | None
    revoked_at: datetime | None
    organization_status: str


class PositionSignal:
    """Wakes requests waiting for the read model to reach a position.

    While the projection runs in this process (``local``), it wakes waiters the moment it
    commits. Otherwise one waiter at a time reads the tracking position from the database,
    at most every ``REMOTE_POLL_SECONDS``, and wakes the others; so many waiting requests
    cost one small query per interval, not one each.
    """

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._position = 0
        self._polling = threading.Lock()
        self._last_poll = 0.0
        self.local = False

    def advanced(self, position: int) -> None:
        with self._condition:
            if position > self._position:
                self._position = position
                self._condition.notify_all()

    def wait(self, position: int, timeout: float, read_position: Any) -> bool:
        deadline = time.monotonic() + timeout
        while self._position < position:
            interval = LOCAL_POLL_SECONDS if self.local else REMOTE_POLL_SECONDS
            self._poll(read_position, interval)
            remaining = deadline - time.monotonic()
            if self._position >= position or remaining <= 0:
                break
            with self._condition:
                self._condition.wait_for(
                    lambda: self._position >= position, min(remaining, interval)
                )
        return self._position >= position

    def _poll(self, read_position: Any, interval: float) -> None:
        if time.monotonic() - self._last_poll < interval or not self._polling.acquire(False):
            return
        try:
            self._last_poll = time.monotonic()
            self.advanced(read_position() or 0)
        finally:
            self._polling.release()


class OrganizationLookupView(TrackingRecorder, ABC):
    """Organizations by id, slug and external id; listing; slug availability; API keys by
    the hash of their secret."""

    table = "organization_lookup"
    keys_table = "organization_api_keys"
    position_signal: PositionSignal

    @abstractmethod
    def insert_organization(self, details: dict[str, Any], tracking: Tracking) -> None:
        """Add a new organization's row and record ``tracking``, in one transaction."""

    @abstractmethod
    def update_organization(
        self,
        org_id: UUID,
        changes: dict[str, Any],
        version: int,
        updated_at: datetime,
        tracking: Tracking,
    ) -> None:
        """Apply ``changes`` to an organization's row and record ``tracking``, atomically."""

    @abstractmethod
    def add_api_key(
        self,
        org_id: UUID,
        key: dict[str, Any],
        version: int,
        updated_at: datetime,
        tracking: Tracking,
    ) -> None:
        """Add an organization's new key, move its row to ``version``, record ``tracking``."""

    @abstractmethod
    def revoke_api_key(
        self,
        org_id: UUID,
        key_id: UUID,
        version: int,
        revoked_at: datetime,
        tracking: Tracking,
    ) -> None:
        """Mark a key revoked, move its organization to ``version``, record ``tracking``."""

    @abstractmethod
    def list_api_keys(self, org_id: UUID) -> list[dict[str, Any]]:
        """An organization's keys, oldest first, without their hashes."""

    @abstractmethod
    def find_api_key(self, secret_hash: str) -> KeyCredential | None:
        """The key with this hash (one indexed read), or ``None``."""

    @abstractmethod
    def get_organization(self, org_id: UUID) -> dict[str, Any] | None:
        """The organization with this id, or ``None``."""

    @abstractmethod
    def find_organization(
        self, *, slug: str | None = None, external_id: str | None = None
    ) -> dict[str, Any] | None:
        """The organization holding this slug or external id, or ``None``."""

    @abstractmethod
    def list_organizations(self, query: ListQuery) -> list[dict[str, Any]]:
        """A page of organizations, newest first."""

    def track(self, tracking: Tracking) -> None:
        """Record a position whose event changes no row."""
        self.insert_tracking(tracking)
        self.position_signal.advanced(tracking.notification_id)

    def position(self) -> int:
        return self.max_tracking_id(APPLICATION_NAME) or 0

    def wait_for_position(self, position: int, timeout: float) -> bool:
        """Block until the read model includes ``position``; ``False`` on timeout."""
        return self.position_signal.wait(position, timeout, self.position)

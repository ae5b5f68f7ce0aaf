"""The read model's interface, shared by its SQLite and PostgreSQL implementations.

One projection keeps three tables in step, each event in one transaction with its tracking
position: organizations (lookup and listing), their API keys, and their history (audit,
time index and change feed).
"""

from __future__ import annotations

import threading
import time
from abc import ABC, abstractmethod
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from eventsourcing.persistence import IntegrityError, Tracking, TrackingRecorder

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator
    from datetime import datetime
    from uuid import UUID

    from projections.cache import ReadCache

APPLICATION_NAME = "OrganizationRegistry"
NEXT_SUFFIX, OLD_SUFFIX, SCRATCH_SUFFIX = "__next", "__old", "__verify"
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


@dataclass(slots=True)
class HistoryEntry:
    """One organization event as its audit history shows it. (Not frozen: a rebuild makes
    one per event, and a frozen dataclass takes more than twice as long to make.)"""

    position: int
    """The event's position in the event store: the change feed's order."""
    organization_id: UUID
    version: int
    type: str
    occurred_at: datetime
    actor: dict[str, Any]
    request_id: str | None
    reason: str | None
    changes: dict[str, dict[str, Any]] = field(default_factory=dict)
    """``{path: {"from": old, "to": new}}``; for the organization's own fields the read
    model works it out from the row it updates."""


@dataclass(frozen=True)
class HistoryQuery:
    organization_id: UUID
    limit: int = 20
    after_version: int | None = None
    """Keyset cursor: the last version of the previous page."""
    descending: bool = False
    types: tuple[str, ...] = ()
    since: datetime | None = None
    until: datetime | None = None


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

    @property
    def position(self) -> int:
        """The highest position this process has seen the read model reach."""
        return self._position

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
    the hash of their secret; every organization's history, and the change feed."""

    table = "organization_lookup"
    keys_table = "organization_api_keys"
    history_table = "organization_history"
    suffix = ""
    position_signal: PositionSignal
    cache: ReadCache
    """Organizations by id and slug, kept exact by this process's projector (if it runs
    here); see ``projections.cache``."""
    datastore: Any
    _batch: Any = None
    """The open batch's cursor, while a batch is open."""

    def _name_tables(self, suffix: str) -> None:
        """Name this copy's tables: the live copy has no suffix; a rebuild builds its new
        copy beside it under ``__next``."""
        self.suffix = suffix
        self.table = OrganizationLookupView.table + suffix
        self.keys_table = OrganizationLookupView.keys_table + suffix
        self.history_table = OrganizationLookupView.history_table + suffix

    @property
    def tables(self) -> tuple[str, ...]:
        """Every table of this copy, its tracking table included."""
        return (self.table, self.keys_table, self.history_table, f"{self.table}_tracking")

    def _apply(self, tracking: Tracking, apply: Callable[[Any], None]) -> None:
        """Apply one event's rows and record ``tracking`` in one transaction (or in the
        open batch). An event at or below the recorded position was applied already (by
        a rebuilt copy that was switched in ahead of this projector) and is skipped."""
        if self._batch is not None:
            apply(self._batch)
            return
        try:
            with self.cache.changing(None), self.datastore.transaction(commit=True) as cursor:
                # Tracking first: on SQLite this takes the write lock before anything is
                # read (a transaction that reads first cannot take it after another
                # writer's commit: "database is locked", with no wait).
                self._insert_tracking(cursor, tracking)  # type: ignore[attr-defined]
                apply(cursor)
                self._announce(cursor, tracking.notification_id)
        except IntegrityError:
            if self.position() < tracking.notification_id:
                raise
            return
        self.position_signal.advanced(tracking.notification_id)

    @contextmanager
    def batch(
        self, first: Tracking, last: Tracking, cursor: Any = None, touched: Iterable[UUID] = ()
    ) -> Iterator[None]:
        """Apply many events in one transaction (``cursor``'s, if given, else a new one)
        with tracking written at its start and its end, not once per event. Once it is
        committed, the organizations ``touched`` leave the cache (none is cached meanwhile),
        and then waiting requests are woken."""
        transaction = nullcontext(cursor) if cursor else self.datastore.transaction(commit=True)
        with self.cache.changing(touched), transaction as c:
            self._insert_tracking(c, first)  # type: ignore[attr-defined]
            self._batch = c
            self._batch_started()
            try:
                yield
                self._batch_flush(c)
            finally:
                self._batch = None
            if last.notification_id != first.notification_id:
                self._insert_tracking(c, last)  # type: ignore[attr-defined]
            self._announce(c, last.notification_id)
        self.position_signal.advanced(last.notification_id)

    def _announce(self, cursor: Any, position: int) -> None:
        """Tell other processes, once this transaction commits, that the read model reached
        ``position`` (a store that can: PostgreSQL's NOTIFY)."""

    channel: str | None = None
    """Where ``_announce`` tells it, if anywhere."""

    def _batch_started(self) -> None:
        """A batch begins: a store may gather its writes from here on."""

    def _batch_flush(self, cursor: Any) -> None:
        """Write what the batch gathered, before its transaction commits."""

    @abstractmethod
    def insert_organization(
        self, state: dict[str, Any], entry: HistoryEntry, tracking: Tracking
    ) -> None:
        """Add a new organization's row (``state``: its fields, created at the entry's
        time) and its first history entry, and record ``tracking``, in one transaction."""

    @abstractmethod
    def update_organization(
        self, changes: dict[str, Any], entry: HistoryEntry, tracking: Tracking
    ) -> None:
        """Apply ``changes`` to the entry's organization, add the entry (with what changed,
        from and to) to its history, and record ``tracking``, atomically."""

    @abstractmethod
    def add_api_key(self, key: dict[str, Any], entry: HistoryEntry, tracking: Tracking) -> None:
        """Add an organization's new key, move its row to the entry's version, add the
        entry to its history, and record ``tracking``, atomically."""

    @abstractmethod
    def revoke_api_key(self, key_id: UUID, entry: HistoryEntry, tracking: Tracking) -> None:
        """Mark a key revoked, move its organization to the entry's version, add the entry
        to its history, and record ``tracking``, atomically."""

    @abstractmethod
    def organization_history(self, query: HistoryQuery) -> list[HistoryEntry]:
        """A page of one organization's history, by version."""

    @abstractmethod
    def events_after(
        self, position: int, limit: int, types: tuple[str, ...] = ()
    ) -> list[HistoryEntry]:
        """Every organization's history entries after ``position``, in commit order."""

    @abstractmethod
    def version_at(self, org_id: UUID, moment: datetime) -> int | None:
        """The organization's version at ``moment`` (one index seek: its last event at or
        before ``moment``), or ``None`` if it did not exist yet."""

    @abstractmethod
    def list_api_keys(self, org_id: UUID) -> list[dict[str, Any]]:
        """An organization's keys, oldest first, without their hashes."""

    @abstractmethod
    def find_api_key(self, secret_hash: str) -> KeyCredential | None:
        """The key with this hash (one indexed read), or ``None``."""

    def get_organization(self, org_id: UUID) -> dict[str, Any] | None:
        """The organization with this id, or ``None`` (from the cache when it has it)."""
        found = self.cache.get(org_id)
        if found is None:
            generation = self.cache.generation
            found = self._select_organization(org_id)
            if found is not None:
                self.cache.put(found, generation)
        return found

    def find_organization(
        self, *, slug: str | None = None, external_id: str | None = None
    ) -> dict[str, Any] | None:
        """The organization holding this slug or external id, or ``None`` (by slug, from
        the cache when it has it)."""
        found = None if slug is None else self.cache.get_by_slug(slug)
        if found is None:
            generation = self.cache.generation
            found = self._select_organization_by(slug=slug, external_id=external_id)
            if found is not None:
                self.cache.put(found, generation)
        return found

    @abstractmethod
    def _select_organization(self, org_id: UUID) -> dict[str, Any] | None:
        """The organization with this id, from the store."""

    @abstractmethod
    def _select_organization_by(
        self, *, slug: str | None = None, external_id: str | None = None
    ) -> dict[str, Any] | None:
        """The organization holding this slug or external id, from the store."""

    @abstractmethod
    def list_organizations(self, query: ListQuery) -> list[dict[str, Any]]:
        """A page of organizations, newest first."""

    @abstractmethod
    def replace_with(
        self, new: OrganizationLookupView, catch_up: Callable[[Any], object], keep_old: bool
    ) -> None:
        """Switch readers to ``new``'s tables in one transaction: hold off this copy's
        projector, run ``catch_up(cursor)`` so ``new`` has every event, then put ``new``'s
        tables under the live names and drop these (or keep them under ``__old``)."""

    versions_table = "read_model_versions"
    mark = "?"

    def _qualified(self, table: str) -> str:
        return table

    def stored_version(self) -> int | None:
        """The schema version the live tables were built with (``None``: not recorded)."""
        return self._number(self.table)

    def record_version(self, version: int) -> None:
        self._record_number(self.table, version)

    def switches(self) -> int:
        """How many times rebuilt tables have been switched in, by any process."""
        return self._number(f"{self.table}:switches") or 0

    def record_switch(self) -> None:
        """Count a switch: processes caching the live tables' rows forget them."""
        self._record_number(f"{self.table}:switches", self.switches() + 1)

    def _number(self, name: str) -> int | None:
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT version FROM {self._qualified(self.versions_table)} "
                f"WHERE name = {self.mark}",
                (name,),
            )
            row = c.fetchone()
        return None if row is None else int(row["version"])

    def _record_number(self, name: str, number: int) -> None:
        m = self.mark
        with self.datastore.transaction(commit=True) as c:
            c.execute(
                f"INSERT INTO {self._qualified(self.versions_table)} (name, version) "
                f"VALUES ({m}, {m}) ON CONFLICT (name) DO UPDATE SET version = excluded.version",
                (name, number),
            )

    status_table = "projection_status"

    def record_status(self, state: str, last_error: str | None) -> None:
        """What the projector of this read model is doing, for ``projections status``."""
        m = self.mark
        with self.datastore.transaction(commit=True) as c:
            c.execute(
                f"INSERT INTO {self._qualified(self.status_table)} (name, state, last_error) "
                f"VALUES ({m}, {m}, {m}) ON CONFLICT (name) DO UPDATE SET state = excluded.state, "
                "last_error = excluded.last_error",
                (self.table, state, last_error),
            )

    def recorded_status(self) -> tuple[str | None, str | None]:
        """The projector's last recorded state and error."""
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT state, last_error FROM {self._qualified(self.status_table)} "
                f"WHERE name = {self.mark}",
                (self.table,),
            )
            row = c.fetchone()
        return (None, None) if row is None else (row["state"], row["last_error"])

    @abstractmethod
    def create_table(self, indexes: bool = True) -> None:
        """Create this copy's tables if they do not exist; with ``indexes=False`` a store
        may leave its secondary indexes to ``create_indexes``."""

    @abstractmethod
    def create_indexes(self) -> None:
        """Create this copy's secondary indexes if they do not exist."""

    @abstractmethod
    def drop(self) -> None:
        """Drop this copy's tables."""

    @abstractmethod
    def rows(self, table: str, order_by: str) -> list[dict[str, Any]]:
        """Every row of one of this copy's tables, for comparisons."""

    def tracked(self) -> dict[str, int]:
        """Every position this copy's tracking table holds, by tracking name."""
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT application_name, notification_id FROM {self._qualified(self.tables[-1])}"
            )
            return {row["application_name"]: int(row["notification_id"]) for row in c.fetchall()}

    def merge_tracking(self, names: Iterable[str], position: int) -> None:
        """Record ``position`` as this copy's position and forget the positions recorded
        under ``names``, in one transaction (several processes filling this copy have
        all reached ``position``)."""
        with self.datastore.transaction(commit=True) as c:
            self._insert_tracking(c, Tracking(APPLICATION_NAME, position))  # type: ignore[attr-defined]
            for name in names:
                c.execute(
                    f"DELETE FROM {self._qualified(self.tables[-1])} "
                    f"WHERE application_name = {self.mark}",
                    (name,),
                )

    def track(self, tracking: Tracking) -> None:
        """Record a position whose event changes no row."""
        self._apply(tracking, lambda _: None)

    def position(self) -> int:
        return self.max_tracking_id(APPLICATION_NAME) or 0

    def wait_for_position(self, position: int, timeout: float) -> bool:
        """Block until the read model includes ``position``; ``False`` on timeout."""
        return self.position_signal.wait(position, timeout, self.position)

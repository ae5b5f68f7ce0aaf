"""Writing batches of row changes with their tracking, the same on every store.

A batch is one transaction: tracking written at its start and at its end, the events'
row changes (``RowChanges``) gathered in between and written by the store before it
commits. Once it is committed, the organizations it touched leave this process's read
cache (nothing is cached meanwhile), and then requests waiting for its position are woken.
Each store's writer only reads documents and writes rows and tracking.
"""

from __future__ import annotations

import copy
import threading
from abc import ABC, abstractmethod
from contextlib import contextmanager, nullcontext
from typing import TYPE_CHECKING, Any

from eventsourcing.persistence import IntegrityError, TrackingRecorder

from projections.cache import ReadCache
from projections.changes import RowChanges
from projections.records import APPLICATION_NAME
from projections.rows import details_of
from projections.signal import PositionSignal
from projections.tables import Tables

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator, Sequence
    from uuid import UUID

    from eventsourcing.persistence import Tracking

    from projections.changes import HistoryRow, KeyRow, OrganizationRow, VersionMove
    from projections.member_rows import MemberRow


class RowWriter(TrackingRecorder, ABC):
    """One copy of the read model's writer: the projection's tracking recorder."""

    tables: Tables
    datastore: Any
    cache: ReadCache
    """Organizations by id and slug, kept exact by this process's projector (if it runs
    here); see ``projections.cache``. Shared with the queries of the same copy."""
    position_signal: PositionSignal
    channel: str | None = None
    """Where ``announce`` tells other processes of new positions, if anywhere."""

    def _init_copy(self, suffix: str) -> None:
        """Name this copy's tables (before the library's recorder is set up: it takes
        the name of the tracking table)."""
        self.tables = Tables(suffix)
        self.cache, self.position_signal = ReadCache(), PositionSignal()
        self._open = threading.local()
        self.inline_commit = threading.Lock()
        """Held from a command's inline rows being written until, committed, its position
        is signalled (``projections.inline``): the follower takes it to learn that
        position before it projects what it read."""

    def position(self) -> int:
        return self.max_tracking_id(APPLICATION_NAME) or 0

    @abstractmethod
    def create_table(self) -> None:
        """Create this copy's tracking table (the library's recorder does)."""

    @property
    def changes(self) -> RowChanges | None:
        """The row changes of the batch open on this thread, while one is open (the
        follower's and a command's inline batch may be open at once, on two threads)."""
        return getattr(self._open, "changes", None)

    @contextmanager
    def batch(
        self,
        first: Tracking,
        last: Tracking,
        cursor: Any = None,
        touched: Iterable[UUID] | None = (),
        members: Iterable[UUID] | None = None,
    ) -> Iterator[RowChanges]:
        """Apply many events in one transaction (``cursor``'s, if given, else a new one):
        what the events change is gathered in the ``RowChanges`` yielded (and in
        ``changes``), and written before it commits. ``touched``: the organizations the
        batch changes (``None``: any); ``members``: those whose members it changes
        (``None``: all it touches)."""
        transaction = nullcontext(cursor) if cursor else self.datastore.transaction(commit=True)
        with self.cache.changing(touched, members) as change:
            with transaction as c, self.rows_in(c, first, last) as changes:
                yield changes
            if cursor is None:  # Committed: the cache keeps what it wrote.
                change.written = list(cached_rows(changes, change.previous))
        self.position_signal.advanced(last.notification_id)

    @contextmanager
    def rows_in(self, cursor: Any, first: Tracking, last: Tracking) -> Iterator[RowChanges]:
        """Within ``cursor``'s transaction: tracking, then the row changes of the events
        projected meanwhile (gathered in the ``RowChanges`` yielded), then the last
        tracking and the announcement of the new position."""
        # Tracking first: on SQLite this takes the write lock before anything is read (a
        # transaction that reads first cannot take it after another writer's commit:
        # "database is locked", with no wait).
        self.track_in(cursor, first)
        with self.gathering(cursor) as changes:
            yield changes
        self.write_rows(cursor, changes, last, tracked=first)

    @contextmanager
    def gathering(self, cursor: Any) -> Iterator[RowChanges]:
        """The ``RowChanges`` of the events projected meanwhile on this thread (documents
        read in ``cursor``'s transaction); nothing is written."""
        changes = self._open.changes = RowChanges(lambda org_id: self.read_document(cursor, org_id))
        try:
            yield changes
        finally:
            self._open.changes = None

    def write_rows(
        self, cursor: Any, changes: RowChanges, last: Tracking, tracked: Tracking | None = None
    ) -> None:
        """Write gathered ``changes`` and their tracking (up to ``last``; ``tracked``: the
        first tracking, if written already) in ``cursor``'s transaction, and announce it."""
        self.write(cursor, changes)
        if tracked is None or last.notification_id != tracked.notification_id:
            self.track_in(cursor, last)
        self.announce(cursor, last.notification_id)

    def apply_one(self, tracking: Tracking, apply: Callable[[], object]) -> None:
        """Apply one event (``apply`` projects it) in a transaction of its own. An event at
        or below the recorded position was applied already (by a rebuilt copy that was
        switched in ahead of this projector) and is skipped."""
        try:
            with self.batch(tracking, tracking, touched=None):
                apply()
        except IntegrityError:
            if self.position() < tracking.notification_id:
                raise

    def track_in(self, cursor: Any, tracking: Tracking) -> None:
        """Record ``tracking`` in ``cursor``'s transaction (the library's statement)."""
        self._insert_tracking(cursor, tracking)  # type: ignore[attr-defined]

    def write(self, cursor: Any, changes: RowChanges) -> None:
        """Write a batch's row changes, table by table (only what it changed)."""
        if new := list(changes.new_organizations()):
            self.insert_organizations(cursor, new)
        if changed := list(changes.changed_organizations()):
            self.update_organizations(cursor, changed)
        if changes.moves:
            self.move_organizations(cursor, list(changes.moves.values()))
        if changes.keys_added:
            self.insert_keys(cursor, changes.keys_added)
        if changes.keys_revoked:
            self.revoke_keys(cursor, changes.keys_revoked)
        if changes.history:
            self.insert_history(cursor, changes.history)
        if new_members := list(changes.new_members()):
            self.insert_members(cursor, new_members)
        if changed_members := list(changes.changed_members()):
            self.update_members(cursor, changed_members)

    def announce(self, cursor: Any, position: int) -> None:
        """Tell other processes, once this transaction commits, that the read model reached
        ``position`` (a store that can: PostgreSQL's NOTIFY)."""

    @abstractmethod
    def behind(self, cursor: Any, position: int, events_table: str, topics: Sequence[str]) -> bool:
        """Whether the store holds events of ``topics`` before ``position`` that this copy
        does not include (in ``cursor``'s transaction)."""

    @abstractmethod
    def read_document(self, cursor: Any, org_id: UUID) -> dict[str, Any] | None:
        """The organization's document, or ``None`` if it has no row (locked for the rest
        of the transaction, where a store can)."""

    @abstractmethod
    def insert_organizations(self, cursor: Any, rows: list[OrganizationRow]) -> None:
        """Insert new organizations' rows."""

    @abstractmethod
    def update_organizations(self, cursor: Any, rows: list[OrganizationRow]) -> None:
        """Replace changed organizations' documents, derived columns, version and time."""

    @abstractmethod
    def move_organizations(self, cursor: Any, moves: list[VersionMove]) -> None:
        """Set organizations' version and time, their documents unchanged."""

    @abstractmethod
    def insert_keys(self, cursor: Any, rows: list[KeyRow]) -> None:
        """Insert new API keys."""

    @abstractmethod
    def revoke_keys(self, cursor: Any, revocations: list[tuple[Any, UUID]]) -> None:
        """Mark keys revoked: (revoked at, key id)."""

    @abstractmethod
    def insert_history(self, cursor: Any, rows: list[HistoryRow]) -> None:
        """Append history rows."""

    @abstractmethod
    def insert_members(self, cursor: Any, rows: list[MemberRow]) -> None:
        """Insert new memberships' rows."""

    @abstractmethod
    def update_members(self, cursor: Any, rows: list[MemberRow]) -> None:
        """Replace changed memberships' documents, derived columns and time."""


def cached_rows(
    changes: RowChanges, previous: dict[UUID, dict[str, Any]]
) -> Iterator[dict[str, Any]]:
    """The organizations' rows as a committed batch left them, as a read of the store
    gives them, where they are known without one: new rows, and changed rows whose
    creation time the cache held."""
    for row in changes.organizations.values():
        created_at = row.created_at if row.new else previous.get(row.id, {}).get("created_at")
        if created_at is not None:
            yield details_of(
                row.id, copy.deepcopy(row.doc), row.version, created_at, row.updated_at
            )
    for move in changes.moves.values():
        if (before := previous.get(move.id)) is not None:
            yield {**before, "version": move.version, "updated_at": move.updated_at}

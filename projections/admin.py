"""Administration of one copy of the read model: its schema, the version of the code that
built it, its projector's state, the switch that puts a rebuilt copy in its place, and
what verification compares.

Each store's administration creates, drops and switches tables; the bookkeeping rows are
kept the same way on every store (``projections.bookkeeping``).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Any

from eventsourcing.persistence import Tracking

from projections.bookkeeping import Bookkeeping
from projections.records import APPLICATION_NAME

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from projections.writer import RowWriter


class ReadModelAdmin(ABC):
    mark: str
    """The store's placeholder in statements."""

    def __init__(self, writer: RowWriter) -> None:
        """``writer``: the copy's writer, whose recorder created (and knows) its tracking
        table."""
        self.writer = writer
        self.tables = writer.tables
        self.datastore = writer.datastore
        self.bookkeeping = Bookkeeping(self.datastore, self.mark, self.qualified)

    def qualified(self, table: str) -> str:
        """A table's name as a statement writes it."""
        return table

    @abstractmethod
    def create_table(self, indexes: bool = True) -> None:
        """Create this copy's tables if they do not exist (its tracking table through its
        writer); with ``indexes=False`` a store may leave its secondary indexes to
        ``create_indexes``."""

    @abstractmethod
    def create_indexes(self) -> None:
        """Create this copy's secondary indexes if they do not exist."""

    @abstractmethod
    def drop(self) -> None:
        """Drop this copy's tables."""

    @abstractmethod
    def replace_with(
        self, new: ReadModelAdmin, catch_up: Callable[[Any], object], keep_old: bool
    ) -> None:
        """Switch readers to ``new``'s tables in one transaction: hold off this copy's
        projector, run ``catch_up(cursor)`` so ``new`` has every event, then put ``new``'s
        tables under the live names and drop these (or keep them under ``__old``)."""

    @abstractmethod
    def rows(self, table: str, order_by: str) -> list[dict[str, Any]]:
        """Every row of one of this copy's tables, for comparisons."""

    def stored_version(self) -> int | None:
        """The schema version the tables were built with (``None``: not recorded)."""
        return self.bookkeeping.number(self.tables.organizations)

    def record_version(self, version: int) -> None:
        self.bookkeeping.record_number(self.tables.organizations, version)

    def switches(self) -> int:
        """How many times rebuilt tables have been switched in, by any process."""
        return self.bookkeeping.number(f"{self.tables.organizations}:switches") or 0

    def record_switch(self) -> None:
        """Count a switch: processes caching the live tables' rows forget them."""
        name = f"{self.tables.organizations}:switches"
        self.bookkeeping.record_number(name, self.switches() + 1)

    def record_status(self, state: str, last_error: str | None) -> None:
        """What the projector of this read model is doing, for ``projections status``."""
        self.bookkeeping.record_status(self.tables.organizations, state, last_error)

    def recorded_status(self) -> tuple[str | None, str | None]:
        """The projector's last recorded state and error."""
        return self.bookkeeping.recorded_status(self.tables.organizations)

    def tracked(self) -> dict[str, int]:
        """Every position this copy's tracking table holds, by tracking name."""
        return self.bookkeeping.tracked(self.tables.tracking)

    def merge_tracking(self, names: Iterable[str], position: int) -> None:
        """Record ``position`` as this copy's position and forget the positions recorded
        under ``names``, in one transaction (several processes filling this copy have
        all reached ``position``)."""
        with self.datastore.transaction(commit=True) as c:
            self.writer.track_in(c, Tracking(APPLICATION_NAME, position))
            self.bookkeeping.forget_tracking(c, self.tables.tracking, names)

"""One copy of the read model: the writer its projection writes through, the queries that
read it, and its administration, sharing one read cache and one position signal."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from projections.admin import ReadModelAdmin
    from projections.cache import ReadCache
    from projections.queries import OrganizationQueries
    from projections.signal import PositionSignal
    from projections.tables import Tables
    from projections.writer import RowWriter


@dataclass(frozen=True)
class ReadModel:
    writer: RowWriter
    queries: OrganizationQueries
    admin: ReadModelAdmin

    @property
    def tables(self) -> Tables:
        return self.writer.tables

    @property
    def datastore(self) -> Any:
        return self.writer.datastore

    @property
    def cache(self) -> ReadCache:
        return self.writer.cache

    @property
    def position_signal(self) -> PositionSignal:
        return self.writer.position_signal

    def position(self) -> int:
        """The position of the last event this copy includes."""
        return self.writer.position()

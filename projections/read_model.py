"""One copy of the read model: the writer its projection writes through, the queries that
read it, and its administration, sharing one read cache and one position signal."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from projections.admin import ReadModelAdmin
    from projections.cache import ReadCache
    from projections.queries import ReadModelQueries
    from projections.signal import PositionSignal
    from projections.tables import Tables
    from projections.writer import RowWriter


@dataclass(frozen=True)
class ReadModel:
    writer: RowWriter
    queries: ReadModelQueries
    admin: ReadModelAdmin
    tables: Tables
    datastore: Any
    cache: ReadCache
    """This process's cache of the copy's organizations (see ``projections.cache``)."""
    position_signal: PositionSignal
    """Wakes requests waiting for the copy to reach a position."""

    def position(self) -> int:
        """The position of the last event this copy includes."""
        return self.writer.position()

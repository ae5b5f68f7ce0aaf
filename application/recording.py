"""Recorders of the event store that let the read model's rows be written in the events'
own transaction (``projections.inline``), once the events' positions are known.

``insert_events`` takes an ``inline`` callable: it is called in the transaction, after the
events are inserted, with the cursor and their positions. If it raises, the transaction is
rolled back and ``InlineWriteError`` raised: the events are then recorded again without it
(the follower projects them), so a read model's fault never refuses a command.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol, TypeAlias

from eventsourcing.persistence import InterfaceError, OperationalError
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder
from eventsourcing.utils import retry

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from contextlib import AbstractContextManager

    from eventsourcing.persistence import StoredEvent
    from eventsourcing.sqlite import SQLiteCursor

    Inline: TypeAlias = Callable[[Any, Sequence[int], Sequence[StoredEvent]], None]
    """Writes rows in the events' transaction: called with its cursor, the events'
    positions and the events as stored."""


class InlineWriteError(Exception):
    """Rows to be written with a command's events could not be: nothing was recorded."""


class InlineRows(Protocol):
    def around(self, events: Sequence[Any]) -> AbstractContextManager[Inline | None]:
        """Around recording ``events``: what writes their rows in the recording
        transaction, if anything is to."""


def _call(
    inline: Inline,
    cursor: Any,
    ids: Sequence[int],
    stored_events: Sequence[StoredEvent],
    sync: Callable[[], object] | None = None,
) -> None:
    """``inline``, its failures raised as ``InlineWriteError`` (after ``sync``, what its
    statements raise has been raised)."""
    try:
        inline(cursor, ids, stored_events)
        if sync is not None:
            sync()
    except Exception as error:
        raise InlineWriteError(f"{type(error).__name__}: {error}") from error


class InlinePostgresRecorder(PostgresApplicationRecorder):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.backend_pids: set[int] = set()
        """The server processes of the connections this recorder has written through: the
        NOTIFYs they send are this process's own."""

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        inline = kwargs.pop("inline", None)
        ids: Sequence[int] | None
        if not stored_events or self.datastore.enable_db_functions:
            ids = super().insert_events(stored_events, **kwargs)
        else:
            ids = self._insert_with(inline, stored_events)
        return ids

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def _insert_with(
        self,
        inline: Inline | None,
        stored_events: Sequence[StoredEvent],
    ) -> Sequence[int] | None:
        """The library's ``insert_events`` (in pipeline mode), with ``inline`` called before
        it commits; its statements are synced within the call, so that what they raise is
        raised as ``InlineWriteError``, the events' transaction rolled back."""
        error: Exception | None = None
        with self.datastore.get_connection() as conn:
            self.backend_pids.add(conn.info.backend_pid)
            with conn.pipeline() as pipeline:
                try:
                    with conn.transaction(), conn.cursor() as curs:
                        self._insert_stored_events(curs, stored_events)
                        pipeline.sync()  # A clash is raised here, as the library raises it.
                        ids = self._fetch_ids_after_insert_events(curs, stored_events)
                        if inline is not None and ids:
                            _call(inline, curs, ids, stored_events, pipeline.sync)
                except Exception as e:  # Raised once the pipeline is closed, as the library does.
                    error = e
            if error is not None:
                raise error
        return ids


class InlineSQLiteRecorder(SQLiteApplicationRecorder):
    def _insert_events(
        self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        inline = kwargs.pop("inline", None)
        ids = super()._insert_events(c, stored_events, **kwargs)
        if inline is not None and ids:
            _call(inline, c, ids, stored_events)
        return ids

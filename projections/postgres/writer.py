"""Writing the read model's rows and tracking in PostgreSQL: a batch's new rows and its
history each in one binary ``COPY``, its changed rows in one ``executemany``, and the new
position announced (``pg_notify``) in the same transaction."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from eventsourcing.postgres import PostgresTrackingRecorder
from psycopg.types.json import set_json_dumps

from projections.postgres.sql import (
    HISTORY_TYPES,
    MEMBER_TYPES,
    ROW_TYPES,
    Statements,
    dumps,
    json_value,
)
from projections.records import APPLICATION_NAME
from projections.writer import RowWriter

if TYPE_CHECKING:
    from collections.abc import Sequence
    from uuid import UUID

    from eventsourcing.postgres import PostgresDatastore
    from psycopg import Cursor
    from psycopg.rows import DictRow

    from projections.changes import HistoryRow, KeyRow, OrganizationRow, VersionMove
    from projections.member_rows import MemberRow

FEW_ROWS = 8
"""Up to this many rows are inserted with ``INSERT``, more with ``COPY``."""


class PostgresRowWriter(PostgresTrackingRecorder, RowWriter):
    def __init__(self, datastore: PostgresDatastore, suffix: str = "", **kwargs: Any) -> None:
        self._init_copy(suffix)
        kwargs.setdefault("tracking_table_name", self.tables.tracking)
        super().__init__(datastore, **kwargs)
        self.channel = f"{self.datastore.schema or 'public'}.{self.tables.organizations}"[-63:]
        self.check_identifier_length(self.channel)
        sql = self._sql = Statements(self.datastore.schema, self.tables)
        self._behind: dict[str, str] = {}
        self._lock_tracking = sql.query("LOCK TABLE {schema}.{tracking} IN ROW EXCLUSIVE MODE")
        self.select_doc = sql.query("SELECT doc FROM {schema}.{table} WHERE id = %s FOR UPDATE")
        self.copy_rows = sql.query("COPY {schema}.{table} ({columns}) FROM STDIN (FORMAT BINARY)")
        self.insert_rows = sql.query(_insert("table", "columns", ROW_TYPES))
        self.insert_history_rows = sql.query(_insert("history", "history_columns", HISTORY_TYPES))
        self.insert_member_rows = sql.query(_insert("members", "member_columns", MEMBER_TYPES))
        self.update_rows = sql.query(
            "UPDATE {schema}.{table} SET slug = %s, external_id = %s, name_folded = %s, "
            "status = %s, version = %s, updated_at = %s, doc = %s WHERE id = %s"
        )
        self.move_rows = sql.query(
            "UPDATE {schema}.{table} SET version = %s, updated_at = %s WHERE id = %s"
        )
        self.insert_key = sql.query(
            "INSERT INTO {schema}.{keys} ({key_columns}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
        )
        self.revoke_key = sql.query("UPDATE {schema}.{keys} SET revoked_at = %s WHERE id = %s")
        self.copy_history = sql.query(
            "COPY {schema}.{history} ({history_columns}) FROM STDIN (FORMAT BINARY)"
        )

        self.copy_members = sql.query(
            "COPY {schema}.{members} ({member_columns}) FROM STDIN (FORMAT BINARY)"
        )
        self.update_member_rows = sql.query(
            "UPDATE {schema}.{members} SET user_id = %s, email_folded = %s, status = %s, "
            "roles = %s, updated_at = %s, doc = %s WHERE id = %s"
        )

    def behind(
        self, cursor: Cursor[DictRow], position: int, events_table: str, topics: Sequence[str]
    ) -> bool:
        statement = self._behind.get(events_table)
        if statement is None:
            statement = self._behind[events_table] = self._sql.compose(
                "SELECT EXISTS (SELECT FROM {schema}.{events} WHERE notification_id > "
                "COALESCE((SELECT max(notification_id) FROM {schema}.{tracking} "
                "WHERE application_name = %s), 0) AND notification_id < %s "
                "AND topic = ANY(%s)) AS behind",
                events=events_table,
            ).as_string(None)
        # A rebuild's switch holds the tracking table (EXCLUSIVE) until its tables are the
        # live ones: the lock a write takes is taken first, so that this waits for the
        # switch before reading anything of the copy it replaces (reading first, then
        # writing, would deadlock with it).
        cursor.execute(self._lock_tracking)
        cursor.execute(statement, (APPLICATION_NAME, position, list(topics)), prepare=True)
        row = cursor.fetchone()
        return bool(row and row["behind"])

    def read_document(self, cursor: Cursor[DictRow], org_id: UUID) -> dict[str, Any] | None:
        cursor.execute(self.select_doc, (org_id,), prepare=True)
        row = cursor.fetchone()
        return None if row is None else row["doc"]

    def insert_organizations(self, cursor: Cursor[DictRow], rows: list[OrganizationRow]) -> None:
        self._copy(
            cursor,
            (self.copy_rows, self.insert_rows),
            ROW_TYPES,
            [(r.id, *r.indexed(), r.version, r.created_at, r.updated_at, r.doc) for r in rows],
        )

    def update_organizations(self, cursor: Cursor[DictRow], rows: list[OrganizationRow]) -> None:
        cursor.executemany(
            self.update_rows,
            [(*r.indexed(), r.version, r.updated_at, json_value(r.doc), r.id) for r in rows],
        )

    def move_organizations(self, cursor: Cursor[DictRow], moves: list[VersionMove]) -> None:
        cursor.executemany(self.move_rows, [(m.version, m.updated_at, m.id) for m in moves])

    def insert_keys(self, cursor: Cursor[DictRow], rows: list[KeyRow]) -> None:
        cursor.executemany(self.insert_key, rows)

    def revoke_keys(self, cursor: Cursor[DictRow], revocations: list[tuple[Any, UUID]]) -> None:
        cursor.executemany(self.revoke_key, revocations)

    def insert_history(self, cursor: Cursor[DictRow], rows: list[HistoryRow]) -> None:
        self._copy(cursor, (self.copy_history, self.insert_history_rows), HISTORY_TYPES, rows)

    def insert_members(self, cursor: Cursor[DictRow], rows: list[MemberRow]) -> None:
        self._copy(
            cursor,
            (self.copy_members, self.insert_member_rows),
            MEMBER_TYPES,
            [
                (r.id, r.organization_id, *r.indexed(), r.created_at, r.updated_at, r.doc)
                for r in rows
            ],
        )

    def update_members(self, cursor: Cursor[DictRow], rows: list[MemberRow]) -> None:
        cursor.executemany(
            self.update_member_rows,
            [(*r.indexed(), r.updated_at, json_value(r.doc), r.id) for r in rows],
        )

    @staticmethod
    def _copy(
        cursor: Cursor[DictRow],
        statements: tuple[str, str],
        types: tuple[str, ...],
        rows: list[Any],
    ) -> None:
        """Rows in one binary ``COPY``; their ``json`` values are plain objects, so the
        cursor is told how to encode them. A few rows (a lone command's: ``COPY`` costs
        more to set up than it saves), or in pipeline mode, where ``COPY`` cannot run, in one
        ``executemany``."""
        copy_statement, insert_statement = statements
        if len(rows) <= FEW_ROWS or cursor.connection.pgconn.pipeline_status:
            json_columns = [i for i, kind in enumerate(types) if kind == "json"]
            cursor.executemany(insert_statement, [_with_json(r, json_columns) for r in rows])
            return
        set_json_dumps(dumps, cursor)
        with cursor.copy(copy_statement) as copy:
            copy.set_types(types)
            for row in rows:
                copy.write_row(row)

    def announce(self, cursor: Any, position: int) -> None:
        cursor.execute("SELECT pg_notify(%s, %s)", (self.channel, str(position)), prepare=True)


def _insert(table: str, columns: str, types: tuple[str, ...]) -> str:
    """An ``INSERT`` of one row into a table of ``Statements``, for when ``COPY`` is not."""
    marks = ", ".join(["%s"] * len(types))
    return f"INSERT INTO {{schema}}.{{{table}}} ({{{columns}}}) VALUES ({marks})"


def _with_json(row: tuple[Any, ...], json_columns: list[int]) -> list[Any]:
    values = list(row)
    for i in json_columns:
        values[i] = json_value(values[i])
    return values

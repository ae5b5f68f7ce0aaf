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
from projections.writer import RowWriter

if TYPE_CHECKING:
    from uuid import UUID

    from eventsourcing.postgres import PostgresDatastore
    from psycopg import Cursor
    from psycopg.rows import DictRow

    from projections.changes import HistoryRow, KeyRow, OrganizationRow, VersionMove
    from projections.member_rows import MemberRow


class PostgresRowWriter(PostgresTrackingRecorder, RowWriter):
    def __init__(self, datastore: PostgresDatastore, suffix: str = "", **kwargs: Any) -> None:
        self._init_copy(suffix)
        kwargs.setdefault("tracking_table_name", self.tables.tracking)
        super().__init__(datastore, **kwargs)
        self.channel = f"{self.datastore.schema or 'public'}.{self.tables.organizations}"[-63:]
        self.check_identifier_length(self.channel)
        sql = Statements(self.datastore.schema, self.tables)
        self.select_doc = sql.query("SELECT doc FROM {schema}.{table} WHERE id = %s FOR UPDATE")
        self.copy_rows = sql.query("COPY {schema}.{table} ({columns}) FROM STDIN (FORMAT BINARY)")
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

    def read_document(self, cursor: Cursor[DictRow], org_id: UUID) -> dict[str, Any] | None:
        cursor.execute(self.select_doc, (org_id,), prepare=True)
        row = cursor.fetchone()
        return None if row is None else row["doc"]

    def insert_organizations(self, cursor: Cursor[DictRow], rows: list[OrganizationRow]) -> None:
        self._copy(
            cursor,
            self.copy_rows,
            ROW_TYPES,
            [(r.id, *r.indexed(), r.version, r.created_at, r.updated_at, r.doc) for r in rows],
        )

    def update_organizations(self, cursor: Cursor[DictRow], rows: list[OrganizationRow]) -> int:
        cursor.executemany(
            self.update_rows,
            [(*r.indexed(), r.version, r.updated_at, json_value(r.doc), r.id) for r in rows],
        )
        return int(cursor.rowcount)

    def move_organizations(self, cursor: Cursor[DictRow], moves: list[VersionMove]) -> None:
        cursor.executemany(self.move_rows, [(m.version, m.updated_at, m.id) for m in moves])

    def insert_keys(self, cursor: Cursor[DictRow], rows: list[KeyRow]) -> None:
        cursor.executemany(self.insert_key, rows)

    def revoke_keys(self, cursor: Cursor[DictRow], revocations: list[tuple[Any, UUID]]) -> None:
        cursor.executemany(self.revoke_key, revocations)

    def insert_history(self, cursor: Cursor[DictRow], rows: list[HistoryRow]) -> None:
        self._copy(cursor, self.copy_history, HISTORY_TYPES, rows)

    def insert_members(self, cursor: Cursor[DictRow], rows: list[MemberRow]) -> None:
        self._copy(
            cursor,
            self.copy_members,
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
        cursor: Cursor[DictRow], statement: str, types: tuple[str, ...], rows: list[Any]
    ) -> None:
        """Rows in one binary ``COPY``; their ``json`` values are plain objects, so the
        cursor is told how to encode them."""
        set_json_dumps(dumps, cursor)
        with cursor.copy(statement) as copy:
            copy.set_types(types)
            for row in rows:
                copy.write_row(row)

    def announce(self, cursor: Any, position: int) -> None:
        cursor.execute("SELECT pg_notify(%s, %s)", (self.channel, str(position)), prepare=True)

"""Writing the read model's rows and tracking in SQLite."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from eventsourcing.sqlite import SQLiteTrackingRecorder

from projections.member_rows import MEMBER_COLUMNS
from projections.records import APPLICATION_NAME
from projections.rows import HISTORY_COLUMNS, KEY_COLUMNS, ORGANIZATION_COLUMNS
from projections.sqlite.columns import as_text, optional_text
from projections.writer import RowWriter

if TYPE_CHECKING:
    from collections.abc import Sequence
    from uuid import UUID

    from eventsourcing.sqlite import SQLiteCursor, SQLiteDatastore

    from projections.changes import HistoryRow, KeyRow, OrganizationRow, VersionMove
    from projections.member_rows import MemberRow


class SQLiteRowWriter(SQLiteTrackingRecorder, RowWriter):
    def __init__(self, datastore: SQLiteDatastore, suffix: str = "", **kwargs: Any) -> None:
        self._init_copy(suffix)
        super().__init__(datastore, **kwargs)
        # Each read model keeps its own tracking table, so several can share one file.
        self.insert_tracking_statement = self._own_tracking(self.insert_tracking_statement)
        self.select_max_tracking_id_statement = self._own_tracking(
            self.select_max_tracking_id_statement
        )

    def _own_tracking(self, statement: str) -> str:
        return re.sub(r"\btracking\b", self.tables.tracking, statement)

    def construct_create_table_statements(self) -> list[str]:
        return [self._own_tracking(s) for s in super().construct_create_table_statements()]

    def behind(
        self, cursor: SQLiteCursor, position: int, events_table: str, topics: Sequence[str]
    ) -> bool:
        marks = ", ".join("?" * len(topics))
        cursor.execute(
            f"SELECT EXISTS (SELECT 1 FROM {events_table} WHERE rowid > "
            f"COALESCE((SELECT max(notification_id) FROM {self.tables.tracking} "
            f"WHERE application_name = ?), 0) AND rowid < ? AND topic IN ({marks})) AS behind",
            (APPLICATION_NAME, position, *topics),
        )
        row = cursor.fetchone()
        return bool(row and row["behind"])

    def read_document(self, cursor: SQLiteCursor, org_id: UUID) -> dict[str, Any] | None:
        cursor.execute(f"SELECT doc FROM {self.tables.organizations} WHERE id = ?", (str(org_id),))
        row = cursor.fetchone()
        return None if row is None else json.loads(row["doc"])

    def insert_organizations(self, cursor: SQLiteCursor, rows: list[OrganizationRow]) -> None:
        cursor.executemany(
            f"INSERT INTO {self.tables.organizations} ({ORGANIZATION_COLUMNS}) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    str(r.id),
                    *r.indexed(),
                    r.version,
                    optional_text(r.created_at),
                    as_text(r.updated_at),
                    json.dumps(r.doc),
                )
                for r in rows
            ],
        )

    def update_organizations(self, cursor: SQLiteCursor, rows: list[OrganizationRow]) -> None:
        cursor.executemany(
            f"UPDATE {self.tables.organizations} SET slug = ?, external_id = ?, "
            "name_folded = ?, status = ?, version = ?, updated_at = ?, doc = ? WHERE id = ?",
            [
                (*r.indexed(), r.version, as_text(r.updated_at), json.dumps(r.doc), str(r.id))
                for r in rows
            ],
        )

    def move_organizations(self, cursor: SQLiteCursor, moves: list[VersionMove]) -> None:
        cursor.executemany(
            f"UPDATE {self.tables.organizations} SET version = ?, updated_at = ? WHERE id = ?",
            [(m.version, as_text(m.updated_at), str(m.id)) for m in moves],
        )

    def insert_keys(self, cursor: SQLiteCursor, rows: list[KeyRow]) -> None:
        cursor.executemany(
            f"INSERT INTO {self.tables.keys} ({KEY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (str(k), str(o), h, n, p, as_text(c), optional_text(e), optional_text(r))
                for k, o, h, n, p, c, e, r in rows
            ],
        )

    def revoke_keys(self, cursor: SQLiteCursor, revocations: list[tuple[Any, UUID]]) -> None:
        cursor.executemany(
            f"UPDATE {self.tables.keys} SET revoked_at = ? WHERE id = ?",
            [(as_text(at), str(key_id)) for at, key_id in revocations],
        )

    def insert_history(self, cursor: SQLiteCursor, rows: list[HistoryRow]) -> None:
        cursor.executemany(
            f"INSERT INTO {self.tables.history} ({HISTORY_COLUMNS}) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (pos, str(o), v, t, as_text(at), json.dumps(who), rid, why, json.dumps(ch), reg)
                for pos, o, v, t, at, who, rid, why, ch, reg in rows
            ],
        )

    def insert_members(self, cursor: SQLiteCursor, rows: list[MemberRow]) -> None:
        cursor.executemany(
            f"INSERT INTO {self.tables.members} ({MEMBER_COLUMNS}) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    str(r.id),
                    str(r.organization_id),
                    *r.indexed(),
                    optional_text(r.created_at),
                    as_text(r.updated_at),
                    json.dumps(r.doc),
                )
                for r in rows
            ],
        )

    def update_members(self, cursor: SQLiteCursor, rows: list[MemberRow]) -> None:
        cursor.executemany(
            f"UPDATE {self.tables.members} SET user_id = ?, email_folded = ?, status = ?, "
            "roles = ?, updated_at = ?, doc = ? WHERE id = ?",
            [(*r.indexed(), as_text(r.updated_at), json.dumps(r.doc), str(r.id)) for r in rows],
        )

"""The read model's queries in PostgreSQL."""

from __future__ import annotations

from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from domain.members.membership import REMOVED
from projections.member_rows import CURRENT, member_filter, member_of, user_filter
from projections.postgres.sql import REGION, Statements
from projections.queries import ReadModelQueries
from projections.records import HistoryEntry, KeyCredential
from projections.rows import details_of, feed_filter, history_filter, list_filter, public_key

if TYPE_CHECKING:
    from collections.abc import Iterator
    from datetime import datetime
    from uuid import UUID

    from psycopg import Cursor
    from psycopg.rows import DictRow

    from projections.records import HistoryQuery, ListQuery, MemberQuery, UserMembershipQuery


class PostgresReadModelQueries(ReadModelQueries):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        sql = Statements(self.datastore.schema, self.tables)
        self.organizations_table = sql.qualified(self.tables.organizations)
        self.select_keys = sql.query(
            "SELECT {key_columns} FROM {schema}.{keys} WHERE organization_id = %s "
            "ORDER BY created_at, id"
        )
        self.select_credential = sql.query(
            "SELECT k.id, k.organization_id, k.secret_hash, k.expires_at, k.revoked_at, o.status "
            "FROM {schema}.{keys} k JOIN {schema}.{table} o ON o.id = k.organization_id "
            "WHERE k.secret_hash = %s"
        )
        self.select_history = sql.query("SELECT {history_columns} FROM {schema}.{history} WHERE ")
        self.select_version_at = sql.query(
            "SELECT version FROM {schema}.{history} WHERE organization_id = %s "
            "AND occurred_at <= %s ORDER BY occurred_at DESC, version DESC LIMIT 1"
        )
        self.select_by = {
            column: sql.query(
                "SELECT {columns} FROM {schema}.{table} WHERE " + column + " = %s LIMIT 1"
            )
            for column in ("id", "slug", "external_id")
        }
        self.select_list = sql.query("SELECT {columns} FROM {schema}.{table} WHERE ")
        self.select_member_by_user = sql.query(
            "SELECT {member_columns} FROM {schema}.{members} WHERE organization_id = %s "
            "AND user_id = %s AND status IN (%s, %s) LIMIT 1"
        )
        self.select_members = sql.query("SELECT {member_columns} FROM {schema}.{members} WHERE ")
        self._snapshot_statements(sql)
        self.select_user_memberships = sql.query(
            "SELECT m.id, m.created_at, m.updated_at, m.doc, o.id AS o_id, o.doc AS o_doc, "
            "o.version AS o_version, o.created_at AS o_created_at, o.updated_at AS o_updated_at "
            "FROM {schema}.{members} m JOIN {schema}.{table} o ON o.id = m.organization_id WHERE "
        )

    def _snapshot_statements(self, sql: Statements) -> None:
        self.select_tracked = sql.query(
            "SELECT MAX(notification_id) AS position FROM {schema}.{tracking} "
            "WHERE application_name = %s"
        )
        self.select_chunk = sql.query(
            "SELECT {columns} FROM {schema}.{table} WHERE (%s::uuid IS NULL OR id > %s::uuid) "
            "AND (%s::uuid IS NULL OR id = %s::uuid) ORDER BY id LIMIT %s"
        )
        self.select_members_of = sql.query(
            "SELECT {member_columns} FROM {schema}.{members} WHERE organization_id = ANY(%s) "
            "AND status <> %s ORDER BY created_at, id"
        )

    def organization_history(self, query: HistoryQuery) -> list[HistoryEntry]:
        condition, params = history_filter(query, "%s", query.since, query.until)
        return self._history(self.select_history + condition, [*params, query.limit])

    def events_after(
        self, position: int, limit: int, types: tuple[str, ...] = (), region: str | None = None
    ) -> list[HistoryEntry]:
        by_region = None if region is None else (region, REGION, self.organizations_table)
        condition, params = feed_filter(position, limit, types, "%s", by_region)
        return self._history(self.select_history + condition, params)

    def version_at(self, org_id: UUID, moment: datetime) -> int | None:
        with self._read() as curs:
            curs.execute(self.select_version_at, (org_id, moment), prepare=True)
            row = curs.fetchone()
        return None if row is None or row["version"] is None else int(row["version"])

    def _history(self, statement: str, params: list[Any]) -> list[HistoryEntry]:
        with self._read() as curs:
            curs.execute(statement, params)
            rows = curs.fetchall()
        return [HistoryEntry(**row) for row in rows]

    def list_api_keys(self, org_id: UUID) -> list[dict[str, Any]]:
        with self._read() as curs:
            curs.execute(self.select_keys, (org_id,), prepare=True)
            return [public_key(row) for row in curs.fetchall()]

    def find_api_key(self, secret_hash: str) -> KeyCredential | None:
        with self._read() as curs:
            curs.execute(self.select_credential, (secret_hash,), prepare=True)
            row = curs.fetchone()
        if row is None:
            return None
        return KeyCredential(
            row["id"],
            row["organization_id"],
            row["secret_hash"],
            row["expires_at"],
            row["revoked_at"],
            row["status"],
        )

    def list_organizations(self, query: ListQuery) -> list[dict[str, Any]]:
        condition, params = list_filter(query, "%s", query.after, REGION)
        statement = self.select_list + condition + " ORDER BY created_at DESC, id DESC LIMIT %s"
        with self._read() as curs:
            curs.execute(statement, (*params, query.limit))
            return [self._details(row) for row in curs.fetchall()]

    def select_member(self, org_id: UUID, user_id: str) -> dict[str, Any] | None:
        with self._read() as curs:
            curs.execute(self.select_member_by_user, (org_id, user_id, *CURRENT), prepare=True)
            row = curs.fetchone()
        return None if row is None else self._member(row)

    def list_members(self, query: MemberQuery) -> list[dict[str, Any]]:
        condition, params = member_filter(query, "%s", query.after)
        with self._read() as curs:
            curs.execute(self.select_members + condition + " LIMIT %s", (*params, query.limit))
            return [self._member(row) for row in curs.fetchall()]

    def user_memberships(
        self, query: UserMembershipQuery
    ) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        condition, params = user_filter(query, "%s", query.after)
        statement = self.select_user_memberships + condition + " LIMIT %s"
        with self._read() as curs:
            curs.execute(statement, (*params, query.limit))
            rows = curs.fetchall()
        return [
            (
                self._member(row),
                details_of(
                    row["o_id"],
                    row["o_doc"],
                    row["o_version"],
                    row["o_created_at"],
                    row["o_updated_at"],
                ),
            )
            for row in rows
        ]

    @staticmethod
    def _member(row: dict[str, Any]) -> dict[str, Any]:
        return member_of(row["id"], row["doc"], row["created_at"], row["updated_at"])

    def select_one(self, column: str, value: Any) -> dict[str, Any] | None:
        with self._read() as curs:
            curs.execute(self.select_by[column], (value,), prepare=True)
            row = curs.fetchone()
        return None if row is None else self._details(row)

    @contextmanager
    def consistent_read(self) -> Iterator[Cursor[DictRow]]:
        """REPEATABLE READ: every statement sees the state committed when the first began."""
        with self.datastore.get_connection() as conn, conn.transaction(force_rollback=True):
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            yield conn.cursor()

    def tracked_position(self, cursor: Cursor[DictRow], application: str) -> int:
        cursor.execute(self.select_tracked, (application,))
        row = cursor.fetchone()
        return 0 if row is None or row["position"] is None else int(row["position"])

    def organizations_after(
        self, cursor: Cursor[DictRow], after: Any, limit: int, only: UUID | None
    ) -> list[tuple[Any, dict[str, Any]]]:
        cursor.execute(self.select_chunk, (after, after, only, only, limit))
        return [(row["id"], self._details(row)) for row in cursor.fetchall()]

    def members_of(self, cursor: Cursor[DictRow], keys: list[Any]) -> list[dict[str, Any]]:
        if not keys:
            return []
        cursor.execute(self.select_members_of, (keys, REMOVED))
        return [self._member(row) for row in cursor.fetchall()]

    @contextmanager
    def _read(self) -> Iterator[Cursor[DictRow]]:
        """A cursor for one read statement: the pool's connections are in autocommit mode,
        so it costs one round trip (a transaction would add BEGIN and ROLLBACK)."""
        with self.datastore.cursor() as curs:
            yield curs

    @staticmethod
    def _details(row: dict[str, Any]) -> dict[str, Any]:
        return details_of(
            row["id"], row["doc"], row["version"], row["created_at"], row["updated_at"]
        )

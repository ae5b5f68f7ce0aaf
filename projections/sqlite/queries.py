"""The read model's queries in SQLite."""

from __future__ import annotations

import json
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from domain.members.membership import REMOVED
from projections.member_rows import CURRENT, MEMBER_COLUMNS, member_filter, member_of, user_filter
from projections.queries import ReadModelQueries
from projections.records import HistoryEntry, KeyCredential
from projections.rows import (
    HISTORY_COLUMNS,
    KEY_COLUMNS,
    ORGANIZATION_COLUMNS,
    details_of,
    feed_filter,
    history_filter,
    list_filter,
    public_key,
)
from projections.sqlite.columns import REGION, as_text, optional_text, parse_time

if TYPE_CHECKING:
    from collections.abc import Iterator

    from projections.records import HistoryQuery, ListQuery, MemberQuery, UserMembershipQuery


class SQLiteReadModelQueries(ReadModelQueries):
    @contextmanager
    def consistent_read(self) -> Iterator[Any]:
        """A transaction's reads see the database as it was at its first (WAL mode)."""
        with self.datastore.transaction(commit=False) as c:
            yield c

    def tracked_position(self, cursor: Any, application: str) -> int:
        cursor.execute(
            f"SELECT MAX(notification_id) FROM {self.tables.tracking} WHERE application_name = ?",
            (application,),
        )
        row = cursor.fetchone()
        return 0 if row is None or row[0] is None else int(row[0])

    def organizations_after(
        self, cursor: Any, after: Any, limit: int, only: UUID | None
    ) -> list[tuple[Any, dict[str, Any]]]:
        where = ["id > ?"] if after is not None else []
        params: list[Any] = [] if after is None else [after]
        if only is not None:
            where.append("id = ?")
            params.append(str(only))
        cursor.execute(
            f"SELECT {ORGANIZATION_COLUMNS} FROM {self.tables.organizations} "
            f"WHERE {' AND '.join(where) or '1'} ORDER BY id LIMIT ?",
            (*params, limit),
        )
        return [(row["id"], self._details(row)) for row in cursor.fetchall()]

    def members_of(self, cursor: Any, keys: list[Any]) -> list[dict[str, Any]]:
        if not keys:
            return []
        cursor.execute(
            f"SELECT {MEMBER_COLUMNS} FROM {self.tables.members} WHERE organization_id IN "
            f"({', '.join('?' * len(keys))}) AND status <> ? ORDER BY created_at, id",
            (*keys, REMOVED),
        )
        return [self._member(row) for row in cursor.fetchall()]

    def organization_history(self, query: HistoryQuery) -> list[HistoryEntry]:
        since, until = optional_text(query.since), optional_text(query.until)
        condition, params = history_filter(query, "?", since, until)
        params[0] = str(params[0])
        return self._history(condition, [*params, query.limit])

    def events_after(
        self, position: int, limit: int, types: tuple[str, ...] = (), region: str | None = None
    ) -> list[HistoryEntry]:
        by_region = None if region is None else (region, REGION, self.tables.organizations)
        return self._history(*feed_filter(position, limit, types, "?", by_region))

    def version_at(self, org_id: UUID, moment: datetime) -> int | None:
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT version FROM {self.tables.history} WHERE organization_id = ? "
                "AND occurred_at <= ? ORDER BY occurred_at DESC, version DESC LIMIT 1",
                (str(org_id), as_text(moment)),
            )
            row = c.fetchone()
        return None if row is None or row[0] is None else int(row[0])

    def _history(self, condition: str, params: list[Any]) -> list[HistoryEntry]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT {HISTORY_COLUMNS} FROM {self.tables.history} WHERE {condition}", params
            )
            rows = c.fetchall()
        return [
            HistoryEntry(
                position=row["position"],
                organization_id=UUID(row["organization_id"]),
                version=row["version"],
                type=row["type"],
                occurred_at=datetime.fromisoformat(row["occurred_at"]),
                actor=json.loads(row["actor"]),
                request_id=row["request_id"],
                reason=row["reason"],
                changes=json.loads(row["changes"]),
                region=row["region"],
            )
            for row in rows
        ]

    def list_api_keys(self, org_id: UUID) -> list[dict[str, Any]]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT {KEY_COLUMNS} FROM {self.tables.keys} WHERE organization_id = ? "
                "ORDER BY created_at, id",
                (str(org_id),),
            )
            return [public_key(self._key(row)) for row in c.fetchall()]

    def find_api_key(self, secret_hash: str) -> KeyCredential | None:
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT k.id, k.organization_id, k.secret_hash, k.expires_at, k.revoked_at, "
                f"o.status FROM {self.tables.keys} k JOIN {self.tables.organizations} o "
                "ON o.id = k.organization_id WHERE k.secret_hash = ?",
                (secret_hash,),
            )
            row = c.fetchone()
        if row is None:
            return None
        return KeyCredential(
            UUID(row[0]), UUID(row[1]), row[2], parse_time(row[3]), parse_time(row[4]), row[5]
        )

    @staticmethod
    def _key(row: Any) -> dict[str, Any]:
        return {
            "id": UUID(row["id"]),
            "organization_id": UUID(row["organization_id"]),
            "name": row["name"],
            "prefix": row["prefix"],
            "created_at": datetime.fromisoformat(row["created_at"]),
            "expires_at": parse_time(row["expires_at"]),
            "revoked_at": parse_time(row["revoked_at"]),
        }

    def list_organizations(self, query: ListQuery) -> list[dict[str, Any]]:
        after = query.after and (as_text(query.after[0]), str(query.after[1]))
        condition, params = list_filter(query, "?", after, REGION)
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT {ORGANIZATION_COLUMNS} FROM {self.tables.organizations} "
                f"WHERE {condition} ORDER BY created_at DESC, id DESC LIMIT ?",
                (*params, query.limit),
            )
            return [self._details(row) for row in c.fetchall()]

    def select_member(self, org_id: UUID, user_id: str) -> dict[str, Any] | None:
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT {MEMBER_COLUMNS} FROM {self.tables.members} WHERE organization_id = ? "
                "AND user_id = ? AND status IN (?, ?) LIMIT 1",
                (str(org_id), user_id, *CURRENT),
            )
            row = c.fetchone()
        return None if row is None else self._member(row)

    def list_members(self, query: MemberQuery) -> list[dict[str, Any]]:
        after = query.after and (as_text(query.after[0]), str(query.after[1]))
        condition, params = member_filter(query, "?", after)
        params[0] = str(params[0])
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT {MEMBER_COLUMNS} FROM {self.tables.members} WHERE {condition} LIMIT ?",
                (*params, query.limit),
            )
            return [self._member(row) for row in c.fetchall()]

    def user_memberships(
        self, query: UserMembershipQuery
    ) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        after = query.after and (as_text(query.after[0]), str(query.after[1]))
        condition, params = user_filter(query, "?", after)
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                "SELECT m.id, m.created_at, m.updated_at, m.doc, o.id AS o_id, o.doc AS o_doc, "
                "o.version AS o_version, o.created_at AS o_created_at, "
                f"o.updated_at AS o_updated_at FROM {self.tables.members} m "
                f"JOIN {self.tables.organizations} o ON o.id = m.organization_id "
                f"WHERE {condition} LIMIT ?",
                (*params, query.limit),
            )
            rows = c.fetchall()
        return [
            (
                self._member(row),
                details_of(
                    row["o_id"],
                    json.loads(row["o_doc"]),
                    row["o_version"],
                    datetime.fromisoformat(row["o_created_at"]),
                    datetime.fromisoformat(row["o_updated_at"]),
                ),
            )
            for row in rows
        ]

    @staticmethod
    def _member(row: Any) -> dict[str, Any]:
        return member_of(
            row["id"],
            json.loads(row["doc"]),
            datetime.fromisoformat(row["created_at"]),
            datetime.fromisoformat(row["updated_at"]),
        )

    def select_one(self, column: str, value: Any) -> dict[str, Any] | None:
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT {ORGANIZATION_COLUMNS} FROM {self.tables.organizations} "
                f"WHERE {column} = ? LIMIT 1",
                (str(value) if isinstance(value, UUID) else value,),
            )
            row = c.fetchone()
        return None if row is None else self._details(row)

    @staticmethod
    def _details(row: Any) -> dict[str, Any]:
        return details_of(
            row["id"],
            json.loads(row["doc"]),
            row["version"],
            datetime.fromisoformat(row["created_at"]),
            datetime.fromisoformat(row["updated_at"]),
        )

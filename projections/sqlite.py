"""The lookup read model in the embedded SQLite store."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.sqlite import SQLiteTrackingRecorder

from domain.changes import diff, diff_applied
from projections.cache import ReadCache
from projections.interface import (
    OLD_SUFFIX,
    HistoryEntry,
    KeyCredential,
    OrganizationLookupView,
    PositionSignal,
)
from projections.rows import (
    HISTORY_COLUMNS,
    details_of,
    doc_of,
    feed_filter,
    history_filter,
    indexed_columns,
    list_filter,
    public_key,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from eventsourcing.persistence import Tracking
    from eventsourcing.sqlite import SQLiteCursor, SQLiteDatastore

    from projections.interface import HistoryQuery, ListQuery

COLUMNS = "id, slug, external_id, name_folded, status, version, created_at, updated_at, doc"
KEY_COLUMNS = "id, organization_id, secret_hash, name, prefix, created_at, expires_at, revoked_at"


def _time(value: datetime) -> str:
    # Fixed-width UTC text sorts in time order.
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def _optional_time(value: datetime | None) -> str | None:
    return None if value is None else _time(value)


def _parse_time(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


class SQLiteOrganizationLookupView(SQLiteTrackingRecorder, OrganizationLookupView):
    def __init__(self, datastore: SQLiteDatastore, suffix: str = "", **kwargs: Any) -> None:
        self._name_tables(suffix)
        super().__init__(datastore, **kwargs)
        # Each read model keeps its own tracking table, so several can share one file.
        self.insert_tracking_statement = self._own_tracking(self.insert_tracking_statement)
        self.select_max_tracking_id_statement = self._own_tracking(
            self.select_max_tracking_id_statement
        )
        self.position_signal, self.cache = PositionSignal(), ReadCache()

    def _own_tracking(self, statement: str) -> str:
        return re.sub(r"\btracking\b", f"{self.table}_tracking", statement)

    def construct_create_table_statements(self) -> list[str]:
        t, h = self.table, self.history_table
        return [
            *(self._own_tracking(s) for s in super().construct_create_table_statements()),
            f"CREATE TABLE IF NOT EXISTS {t} ("
            "id TEXT PRIMARY KEY, slug TEXT NOT NULL, external_id TEXT, "
            "name_folded TEXT NOT NULL, status TEXT NOT NULL, version INTEGER NOT NULL, "
            "created_at TEXT NOT NULL, updated_at TEXT NOT NULL, doc TEXT NOT NULL)",
            f"CREATE INDEX IF NOT EXISTS {t}_slug ON {t} (slug)",
            f"CREATE INDEX IF NOT EXISTS {t}_external_id ON {t} (external_id)",
            f"CREATE INDEX IF NOT EXISTS {t}_created ON {t} (created_at DESC, id DESC)",
            f"CREATE TABLE IF NOT EXISTS {self.keys_table} ("
            "id TEXT PRIMARY KEY, organization_id TEXT NOT NULL, secret_hash TEXT NOT NULL, "
            "name TEXT, prefix TEXT NOT NULL, created_at TEXT NOT NULL, expires_at TEXT, "
            "revoked_at TEXT)",
            f"CREATE UNIQUE INDEX IF NOT EXISTS {self.keys_table}_hash "
            f"ON {self.keys_table} (secret_hash)",
            f"CREATE INDEX IF NOT EXISTS {self.keys_table}_organization "
            f"ON {self.keys_table} (organization_id, created_at)",
            f"CREATE TABLE IF NOT EXISTS {h} ("
            "position INTEGER PRIMARY KEY, organization_id TEXT NOT NULL, "
            "version INTEGER NOT NULL, type TEXT NOT NULL, occurred_at TEXT NOT NULL, "
            "actor TEXT NOT NULL, request_id TEXT, reason TEXT, changes TEXT NOT NULL)",
            f"CREATE UNIQUE INDEX IF NOT EXISTS {h}_version ON {h} (organization_id, version)",
            f"CREATE INDEX IF NOT EXISTS {h}_time ON {h} (organization_id, occurred_at, version)",
            f"CREATE TABLE IF NOT EXISTS {self.versions_table} "
            "(name TEXT PRIMARY KEY, version INTEGER NOT NULL)",
            f"CREATE TABLE IF NOT EXISTS {self.status_table} "
            "(name TEXT PRIMARY KEY, state TEXT NOT NULL, last_error TEXT)",
        ]

    def insert_organization(
        self, state: dict[str, Any], entry: HistoryEntry, tracking: Tracking
    ) -> None:
        doc = doc_of(state)

        def apply(c: SQLiteCursor) -> None:
            created_at = _time(entry.occurred_at)
            c.execute(
                f"INSERT INTO {self.table} ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    str(entry.organization_id),
                    *indexed_columns(doc),
                    entry.version,
                    created_at,
                    created_at,
                    json.dumps(doc),
                ),
            )
            self._insert_history(c, replace(entry, changes=diff({}, doc)))

        self._apply(tracking, apply)

    def update_organization(
        self, changes: dict[str, Any], entry: HistoryEntry, tracking: Tracking
    ) -> None:
        org_id = str(entry.organization_id)

        def apply(c: SQLiteCursor) -> None:
            c.execute(f"SELECT doc FROM {self.table} WHERE id = ?", (org_id,))
            row = c.fetchone()
            if row is None:
                msg = f"read model has no row for organization {org_id}"
                raise LookupError(msg)
            before = json.loads(row["doc"])
            doc = {**before, **changes}
            c.execute(
                f"UPDATE {self.table} SET slug = ?, external_id = ?, name_folded = ?, "
                "status = ?, version = ?, updated_at = ?, doc = ? WHERE id = ?",
                (
                    *indexed_columns(doc),
                    entry.version,
                    _time(entry.occurred_at),
                    json.dumps(doc),
                    org_id,
                ),
            )
            self._insert_history(c, replace(entry, changes=diff_applied(before, changes)))

        self._apply(tracking, apply)

    def add_api_key(self, key: dict[str, Any], entry: HistoryEntry, tracking: Tracking) -> None:
        def apply(c: SQLiteCursor) -> None:
            c.execute(
                f"INSERT INTO {self.keys_table} ({KEY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    str(key["id"]),
                    str(entry.organization_id),
                    key["secret_hash"],
                    key["name"],
                    key["prefix"],
                    _time(key["created_at"]),
                    _optional_time(key["expires_at"]),
                    None,
                ),
            )
            self._move_to_version(c, entry)
            self._insert_history(c, entry)

        self._apply(tracking, apply)

    def revoke_api_key(self, key_id: UUID, entry: HistoryEntry, tracking: Tracking) -> None:
        def apply(c: SQLiteCursor) -> None:
            c.execute(
                f"UPDATE {self.keys_table} SET revoked_at = ? WHERE id = ?",
                (_time(entry.occurred_at), str(key_id)),
            )
            self._move_to_version(c, entry)
            self._insert_history(c, entry)

        self._apply(tracking, apply)

    def organization_history(self, query: HistoryQuery) -> list[HistoryEntry]:
        since, until = _optional_time(query.since), _optional_time(query.until)
        condition, params = history_filter(query, "?", since, until)
        params[0] = str(params[0])
        return self._history(condition, [*params, query.limit])

    def events_after(
        self, position: int, limit: int, types: tuple[str, ...] = ()
    ) -> list[HistoryEntry]:
        return self._history(feed_filter(types, "?"), [position, *types, limit])

    def version_at(self, org_id: UUID, moment: datetime) -> int | None:
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT version FROM {self.history_table} WHERE organization_id = ? "
                "AND occurred_at <= ? ORDER BY occurred_at DESC, version DESC LIMIT 1",
                (str(org_id), _time(moment)),
            )
            row = c.fetchone()
        return None if row is None or row[0] is None else int(row[0])

    def _history(self, condition: str, params: list[Any]) -> list[HistoryEntry]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT {HISTORY_COLUMNS} FROM {self.history_table} WHERE {condition}", params
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
            )
            for row in rows
        ]

    def _insert_history(self, c: SQLiteCursor, entry: HistoryEntry) -> None:
        c.execute(
            f"INSERT INTO {self.history_table} ({HISTORY_COLUMNS}) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                entry.position,
                str(entry.organization_id),
                entry.version,
                entry.type,
                _time(entry.occurred_at),
                json.dumps(entry.actor),
                entry.request_id,
                entry.reason,
                json.dumps(entry.changes),
            ),
        )

    def list_api_keys(self, org_id: UUID) -> list[dict[str, Any]]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT {KEY_COLUMNS} FROM {self.keys_table} WHERE organization_id = ? "
                "ORDER BY created_at, id",
                (str(org_id),),
            )
            return [public_key(self._key(row)) for row in c.fetchall()]

    def find_api_key(self, secret_hash: str) -> KeyCredential | None:
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT k.id, k.organization_id, k.secret_hash, k.expires_at, k.revoked_at, "
                f"o.status FROM {self.keys_table} k JOIN {self.table} o "
                "ON o.id = k.organization_id WHERE k.secret_hash = ?",
                (secret_hash,),
            )
            row = c.fetchone()
        if row is None:
            return None
        return KeyCredential(
            UUID(row[0]), UUID(row[1]), row[2], _parse_time(row[3]), _parse_time(row[4]), row[5]
        )

    def replace_with(
        self, new: OrganizationLookupView, catch_up: Callable[[Any], object], keep_old: bool
    ) -> None:
        assert isinstance(new, SQLiteOrganizationLookupView)
        _sqlite_replace(self, new, catch_up, keep_old)

    def create_table(self, indexes: bool = True) -> None:
        """Tables and indexes together: SQLite keeps its indexes up cheaply enough."""
        super().create_table()

    def create_indexes(self) -> None:
        """Created with the tables."""

    def drop(self) -> None:
        with self.datastore.transaction(commit=True) as c:
            for table in self.tables:
                c.execute(f"DROP TABLE IF EXISTS {table}")

    def rows(self, table: str, order_by: str) -> list[dict[str, Any]]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(f"SELECT * FROM {table} ORDER BY {order_by}")
            return [dict(row) for row in c.fetchall()]

    def _move_to_version(self, c: SQLiteCursor, entry: HistoryEntry) -> None:
        c.execute(
            f"UPDATE {self.table} SET version = ?, updated_at = ? WHERE id = ?",
            (entry.version, _time(entry.occurred_at), str(entry.organization_id)),
        )

    @staticmethod
    def _key(row: Any) -> dict[str, Any]:
        return {
            "id": UUID(row["id"]),
            "organization_id": UUID(row["organization_id"]),
            "name": row["name"],
            "prefix": row["prefix"],
            "created_at": datetime.fromisoformat(row["created_at"]),
            "expires_at": _parse_time(row["expires_at"]),
            "revoked_at": _parse_time(row["revoked_at"]),
        }

    def _select_organization(self, org_id: UUID) -> dict[str, Any] | None:
        return self._one("id = ?", str(org_id))

    def _select_organization_by(
        self, *, slug: str | None = None, external_id: str | None = None
    ) -> dict[str, Any] | None:
        if slug is not None:
            return self._one("slug = ?", slug)
        return self._one("external_id = ?", external_id)

    def list_organizations(self, query: ListQuery) -> list[dict[str, Any]]:
        after = query.after and (_time(query.after[0]), str(query.after[1]))
        condition, params = list_filter(query, "?", after)
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT {COLUMNS} FROM {self.table} WHERE {condition} "
                "ORDER BY created_at DESC, id DESC LIMIT ?",
                (*params, query.limit),
            )
            return [self._details(row) for row in c.fetchall()]

    def _one(self, condition: str, value: Any) -> dict[str, Any] | None:
        with self.datastore.transaction(commit=False) as c:
            row = self._fetch_one(c, condition, value)
        return None if row is None else self._details(row)

    def _fetch_one(self, c: SQLiteCursor, condition: str, value: Any) -> Any:
        c.execute(f"SELECT {COLUMNS} FROM {self.table} WHERE {condition} LIMIT 1", (value,))
        return c.fetchone()

    @staticmethod
    def _details(row: Any) -> dict[str, Any]:
        return details_of(
            row["id"],
            json.loads(row["doc"]),
            row["version"],
            datetime.fromisoformat(row["created_at"]),
            datetime.fromisoformat(row["updated_at"]),
        )


def _sqlite_replace(
    live: SQLiteOrganizationLookupView,
    new: SQLiteOrganizationLookupView,
    catch_up: Callable[[Any], object],
    keep_old: bool,
) -> None:
    with live.datastore.transaction(commit=True) as c:
        # A write first, so the switch holds the write lock before it reads anything.
        c.execute(f"DELETE FROM {new.table}_tracking WHERE 0")
        catch_up(c)
        for live_table, new_table in zip(live.tables, new.tables, strict=True):
            old_table = live_table + OLD_SUFFIX
            c.execute(f"DROP TABLE IF EXISTS {old_table}")
            if keep_old:
                c.execute(f"ALTER TABLE {live_table} RENAME TO {old_table}")
            else:
                c.execute(f"DROP TABLE {live_table}")
            c.execute(f"ALTER TABLE {new_table} RENAME TO {live_table}")
        # SQLite cannot rename indexes: drop those that came with renamed tables and make
        # the live copy's own again.
        names = (*live.tables, *(t + OLD_SUFFIX for t in live.tables))
        marks = ", ".join("?" * len(names))
        c.execute(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
            f"AND tbl_name IN ({marks})",
            names,
        )
        for (index,) in c.fetchall():
            c.execute(f'DROP INDEX "{index}"')
        for statement in live.construct_create_table_statements():
            c.execute(statement)

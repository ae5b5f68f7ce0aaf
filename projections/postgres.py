"""The lookup read model in PostgreSQL."""

from __future__ import annotations

import json
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson
from eventsourcing.postgres import PostgresTrackingRecorder
from psycopg.sql import SQL, Composed, Identifier
from psycopg.types.json import Json, set_json_dumps

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
    from collections.abc import Callable, Iterator
    from datetime import datetime
    from uuid import UUID

    from eventsourcing.persistence import Tracking
    from eventsourcing.postgres import PostgresDatastore
    from psycopg import Cursor
    from psycopg.rows import DictRow

    from projections.interface import HistoryQuery, ListQuery

COLUMNS = SQL("id, slug, external_id, name_folded, status, version, created_at, updated_at, doc")
KEY_COLUMNS = SQL(
    "id, organization_id, secret_hash, name, prefix, created_at, expires_at, revoked_at"
)


def _dumps(obj: Any) -> bytes | str:
    """JSON for the read model's ``json`` columns: orjson where it can (several times
    faster than the standard library, which matters when a rebuild writes millions of
    documents), the standard library for what orjson refuses (integers beyond 64 bits)."""
    try:
        return orjson.dumps(obj)
    except TypeError:
        return json.dumps(obj)


def _json(obj: Any) -> Json:
    return Json(obj, dumps=_dumps)


# Documents, actors and changes are ``json``, not ``jsonb``: they are stored as written
# and returned as stored, and no query looks inside them; PostgreSQL checks ``json`` input
# for syntax only, where ``jsonb`` would parse and rebuild every value a rebuild writes.
ROW_TYPES = ("uuid", "text", "text", "text", "text", "int8", "timestamptz", "timestamptz", "json")
HISTORY_TYPES = ("int8", "uuid", "int8", "text", "timestamptz", "json", "text", "text", "json")


def _with_json(row: tuple[Any, ...], types: tuple[str, ...]) -> tuple[Any, ...]:
    """``row`` for a single statement: its ``json`` values wrapped for encoding (a batch's
    COPY passes them plain, its cursor told how to encode them)."""
    return tuple(_json(v) if t == "json" else v for v, t in zip(row, types, strict=True))


@dataclass
class _Row:
    """An organization's row as a batch leaves it, written when the batch ends."""

    new: bool
    doc: dict[str, Any]
    version: int
    created_at: datetime | None
    updated_at: datetime


class PostgresOrganizationLookupView(PostgresTrackingRecorder, OrganizationLookupView):
    def __init__(self, datastore: PostgresDatastore, suffix: str = "", **kwargs: Any) -> None:
        self._name_tables(suffix)
        self._rows: dict[UUID, _Row] = {}
        self._history_rows: list[tuple[Any, ...]] = []
        kwargs.setdefault("tracking_table_name", f"{self.table}_tracking")
        super().__init__(datastore, **kwargs)
        self.check_identifier_length(self.table + "_external_id")
        self.check_identifier_length(self.keys_table + "_organization")
        self.check_identifier_length(self.history_table + "_version")
        self.position_signal, self.cache = PositionSignal(), ReadCache()
        self.channel = f"{self.datastore.schema or 'public'}.{self.table}"[-63:]
        self.check_identifier_length(self.channel)
        schema, table = Identifier(self.datastore.schema), Identifier(self.table)
        keys, history = Identifier(self.keys_table), Identifier(self.history_table)

        def sql(text: str, **names: str) -> Composed:
            ids = {k: Identifier(v) for k, v in names.items()}
            return SQL(text).format(
                schema=schema,
                table=table,
                keys=keys,
                history=history,
                columns=COLUMNS,
                key_columns=KEY_COLUMNS,
                **ids,
            )

        def query(text: str) -> str:
            # Rendered once: psycopg caches the conversion of a plain query string, but
            # would render a composed one again on every execution.
            return sql(text).as_string(None)

        self.sql_index_statements: list[Composed] = []
        """Secondary indexes: a rebuild's new copy gets them once it is filled (building
        an index from sorted rows is much cheaper than keeping it up row by row)."""
        self.sql_create_statements += [
            sql(
                "CREATE TABLE IF NOT EXISTS {schema}.{table} ("
                "id uuid PRIMARY KEY, slug text NOT NULL, external_id text, "
                "name_folded text NOT NULL, status text NOT NULL, version bigint NOT NULL, "
                "created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL, "
                "doc json NOT NULL)"
            ),
        ]
        self.sql_index_statements += [
            sql(
                "CREATE INDEX IF NOT EXISTS {i} ON {schema}.{table} (slug text_pattern_ops)",
                i=f"{self.table}_slug",
            ),
            sql(
                "CREATE INDEX IF NOT EXISTS {i} ON {schema}.{table} (external_id)",
                i=f"{self.table}_external_id",
            ),
            sql(
                "CREATE INDEX IF NOT EXISTS {i} ON {schema}.{table} (name_folded text_pattern_ops)",
                i=f"{self.table}_name",
            ),
            sql(
                "CREATE INDEX IF NOT EXISTS {i} ON {schema}.{table} (created_at DESC, id DESC)",
                i=f"{self.table}_created",
            ),
        ]
        self.sql_create_statements += [
            sql(
                "CREATE TABLE IF NOT EXISTS {schema}.{keys} ("
                "id uuid PRIMARY KEY, organization_id uuid NOT NULL, secret_hash text NOT NULL, "
                "name text, prefix text NOT NULL, created_at timestamptz NOT NULL, "
                "expires_at timestamptz, revoked_at timestamptz)"
            ),
        ]
        self.sql_index_statements += [
            sql(
                "CREATE UNIQUE INDEX IF NOT EXISTS {i} ON {schema}.{keys} (secret_hash)",
                i=f"{self.keys_table}_hash",
            ),
            sql(
                "CREATE INDEX IF NOT EXISTS {i} ON {schema}.{keys} (organization_id, created_at)",
                i=f"{self.keys_table}_organization",
            ),
        ]
        self.insert_key = query(
            "INSERT INTO {schema}.{keys} ({key_columns}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
        )
        self.update_key = query("UPDATE {schema}.{keys} SET revoked_at = %s WHERE id = %s")
        self.move_to_version = query(
            "UPDATE {schema}.{table} SET version = %s, updated_at = %s WHERE id = %s"
        )
        self.select_keys = query(
            "SELECT {key_columns} FROM {schema}.{keys} WHERE organization_id = %s "
            "ORDER BY created_at, id"
        )
        self.select_credential = query(
            "SELECT k.id, k.organization_id, k.secret_hash, k.expires_at, k.revoked_at, o.status "
            "FROM {schema}.{keys} k JOIN {schema}.{table} o ON o.id = k.organization_id "
            "WHERE k.secret_hash = %s"
        )
        self.sql_create_statements += [
            sql(
                "CREATE TABLE IF NOT EXISTS {schema}.{history} ("
                "position bigint PRIMARY KEY, organization_id uuid NOT NULL, "
                "version bigint NOT NULL, type text NOT NULL, occurred_at timestamptz NOT NULL, "
                "actor json NOT NULL, request_id text, reason text, changes json NOT NULL)"
            ),
        ]
        self.sql_index_statements += [
            sql(
                "CREATE UNIQUE INDEX IF NOT EXISTS {i} ON {schema}.{history} "
                "(organization_id, version)",
                i=f"{self.history_table}_version",
            ),
            sql(
                "CREATE INDEX IF NOT EXISTS {i} ON {schema}.{history} "
                "(organization_id, occurred_at, version)",
                i=f"{self.history_table}_time",
            ),
        ]
        self.sql_create_statements += [
            SQL(
                "CREATE TABLE IF NOT EXISTS {}.{} (name text PRIMARY KEY, version integer NOT NULL)"
            ).format(schema, Identifier(self.versions_table)),
            SQL(
                "CREATE TABLE IF NOT EXISTS {}.{} "
                "(name text PRIMARY KEY, state text NOT NULL, last_error text)"
            ).format(schema, Identifier(self.status_table)),
        ]
        self.insert_history = query(
            "INSERT INTO {schema}.{history} (" + HISTORY_COLUMNS + ") "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"
        )
        self.select_history = query("SELECT " + HISTORY_COLUMNS + " FROM {schema}.{history} WHERE ")
        self.select_version_at = query(
            "SELECT version FROM {schema}.{history} WHERE organization_id = %s "
            "AND occurred_at <= %s ORDER BY occurred_at DESC, version DESC LIMIT 1"
        )
        self.insert_row = query(
            "INSERT INTO {schema}.{table} ({columns}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"
        )
        self.select_doc = query("SELECT doc FROM {schema}.{table} WHERE id = %s FOR UPDATE")
        self.update_row = query(
            "UPDATE {schema}.{table} SET slug = %s, external_id = %s, name_folded = %s, "
            "status = %s, version = %s, updated_at = %s, doc = %s WHERE id = %s"
        )
        self.select_by = {
            column: query(
                "SELECT {columns} FROM {schema}.{table} WHERE " + column + " = %s LIMIT 1"
            )
            for column in ("id", "slug", "external_id")
        }
        self.select_list = query("SELECT {columns} FROM {schema}.{table} WHERE ")
        self.copy_rows = query("COPY {schema}.{table} ({columns}) FROM STDIN (FORMAT BINARY)")
        self.copy_history = query(
            "COPY {schema}.{history} (" + HISTORY_COLUMNS + ") FROM STDIN (FORMAT BINARY)"
        )

    def insert_organization(
        self, state: dict[str, Any], entry: HistoryEntry, tracking: Tracking
    ) -> None:
        doc = doc_of(state)
        org_id, version = entry.organization_id, entry.version
        created_at = updated_at = entry.occurred_at

        def apply(curs: Cursor[DictRow]) -> None:
            if self._batch is not None:
                self._rows[org_id] = _Row(True, doc, version, created_at, updated_at)
            else:
                row = (org_id, *indexed_columns(doc), version, created_at, updated_at, doc)
                curs.execute(self.insert_row, _with_json(row, ROW_TYPES), prepare=True)
            self._insert_history(curs, entry, diff({}, doc))

        self._apply(tracking, apply)

    def update_organization(
        self, changes: dict[str, Any], entry: HistoryEntry, tracking: Tracking
    ) -> None:
        org_id = entry.organization_id

        def apply(curs: Cursor[DictRow]) -> None:
            before = self._document(curs, org_id)
            doc = {**before, **changes}
            if self._batch is not None:
                known = self._rows.get(org_id)
                if known is None:
                    self._rows[org_id] = _Row(False, doc, entry.version, None, entry.occurred_at)
                else:
                    known.doc, known.version, known.updated_at = (
                        doc,
                        entry.version,
                        entry.occurred_at,
                    )
            else:
                curs.execute(
                    self.update_row,
                    (*indexed_columns(doc), entry.version, entry.occurred_at, _json(doc), org_id),
                    prepare=True,
                )
            self._insert_history(curs, entry, diff_applied(before, changes))

        self._apply(tracking, apply)

    def add_api_key(self, key: dict[str, Any], entry: HistoryEntry, tracking: Tracking) -> None:
        row = (
            key["id"],
            entry.organization_id,
            key["secret_hash"],
            key["name"],
            key["prefix"],
            key["created_at"],
            key["expires_at"],
            None,
        )

        def apply(curs: Cursor[DictRow]) -> None:
            curs.execute(self.insert_key, row, prepare=True)
            self._move_to_version(curs, entry)
            self._insert_history(curs, entry)

        self._apply(tracking, apply)

    def revoke_api_key(self, key_id: UUID, entry: HistoryEntry, tracking: Tracking) -> None:
        def apply(curs: Cursor[DictRow]) -> None:
            curs.execute(self.update_key, (entry.occurred_at, key_id), prepare=True)
            self._move_to_version(curs, entry)
            self._insert_history(curs, entry)

        self._apply(tracking, apply)

    def organization_history(self, query: HistoryQuery) -> list[HistoryEntry]:
        condition, params = history_filter(query, "%s", query.since, query.until)
        return self._history(self.select_history + condition, [*params, query.limit])

    def events_after(
        self, position: int, limit: int, types: tuple[str, ...] = ()
    ) -> list[HistoryEntry]:
        statement = self.select_history + feed_filter(types, "%s")
        return self._history(statement, [position, *types, limit])

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

    def replace_with(
        self, new: OrganizationLookupView, catch_up: Callable[[Any], object], keep_old: bool
    ) -> None:
        schema = Identifier(self.datastore.schema)
        with self.datastore.transaction(commit=True) as curs:
            # Holds off this copy's projector (it writes its tracking first) until the switch.
            curs.execute(
                SQL("LOCK TABLE {}.{} IN EXCLUSIVE MODE").format(
                    schema, Identifier(self.tables[-1])
                )
            )
            catch_up(curs)
            for live_table, new_table in zip(self.tables, new.tables, strict=True):
                old_table = live_table + OLD_SUFFIX
                curs.execute(
                    SQL("DROP TABLE IF EXISTS {}.{}").format(schema, Identifier(old_table))
                )
                if keep_old:
                    self._rename(curs, live_table, old_table)
                else:
                    curs.execute(SQL("DROP TABLE {}.{}").format(schema, Identifier(live_table)))
                self._rename(curs, new_table, live_table)

    def _rename(self, curs: Cursor[DictRow], table: str, to: str) -> None:
        """Rename a table and its indexes (which are named after it)."""
        schema = Identifier(self.datastore.schema)
        curs.execute(
            "SELECT indexname FROM pg_indexes WHERE schemaname = %s AND tablename = %s",
            (self.datastore.schema, table),
        )
        indexes = [row["indexname"] for row in curs.fetchall()]
        rename = SQL("ALTER TABLE {}.{} RENAME TO {}")
        curs.execute(rename.format(schema, Identifier(table), Identifier(to)))
        for index in indexes:
            if index.startswith(table):
                renamed = Identifier(to + index[len(table) :])
                curs.execute(
                    SQL("ALTER INDEX {}.{} RENAME TO {}").format(schema, Identifier(index), renamed)
                )

    def create_table(self, indexes: bool = True) -> None:
        super().create_table()
        if indexes:
            self.create_indexes()

    def create_indexes(self) -> None:
        with self.datastore.transaction(commit=True) as curs:
            for statement in self.sql_index_statements:
                curs.execute(statement)

    def drop(self) -> None:
        schema = Identifier(self.datastore.schema)
        with self.datastore.transaction(commit=True) as curs:
            for table in self.tables:
                curs.execute(SQL("DROP TABLE IF EXISTS {}.{}").format(schema, Identifier(table)))

    def rows(self, table: str, order_by: str) -> list[dict[str, Any]]:
        statement = SQL("SELECT * FROM {}.{} ORDER BY " + order_by).format(
            Identifier(self.datastore.schema), Identifier(table)
        )
        with self._read() as curs:
            curs.execute(statement)
            return list(curs.fetchall())

    mark = "%s"

    def _qualified(self, table: str) -> str:
        return (
            SQL("{}.{}")
            .format(Identifier(self.datastore.schema), Identifier(table))
            .as_string(None)
        )

    def _document(self, curs: Cursor[DictRow], org_id: UUID) -> dict[str, Any]:
        known = self._rows.get(org_id) if self._batch is not None else None
        if known is not None:  # Each organization is read at most once per batch.
            return known.doc
        curs.execute(self.select_doc, (org_id,), prepare=True)
        row = curs.fetchone()
        if row is None:
            msg = f"read model has no row for organization {org_id}"
            raise LookupError(msg)
        doc: dict[str, Any] = row["doc"]
        return doc

    def _move_to_version(self, curs: Cursor[DictRow], entry: HistoryEntry) -> None:
        known = self._rows.get(entry.organization_id) if self._batch is not None else None
        if known is not None:
            known.version, known.updated_at = entry.version, entry.occurred_at
            return
        values = (entry.version, entry.occurred_at, entry.organization_id)
        curs.execute(self.move_to_version, values, prepare=True)

    def _announce(self, cursor: Any, position: int) -> None:
        cursor.execute("SELECT pg_notify(%s, %s)", (self.channel, str(position)), prepare=True)

    def _batch_started(self) -> None:
        self._rows, self._history_rows = {}, []

    def _batch_flush(self, cursor: Any) -> None:
        """A batch's new rows and its history, each in one binary ``COPY``; its changed
        rows in one ``executemany``. The gathered ``json`` values are plain objects, so
        the batch's cursor is told how to encode them."""
        inserts, updates = [], []
        for org_id, r in self._rows.items():
            if r.new:
                inserts.append(
                    (org_id, *indexed_columns(r.doc), r.version, r.created_at, r.updated_at, r.doc)
                )
            else:
                updates.append(
                    (*indexed_columns(r.doc), r.version, r.updated_at, _json(r.doc), org_id)
                )
        set_json_dumps(_dumps, cursor)
        for statement, types, rows in (
            (self.copy_rows, ROW_TYPES, inserts),
            (self.copy_history, HISTORY_TYPES, self._history_rows),
        ):
            if rows:
                with cursor.copy(statement) as copy:
                    copy.set_types(types)
                    for row in rows:
                        copy.write_row(row)
        if updates:
            cursor.executemany(self.update_row, updates)
        self._batch_started()

    def _insert_history(
        self, curs: Cursor[DictRow], entry: HistoryEntry, changes: dict[str, Any] | None = None
    ) -> None:
        """Add ``entry`` to the history, with ``changes`` if given (else its own)."""
        values = (
            entry.position,
            entry.organization_id,
            entry.version,
            entry.type,
            entry.occurred_at,
            entry.actor,
            entry.request_id,
            entry.reason,
            entry.changes if changes is None else changes,
        )
        if self._batch is not None:
            self._history_rows.append(values)
        else:
            curs.execute(self.insert_history, _with_json(values, HISTORY_TYPES), prepare=True)

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

    def _select_organization(self, org_id: UUID) -> dict[str, Any] | None:
        return self._one("id", org_id)

    def _select_organization_by(
        self, *, slug: str | None = None, external_id: str | None = None
    ) -> dict[str, Any] | None:
        if slug is not None:
            return self._one("slug", slug)
        return self._one("external_id", external_id)

    def list_organizations(self, query: ListQuery) -> list[dict[str, Any]]:
        condition, params = list_filter(query, "%s", query.after)
        statement = self.select_list + condition + " ORDER BY created_at DESC, id DESC LIMIT %s"
        with self._read() as curs:
            curs.execute(statement, (*params, query.limit))
            return [self._details(row) for row in curs.fetchall()]

    def _one(self, column: str, value: Any) -> dict[str, Any] | None:
        with self._read() as curs:
            curs.execute(self.select_by[column], (value,), prepare=True)
            row = curs.fetchone()
        return None if row is None else self._details(row)

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

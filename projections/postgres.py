"""The lookup read model in PostgreSQL."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from eventsourcing.postgres import PostgresTrackingRecorder
from psycopg.sql import SQL, Composed, Identifier
from psycopg.types.json import Jsonb

from projections.interface import OrganizationLookupView, PositionSignal
from projections.rows import details_of, doc_of, indexed_columns, list_filter

if TYPE_CHECKING:
    from datetime import datetime
    from uuid import UUID

    from eventsourcing.persistence import Tracking
    from eventsourcing.postgres import PostgresDatastore

    from projections.interface import ListQuery

COLUMNS = SQL("id, slug, external_id, name_folded, status, version, created_at, updated_at, doc")


class PostgresOrganizationLookupView(PostgresTrackingRecorder, OrganizationLookupView):
    def __init__(self, datastore: PostgresDatastore, **kwargs: Any) -> None:
        super().__init__(datastore, **kwargs)
        self.check_identifier_length(self.table + "_external_id")
        self.position_signal = PositionSignal()
        schema, table = Identifier(self.datastore.schema), Identifier(self.table)

        def sql(text: str, **names: str) -> Composed:
            ids = {k: Identifier(f"{self.table}_{v}") for k, v in names.items()}
            return SQL(text).format(schema=schema, table=table, columns=COLUMNS, **ids)

        self.sql_create_statements += [
            sql(
                "CREATE TABLE IF NOT EXISTS {schema}.{table} ("
                "id uuid PRIMARY KEY, slug text NOT NULL, external_id text, "
                "name_folded text NOT NULL, status text NOT NULL, version bigint NOT NULL, "
                "created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL, "
                "doc jsonb NOT NULL)"
            ),
            sql(
                "CREATE INDEX IF NOT EXISTS {i} ON {schema}.{table} (slug text_pattern_ops)",
                i="slug",
            ),
            sql(
                "CREATE INDEX IF NOT EXISTS {i} ON {schema}.{table} (external_id)",
                i="external_id",
            ),
            sql(
                "CREATE INDEX IF NOT EXISTS {i} ON {schema}.{table} (name_folded text_pattern_ops)",
                i="name",
            ),
            sql(
                "CREATE INDEX IF NOT EXISTS {i} ON {schema}.{table} (created_at DESC, id DESC)",
                i="created",
            ),
        ]
        self.insert_row = sql(
            "INSERT INTO {schema}.{table} ({columns}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"
        )
        self.select_doc = sql("SELECT doc FROM {schema}.{table} WHERE id = %s FOR UPDATE")
        self.update_row = sql(
            "UPDATE {schema}.{table} SET slug = %s, external_id = %s, name_folded = %s, "
            "status = %s, version = %s, updated_at = %s, doc = %s WHERE id = %s"
        )
        self.select_by = {
            column: sql("SELECT {columns} FROM {schema}.{table} WHERE " + column + " = %s LIMIT 1")
            for column in ("id", "slug", "external_id")
        }
        self.select_list = sql("SELECT {columns} FROM {schema}.{table} WHERE ")

    def insert_organization(self, details: dict[str, Any], tracking: Tracking) -> None:
        doc = doc_of(details)
        row = (
            details["id"],
            *indexed_columns(doc),
            details["version"],
            details["created_at"],
            details["updated_at"],
            Jsonb(doc),
        )
        with self.datastore.transaction(commit=True) as curs:
            curs.execute(self.insert_row, row, prepare=True)
            self._insert_tracking(curs, tracking)
        self.position_signal.advanced(tracking.notification_id)

    def update_organization(
        self,
        org_id: UUID,
        changes: dict[str, Any],
        version: int,
        updated_at: datetime,
        tracking: Tracking,
    ) -> None:
        with self.datastore.transaction(commit=True) as curs:
            curs.execute(self.select_doc, (org_id,), prepare=True)
            row = curs.fetchone()
            if row is None:
                msg = f"read model has no row for organization {org_id}"
                raise LookupError(msg)
            doc = {**row["doc"], **changes}
            curs.execute(
                self.update_row,
                (
                    *indexed_columns(doc),
                    version,
                    updated_at,
                    Jsonb(doc),
                    org_id,
                ),
                prepare=True,
            )
            self._insert_tracking(curs, tracking)
        self.position_signal.advanced(tracking.notification_id)

    def get_organization(self, org_id: UUID) -> dict[str, Any] | None:
        return self._one("id", org_id)

    def find_organization(
        self, *, slug: str | None = None, external_id: str | None = None
    ) -> dict[str, Any] | None:
        if slug is not None:
            return self._one("slug", slug)
        return self._one("external_id", external_id)

    def list_organizations(self, query: ListQuery) -> list[dict[str, Any]]:
        condition, params = list_filter(query, "%s", query.after)
        statement = self.select_list + SQL(
            condition + " ORDER BY created_at DESC, id DESC LIMIT %s"
        )
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(statement, (*params, query.limit))
            return [self._details(row) for row in curs.fetchall()]

    def _one(self, column: str, value: Any) -> dict[str, Any] | None:
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(self.select_by[column], (value,), prepare=True)
            row = curs.fetchone()
        return None if row is None else self._details(row)

    @staticmethod
    def _details(row: dict[str, Any]) -> dict[str, Any]:
        return details_of(
            row["id"], row["doc"], row["version"], row["created_at"], row["updated_at"]
        )

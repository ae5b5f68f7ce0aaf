"""Administration of the read model's tables in PostgreSQL. A rebuild's new copy gets its
secondary indexes once it is filled: building an index from sorted rows is much cheaper
than keeping it up row by row."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from projections.admin import ReadModelAdmin
from projections.postgres.sql import REGION, Statements
from projections.tables import OLD_SUFFIX, STATUS_TABLE, VERSIONS_TABLE

if TYPE_CHECKING:
    from collections.abc import Callable

    from psycopg import Cursor
    from psycopg.rows import DictRow
    from psycopg.sql import Composed

    from projections.tables import Tables
    from projections.writer import RowWriter


TABLES: tuple[tuple[str, dict[str, str]], ...] = (
    (
        "CREATE TABLE IF NOT EXISTS {schema}.{table} ("
        "id uuid PRIMARY KEY, slug text NOT NULL, external_id text, "
        "name_folded text NOT NULL, status text NOT NULL, version bigint NOT NULL, "
        "created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL, "
        "doc json NOT NULL)",
        {},
    ),
    (
        "CREATE TABLE IF NOT EXISTS {schema}.{keys} ("
        "id uuid PRIMARY KEY, organization_id uuid NOT NULL, secret_hash text NOT NULL, "
        "name text, prefix text NOT NULL, created_at timestamptz NOT NULL, "
        "expires_at timestamptz, revoked_at timestamptz)",
        {},
    ),
    (
        "CREATE TABLE IF NOT EXISTS {schema}.{history} ("
        "position bigint PRIMARY KEY, organization_id uuid NOT NULL, "
        "version bigint NOT NULL, type text NOT NULL, occurred_at timestamptz NOT NULL, "
        "actor json NOT NULL, request_id text, reason text, changes json NOT NULL, "
        "region text)",
        {},
    ),
    (
        # A history table written before read model version 6 gets the column (empty
        # until the rebuild that follows the upgrade fills it): the projector goes on
        # writing it meanwhile.
        "ALTER TABLE {schema}.{history} ADD COLUMN IF NOT EXISTS region text",
        {},
    ),
    (
        "CREATE TABLE IF NOT EXISTS {schema}.{members} ("
        "id uuid PRIMARY KEY, organization_id uuid NOT NULL, user_id text, "
        "email_folded text NOT NULL, status text NOT NULL, roles text NOT NULL, "
        "created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL, "
        "doc json NOT NULL)",
        {},
    ),
    (
        "CREATE TABLE IF NOT EXISTS {schema}.{v} (name text PRIMARY KEY, version integer NOT NULL)",
        {"v": VERSIONS_TABLE},
    ),
    (
        "CREATE TABLE IF NOT EXISTS {schema}.{s} "
        "(name text PRIMARY KEY, state text NOT NULL, last_error text)",
        {"s": STATUS_TABLE},
    ),
)
"""A copy's tables (and the shared bookkeeping tables): each statement, with the names it
fills in besides ``Statements.compose``'s own."""

_INDEX = "CREATE INDEX IF NOT EXISTS {i} ON {schema}."
INDEXES: tuple[tuple[str, str, str], ...] = (
    (_INDEX + "{table} (slug text_pattern_ops)", "organizations", "_slug"),
    (_INDEX + "{table} (external_id)", "organizations", "_external_id"),
    (_INDEX + "{table} (name_folded text_pattern_ops)", "organizations", "_name"),
    (_INDEX + "{table} (created_at DESC, id DESC)", "organizations", "_created"),
    (
        _INDEX + "{table} ((" + REGION.organization + "), created_at DESC, id DESC)",
        "organizations",
        "_region",
    ),
    (
        "CREATE UNIQUE INDEX IF NOT EXISTS {i} ON {schema}.{keys} (secret_hash)",
        "keys",
        "_hash",
    ),
    (_INDEX + "{keys} (organization_id, created_at)", "keys", "_organization"),
    (
        "CREATE UNIQUE INDEX IF NOT EXISTS {i} ON {schema}.{history} (organization_id, version)",
        "history",
        "_version",
    ),
    (_INDEX + "{history} (organization_id, occurred_at, version)", "history", "_time"),
    (_INDEX + "{history} (region, position)", "history", "_region"),
    (_INDEX + "{members} (organization_id, user_id)", "members", "_user"),
    (_INDEX + "{members} (organization_id, created_at, id)", "members", "_created"),
    (_INDEX + "{members} (organization_id, email_folded text_pattern_ops)", "members", "_email"),
    (_INDEX + "{members} (user_id, created_at, id)", "members", "_person"),
)
"""A copy's secondary indexes: each statement, the table (a ``Tables`` attribute) whose
name the index's name begins with, and the rest of the index's name."""

LONGEST_NAMES = (
    ("organizations", "_external_id"),
    ("keys", "_organization"),
    ("history", "_version"),
    ("members", "_created"),
)
"""The longest index name of each table (as in ``INDEXES``), checked against PostgreSQL's
limit on identifiers."""


def table_statements(sql: Statements) -> list[Composed]:
    """The statements creating a copy's tables (``TABLES``)."""
    return [sql.compose(text, **names) for text, names in TABLES]


def index_statements(sql: Statements, tables: Tables) -> list[Composed]:
    """The statements creating a copy's secondary indexes (``INDEXES``)."""
    return [sql.compose(text, i=getattr(tables, table) + rest) for text, table, rest in INDEXES]


class PostgresReadModelAdmin(ReadModelAdmin):
    mark = "%s"

    def __init__(self, writer: RowWriter) -> None:
        self.sql = Statements(writer.datastore.schema, writer.tables)
        super().__init__(writer)
        for table, rest in LONGEST_NAMES:
            writer.check_identifier_length(getattr(self.tables, table) + rest)  # type: ignore[attr-defined]
        self.table_statements = table_statements(self.sql)
        self.index_statements = index_statements(self.sql, self.tables)

    def qualified(self, table: str) -> str:
        return self.sql.qualified(table)

    def create_table(self, indexes: bool = True) -> None:
        self.writer.create_table()
        self._execute(self.table_statements)
        if indexes:
            self.create_indexes()

    def create_indexes(self) -> None:
        self._execute(self.index_statements)

    def _execute(self, statements: list[Composed]) -> None:
        with self.datastore.transaction(commit=True) as curs:
            for statement in statements:
                curs.execute(statement)

    def drop(self) -> None:
        with self.datastore.transaction(commit=True) as curs:
            for table in self.tables.all:
                curs.execute(self.sql.compose("DROP TABLE IF EXISTS {schema}.{t}", t=table))

    def rows(self, table: str, order_by: str) -> list[dict[str, Any]]:
        statement = self.sql.compose("SELECT * FROM {schema}.{t} ORDER BY " + order_by, t=table)
        with self.datastore.cursor() as curs:
            curs.execute(statement)
            return list(curs.fetchall())

    def replace_with(
        self, new: ReadModelAdmin, catch_up: Callable[[Any], object], keep_old: bool
    ) -> None:
        sql = self.sql
        with self.datastore.transaction(commit=True) as curs:
            # Holds off this copy's projector (it writes its tracking first) until the switch.
            curs.execute(sql.compose("LOCK TABLE {schema}.{tracking} IN EXCLUSIVE MODE"))
            catch_up(curs)
            for live_table, new_table in zip(self.tables.all, new.tables.all, strict=True):
                old_table = live_table + OLD_SUFFIX
                curs.execute(sql.compose("DROP TABLE IF EXISTS {schema}.{t}", t=old_table))
                if keep_old:
                    self._rename(curs, live_table, old_table)
                else:
                    curs.execute(sql.compose("DROP TABLE {schema}.{t}", t=live_table))
                self._rename(curs, new_table, live_table)

    def _rename(self, curs: Cursor[DictRow], table: str, to: str) -> None:
        """Rename a table and its indexes (which are named after it)."""
        curs.execute(
            "SELECT indexname FROM pg_indexes WHERE schemaname = %s AND tablename = %s",
            (self.sql.schema, table),
        )
        indexes = [row["indexname"] for row in curs.fetchall()]
        curs.execute(self.sql.compose("ALTER TABLE {schema}.{t} RENAME TO {to}", t=table, to=to))
        for index in indexes:
            if index.startswith(table):
                renamed = to + index[len(table) :]
                rename = "ALTER INDEX {schema}.{i} RENAME TO {to}"
                curs.execute(self.sql.compose(rename, i=index, to=renamed))

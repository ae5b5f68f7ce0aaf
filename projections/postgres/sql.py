"""Composing the read model's PostgreSQL statements, and encoding its ``json`` columns.

Documents, actors and changes are ``json``, not ``jsonb``: they are stored as written and
returned as stored, and only the region filters look inside them (an expression index
serves the organizations' one); PostgreSQL checks ``json`` input for syntax only, where
``jsonb`` would parse and rebuild every value a rebuild writes.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import orjson
from psycopg.sql import SQL, Composed, Identifier
from psycopg.types.json import Json

from domain.organizations.attributes import DEFAULT_REGION
from projections.member_rows import MEMBER_COLUMNS
from projections.rows import HISTORY_COLUMNS, KEY_COLUMNS, ORGANIZATION_COLUMNS, RegionSql

if TYPE_CHECKING:
    from projections.tables import Tables

REGION = RegionSql(
    organization=f"COALESCE(doc ->> 'region', '{DEFAULT_REGION}')",
    left="(changes -> 'region' ->> 'from')",
)
ROW_TYPES = ("uuid", "text", "text", "text", "text", "int8", "timestamptz", "timestamptz", "json")
HISTORY_TYPES = (
    "int8",
    "uuid",
    "int8",
    "text",
    "timestamptz",
    "json",
    "text",
    "text",
    "json",
    "text",
)
MEMBER_TYPES = (
    "uuid",
    "uuid",
    "text",
    "text",
    "text",
    "text",
    "timestamptz",
    "timestamptz",
    "json",
)


def dumps(obj: Any) -> bytes | str:
    """JSON for the read model's ``json`` columns: orjson where it can (several times
    faster than the standard library, which matters when a rebuild writes millions of
    documents), the standard library for what orjson refuses (integers beyond 64 bits)."""
    try:
        return orjson.dumps(obj)
    except TypeError:
        return json.dumps(obj)


def json_value(obj: Any) -> Json:
    """A ``json`` value for a statement's parameters."""
    return Json(obj, dumps=dumps)


class Statements:
    """Statements naming one copy's tables in the store's schema."""

    def __init__(self, schema: str, tables: Tables) -> None:
        self.schema = schema
        self.tables = tables

    def compose(self, text: str, **names: str) -> Composed:
        """``text`` with ``{schema}``, ``{table}``, ``{keys}``, ``{history}``, ``{members}``,
        ``{tracking}``, the column lists, and ``names`` (identifiers) filled in."""
        ids = {k: Identifier(v) for k, v in names.items()}
        return SQL(text).format(
            schema=Identifier(self.schema),
            table=Identifier(self.tables.organizations),
            keys=Identifier(self.tables.keys),
            history=Identifier(self.tables.history),
            members=Identifier(self.tables.members),
            tracking=Identifier(self.tables.tracking),
            columns=SQL(ORGANIZATION_COLUMNS),
            key_columns=SQL(KEY_COLUMNS),
            history_columns=SQL(HISTORY_COLUMNS),
            member_columns=SQL(MEMBER_COLUMNS),
            **ids,
        )

    def query(self, text: str) -> str:
        """``compose(text)`` rendered once: psycopg caches the conversion of a plain query
        string, but would render a composed one again on every execution."""
        return self.compose(text).as_string(None)

    def qualified(self, table: str) -> str:
        return SQL("{}.{}").format(Identifier(self.schema), Identifier(table)).as_string(None)

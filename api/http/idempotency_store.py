"""Where the responses to requests sent with an ``Idempotency-Key`` are kept: a table in
the registry's own database, so they survive restarts and every process sees them.

Rows hold no credential and no key in clear: the scope is the SHA-256 of the request's
credential, the key the SHA-256 of its ``Idempotency-Key``, and a response that carries a
secret is kept sealed (``api.http.sealing``)."""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from eventsourcing.postgres import PostgresDatastore
    from eventsourcing.sqlite import SQLiteDatastore

TTL_SECONDS = 24 * 3600
"""How long a response is replayed."""
ABANDONED_SECONDS = 30.0
"""By default (``REGISTRY_IDEMPOTENCY_ABANDONED_SECONDS``): a request still pending after
this long died with its process; its key may be claimed again. For commands that change an
organization that is safe even if it is only slow: a command records its outcome atomically
with its events (``domain.command_records``), so of two runs of one key only one records. A
key issuance may then run twice (two keys; the first one's secret reaches nobody)."""
CLAIMED = "claimed"
LEGACY_TABLE = "idempotency_keys"
"""The table earlier versions kept, with keys and responses in clear: dropped on start-up
(a retry of a request sent just before the upgrade runs again)."""


@dataclass(frozen=True)
class Stored:
    fingerprint: str
    done: bool
    status: int | None
    headers: list[tuple[str, str]]
    body: bytes
    sealed: bool = False


class IdempotencyStore(ABC):
    """One row per (credential scope, key): pending while its first request runs, then
    that request's response."""

    table = "idempotent_responses"
    datastore: Any
    mark = "?"
    abandoned_seconds = ABANDONED_SECONDS

    @abstractmethod
    def create_table(self) -> None:
        """Create the table if it does not exist."""

    @property
    @abstractmethod
    def qualified_table(self) -> str:
        """The table's name as SQL may use it."""

    def claim(self, scope: str, key: str, fingerprint: str, now: float) -> str | Stored:
        """``CLAIMED`` if this request runs, else what the key holds (pending or done)."""
        m, t = self.mark, self.qualified_table
        with self.datastore.transaction(commit=True) as c:
            c.execute(
                f"DELETE FROM {t} WHERE scope = {m} AND key = {m} AND (created_at < {m} "
                f"OR (NOT done AND created_at < {m}))",
                (scope, key, now - TTL_SECONDS, now - self.abandoned_seconds),
            )
            c.execute(
                f"INSERT INTO {t} (scope, key, fingerprint, done, created_at) "
                f"VALUES ({m}, {m}, {m}, FALSE, {m}) ON CONFLICT (scope, key) DO NOTHING "
                "RETURNING key",
                (scope, key, fingerprint, now),
            )
            if c.fetchone() is not None:
                return CLAIMED
            stored = self._select(c, scope, key)
        return stored if stored is not None else self.claim(scope, key, fingerprint, now)

    def stored(self, scope: str, key: str) -> Stored | None:
        with self.datastore.transaction(commit=False) as c:
            return self._select(c, scope, key)

    def complete(
        self,
        scope: str,
        key: str,
        status: int,
        headers: list[tuple[str, str]],
        body: bytes,
        *,
        sealed: bool = False,
    ) -> None:
        m = self.mark
        with self.datastore.transaction(commit=True) as c:
            c.execute(
                f"UPDATE {self.qualified_table} SET done = TRUE, status = {m}, headers = {m}, "
                f"body = {m}, sealed = {m} WHERE scope = {m} AND key = {m}",
                (status, json.dumps(headers), body, sealed, scope, key),
            )

    def release(self, scope: str, key: str) -> None:
        """Forget a request that failed without a response worth replaying."""
        m = self.mark
        with self.datastore.transaction(commit=True) as c:
            c.execute(
                f"DELETE FROM {self.qualified_table} WHERE scope = {m} AND key = {m} AND NOT done",
                (scope, key),
            )

    def purge(self, now: float) -> None:
        """Delete the keys past their 24 hours."""
        with self.datastore.transaction(commit=True) as c:
            c.execute(
                f"DELETE FROM {self.qualified_table} WHERE created_at < {self.mark}",
                (now - TTL_SECONDS,),
            )

    def _select(self, c: Any, scope: str, key: str) -> Stored | None:
        m = self.mark
        c.execute(
            f"SELECT fingerprint, done, status, headers, body, sealed FROM {self.qualified_table} "
            f"WHERE scope = {m} AND key = {m}",
            (scope, key),
        )
        row = c.fetchone()
        if row is None:
            return None
        headers = [tuple(h) for h in json.loads(row["headers"] or "[]")]
        return Stored(
            row["fingerprint"],
            bool(row["done"]),
            row["status"],
            headers,
            bytes(row["body"] or b""),
            bool(row["sealed"]),
        )


class SQLiteIdempotencyStore(IdempotencyStore):
    def __init__(self, datastore: SQLiteDatastore) -> None:
        self.datastore = datastore

    @property
    def qualified_table(self) -> str:
        return self.table

    def create_table(self) -> None:
        with self.datastore.transaction(commit=True) as c:
            c.execute(f"DROP TABLE IF EXISTS {LEGACY_TABLE}")
            c.execute(
                f"CREATE TABLE IF NOT EXISTS {self.table} (scope TEXT NOT NULL, key TEXT NOT NULL, "
                "fingerprint TEXT NOT NULL, done BOOLEAN NOT NULL, created_at REAL NOT NULL, "
                "status INTEGER, headers TEXT, body BLOB, sealed BOOLEAN NOT NULL DEFAULT FALSE, "
                "PRIMARY KEY (scope, key))"
            )
            c.execute(
                f"CREATE INDEX IF NOT EXISTS {self.table}_created ON {self.table} (created_at)"
            )


class PostgresIdempotencyStore(IdempotencyStore):
    mark = "%s"

    def __init__(self, datastore: PostgresDatastore) -> None:
        self.datastore = datastore

    @property
    def qualified_table(self) -> str:
        schema = self.datastore.schema.replace('"', '""')
        return f'"{schema}"."{self.table}"'

    def create_table(self) -> None:
        schema = self.datastore.schema.replace('"', '""')
        with self.datastore.transaction(commit=True) as c:
            c.execute(f'DROP TABLE IF EXISTS "{schema}"."{LEGACY_TABLE}"')
            c.execute(
                f"CREATE TABLE IF NOT EXISTS {self.qualified_table} (scope text NOT NULL, "
                "key text NOT NULL, fingerprint text NOT NULL, done boolean NOT NULL, "
                "created_at double precision NOT NULL, status integer, headers text, body bytea, "
                "sealed boolean NOT NULL DEFAULT FALSE, PRIMARY KEY (scope, key))"
            )
            c.execute(
                f'CREATE INDEX IF NOT EXISTS "{self.table}_created" '
                f"ON {self.qualified_table} (created_at)"
            )


def construct_idempotency_store(
    datastore: Any, abandoned_seconds: float = ABANDONED_SECONDS
) -> IdempotencyStore:
    """Kept in the read model's database, through the same connections; its table created."""
    from eventsourcing.postgres import PostgresDatastore

    store: IdempotencyStore = (
        PostgresIdempotencyStore(datastore)
        if isinstance(datastore, PostgresDatastore)
        else SQLiteIdempotencyStore(datastore)
    )
    store.abandoned_seconds = abandoned_seconds
    store.create_table()
    return store

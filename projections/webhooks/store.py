"""The webhook tables, the same on SQLite and PostgreSQL: endpoints as the delivery
follower projects them, sealed secrets, the outbox of deliveries, and the follower's
position. Every value is a bound parameter; table names are constants."""

from __future__ import annotations

import json
import time
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterator

PROGRESS = "webhooks"
TABLES = ("webhook_endpoints", "webhook_secrets", "webhook_deliveries", "webhook_progress")
DELIVERY_FIELDS = (
    "endpoint_id, position, organization_id, event_type, payload, attempts, failures, "
    "last_status, last_code, last_attempt_at, next_attempt_at, delivered_at"
)


@dataclass(frozen=True)
class Delivery:
    """One event for one endpoint (an outbox row)."""

    endpoint_id: str
    position: int
    organization_id: str
    event_type: str
    payload: str
    occurred_at: float
    """When the event was recorded (seconds since the epoch)."""


def _schema(postgres: bool) -> list[str]:
    big, real = ("BIGINT", "DOUBLE PRECISION") if postgres else ("INTEGER", "REAL")
    return [
        "CREATE TABLE IF NOT EXISTS {p}webhook_endpoints (id TEXT PRIMARY KEY, "
        "organization_id TEXT, url TEXT NOT NULL, event_types TEXT, description TEXT, "
        "enabled INTEGER NOT NULL, disabled_reason TEXT, deleted INTEGER NOT NULL, "
        f"secrets TEXT NOT NULL, version {big} NOT NULL, created_at {real} NOT NULL, "
        f"updated_at {real} NOT NULL)",
        "CREATE TABLE IF NOT EXISTS {p}webhook_secrets (id TEXT PRIMARY KEY, "
        f"sealed TEXT NOT NULL, created_at {real} NOT NULL)",
        "CREATE TABLE IF NOT EXISTS {p}webhook_deliveries (endpoint_id TEXT NOT NULL, "
        f"position {big} NOT NULL, organization_id TEXT NOT NULL, event_type TEXT NOT NULL, "
        f"occurred_at {real} NOT NULL, "
        "payload TEXT NOT NULL, attempts INTEGER NOT NULL, failures INTEGER NOT NULL, "
        f"last_status TEXT, last_code INTEGER, last_attempt_at {real}, "
        f"next_attempt_at {real}, delivered_at {real}, PRIMARY KEY (endpoint_id, position))",
        "CREATE INDEX IF NOT EXISTS webhook_deliveries_pending ON {p}webhook_deliveries "
        "(endpoint_id, organization_id, position) WHERE delivered_at IS NULL",
        f"CREATE TABLE IF NOT EXISTS {{p}}webhook_progress (name TEXT PRIMARY KEY, position {big} NOT NULL)",
    ]


class WebhookStore:
    """The webhook tables in the database of the read model's ``datastore``."""

    def __init__(self, datastore: Any, postgres: bool) -> None:
        self.datastore, self.postgres = datastore, postgres
        self._prefix = f"{datastore.schema}." if postgres else ""

    def create_tables(self) -> None:
        with self.transaction() as c:
            for statement in _schema(self.postgres):
                self.run(c, statement)
            self.run(
                c,
                "INSERT INTO {p}webhook_progress (name, position) VALUES (?, 0) "
                "ON CONFLICT (name) DO NOTHING",
                (PROGRESS,),
            )

    @contextmanager
    def transaction(self) -> Iterator[Any]:
        with self.datastore.transaction(commit=True) as cursor:
            yield cursor

    def run(self, cursor: Any, statement: str, params: tuple[Any, ...] = ()) -> int:
        """Execute ``statement`` (``?`` placeholders, ``{p}`` the tables' schema); returns
        the rows it changed."""
        text = statement.replace("{p}", self._prefix)
        cursor.execute(text.replace("?", "%s") if self.postgres else text, params)
        return int(getattr(cursor, "sqlite_cursor", cursor).rowcount)

    def rows(self, statement: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        with self.datastore.transaction(commit=False) as cursor:
            self.run(cursor, statement, params)
            return [dict(row) for row in cursor.fetchall()]

    # Secrets

    def keep_secret(self, secret_id: str, sealed: str) -> None:
        with self.transaction() as c:
            self.run(
                c,
                "INSERT INTO {p}webhook_secrets (id, sealed, created_at) VALUES (?, ?, ?)",
                (secret_id, sealed, time.time()),
            )

    def sealed_secret(self, secret_id: str) -> str | None:
        found = self.rows("SELECT sealed FROM {p}webhook_secrets WHERE id = ?", (secret_id,))
        return found[0]["sealed"] if found else None

    # The follower's writes, in one transaction each batch

    def position(self) -> int:
        found = self.rows("SELECT position FROM {p}webhook_progress WHERE name = ?", (PROGRESS,))
        return int(found[0]["position"]) if found else 0

    def advance(self, cursor: Any, before: int, after: int) -> bool:
        """Move the position from ``before`` to ``after`` (first in its transaction: on
        SQLite this takes the write lock); ``False`` if another writer moved it."""
        return (
            self.run(
                cursor,
                "UPDATE {p}webhook_progress SET position = ? WHERE name = ? AND position = ?",
                (after, PROGRESS, before),
            )
            == 1
        )

    def save_endpoint(self, cursor: Any, e: dict[str, Any]) -> None:
        types = None if e["event_types"] is None else json.dumps(e["event_types"])
        values = (
            str(e["id"]),
            None if e["organization_id"] is None else str(e["organization_id"]),
            e["url"],
            types,
            e["description"],
            int(e["enabled"]),
            e["disabled_reason"],
            int(e.get("deleted", False)),
            json.dumps(e["secrets"]),
            e["version"],
            e["created_at"].timestamp(),
            e["updated_at"].timestamp(),
        )
        self.run(
            cursor,
            "INSERT INTO {p}webhook_endpoints (id, organization_id, url, event_types, "
            "description, enabled, disabled_reason, deleted, secrets, version, created_at, "
            "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE "
            "SET url = excluded.url, event_types = excluded.event_types, "
            "description = excluded.description, enabled = excluded.enabled, "
            "disabled_reason = excluded.disabled_reason, deleted = excluded.deleted, "
            "secrets = excluded.secrets, version = excluded.version, "
            "updated_at = excluded.updated_at",
            values,
        )

    def enabled_again(self, cursor: Any, endpoint_id: str, now: float) -> None:
        """An enabled endpoint resumes at its first undelivered event, on a fresh schedule."""
        self.run(
            cursor,
            "UPDATE {p}webhook_deliveries SET failures = 0, next_attempt_at = ? "
            "WHERE endpoint_id = ? AND delivered_at IS NULL",
            (now, endpoint_id),
        )

    def forget_endpoint(self, cursor: Any, endpoint_id: str, secret_ids: list[str]) -> None:
        """A deleted endpoint: its outbox rows and its sealed secrets go."""
        self.run(cursor, "DELETE FROM {p}webhook_deliveries WHERE endpoint_id = ?", (endpoint_id,))
        self.forget_secrets(cursor, secret_ids)

    def forget_secrets(self, cursor: Any, secret_ids: list[str]) -> None:
        """Sealed secrets no endpoint signs with any more: removed."""
        for secret_id in secret_ids:
            self.run(cursor, "DELETE FROM {p}webhook_secrets WHERE id = ?", (secret_id,))

    def insert_deliveries(self, cursor: Any, rows: list[Delivery], now: float) -> None:
        """New outbox rows; a row already there (a replay) is pending again from now."""
        for row in rows:
            self.run(
                cursor,
                "INSERT INTO {p}webhook_deliveries (endpoint_id, position, organization_id, "
                "event_type, payload, occurred_at, attempts, failures, next_attempt_at) "
                "VALUES (?, ?, ?, ?, ?, ?, 0, 0, ?) ON CONFLICT (endpoint_id, position) DO UPDATE "
                "SET delivered_at = NULL, failures = 0, next_attempt_at = excluded.next_attempt_at",
                (
                    row.endpoint_id,
                    row.position,
                    row.organization_id,
                    row.event_type,
                    row.payload,
                    row.occurred_at,
                    now,
                ),
            )

    # The dispatcher's reads and writes

    def endpoints(self, organization_id: str | None = None) -> list[dict[str, Any]]:
        """Endpoints not deleted (an organization's, or all), oldest first."""
        params: tuple[str, ...] = ()
        if organization_id is None:
            where = ""
        else:
            where, params = " AND organization_id = ?", (organization_id,)
        return self.rows(
            f"SELECT * FROM {{p}}webhook_endpoints WHERE deleted = 0{where} ORDER BY created_at",
            params,
        )

    def due(self, now: float, limit: int) -> list[dict[str, Any]]:
        """Of each (endpoint, organization), the first undelivered event, if due now, for
        endpoints enabled: the next waits for it. Endpoints take turns: each one's oldest,
        then each one's second oldest, ... so no endpoint's many crowd out another's."""
        # The firsts come from one pass over the pending index (not a lookup per row):
        # a backlog of many events per organization costs one index scan.
        return self.rows(
            "SELECT endpoint_id, position, organization_id, payload, failures, "
            "next_attempt_at, url, secrets FROM (SELECT d.endpoint_id, d.position, "
            "d.organization_id, d.payload, d.failures, d.next_attempt_at, e.url, e.secrets, "
            "ROW_NUMBER() OVER (PARTITION BY d.endpoint_id ORDER BY d.position) AS turn "
            "FROM (SELECT endpoint_id, organization_id, MIN(position) AS position "
            "FROM {p}webhook_deliveries WHERE delivered_at IS NULL "
            "GROUP BY endpoint_id, organization_id) f JOIN {p}webhook_deliveries d "
            "ON d.endpoint_id = f.endpoint_id AND d.position = f.position "
            "JOIN {p}webhook_endpoints e ON e.id = d.endpoint_id "
            "WHERE e.enabled = 1 AND d.next_attempt_at <= ?) due "
            "ORDER BY turn, position LIMIT ?",
            (now, limit),
        )

    def record_attempt(
        self,
        key: tuple[str, int, float],
        status: str,
        code: int | None,
        next_at: float | None,
    ) -> bool:
        """One attempt's outcome: ``delivered`` (then ``next_at`` is ``None``) or not.
        ``key``: the row's endpoint, position and the ``next_attempt_at`` it was sent for;
        ``False`` (nothing written) if the row was queued again meanwhile (a replay, the
        endpoint enabled again) or another sender recorded it: it is sent again."""
        now = time.time()
        delivered, failed = (now, 0) if status == "delivered" else (None, 1)
        with self.transaction() as c:
            return (
                self.run(
                    c,
                    "UPDATE {p}webhook_deliveries SET attempts = attempts + 1, "
                    "failures = failures + ?, last_status = ?, last_code = ?, "
                    "last_attempt_at = ?, next_attempt_at = ?, delivered_at = ? "
                    "WHERE endpoint_id = ? AND position = ? AND next_attempt_at = ?",
                    (failed, status, code, now, next_at, delivered, *key),
                )
                == 1
            )

    def mark_disabled(self, endpoint_id: str, version: int, reason: str) -> None:
        """What the endpoint's ``Disabled`` event at ``version`` will project, unless a
        later event was projected already."""
        with self.transaction() as c:
            self.run(
                c,
                "UPDATE {p}webhook_endpoints SET enabled = 0, disabled_reason = ?, version = ? "
                "WHERE id = ? AND version < ?",
                (reason, version, endpoint_id, version),
            )

    def lag(self) -> list[dict[str, Any]]:
        """Of each endpoint not deleted: its events not yet delivered, and when the oldest
        of them was recorded (``None``: none is waiting)."""
        return self.rows(
            "SELECT e.id AS endpoint_id, COUNT(d.position) AS events, "
            "MIN(d.occurred_at) AS oldest FROM {p}webhook_endpoints e "
            "LEFT JOIN {p}webhook_deliveries d ON d.endpoint_id = e.id "
            "AND d.delivered_at IS NULL WHERE e.deleted = 0 GROUP BY e.id"
        )

    def deliveries(self, endpoint_id: str, after: int, limit: int) -> list[dict[str, Any]]:
        return self.rows(
            f"SELECT {DELIVERY_FIELDS} FROM {{p}}webhook_deliveries WHERE endpoint_id = ? "
            "AND position > ? ORDER BY position LIMIT ?",
            (endpoint_id, after, limit),
        )

"""Administration of the read model's tables in SQLite."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from eventsourcing.persistence import OperationalError

from projections.admin import ReadModelAdmin
from projections.sqlite.columns import REGION
from projections.tables import OLD_SUFFIX, STATUS_TABLE, VERSIONS_TABLE

if TYPE_CHECKING:
    from collections.abc import Callable


class SQLiteReadModelAdmin(ReadModelAdmin):
    mark = "?"

    def statements(self) -> list[str]:
        """This copy's tables and indexes (and the shared bookkeeping tables)."""
        t, k = self.tables.organizations, self.tables.keys
        return [
            f"CREATE TABLE IF NOT EXISTS {t} ("
            "id TEXT PRIMARY KEY, slug TEXT NOT NULL, external_id TEXT, "
            "name_folded TEXT NOT NULL, status TEXT NOT NULL, version INTEGER NOT NULL, "
            "created_at TEXT NOT NULL, updated_at TEXT NOT NULL, doc TEXT NOT NULL)",
            f"CREATE INDEX IF NOT EXISTS {t}_slug ON {t} (slug)",
            f"CREATE INDEX IF NOT EXISTS {t}_external_id ON {t} (external_id)",
            f"CREATE INDEX IF NOT EXISTS {t}_created ON {t} (created_at DESC, id DESC)",
            f"CREATE INDEX IF NOT EXISTS {t}_region "
            f"ON {t} ({REGION.organization}, created_at DESC, id DESC)",
            f"CREATE TABLE IF NOT EXISTS {k} ("
            "id TEXT PRIMARY KEY, organization_id TEXT NOT NULL, secret_hash TEXT NOT NULL, "
            "name TEXT, prefix TEXT NOT NULL, created_at TEXT NOT NULL, expires_at TEXT, "
            "revoked_at TEXT)",
            f"CREATE UNIQUE INDEX IF NOT EXISTS {k}_hash ON {k} (secret_hash)",
            f"CREATE INDEX IF NOT EXISTS {k}_organization ON {k} (organization_id, created_at)",
            *self._history_and_members(),
            f"CREATE TABLE IF NOT EXISTS {VERSIONS_TABLE} "
            "(name TEXT PRIMARY KEY, version INTEGER NOT NULL)",
            f"CREATE TABLE IF NOT EXISTS {STATUS_TABLE} "
            "(name TEXT PRIMARY KEY, state TEXT NOT NULL, last_error TEXT)",
        ]

    def _history_and_members(self) -> list[str]:
        h, m = self.tables.history, self.tables.members
        return [
            f"CREATE TABLE IF NOT EXISTS {h} ("
            "position INTEGER PRIMARY KEY, organization_id TEXT NOT NULL, "
            "version INTEGER NOT NULL, type TEXT NOT NULL, occurred_at TEXT NOT NULL, "
            "actor TEXT NOT NULL, request_id TEXT, reason TEXT, changes TEXT NOT NULL, "
            "region TEXT)",
            f"CREATE UNIQUE INDEX IF NOT EXISTS {h}_version ON {h} (organization_id, version)",
            f"CREATE INDEX IF NOT EXISTS {h}_time ON {h} (organization_id, occurred_at, version)",
            f"CREATE INDEX IF NOT EXISTS {h}_region ON {h} (region, position)",
            f"CREATE TABLE IF NOT EXISTS {m} ("
            "id TEXT PRIMARY KEY, organization_id TEXT NOT NULL, user_id TEXT, "
            "email_folded TEXT NOT NULL, status TEXT NOT NULL, roles TEXT NOT NULL, "
            "created_at TEXT NOT NULL, updated_at TEXT NOT NULL, doc TEXT NOT NULL)",
            f"CREATE INDEX IF NOT EXISTS {m}_user ON {m} (organization_id, user_id)",
            f"CREATE INDEX IF NOT EXISTS {m}_created ON {m} (organization_id, created_at, id)",
            f"CREATE INDEX IF NOT EXISTS {m}_email ON {m} (organization_id, email_folded)",
            f"CREATE INDEX IF NOT EXISTS {m}_person ON {m} (user_id, created_at, id)",
        ]

    def create_table(self, indexes: bool = True) -> None:
        """Tables and indexes together: SQLite keeps its indexes up cheaply enough."""
        self.writer.create_table()
        self._add_history_region()
        with self.datastore.transaction(commit=True) as c:
            for statement in self.statements():
                c.execute(statement)

    def _add_history_region(self) -> None:
        """Give a history table written before read model version 6 its region column
        (empty until the rebuild that follows the upgrade fills it), so the projector can
        go on writing it meanwhile. Looked at in a transaction of its own: a SQLite
        transaction that reads first cannot write after another writer's commit."""
        with self.datastore.transaction(commit=False) as c:
            c.execute(f"PRAGMA table_info({self.tables.history})")
            columns = {row["name"] for row in c.fetchall()}
        if columns and "region" not in columns:
            try:
                with self.datastore.transaction(commit=True) as c:
                    c.execute(f"ALTER TABLE {self.tables.history} ADD COLUMN region TEXT")
            except OperationalError as error:  # Another process added it meanwhile.
                if "duplicate column" not in str(error):
                    raise

    def create_indexes(self) -> None:
        """Created with the tables."""

    def drop(self) -> None:
        with self.datastore.transaction(commit=True) as c:
            for table in self.tables.all:
                c.execute(f"DROP TABLE IF EXISTS {table}")

    def rows(self, table: str, order_by: str) -> list[dict[str, Any]]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(f"SELECT * FROM {table} ORDER BY {order_by}")
            return [dict(row) for row in c.fetchall()]

    def replace_with(
        self, new: ReadModelAdmin, catch_up: Callable[[Any], object], keep_old: bool
    ) -> None:
        live = self.tables.all
        with self.datastore.transaction(commit=True) as c:
            # A write first, so the switch holds the write lock before it reads anything.
            c.execute(f"DELETE FROM {new.tables.tracking} WHERE 0")
            catch_up(c)
            for live_table, new_table in zip(live, new.tables.all, strict=True):
                old_table = live_table + OLD_SUFFIX
                c.execute(f"DROP TABLE IF EXISTS {old_table}")
                if keep_old:
                    c.execute(f"ALTER TABLE {live_table} RENAME TO {old_table}")
                else:
                    c.execute(f"DROP TABLE {live_table}")
                c.execute(f"ALTER TABLE {new_table} RENAME TO {live_table}")
            # SQLite cannot rename indexes: drop those that came with renamed tables and make
            # the live copy's own again.
            names = (*live, *(t + OLD_SUFFIX for t in live))
            marks = ", ".join("?" * len(names))
            c.execute(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
                f"AND tbl_name IN ({marks})",
                names,
            )
            for (index,) in c.fetchall():
                c.execute(f'DROP INDEX "{index}"')
            for statement in self.statements():
                c.execute(statement)

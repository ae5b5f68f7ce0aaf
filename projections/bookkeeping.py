"""The read models' bookkeeping rows, the same on every store: schema versions and switch
counts (``read_model_versions``), projector states (``projection_status``), and the
positions a copy's tracking table holds."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from projections.tables import STATUS_TABLE, VERSIONS_TABLE

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable


class Bookkeeping:
    def __init__(self, datastore: Any, mark: str, qualified: Callable[[str], str]) -> None:
        """``mark``: the store's placeholder; ``qualified``: a table's name as a statement
        writes it."""
        self.datastore = datastore
        self.mark = mark
        self.versions = qualified(VERSIONS_TABLE)
        self.status = qualified(STATUS_TABLE)
        self._qualified = qualified

    def number(self, name: str) -> int | None:
        with self.datastore.transaction(commit=False) as c:
            c.execute(f"SELECT version FROM {self.versions} WHERE name = {self.mark}", (name,))
            row = c.fetchone()
        return None if row is None else int(row["version"])

    def record_number(self, name: str, number: int) -> None:
        m = self.mark
        with self.datastore.transaction(commit=True) as c:
            c.execute(
                f"INSERT INTO {self.versions} (name, version) VALUES ({m}, {m}) "
                "ON CONFLICT (name) DO UPDATE SET version = excluded.version",
                (name, number),
            )

    def record_status(self, name: str, state: str, last_error: str | None) -> None:
        m = self.mark
        with self.datastore.transaction(commit=True) as c:
            c.execute(
                f"INSERT INTO {self.status} (name, state, last_error) VALUES ({m}, {m}, {m}) "
                "ON CONFLICT (name) DO UPDATE SET state = excluded.state, "
                "last_error = excluded.last_error",
                (name, state, last_error),
            )

    def recorded_status(self, name: str) -> tuple[str | None, str | None]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT state, last_error FROM {self.status} WHERE name = {self.mark}", (name,)
            )
            row = c.fetchone()
        return (None, None) if row is None else (row["state"], row["last_error"])

    def tracked(self, tracking_table: str) -> dict[str, int]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                "SELECT application_name, notification_id FROM " + self._qualified(tracking_table)
            )
            return {row["application_name"]: int(row["notification_id"]) for row in c.fetchall()}

    def forget_tracking(self, cursor: Any, tracking_table: str, names: Iterable[str]) -> None:
        """Delete the positions recorded under ``names``, in ``cursor``'s transaction."""
        table = self._qualified(tracking_table)
        for name in names:
            cursor.execute(
                f"DELETE FROM {table} WHERE application_name = {self.mark}",
                (name,),
            )

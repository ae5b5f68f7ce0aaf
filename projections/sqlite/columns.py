"""How the read model's values are kept in SQLite's columns: times as fixed-width UTC text
(which sorts in time order), ids as text, documents as JSON text."""

from __future__ import annotations

from datetime import UTC, datetime

from domain.organizations.attributes import DEFAULT_REGION
from projections.rows import RegionSql

REGION = RegionSql(
    organization=f"COALESCE(json_extract(doc, '$.region'), '{DEFAULT_REGION}')",
    left="json_extract(changes, '$.region.from')",
)


def as_text(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def optional_text(value: datetime | None) -> str | None:
    return None if value is None else as_text(value)


def parse_time(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)

"""How an organization is laid out in a read-model row, the same on every store."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from domain.organizations.organization import STATE_FIELDS, organization_details
from domain.storable import check_time

if TYPE_CHECKING:
    from projections.records import HistoryQuery, ListQuery


def doc_of(state: dict[str, Any]) -> dict[str, Any]:
    return {f: state.get(f) for f in STATE_FIELDS}


def indexed_columns(doc: dict[str, Any]) -> tuple[str, str | None, str, str]:
    """The columns queries filter on, derived from the document: slug, external id,
    case-folded name, status."""
    return doc["slug"], doc["external_id"], doc["name"].casefold(), doc["status"]


def details_of(
    org_id: Any, doc: dict[str, Any], version: int, created_at: datetime, updated_at: datetime
) -> dict[str, Any]:
    return organization_details(UUID(str(org_id)), doc, version, created_at, updated_at)


def public_key(row: dict[str, Any]) -> dict[str, Any]:
    """A key as it is shown: no hash, no organization (the caller named it)."""
    return {k: row[k] for k in ("id", "name", "prefix", "created_at", "expires_at", "revoked_at")}


def _like_literal(text: str) -> str:
    """``text`` matched literally by LIKE (escape character ``\\``), case-folded."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_").casefold()


def like_prefix(text: str) -> str:
    """A LIKE pattern matching ``text`` literally as a prefix (escape character ``\\``)."""
    return _like_literal(text) + "%"


def like_contains(text: str) -> str:
    """A LIKE pattern matching ``text`` literally anywhere (escape character ``\\``)."""
    return "%" + _like_literal(text) + "%"


def encode_cursor(created_at: datetime, org_id: UUID) -> str:
    raw = json.dumps([created_at.isoformat(), str(org_id)]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, UUID]:
    """Raise ``ValueError`` for a cursor this service did not issue."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        created_at, org_id = json.loads(raw)
        return check_time(datetime.fromisoformat(created_at)), UUID(org_id)
    except Exception as e:  # Any text at all may arrive as a cursor.
        raise ValueError("invalid cursor") from e


@dataclass(frozen=True)
class RegionSql:
    """How a store's statements read regions inside its JSON columns."""

    organization: str
    """An organization row's region (seed 001's default for a row written before regions:
    the rebuild that follows an upgrade writes it)."""
    left: str
    """The region a history row's ``RegionChanged`` moved the organization out of."""


def list_filter(
    query: ListQuery, mark: str, after: tuple[Any, Any] | None, region: RegionSql
) -> tuple[str, list[Any]]:
    """The WHERE condition of a list query, with ``mark`` as placeholder, and its parameters.

    ``after`` is the query's cursor in the store's own column types.
    """
    where, params = ["status <> 'archived'" if query.status is None else f"status = {mark}"], []
    if query.status is not None:
        params.append(query.status)
    if query.q:
        where.append(f"(name_folded LIKE {mark} ESCAPE '\\' OR slug LIKE {mark} ESCAPE '\\')")
        params += [like_prefix(query.q)] * 2
    if query.external_id is not None:
        where.append(f"external_id = {mark}")
        params.append(query.external_id)
    if query.region is not None:
        where.append(f"{region.organization} = {mark}")
        params.append(query.region)
    if after is not None:
        where.append(f"(created_at, id) < ({mark}, {mark})")
        params += list(after)
    return " AND ".join(where), params


ORGANIZATION_COLUMNS = (
    "id, slug, external_id, name_folded, status, version, created_at, updated_at, doc"
)
KEY_COLUMNS = "id, organization_id, secret_hash, name, prefix, created_at, expires_at, revoked_at"
HISTORY_COLUMNS = (
    "position, organization_id, version, type, occurred_at, actor, request_id, reason, changes, "
    "region"
)


def history_filter(query: HistoryQuery, mark: str, since: Any, until: Any) -> tuple[str, list[Any]]:
    """The WHERE and ORDER BY of a history page, with ``mark`` as placeholder, and its
    parameters; ``since`` and ``until`` are the query's times in the store's own types."""
    where = [f"organization_id = {mark}"]
    params: list[Any] = [query.organization_id]
    if query.after_version is not None:
        where.append(f"version {'<' if query.descending else '>'} {mark}")
        params.append(query.after_version)
    if query.types:
        where.append(f"type IN ({', '.join([mark] * len(query.types))})")
        params += list(query.types)
    if since is not None:
        where.append(f"occurred_at >= {mark}")
        params.append(since)
    if until is not None:
        where.append(f"occurred_at <= {mark}")
        params.append(until)
    order = "DESC" if query.descending else "ASC"
    return " AND ".join(where) + f" ORDER BY version {order} LIMIT {mark}", params


def feed_filter(
    after: int,
    limit: int,
    types: tuple[str, ...],
    mark: str,
    region: tuple[str, RegionSql, str] | None = None,
) -> tuple[str, list[Any]]:
    """The WHERE and ORDER BY of a change-feed page, and its parameters. ``region``: the
    region, how the store reads regions, and its organizations table; the page then holds
    the events recorded while their organization was in the region (a move is in the feed
    of the region it entered), and the moves out of it. A row written before read model
    version 6 has no region until the rebuild that follows the upgrade fills it; until
    then it counts in the region its organization is in now."""
    where = f"position > {mark}"
    params: list[Any] = [after]
    if types:
        where += f" AND type IN ({', '.join([mark] * len(types))})"
        params += list(types)
    if region is not None:
        name, sql, organizations = region
        where += (
            f" AND (region = {mark} OR (type = 'RegionChanged' AND {sql.left} = {mark}) "  # noqa: S608 - names, not input
            f"OR (region IS NULL AND organization_id IN (SELECT id FROM {organizations} "
            f"WHERE {sql.organization} = {mark})))"
        )
        params += [name] * 3
    return f"{where} ORDER BY position LIMIT {mark}", [*params, limit]

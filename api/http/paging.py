"""Keyset pages: the cursor a page's ``cursor`` query parameter carries (400 for any text
this service did not issue), and the cursor of the page after."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from api.http.errors import InvalidQueryError
from projections.rows import decode_cursor, encode_cursor

if TYPE_CHECKING:
    from datetime import datetime
    from uuid import UUID


def after_cursor(cursor: str | None) -> tuple[datetime, UUID] | None:
    """A page's keyset cursor, as ``encode_cursor`` made it; 400 for any other text."""
    try:
        return None if cursor is None else decode_cursor(cursor)
    except ValueError:
        raise InvalidQueryError("cursor", "is not a cursor this service issued") from None


def next_cursor(rows: list[dict[str, Any]], limit: int) -> str | None:
    """The cursor of the page after ``rows`` (read with ``limit + 1``): its last row's
    (created_at, id), or ``None`` when there is no more."""
    if len(rows) <= limit:
        return None
    last = rows[limit - 1]
    return encode_cursor(last["created_at"], last["id"])

"""Read-side answers about history, assembled from the read model: a page of an
organization's events, and a page of the change feed."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from api.history.schemas import FeedEvent, FeedPage, HistoryEvent, HistoryPage
from api.http.errors import InvalidQueryError
from api.organizations.queries import organization_now
from projections.projection import ORGANIZATION_EVENTS
from projections.records import HistoryQuery

if TYPE_CHECKING:
    from datetime import datetime
    from uuid import UUID

    from projections.queries import ReadModelQueries

_VERSION_CURSOR = re.compile(r"[0-9]{1,18}")
EVENT_TYPES = tuple(cls.__name__ for cls in ORGANIZATION_EVENTS)


def check_event_types(types: list[str]) -> tuple[str, ...]:
    unknown = sorted(set(types) - set(EVENT_TYPES))
    if unknown:
        raise InvalidQueryError("type", f"unknown event type {unknown[0]!r}; one of {EVENT_TYPES}")
    return tuple(types)


def history_page(
    read_model: ReadModelQueries,
    org_id: UUID,
    limit: int,
    cursor: str | None,
    *,
    descending: bool,
    types: list[str],
    since: datetime | None,
    until: datetime | None,
) -> HistoryPage:
    if cursor is not None and not _VERSION_CURSOR.fullmatch(cursor):
        raise InvalidQueryError("cursor", "is not a cursor this service issued")
    organization_now(read_model, org_id)  # Not found: 404, not an empty history.
    query = HistoryQuery(
        org_id,
        limit + 1,
        None if cursor is None else int(cursor),
        descending,
        check_event_types(types),
        since,
        until,
    )
    entries = read_model.organization_history(query)
    more = len(entries) > limit
    return HistoryPage(
        organization_id=org_id,
        events=[HistoryEvent(**HistoryEvent.fields_of(e)) for e in entries[:limit]],
        next_cursor=str(entries[limit - 1].version) if more else None,
    )


def feed_page(
    read_model: ReadModelQueries,
    after: int,
    limit: int,
    types: tuple[str, ...],
    region: str | None = None,
) -> FeedPage:
    """A page of the change feed; with ``region``, the events recorded while their
    organization was in it, and the moves out of it. An empty page's ``next`` is where
    the read model stood when it was read, if the page is filtered: everything up to there
    was scanned and nothing matched, so the next poll need not scan it again."""
    filtered = bool(types) or region is not None
    scanned = read_model.position() if filtered else after
    entries = read_model.events_after(after, limit, types, region)
    events = [
        FeedEvent(**FeedEvent.fields_of(e), position=e.position, organization_id=e.organization_id)
        for e in entries
    ]
    return FeedPage(events=events, next=entries[-1].position if entries else max(after, scanned))

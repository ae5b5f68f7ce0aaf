"""Read-side answers assembled from the lookup read model."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from starlette.concurrency import run_in_threadpool

from api.errors import InvalidQueryError
from api.schemas import (
    FeedEvent,
    FeedPage,
    HistoryEvent,
    HistoryPage,
    OrganizationPublic,
    OrganizationsPage,
    SlugAvailability,
)
from domain.errors import InvalidValueError, OrganizationNotFoundError, ReservedSlugError
from domain.rules import check_slug, normalize_slug
from projections.projection import ORGANIZATION_EVENTS
from projections.records import HistoryQuery, ListQuery
from projections.rows import decode_cursor, encode_cursor

if TYPE_CHECKING:
    from datetime import datetime
    from uuid import UUID

    from application.registry import OrganizationRegistry
    from projections.queries import OrganizationQueries

_VERSION_CURSOR = re.compile(r"[0-9]{1,18}")
EVENT_TYPES = tuple(cls.__name__ for cls in ORGANIZATION_EVENTS)


def list_page(
    view: OrganizationQueries,
    limit: int,
    cursor: str | None,
    status: str | None,
    q: str | None,
    external_id: str | None,
) -> OrganizationsPage:
    query = ListQuery(limit + 1, status, q, external_id, after_cursor(cursor))
    rows = view.list_organizations(query)
    return OrganizationsPage(
        organizations=[OrganizationPublic.of(row) for row in rows[:limit]],
        next_cursor=next_cursor(rows, limit),
    )


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


def find_organization(
    view: OrganizationQueries, slug: str | None, external_id: str | None
) -> dict[str, Any]:
    if (slug is None) == (external_id is None):
        raise InvalidQueryError("slug", "give exactly one of slug, externalId or stytchOrgId")
    if slug is not None:
        details = view.find_organization(slug=normalize_slug(slug))
    else:
        details = view.find_organization(external_id=external_id)
    if details is None:
        raise OrganizationNotFoundError(slug or external_id)
    return details


def slug_availability(
    view: OrganizationQueries, reserved: frozenset[str], slug: str, own: UUID | None = None
) -> SlugAvailability:
    """Whether ``slug`` can be claimed; the slug of ``own`` (the caller's organization) can."""
    answer = _slug_availability(view, reserved, slug, own)
    return answer.model_copy(update={"organization_id": own})


def _slug_availability(
    view: OrganizationQueries, reserved: frozenset[str], slug: str, own: UUID | None
) -> SlugAvailability:
    try:
        normal = check_slug(slug, reserved)
    except ReservedSlugError as e:
        return SlugAvailability(
            slug=normalize_slug(slug), available=False, reason="reserved", message=str(e)
        )
    except InvalidValueError as e:
        return SlugAvailability(slug=slug, available=False, reason="invalid", message=f"Slug {e}")
    holder = view.find_organization(slug=normal)
    if holder is not None and holder["id"] != own:
        return SlugAvailability(
            slug=normal, available=False, reason="taken", message="Slug is already taken"
        )
    return SlugAvailability(slug=normal, available=True, reason=None, message="Slug is available")


def organization_at(
    view: OrganizationQueries,
    registry: OrganizationRegistry,
    org_id: UUID,
    version: int | None,
    as_of: datetime | None,
) -> dict[str, Any]:
    """The organization now (from the read model), or at a version or a moment (from its
    events, the moment found through the history's time index)."""
    if version is not None and as_of is not None:
        raise InvalidQueryError("asOf", "give version or asOf, not both")
    if as_of is not None:
        version = view.version_at(org_id, as_of)
        if version is None:
            raise OrganizationNotFoundError(org_id)
    if version is not None:
        return registry.get_details(org_id, version)
    return organization_now(view, org_id)


async def organization_read(
    view: OrganizationQueries,
    registry: OrganizationRegistry,
    org_id: UUID,
    version: int | None,
    as_of: datetime | None,
) -> dict[str, Any]:
    """``organization_at`` for an ``async`` route: the organization now straight from the
    in-process cache when it is there (no database read, no worker thread), else in a
    worker thread."""
    if version is None and as_of is None and (found := view.cache.get(org_id)) is not None:
        return found
    return await run_in_threadpool(organization_at, view, registry, org_id, version, as_of)


async def lookup_read(
    view: OrganizationQueries, slug: str | None, external_id: str | None
) -> dict[str, Any]:
    """``find_organization`` for an ``async`` route, from the cache when it can."""
    if slug is not None and external_id is None:
        found = view.cache.get_by_slug(normalize_slug(slug))
        if found is not None:
            return found
    return await run_in_threadpool(find_organization, view, slug, external_id)


def organization_now(view: OrganizationQueries, org_id: UUID) -> dict[str, Any]:
    details = view.get_organization(org_id)
    if details is None:
        raise OrganizationNotFoundError(org_id)
    return details


def check_event_types(types: list[str]) -> tuple[str, ...]:
    unknown = sorted(set(types) - set(EVENT_TYPES))
    if unknown:
        raise InvalidQueryError("type", f"unknown event type {unknown[0]!r}; one of {EVENT_TYPES}")
    return tuple(types)


def history_page(
    view: OrganizationQueries,
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
    organization_now(view, org_id)  # Not found: 404, not an empty history.
    query = HistoryQuery(
        org_id,
        limit + 1,
        None if cursor is None else int(cursor),
        descending,
        check_event_types(types),
        since,
        until,
    )
    entries = view.organization_history(query)
    more = len(entries) > limit
    return HistoryPage(
        organization_id=org_id,
        events=[HistoryEvent(**HistoryEvent.fields_of(e)) for e in entries[:limit]],
        next_cursor=str(entries[limit - 1].version) if more else None,
    )


def feed_page(
    view: OrganizationQueries, after: int, limit: int, types: tuple[str, ...]
) -> FeedPage:
    entries = view.events_after(after, limit, types)
    events = [
        FeedEvent(**FeedEvent.fields_of(e), position=e.position, organization_id=e.organization_id)
        for e in entries
    ]
    return FeedPage(events=events, next=entries[-1].position if entries else after)

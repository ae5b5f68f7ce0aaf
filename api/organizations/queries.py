"""Read-side answers about organizations, assembled from the read model: a page of them,
one by id (now, at a version or a moment) or by slug or external id, a slug's availability."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.concurrency import run_in_threadpool

from api.http.errors import InvalidQueryError
from api.http.paging import after_cursor, next_cursor
from api.organizations.schemas import OrganizationPublic, OrganizationsPage, SlugAvailability
from domain.errors import InvalidValueError, OrganizationNotFoundError, ReservedSlugError
from domain.organizations.organization import SEED_002_STATUSES
from domain.rules import check_slug, normalize_slug
from projections.records import ListQuery

if TYPE_CHECKING:
    from datetime import datetime
    from uuid import UUID

    from api.http.auth import Caller
    from application.registry import OrganizationRegistry
    from projections.queries import ReadModelQueries


def list_page(
    read_model: ReadModelQueries,
    limit: int,
    cursor: str | None,
    status: str | None,
    q: str | None,
    external_id: str | None,
    region: str | None = None,
) -> OrganizationsPage:
    status = status and SEED_002_STATUSES.get(status, status)
    query = ListQuery(limit + 1, status, q, external_id, after_cursor(cursor), region)
    rows = read_model.list_organizations(query)
    return OrganizationsPage(
        organizations=[OrganizationPublic.of(row) for row in rows[:limit]],
        next_cursor=next_cursor(rows, limit),
    )


def require_organization(
    read_model: ReadModelQueries, slug: str | None, external_id: str | None
) -> dict[str, Any]:
    if (slug is None) == (external_id is None):
        raise InvalidQueryError("slug", "give exactly one of slug, externalId or stytchOrgId")
    if slug is not None:
        details = read_model.find_organization(slug=normalize_slug(slug))
    else:
        details = read_model.find_organization(external_id=external_id)
    if details is None:
        raise OrganizationNotFoundError(slug or external_id)
    return details


def slug_availability(
    read_model: ReadModelQueries, reserved: frozenset[str], slug: str, caller: Caller | None
) -> SlugAvailability:
    """Whether ``slug`` can be claimed; the slug of the caller's own organization (its key's)
    can. ``organizationId``: a key's own organization; to the admin, the one holding a taken
    slug (anyone else learns only that it is taken)."""
    own = None if caller is None else caller.organization_id
    answer = _slug_availability(read_model, reserved, slug, own)
    if answer.reason == "taken" and caller is not None and caller.is_admin:
        holder = read_model.find_organization(slug=answer.slug)
        return answer.model_copy(update={"organization_id": holder and holder["id"]})
    return answer.model_copy(update={"organization_id": own})


def _slug_availability(
    read_model: ReadModelQueries, reserved: frozenset[str], slug: str, own: UUID | None
) -> SlugAvailability:
    try:
        normal = check_slug(slug, reserved)
    except ReservedSlugError as e:
        return SlugAvailability(
            slug=normalize_slug(slug), available=False, reason="reserved", message=str(e)
        )
    except InvalidValueError as e:
        return SlugAvailability(slug=slug, available=False, reason="invalid", message=f"Slug {e}")
    holder = read_model.find_organization(slug=normal)
    if holder is not None and holder["id"] != own:
        return SlugAvailability(
            slug=normal, available=False, reason="taken", message="Slug is already taken"
        )
    return SlugAvailability(slug=normal, available=True, reason=None, message="Slug is available")


def organization_at(
    read_model: ReadModelQueries,
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
        version = read_model.version_at(org_id, as_of)
        if version is None:
            raise OrganizationNotFoundError(org_id)
    if version is not None:
        return registry.get_details(org_id, version)
    return organization_now(read_model, org_id)


async def organization_read(
    read_model: ReadModelQueries,
    registry: OrganizationRegistry,
    org_id: UUID,
    version: int | None,
    as_of: datetime | None,
) -> dict[str, Any]:
    """``organization_at`` for an ``async`` route: the organization now straight from the
    in-process cache when it is there (no database read, no worker thread), else in a
    worker thread."""
    if version is None and as_of is None and (found := read_model.cache.get(org_id)) is not None:
        return found
    return await run_in_threadpool(organization_at, read_model, registry, org_id, version, as_of)


async def lookup_read(
    read_model: ReadModelQueries, slug: str | None, external_id: str | None
) -> dict[str, Any]:
    """``require_organization`` for an ``async`` route, from the cache when it can."""
    if slug is not None and external_id is None:
        found = read_model.cache.get_by_slug(normalize_slug(slug))
        if found is not None:
            return found
    return await run_in_threadpool(require_organization, read_model, slug, external_id)


def organization_now(read_model: ReadModelQueries, org_id: UUID) -> dict[str, Any]:
    details = read_model.get_organization(org_id)
    if details is None:
        raise OrganizationNotFoundError(org_id)
    return details

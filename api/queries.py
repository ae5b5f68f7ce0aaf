"""Read-side answers assembled from the lookup read model."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from api.errors import InvalidQueryError
from api.schemas import OrganizationPublic, OrganizationsPage, SlugAvailability
from domain.errors import InvalidValueError, OrganizationNotFoundError, ReservedSlugError
from domain.rules import check_slug, normalize_slug
from projections.interface import ListQuery
from projections.rows import decode_cursor, encode_cursor

if TYPE_CHECKING:
    from uuid import UUID

    from projections.interface import OrganizationLookupView


def list_page(
    view: OrganizationLookupView,
    limit: int,
    cursor: str | None,
    status: str | None,
    q: str | None,
    external_id: str | None,
) -> OrganizationsPage:
    try:
        after = None if cursor is None else decode_cursor(cursor)
    except ValueError:
        raise InvalidQueryError("cursor", "is not a cursor this service issued") from None
    query = ListQuery(limit + 1, status, q, external_id, after)
    rows = view.list_organizations(query)
    last = rows[limit - 1] if len(rows) > limit else None
    return OrganizationsPage(
        organizations=[OrganizationPublic.of(row) for row in rows[:limit]],
        next_cursor=None if last is None else encode_cursor(last["created_at"], last["id"]),
    )


def find_organization(
    view: OrganizationLookupView, slug: str | None, external_id: str | None
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
    view: OrganizationLookupView, reserved: frozenset[str], slug: str, own: UUID | None = None
) -> SlugAvailability:
    """Whether ``slug`` can be claimed; the slug of ``own`` (the caller's organization) can."""
    answer = _slug_availability(view, reserved, slug, own)
    return answer.model_copy(update={"organization_id": own})


def _slug_availability(
    view: OrganizationLookupView, reserved: frozenset[str], slug: str, own: UUID | None
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

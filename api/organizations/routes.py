"""Organization endpoints: thin adapters between HTTP and the registry or its read model."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from api.http.auth import (
    AdminDep,
    CallerDep,
    CreatorDep,
    OptionalCallerDep,
    ReachableOrganizationDep,
    ensure_reachable,
)
from api.http.deps import AcknowledgementDep, ExpectedVersionDep, ReadModelDep, RegistryDep
from api.http.read_your_writes import organization_response
from api.http.routing import ERRORS, PREFIX
from api.http.schemas import RegionQuery, StoredTime
from api.organizations.queries import list_page, lookup_read, organization_read, slug_availability
from api.organizations.schemas import (
    OrganizationCreate,
    OrganizationEnvelope,
    OrganizationsPage,
    OrganizationUpdate,
    SlugAvailability,
    StatusGiven,
)

router = APIRouter(prefix=PREFIX, tags=["organizations"], responses=ERRORS)  # type: ignore[arg-type]
admin = APIRouter(prefix=PREFIX, tags=["organizations"], dependencies=[AdminDep], responses=ERRORS)  # type: ignore[arg-type]


@router.post(
    "",
    status_code=201,
    summary="Create an organization (the admin; or a signed-in user, who becomes its owner)",
)
def create_organization(
    body: OrganizationCreate, creator: CreatorDep, registry: RegistryDep, ack: AcknowledgementDep
) -> OrganizationEnvelope:
    written = registry.create(body.to_command(), creator)
    ack.response.headers["Location"] = f"{PREFIX}/{written.organization['id']}"
    return ack.organization(written)


@admin.get("", summary="List organizations, newest first")
def list_organizations(
    read_model: ReadModelDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
    status: StatusGiven | None = None,
    q: Annotated[str | None, Query(max_length=256)] = None,
    external_id: Annotated[str | None, Query(alias="externalId", max_length=255)] = None,
    region: RegionQuery = None,
) -> OrganizationsPage:
    return list_page(read_model, limit, cursor, status, q, external_id, region)


@router.get("/lookup", summary="Find an organization by slug or external id")
async def lookup_organization(
    request: Request,
    caller: CallerDep,
    read_model: ReadModelDep,
    response: Response,
    slug: Annotated[str | None, Query(max_length=256)] = None,
    external_id: Annotated[str | None, Query(alias="externalId", max_length=255)] = None,
    stytch_org_id: Annotated[str | None, Query(alias="stytchOrgId", max_length=255)] = None,
) -> OrganizationEnvelope:
    details = await lookup_read(read_model, slug, external_id or stytch_org_id)
    await ensure_reachable(request, caller, read_model, details["id"])
    return organization_response(details, response)


@router.get(
    "/slug/availability",
    summary="Whether a slug can be claimed (no auth needed; with a key, its own slug counts)",
)
def check_slug_availability(
    caller: OptionalCallerDep,
    registry: RegistryDep,
    read_model: ReadModelDep,
    slug: Annotated[str, Query(max_length=256)],
) -> SlugAvailability:
    return slug_availability(read_model, registry.reserved_slugs, slug, caller)


@router.get("/{org_id}", summary="Get an organization, now or as it was (version, asOf)")
async def get_organization(
    org_id: ReachableOrganizationDep,
    read_model: ReadModelDep,
    registry: RegistryDep,
    response: Response,
    version: Annotated[int | None, Query(ge=0, le=2**62)] = None,
    as_of: Annotated[StoredTime | None, Query(alias="asOf")] = None,
) -> OrganizationEnvelope:
    details = await organization_read(read_model, registry, org_id, version, as_of)
    return organization_response(details, response)


@router.put("/{org_id}", summary="Update the given fields; settings and metadata replaced whole")
def replace_organization_fields(
    org_id: ReachableOrganizationDep,
    body: OrganizationUpdate,
    version: ExpectedVersionDep,
    registry: RegistryDep,
    ack: AcknowledgementDep,
) -> OrganizationEnvelope:
    return ack.organization(registry.update(org_id, body.to_changes(merge=False), version))


@router.patch(
    "/{org_id}", summary="Update the given fields; settings and metadata merged (RFC 7396)"
)
def patch_organization(
    org_id: ReachableOrganizationDep,
    body: OrganizationUpdate,
    version: ExpectedVersionDep,
    registry: RegistryDep,
    ack: AcknowledgementDep,
) -> OrganizationEnvelope:
    return ack.organization(registry.update(org_id, body.to_changes(merge=True), version))


@router.delete("/{org_id}", summary="Archive an organization (nothing is erased)")
def archive_organization(
    org_id: ReachableOrganizationDep,
    version: ExpectedVersionDep,
    registry: RegistryDep,
    ack: AcknowledgementDep,
) -> OrganizationEnvelope:
    return ack.organization(registry.archive(org_id, version))

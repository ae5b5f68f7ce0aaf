"""The current organization (seed 000): the caller key's own, or the one an admin names."""

from __future__ import annotations

from fastapi import APIRouter, Response

from api.history.params import HistoryParamsDep
from api.history.schemas import HistoryPage
from api.http.auth import AnyStatusCurrentOrganizationDep, CurrentOrganizationDep
from api.http.deps import AcknowledgementDep, ExpectedVersionDep, ReadModelDep, RegistryDep
from api.http.read_your_writes import organization_response
from api.http.routing import ERRORS, PREFIX
from api.organizations.queries import organization_now
from api.organizations.schemas import OrganizationEnvelope, OrganizationUpdate

router = APIRouter(prefix=PREFIX, tags=["current-organization"], responses=ERRORS)  # type: ignore[arg-type]


@router.get("/current", summary="Get the current organization (also for a suspended one)")
def get_current_organization(
    org_id: AnyStatusCurrentOrganizationDep, read_model: ReadModelDep, response: Response
) -> OrganizationEnvelope:
    return organization_response(organization_now(read_model, org_id), response)


@router.get("/current/history", summary="The current organization's events")
def current_organization_history(
    org_id: CurrentOrganizationDep, params: HistoryParamsDep, read_model: ReadModelDep
) -> HistoryPage:
    return params.page(read_model, org_id)


@router.patch("/current", summary="Update the current organization; settings and metadata merged")
def patch_current_organization(
    org_id: CurrentOrganizationDep,
    body: OrganizationUpdate,
    version: ExpectedVersionDep,
    registry: RegistryDep,
    ack: AcknowledgementDep,
) -> OrganizationEnvelope:
    return ack.organization(registry.update(org_id, body.to_changes(merge=True), version))


@router.put(
    "",
    name="replace_caller_organization_fields",
    summary="Update the current organization (seed 000's form of PUT /current)",
)
@router.put(
    "/current", summary="Update the current organization; settings and metadata replaced whole"
)
def replace_current_organization_fields(
    org_id: CurrentOrganizationDep,
    body: OrganizationUpdate,
    version: ExpectedVersionDep,
    registry: RegistryDep,
    ack: AcknowledgementDep,
) -> OrganizationEnvelope:
    return ack.organization(registry.update(org_id, body.to_changes(merge=False), version))

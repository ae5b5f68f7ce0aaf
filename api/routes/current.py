"""The current organization (seed 000): the caller key's own, or the one an admin names."""

from __future__ import annotations

from fastapi import APIRouter, Response

from api.auth import AnyStatusCurrentOrganizationDep, CurrentOrganizationDep
from api.deps import ExpectedVersionDep, RegistryDep, SettingsDep, ViewDep
from api.queries import organization_now
from api.responses import organization_response, written_response
from api.routes.history import HistoryParamsDep
from api.routes.organizations import ERRORS, PREFIX
from api.schemas import HistoryPage, OrganizationEnvelope, OrganizationUpdate

router = APIRouter(prefix=PREFIX, tags=["current organization"], responses=ERRORS)  # type: ignore[arg-type]


@router.get("/current", summary="Get the current organization (also for a suspended one)")
def get_current_organization(
    org_id: AnyStatusCurrentOrganizationDep, view: ViewDep, response: Response
) -> OrganizationEnvelope:
    return organization_response(organization_now(view, org_id), response)


@router.get("/current/history", summary="The current organization's events")
def current_organization_history(
    org_id: CurrentOrganizationDep, params: HistoryParamsDep, view: ViewDep
) -> HistoryPage:
    return params.page(view, org_id)


def _update(
    org_id: CurrentOrganizationDep,
    body: OrganizationUpdate,
    version: ExpectedVersionDep,
    registry: RegistryDep,
    view: ViewDep,
    settings: SettingsDep,
    response: Response,
    *,
    merge: bool,
) -> OrganizationEnvelope:
    written = registry.update(org_id, body.to_changes(merge=merge), version)
    return written_response(written, view, settings.consistency_timeout, response)


@router.patch("/current", summary="Update the current organization; settings and metadata merged")
def patch_current_organization(
    org_id: CurrentOrganizationDep,
    body: OrganizationUpdate,
    version: ExpectedVersionDep,
    registry: RegistryDep,
    view: ViewDep,
    settings: SettingsDep,
    response: Response,
) -> OrganizationEnvelope:
    return _update(org_id, body, version, registry, view, settings, response, merge=True)


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
    view: ViewDep,
    settings: SettingsDep,
    response: Response,
) -> OrganizationEnvelope:
    return _update(org_id, body, version, registry, view, settings, response, merge=False)

"""An organization's secret keys (admin only): issue, list, revoke."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends

from api.http.auth import AdminDep
from api.http.deps import (
    AcknowledgementDep,
    OrganizationIdDep,
    ReadModelDep,
    RegistryDep,
    id_in_path,
)
from api.http.routing import ERRORS, PREFIX
from api.keys.schemas import ApiKeyCreate, ApiKeyEnvelope, ApiKeyIssued, ApiKeyPublic, ApiKeysPage
from api.organizations.queries import organization_now
from domain.errors import ApiKeyNotFoundError

router = APIRouter(
    prefix=PREFIX + "/{org_id}/api-keys",
    tags=["api-keys"],
    dependencies=[AdminDep],
    responses=ERRORS,  # type: ignore[arg-type]
)


async def api_key_id(key_id: str) -> UUID:
    return id_in_path(key_id, ApiKeyNotFoundError)


@router.post("", status_code=201, summary="Issue a secret key (its secret is shown only here)")
def issue_api_key(
    org_id: OrganizationIdDep, body: ApiKeyCreate, registry: RegistryDep, ack: AcknowledgementDep
) -> ApiKeyIssued:
    issued = registry.issue_api_key(org_id, body.to_command())
    outcome = ack.wait(issued.written)
    ack.response.headers["Cache-Control"] = "no-store"  # Kept only encrypted (idempotency).
    key = ApiKeyPublic(**issued.api_key)
    return ApiKeyIssued(
        organization_id=org_id, api_key=key, secret=issued.secret, read_your_writes=outcome
    )


@router.get("", summary="List the organization's keys (never their secrets)")
def list_api_keys(org_id: OrganizationIdDep, read_model: ReadModelDep) -> ApiKeysPage:
    organization_now(read_model, org_id)  # Not found: 404, not an empty list.
    keys = [ApiKeyPublic(**key) for key in read_model.list_api_keys(org_id)]
    return ApiKeysPage(organization_id=org_id, api_keys=keys)


@router.delete("/{key_id}", summary="Revoke a key: from this response on, it gets 401")
def revoke_api_key(
    org_id: OrganizationIdDep,
    key_id: Annotated[UUID, Depends(api_key_id)],
    registry: RegistryDep,
    ack: AcknowledgementDep,
) -> ApiKeyEnvelope:
    key, written = registry.revoke_api_key(org_id, key_id)
    outcome = ack.wait(written)
    return ApiKeyEnvelope(
        organization_id=org_id, api_key=ApiKeyPublic(**key), read_your_writes=outcome
    )

"""Webhook endpoints: the admin's (any organization's, or all) and an organization's own
(its key, or a member with ``webhooks:write``)."""

from __future__ import annotations

import time
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request, Response

from api.http.auth import AdminDep, ReachableOrganizationDep
from api.http.deps import id_in_path
from api.http.routing import ERRORS, MAX_POSITION, PREFIX
from api.webhooks.queries import deliveries_page, endpoint_public, endpoints_of, replay_from
from api.webhooks.schemas import (
    WebhookDeliveriesPage,
    WebhookEndpointCreate,
    WebhookEndpointEnvelope,
    WebhookEndpointIssued,
    WebhookEndpointsPage,
    WebhookEndpointUpdate,
    WebhookReplay,
    WebhookReplayed,
    WebhookSecretRotate,
)
from application.webhooks import ALL, EndpointWritten
from domain.errors import WebhookEndpointNotFoundError
from service.composition import Services

admin = APIRouter(
    prefix="/api/v1/webhook-endpoints",
    tags=["webhooks"],
    dependencies=[AdminDep],
    responses=ERRORS,  # type: ignore[arg-type]
)
router = APIRouter(
    prefix=PREFIX + "/{org_id}/webhook-endpoints",
    tags=["webhooks"],
    responses=ERRORS,  # type: ignore[arg-type]
)
CONSISTENCY_POLL = 0.02
ROTATE = "A new secret; the old one signs on for the overlap (24 h unless set)"


async def services(request: Request) -> Services:
    found: Services = request.app.state.services
    return found


async def endpoint_id(endpoint_id: str) -> UUID:
    return id_in_path(endpoint_id, WebhookEndpointNotFoundError)


ServicesDep = Annotated[Services, Depends(services)]
EndpointIdDep = Annotated[UUID, Depends(endpoint_id)]
Page = Annotated[int, Query(ge=1, le=500)]
After = Annotated[int, Query(ge=0, le=MAX_POSITION)]


def _settled(s: Services, written: EndpointWritten) -> EndpointWritten:
    """Once the endpoints' list includes the change (when this process delivers)."""
    deadline = time.monotonic() + 10
    while s.webhook_supervisor is not None and written.position is not None:
        if s.webhook_store.position() >= written.position or time.monotonic() > deadline:
            break
        time.sleep(CONSISTENCY_POLL)
    return written


def _issued(s: Services, written: EndpointWritten, response: Response) -> WebhookEndpointIssued:
    _settled(s, written)
    response.headers["Cache-Control"] = "no-store"  # Kept only encrypted (idempotency).
    return WebhookEndpointIssued(
        endpoint=endpoint_public(written.endpoint), secret=written.secret or ""
    )


def _envelope(s: Services, written: EndpointWritten) -> WebhookEndpointEnvelope:
    return WebhookEndpointEnvelope(endpoint=endpoint_public(_settled(s, written).endpoint))


# The admin's


@admin.post("", status_code=201, summary="Create an endpoint (its secret is shown only here)")
def create_webhook_endpoint(
    body: WebhookEndpointCreate, s: ServicesDep, response: Response
) -> WebhookEndpointIssued:
    created = s.webhooks.create(body.organization_id, body.url, body.event_types, body.description)
    return _issued(s, created, response)


@admin.get("", summary="List every endpoint")
def list_webhook_endpoints(s: ServicesDep) -> WebhookEndpointsPage:
    return WebhookEndpointsPage(endpoints=endpoints_of(s, None))


@admin.get("/{endpoint_id}", summary="Get an endpoint")
def get_webhook_endpoint(endpoint_id: EndpointIdDep, s: ServicesDep) -> WebhookEndpointEnvelope:
    return WebhookEndpointEnvelope(endpoint=endpoint_public(s.webhooks.get(ALL, endpoint_id)))


@admin.patch("/{endpoint_id}", summary="Change an endpoint; enabled: true resumes it")
def update_webhook_endpoint(
    endpoint_id: EndpointIdDep, body: WebhookEndpointUpdate, s: ServicesDep
) -> WebhookEndpointEnvelope:
    return _envelope(s, s.webhooks.update(ALL, endpoint_id, body.changes()))


@admin.delete("/{endpoint_id}", summary="Delete an endpoint: nothing more is delivered to it")
def delete_webhook_endpoint(endpoint_id: EndpointIdDep, s: ServicesDep) -> WebhookEndpointEnvelope:
    return _envelope(s, s.webhooks.delete(ALL, endpoint_id))


@admin.post("/{endpoint_id}/rotate-secret", summary=ROTATE)
def rotate_webhook_secret(
    endpoint_id: EndpointIdDep,
    s: ServicesDep,
    response: Response,
    body: WebhookSecretRotate | None = None,
) -> WebhookEndpointIssued:
    overlap = None if body is None else body.overlap()
    return _issued(s, s.webhooks.rotate_secret(ALL, endpoint_id, overlap), response)


@admin.get("/{endpoint_id}/deliveries", summary="Each event's deliveries to the endpoint")
def list_webhook_deliveries(
    endpoint_id: EndpointIdDep, s: ServicesDep, after: After = 0, limit: Page = 100
) -> WebhookDeliveriesPage:
    s.webhooks.get(ALL, endpoint_id)
    return deliveries_page(s, endpoint_id, after, limit)


@admin.post("/{endpoint_id}/replay", summary="Deliver every event from a position or a time again")
def replay_webhook_endpoint(
    endpoint_id: EndpointIdDep, body: WebhookReplay, s: ServicesDep
) -> WebhookReplayed:
    s.webhooks.get(ALL, endpoint_id)
    return replay_from(s, endpoint_id, body)


# An organization's own


@router.post("", status_code=201, summary="Create an endpoint for this organization's events")
def create_organization_webhook_endpoint(
    org_id: ReachableOrganizationDep,
    body: WebhookEndpointCreate,
    s: ServicesDep,
    response: Response,
) -> WebhookEndpointIssued:
    created = s.webhooks.create(org_id, body.url, body.event_types, body.description)
    return _issued(s, created, response)


@router.get("", summary="List the organization's endpoints")
def list_organization_webhook_endpoints(
    org_id: ReachableOrganizationDep, s: ServicesDep
) -> WebhookEndpointsPage:
    return WebhookEndpointsPage(endpoints=endpoints_of(s, org_id))


@router.get("/{endpoint_id}", summary="Get one of the organization's endpoints")
def get_organization_webhook_endpoint(
    org_id: ReachableOrganizationDep, endpoint_id: EndpointIdDep, s: ServicesDep
) -> WebhookEndpointEnvelope:
    return WebhookEndpointEnvelope(endpoint=endpoint_public(s.webhooks.get(org_id, endpoint_id)))


@router.patch("/{endpoint_id}", summary="Change one of the organization's endpoints")
def update_organization_webhook_endpoint(
    org_id: ReachableOrganizationDep,
    endpoint_id: EndpointIdDep,
    body: WebhookEndpointUpdate,
    s: ServicesDep,
) -> WebhookEndpointEnvelope:
    return _envelope(s, s.webhooks.update(org_id, endpoint_id, body.changes()))


@router.delete("/{endpoint_id}", summary="Delete one of the organization's endpoints")
def delete_organization_webhook_endpoint(
    org_id: ReachableOrganizationDep, endpoint_id: EndpointIdDep, s: ServicesDep
) -> WebhookEndpointEnvelope:
    return _envelope(s, s.webhooks.delete(org_id, endpoint_id))


@router.post("/{endpoint_id}/rotate-secret", summary=ROTATE)
def rotate_organization_webhook_secret(
    org_id: ReachableOrganizationDep,
    endpoint_id: EndpointIdDep,
    s: ServicesDep,
    response: Response,
    body: WebhookSecretRotate | None = None,
) -> WebhookEndpointIssued:
    overlap = None if body is None else body.overlap()
    return _issued(s, s.webhooks.rotate_secret(org_id, endpoint_id, overlap), response)


@router.get("/{endpoint_id}/deliveries", summary="Each event's deliveries to the endpoint")
def list_organization_webhook_deliveries(
    org_id: ReachableOrganizationDep,
    endpoint_id: EndpointIdDep,
    s: ServicesDep,
    after: After = 0,
    limit: Page = 100,
) -> WebhookDeliveriesPage:
    s.webhooks.get(org_id, endpoint_id)
    return deliveries_page(s, endpoint_id, after, limit)


@router.post("/{endpoint_id}/replay", summary="Deliver every event from a position or a time again")
def replay_organization_webhook_endpoint(
    org_id: ReachableOrganizationDep,
    endpoint_id: EndpointIdDep,
    body: WebhookReplay,
    s: ServicesDep,
) -> WebhookReplayed:
    s.webhooks.get(org_id, endpoint_id)
    return replay_from(s, endpoint_id, body)

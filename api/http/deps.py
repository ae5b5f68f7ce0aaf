"""Dependencies: the services built by the lifespan, and common parameters.

They do no I/O, so they are ``async``: they run on the event loop instead of costing a
worker-thread hop each; only the route itself runs in a worker thread.
"""

from __future__ import annotations

import re
from typing import Annotated
from uuid import UUID

from fastapi import Depends, Header, Request, Response

from api.http.errors import InvalidQueryError
from api.http.position_watch import PositionWatch
from api.http.read_your_writes import Acknowledgement
from application.registry import OrganizationRegistry
from domain.errors import OrganizationNotFoundError
from projections.queries import ReadModelQueries
from service.settings import Settings


async def get_registry(request: Request) -> OrganizationRegistry:
    registry: OrganizationRegistry = request.app.state.services.registry
    return registry


async def get_read_model(request: Request) -> ReadModelQueries:
    read_model: ReadModelQueries = request.app.state.services.read_model.queries
    return read_model


async def get_watch(request: Request) -> PositionWatch:
    watch: PositionWatch = request.app.state.watch
    return watch


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


RegistryDep = Annotated[OrganizationRegistry, Depends(get_registry)]
ReadModelDep = Annotated[ReadModelQueries, Depends(get_read_model)]
"""The read model (its queries): what every read, and every read-your-writes wait, asks."""
SettingsDep = Annotated[Settings, Depends(get_settings)]
WatchDep = Annotated[PositionWatch, Depends(get_watch)]


async def acknowledgement(
    read_model: ReadModelDep, settings: SettingsDep, response: Response
) -> Acknowledgement:
    return Acknowledgement(read_model, settings.consistency_timeout, response)


AcknowledgementDep = Annotated[Acknowledgement, Depends(acknowledgement)]


def id_in_path(value: str, not_found: type[Exception]) -> UUID:
    """An id in a path: a malformed one names nothing that exists (404, not 400)."""
    try:
        return UUID(value)
    except ValueError:
        raise not_found(value) from None


async def organization_id(org_id: str) -> UUID:
    return id_in_path(org_id, OrganizationNotFoundError)


_IF_MATCH = re.compile(r'\s*(?:W/)?"(\d{1,18})"\s*')
"""An entity tag as RFC 9110 writes it: quoted (an unquoted version is refused)."""


async def expected_version(if_match: Annotated[str | None, Header()] = None) -> int | None:
    """The version an ``If-Match: "<version>"`` header requires (``*`` requires none)."""
    if if_match is None or if_match.strip() == "*":
        return None
    match = _IF_MATCH.fullmatch(if_match)
    if match is None:
        raise InvalidQueryError("If-Match", 'must be an ETag such as "3"')
    return int(match[1])


OrganizationIdDep = Annotated[UUID, Depends(organization_id)]
ExpectedVersionDep = Annotated[int | None, Depends(expected_version)]

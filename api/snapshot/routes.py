"""A snapshot to start a cache from: every organization the caller may see, with its roles
and members, at a change-feed position."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse

from api.http.auth import CallerDep
from api.http.deps import ReadModelDep, SettingsDep
from api.http.routing import ERRORS
from api.snapshot.queries import NdjsonResponse, snapshot_response, snapshot_scope
from api.snapshot.schemas import SnapshotLine

router = APIRouter(prefix="/api/v1", tags=["snapshot"], responses=ERRORS)  # type: ignore[arg-type]

DESCRIPTION = (
    "NDJSON, one object per line: `start` with the change-feed position, an `organization` "
    "line per organization (by id) with its roles and its members that are not removed, then "
    "`end`. All of it is exactly as of that position; follow `GET /api/v1/events?after=` from "
    "it. Without the `end` line the stream was cut short: take another."
)


@router.get(
    "/snapshot",
    summary="Every organization with its roles and members, at a change-feed position",
    response_class=NdjsonResponse,
    responses={200: {"model": SnapshotLine, "description": DESCRIPTION}},
)
async def get_snapshot(
    request: Request,
    caller: CallerDep,
    read_model: ReadModelDep,
    settings: SettingsDep,
    organization_id: Annotated[
        UUID | None,
        Query(alias="organizationId", description="Only this organization."),
    ] = None,
) -> StreamingResponse:
    only = snapshot_scope(caller, organization_id)
    limiter = request.app.state.snapshots
    return await snapshot_response(read_model, only, settings.snapshot_timeout, limiter)

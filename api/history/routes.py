"""History, time travel and the change feed: what event sourcing gives beyond CRUD."""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import APIRouter, Query
from starlette.concurrency import run_in_threadpool

from api.history.params import HistoryParamsDep
from api.history.queries import check_event_types, feed_page
from api.history.schemas import EventType, FeedPage, HistoryPage, RevertRequest
from api.http.auth import AdminDep, ReachableOrganizationDep
from api.http.deps import (
    AcknowledgementDep,
    ExpectedVersionDep,
    OrganizationIdDep,
    ReadModelDep,
    RegistryDep,
    WatchDep,
)
from api.http.routing import ERRORS, MAX_POSITION, PREFIX
from api.http.schemas import RegionQuery
from api.organizations.schemas import OrganizationEnvelope

router = APIRouter(prefix=PREFIX, tags=["history"], responses=ERRORS)  # type: ignore[arg-type]
feed = APIRouter(prefix="/api/v1", tags=["history"], dependencies=[AdminDep], responses=ERRORS)  # type: ignore[arg-type]


@router.get("/{org_id}/history", summary="The organization's events, with what each changed")
def organization_history(
    org_id: ReachableOrganizationDep, params: HistoryParamsDep, read_model: ReadModelDep
) -> HistoryPage:
    return params.page(read_model, org_id)


@router.post(
    "/{org_id}/revert",
    dependencies=[AdminDep],
    summary="Record the changes that bring the organization back to an earlier version",
)
def revert_organization(
    org_id: OrganizationIdDep,
    body: RevertRequest,
    version: ExpectedVersionDep,
    registry: RegistryDep,
    ack: AcknowledgementDep,
) -> OrganizationEnvelope:
    return ack.organization(registry.revert(org_id, body.to_version, body.reason, version))


@feed.get("/events", summary="Every organization's events in commit order (change feed)")
async def change_feed(
    read_model: ReadModelDep,
    watch: WatchDep,
    after: Annotated[int, Query(ge=0, le=MAX_POSITION)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    event_type: Annotated[list[EventType] | None, Query(alias="type", max_length=40)] = None,
    wait: Annotated[float, Query(ge=0, le=30)] = 0,
    region: RegionQuery = None,
) -> FeedPage:
    types = check_event_types(list(event_type or []))
    deadline = time.monotonic() + wait
    while True:
        # Where the read model stood before the page was read: a long poll waits for more
        # than that. A request that does not wait needs only the page.
        seen = await run_in_threadpool(read_model.position) if wait else 0
        page = await run_in_threadpool(feed_page, read_model, after, limit, types, region)
        remaining = deadline - time.monotonic()
        if page.events or remaining <= 0 or watch.stopping:
            return page
        # No thread, no query of its own while it waits (see api.http.position_watch).
        await watch.wait_beyond(seen, remaining)

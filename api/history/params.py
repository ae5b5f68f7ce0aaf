"""The query parameters of an organization's history (its own route's and the current
organization's): a dependency, and the page they ask for."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from fastapi import Depends, Query

from api.history.queries import history_page
from api.history.schemas import EventType, HistoryPage
from api.http.schemas import StoredTime
from projections.queries import ReadModelQueries


@dataclass(frozen=True)
class HistoryParams:
    limit: int
    cursor: str | None
    order: Literal["asc", "desc"]
    types: list[str]
    since: datetime | None
    until: datetime | None

    def page(self, read_model: ReadModelQueries, org_id: UUID) -> HistoryPage:
        return history_page(
            read_model,
            org_id,
            self.limit,
            self.cursor,
            descending=self.order == "desc",
            types=self.types,
            since=self.since,
            until=self.until,
        )


async def history_params(
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=18)] = None,
    order: Literal["asc", "desc"] = "asc",
    event_type: Annotated[list[EventType] | None, Query(alias="type", max_length=40)] = None,
    since: StoredTime | None = None,
    until: StoredTime | None = None,
) -> HistoryParams:
    return HistoryParams(limit, cursor, order, list(event_type or []), since, until)


HistoryParamsDep = Annotated[HistoryParams, Depends(history_params)]

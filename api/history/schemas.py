"""Request and response bodies of the history: a revert, an organization's events with what
each changed, and the change feed's pages."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, NotRequired
from uuid import UUID

from pydantic import Field
from typing_extensions import TypedDict

from api.http.schemas import RequestBody, ResponseBody, WholeNumber
from service.wire import camel_path


class RevertRequest(RequestBody):
    to_version: WholeNumber = Field(ge=1, description="The version whose state to bring back.")
    reason: str | None = Field(default=None, max_length=1000)


EventType = Literal[
    "Created",
    "Renamed",
    "SlugChanged",
    "SettingsUpdated",
    "ProfileUpdated",
    "MetadataUpdated",
    "ExternalIdChanged",
    "StatusChanged",
    "RegionChanged",
    "ApiKeyIssued",
    "ApiKeyRevoked",
    "AccountUpdated",
    "RolesChanged",
    "MembershipChanged",
]
"""What an event records (``api.history.queries.EVENT_TYPES``, in the same order)."""


class Actor(TypedDict):
    """Who made a change: `admin`, `system`, `apiKey` (with the key's `id`) or `user` (with
    their userId as `id`)."""

    type: str
    id: NotRequired[str]


class Change(ResponseBody):
    """One field's change: its value before and after (null where there was none)."""

    from_: Any = Field(alias="from", description="The value before.")
    to: Any = Field(description="The value after.")


class HistoryEvent(ResponseBody):
    version: int
    type: EventType
    occurred_at: datetime
    actor: Actor
    request_id: str | None
    reason: str | None
    changes: dict[str, Change] = Field(
        description='For each field that changed: {"from": old, "to": new}; settings and '
        "metadata per key, with dotted paths for nested keys; a member's fields as "
        "`members.<id>.<field>` (`members.<id>.userId`)."
    )

    @classmethod
    def fields_of(cls, entry: Any) -> dict[str, Any]:
        return {
            "version": entry.version,
            "type": entry.type,
            "occurred_at": entry.occurred_at,
            "actor": entry.actor,
            "request_id": entry.request_id,
            "reason": entry.reason,
            "changes": {camel_path(p): change for p, change in entry.changes.items()},
        }


class HistoryPage(ResponseBody):
    organization_id: UUID
    events: list[HistoryEvent]
    next_cursor: str | None


class FeedEvent(HistoryEvent):
    position: int
    organization_id: UUID


class FeedPage(ResponseBody):
    events: list[FeedEvent]
    next: int = Field(
        description="Pass as `after` to read on. On an empty page: `after`, or, when `type` "
        "or `region` filters the feed, the last position scanned (at least `after`)."
    )

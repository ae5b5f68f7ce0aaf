"""A delivery's body: the event as the change feed shows it, and the organization as GET
shows it just after that event."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from api.history.schemas import FeedEvent
from api.organizations.schemas import OrganizationPublic
from domain.webhooks.validation import event_type

if TYPE_CHECKING:
    from projections.records import HistoryEntry


def render(entry: HistoryEntry, organization: dict[str, Any]) -> dict[str, Any]:
    event = FeedEvent(
        **FeedEvent.fields_of(entry), position=entry.position, organization_id=entry.organization_id
    )
    return {
        "type": event_type(entry.type),
        "timestamp": entry.occurred_at.isoformat(),
        "data": {
            "event": event.model_dump(mode="json", by_alias=True),
            "organization": OrganizationPublic.of(organization).model_dump(
                mode="json", by_alias=True
            ),
        },
    }

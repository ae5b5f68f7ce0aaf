"""A delivery's body: the event as the change feed shows it, and the organization as GET
shows it just after that event.

Written here, below the API, so that every process that delivers (``serve`` and
``tenant-registry project``) writes the same body; the webhook tests check it against the
API's own answers (the feed's event at that position, the organization at that version).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic.alias_generators import to_camel
from pydantic_core import to_jsonable_python

from domain.webhooks.validation import event_type
from service.wire import camel_path

if TYPE_CHECKING:
    from projections.records import HistoryEntry

NOT_SHOWN = frozenset({"roles"})
"""State GET does not show with the organization (its roles have routes of their own)."""


def render(entry: HistoryEntry, organization: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": event_type(entry.type),
        "timestamp": to_jsonable_python(entry.occurred_at),
        "data": {"event": feed_event(entry), "organization": organization_shown(organization)},
    }


def feed_event(entry: HistoryEntry) -> dict[str, Any]:
    """The event as ``GET /api/v1/changes`` shows it."""
    shown = {
        "version": entry.version,
        "type": entry.type,
        "occurredAt": entry.occurred_at,
        "actor": entry.actor,
        "requestId": entry.request_id,
        "reason": entry.reason,
        "changes": {camel_path(p): change for p, change in entry.changes.items()},
        "position": entry.position,
        "organizationId": entry.organization_id,
    }
    return dict(to_jsonable_python(shown))


def organization_shown(details: dict[str, Any]) -> dict[str, Any]:
    """The organization as ``GET /api/v1/organizations/{id}`` shows it."""
    shown = {to_camel(k): v for k, v in details.items() if k not in NOT_SHOWN}
    shown["stytchOrgId"] = details["external_id"]
    return dict(to_jsonable_python(shown))

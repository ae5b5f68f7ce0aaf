"""OrganizationLookupProjection: turns organization events into the read model's row changes.

Events are projected inside a batch of the read model's writer (``RowWriter.batch``; one
event alone is a batch of one): each handler adds what its event changes to the batch's
``RowChanges``, which the writer writes with the batch's tracking.
"""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, Any

from eventsourcing.dispatch import singledispatchmethod
from eventsourcing.persistence import Tracking
from eventsourcing.projection import Projection

from application.topics import topics_of
from domain.organizations.organization import EVENTS, Organization
from projections.records import HistoryEntry
from projections.writer import RowWriter

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence

    from eventsourcing.persistence import Mapper, Notification

    from projections.changes import RowChanges

READ_MODEL_VERSION = 7
"""Bumped whenever the projection's code changes what it writes (5: seed 001's region,
GTM ids, flags, limits and subscription in the organization's document; 6: each history
row's region, the one its organization was in when the event was recorded; 7: the
organization's request quota in its document)."""

ORGANIZATION_EVENTS = EVENTS


MEMBER_TOPICS = frozenset(topics_of((Organization.MembershipChanged,)))
"""The topics of the only events that change members' rows."""


def history_entry(
    event: Organization.Event, tracking: Tracking, changes: dict[str, Any] | None = None
) -> HistoryEntry:
    return HistoryEntry(
        position=tracking.notification_id,
        organization_id=event.originator_id,
        version=event.originator_version,
        type=type(event).__name__,
        occurred_at=event.timestamp,
        actor=event.actor,
        request_id=event.request_id,
        reason=event.why(),
        changes=changes or {},
    )


class OrganizationLookupProjection(Projection[RowWriter]):
    name = "organization_lookup"
    topics = topics_of(ORGANIZATION_EVENTS)
    """Their topics now, and those they were stored under before their module moved."""

    def __init__(self, view: RowWriter) -> None:
        super().__init__(view)
        self._handlers: dict[type, Callable[[Any, Tracking], None]] = {}

    def process_notifications(
        self, notifications: Sequence[Notification], mapper: Mapper[Any], application_name: str
    ) -> None:
        """Project stored events in their order (the body of a batch)."""
        self.process_events(
            ((mapper.to_domain_event(n), n.id) for n in notifications), application_name
        )

    def process_events(self, events: Iterable[tuple[Any, int]], application_name: str) -> None:
        """Project events with their positions, in their order. Each goes straight to its
        handler, looked up once per event class: dispatching through ``process_event``
        builds a new wrapper on every call, which costs more than most handlers do."""
        handlers = self._handlers
        for event, position in events:
            handler = handlers.get(type(event)) or self._handler(type(event))
            handler(event, Tracking(application_name, position))

    def _handler(self, event_class: type) -> Callable[[Any, Tracking], None]:
        self.process_event  # noqa: B018 - applies the library's deferred registrations
        dispatcher = inspect.getattr_static(type(self), "process_event").dispatcher
        handler: Callable[[Any, Tracking], None] = dispatcher.dispatch(event_class).__get__(self)
        self._handlers[event_class] = handler
        return handler

    @property
    def changes(self) -> RowChanges:
        """The open batch's row changes."""
        changes = self.view.changes
        if changes is None:
            msg = "events are projected inside a batch of the writer (RowWriter.batch)"
            raise RuntimeError(msg)
        return changes

    @singledispatchmethod
    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        """An event that changes no row: the batch records its position."""

    @process_event.register(Organization.Created)
    def organization_created(self, event: Organization.Created, tracking: Tracking) -> None:
        self.changes.organization_created(event.changes(), history_entry(event, tracking))

    @process_event.register(Organization.Event)
    def organization_changed(self, event: Organization.Event, tracking: Tracking) -> None:
        self.changes.organization_changed(event.changes(), history_entry(event, tracking))

    @process_event.register(Organization.ApiKeyIssued)
    def api_key_issued(self, event: Organization.ApiKeyIssued, tracking: Tracking) -> None:
        expires_at = event.expires_at and event.expires_at.isoformat()
        shown = {"name": event.name, "prefix": event.prefix, "expiresAt": expires_at}
        changes = {f"api_keys.{event.key_id}": {"from": None, "to": shown}}
        self.changes.api_key_issued(event.key(), history_entry(event, tracking, changes))

    @process_event.register(Organization.ApiKeyRevoked)
    def api_key_revoked(self, event: Organization.ApiKeyRevoked, tracking: Tracking) -> None:
        changes = {f"api_keys.{event.key_id}.revoked": {"from": False, "to": True}}
        self.changes.api_key_revoked(event.key_id, history_entry(event, tracking, changes))

    @process_event.register(Organization.MembershipChanged)
    def membership_changed(self, event: Organization.MembershipChanged, tracking: Tracking) -> None:
        self.changes.membership_changed(
            event.member_id,
            event.member,
            event.previous,
            event.changes(),
            history_entry(event, tracking),
            (event.member_created_at, event.member_updated_at),
        )

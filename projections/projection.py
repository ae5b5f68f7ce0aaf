"""OrganizationLookupProjection: folds organization events into the read model."""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, Any

from eventsourcing.dispatch import singledispatchmethod
from eventsourcing.persistence import Tracking
from eventsourcing.projection import Projection
from eventsourcing.utils import get_topic

from domain.organization import Organization
from projections.interface import HistoryEntry, OrganizationLookupView

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from eventsourcing.persistence import Mapper, Notification

READ_MODEL_VERSION = 3
"""Bumped whenever the projection's code changes what it writes."""

ORGANIZATION_EVENTS = (
    Organization.Created,
    Organization.Renamed,
    Organization.SlugChanged,
    Organization.SettingsUpdated,
    Organization.ProfileUpdated,
    Organization.MetadataUpdated,
    Organization.ExternalIdChanged,
    Organization.StatusChanged,
    Organization.ApiKeyIssued,
    Organization.ApiKeyRevoked,
)


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


class OrganizationLookupProjection(Projection[OrganizationLookupView]):
    name = "organization_lookup"
    topics = tuple(get_topic(cls) for cls in ORGANIZATION_EVENTS)

    def __init__(self, view: OrganizationLookupView) -> None:
        super().__init__(view)
        self._handlers: dict[type, Callable[[Any, Tracking], None]] = {}

    def process_notifications(
        self, notifications: Sequence[Notification], mapper: Mapper[Any], application_name: str
    ) -> None:
        """Project stored events in their order (the body of a batch). Each goes straight
        to its handler, looked up once per event class: dispatching through
        ``process_event`` builds a new wrapper on every call, which costs more than
        most handlers do."""
        handlers = self._handlers
        for notification in notifications:
            event = mapper.to_domain_event(notification)
            handler = handlers.get(type(event)) or self._handler(type(event))
            handler(event, Tracking(application_name, notification.id))

    def _handler(self, event_class: type) -> Callable[[Any, Tracking], None]:
        self.process_event  # noqa: B018 - applies the library's deferred registrations
        dispatcher = inspect.getattr_static(type(self), "process_event").dispatcher
        handler: Callable[[Any, Tracking], None] = dispatcher.dispatch(event_class).__get__(self)
        self._handlers[event_class] = handler
        return handler

    @singledispatchmethod
    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        self.view.track(tracking)

    @process_event.register(Organization.Created)
    def organization_created(self, event: Organization.Created, tracking: Tracking) -> None:
        self.view.insert_organization(event.changes(), history_entry(event, tracking), tracking)

    @process_event.register(Organization.Event)
    def organization_changed(self, event: Organization.Event, tracking: Tracking) -> None:
        self.view.update_organization(event.changes(), history_entry(event, tracking), tracking)

    @process_event.register(Organization.ApiKeyIssued)
    def api_key_issued(self, event: Organization.ApiKeyIssued, tracking: Tracking) -> None:
        expires_at = event.expires_at and event.expires_at.isoformat()
        shown = {"name": event.name, "prefix": event.prefix, "expiresAt": expires_at}
        changes = {f"api_keys.{event.key_id}": {"from": None, "to": shown}}
        self.view.add_api_key(event.key(), history_entry(event, tracking, changes), tracking)

    @process_event.register(Organization.ApiKeyRevoked)
    def api_key_revoked(self, event: Organization.ApiKeyRevoked, tracking: Tracking) -> None:
        changes = {f"api_keys.{event.key_id}.revoked": {"from": False, "to": True}}
        self.view.revoke_api_key(event.key_id, history_entry(event, tracking, changes), tracking)

"""OrganizationLookupProjection: folds organization events into the lookup read model."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from eventsourcing.dispatch import singledispatchmethod
from eventsourcing.projection import Projection
from eventsourcing.utils import get_topic

from domain.organization import Organization, organization_details
from projections.interface import OrganizationLookupView

if TYPE_CHECKING:
    from eventsourcing.persistence import Tracking

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


class OrganizationLookupProjection(Projection[OrganizationLookupView]):
    name = "organization_lookup"
    topics = tuple(get_topic(cls) for cls in ORGANIZATION_EVENTS)

    @singledispatchmethod
    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        self.view.track(tracking)

    @process_event.register(Organization.Created)
    def organization_created(self, event: Organization.Created, tracking: Tracking) -> None:
        details = organization_details(
            event.originator_id,
            event.changes(),
            event.originator_version,
            event.timestamp,
            event.timestamp,
        )
        self.view.insert_organization(details, tracking)

    @process_event.register(Organization.Event)
    def organization_changed(self, event: Organization.Event, tracking: Tracking) -> None:
        self.view.update_organization(
            event.originator_id,
            event.changes(),
            event.originator_version,
            event.timestamp,
            tracking,
        )

    @process_event.register(Organization.ApiKeyIssued)
    def api_key_issued(self, event: Organization.ApiKeyIssued, tracking: Tracking) -> None:
        self.view.add_api_key(
            event.originator_id, event.key(), event.originator_version, event.timestamp, tracking
        )

    @process_event.register(Organization.ApiKeyRevoked)
    def api_key_revoked(self, event: Organization.ApiKeyRevoked, tracking: Tracking) -> None:
        self.view.revoke_api_key(
            event.originator_id, event.key_id, event.originator_version, event.timestamp, tracking
        )

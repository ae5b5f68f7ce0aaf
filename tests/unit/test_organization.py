"""The Organization aggregate: its events, and commands that change nothing."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from domain.context import acting_as
from domain.organizations.organization import Organization

if TYPE_CHECKING:
    from collections.abc import Sequence


def new_organization() -> Organization:
    return Organization(
        name="Acme", slug="acme", external_id=None, settings={}, profile={}, metadata={}
    )


def test_organization_lifecycle() -> None:
    # Create an organization as the admin, in request r-1.
    with acting_as({"type": "admin"}, "r-1"):
        org = new_organization()
        org.rename("Acme Group")
        org.change_slug("acme-group")
        org.change_status("suspended", "unpaid invoice")

    # Check its state is the fold of its events.
    assert (org.name, org.slug, org.status, org.status_reason) == (
        "Acme Group",
        "acme-group",
        "suspended",
        "unpaid invoice",
    )
    assert org.version == 4

    # Check every event records who made it and in which request.
    events = cast("Sequence[Organization.Event]", org.collect_events())
    assert [type(e).__name__ for e in events] == [
        "Created",
        "Renamed",
        "SlugChanged",
        "StatusChanged",
    ]
    assert {(e.actor["type"], e.request_id) for e in events} == {("admin", "r-1")}


def test_commands_that_change_nothing_record_no_event() -> None:
    org = new_organization()
    org.collect_events()
    org.rename("Acme")
    org.change_slug("acme")
    org.replace_settings({})
    org.update_profile({"domain": None})
    org.replace_metadata({})
    org.change_status("active", None)
    assert org.collect_events() == []


def test_profile_update_records_only_changed_fields() -> None:
    org = new_organization()
    org.update_profile({"domain": "acme.com", "reference": None})
    event = org.collect_events()[-1]
    assert isinstance(event, Organization.ProfileUpdated)
    assert event.profile == {"domain": "acme.com"}

"""Every event in a store projects, on each store: also events recorded before the registry
refused values no store holds (NaN, infinities, NUL, integers beyond 64 bits). They read
back made storable, the same for the organization's events and its read model."""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING, Any

from domain.commands import NewOrganization, OrganizationChanges
from domain.context import acting_as, because
from projections.rebuild import rebuild, verify
from projections.runner import RUNNING
from tests.helpers import caught_up, lock, random_slug

if TYPE_CHECKING:
    from collections.abc import Callable

    from domain.organizations.organization import Organization
    from service.composition import Services


def record_unchecked(services: Services, org: Organization) -> int:
    """Record ``org``'s pending events as an earlier version of the registry did: without
    today's rules (the library's own ``save``)."""
    recordings = services.registry.save(org)
    return recordings[-1].notification.id


def legacy(services: Services, act: Callable[[Organization], None]) -> Any:
    org_id = services.registry.create(NewOrganization(name="Legacy", slug=random_slug()))
    org: Organization = services.registry.repository.get(org_id.organization["id"])
    act(org)
    assert services.read_model.queries.wait_for_position(record_unchecked(services, org), 20)
    return org.id


def read_model_row(services: Services, org_id: Any) -> dict[str, Any] | None:
    return services.read_model.queries.select_organization(org_id)


def test_non_finite_numbers_and_huge_integers_project_as_storable_values(
    services: Services,
) -> None:
    settings = {"big": 2**70, "inf": math.inf, "ninf": -math.inf, "nan": math.nan, "ok": 1.5}
    org_id = legacy(services, lambda org: org.replace_settings(settings))
    row = read_model_row(services, org_id)
    assert row is not None
    assert row["settings"] == {
        "big": 2**70,
        "inf": "Infinity",
        "ninf": "-Infinity",
        "nan": "NaN",
        "ok": 1.5,
    }
    assert row == services.registry.get_details(org_id)


def test_nul_characters_everywhere_project_as_replacement_characters(services: Services) -> None:
    def act(org: Organization) -> None:
        with acting_as({"type": "admin\x00"}, "request\x00"), because("why\x00"):
            org.rename("Acme\x00Corp")
            org.change_status("suspended", "reason\x00")
            org.replace_metadata({"key\x00": "value\x00"})

    org_id = legacy(services, act)
    row = read_model_row(services, org_id)
    assert row is not None
    assert (row["name"], row["status_reason"]) == ("Acme\ufffdCorp", "reason\ufffd")
    assert row["metadata"] == {"key\ufffd": "value\ufffd"}
    assert row == services.registry.get_details(org_id)
    last = services.read_model.queries.events_after(0, 1000)[-1]
    assert (last.actor, last.request_id, last.reason) == (
        {"type": "admin\ufffd"},
        "request\ufffd",
        "why\ufffd",
    )


def test_the_projection_goes_on_after_legacy_events(services: Services) -> None:
    org_id = legacy(services, lambda org: org.replace_settings({"nan": math.nan, "b": 2**64}))
    written = services.registry.update(org_id, OrganizationChanges(name="After", merge=True))
    assert services.read_model.queries.wait_for_position(written.position or 0, 20)
    row = read_model_row(services, org_id)
    assert row is not None
    assert row["name"] == "After"
    assert services.supervisor is not None
    assert (services.supervisor.state, services.supervisor.restarts) == (RUNNING, 0)


def test_a_store_holding_legacy_events_rebuilds_and_verifies(services: Services) -> None:
    legacy(services, lambda org: org.replace_settings({"inf": math.inf, "t": "\x00"}))
    legacy(services, lambda org: org.change_status("archived", "\x00"))
    caught_up(services)
    before = services.read_model.admin.rows(services.read_model.tables.organizations, "id")
    rebuild(services.registry, services.read_model, lock(services))
    assert services.read_model.admin.rows(services.read_model.tables.organizations, "id") == before
    assert verify(services.registry, services.read_model) == []


def test_a_new_command_on_an_organization_holding_legacy_values_is_not_refused_for_them(
    services: Services,
) -> None:
    org_id = legacy(services, lambda org: org.replace_settings({"big": 2**70}))
    written = services.registry.update(
        org_id, OrganizationChanges(settings={"other": 1}, merge=True)
    )
    assert services.read_model.queries.wait_for_position(written.position or 0, 20)
    assert written.organization["settings"] == {"big": 2**70, "other": 1}
    deadline = time.monotonic() + 5
    while read_model_row(services, org_id) != written.organization and time.monotonic() < deadline:
        time.sleep(0.01)
    assert read_model_row(services, org_id) == written.organization

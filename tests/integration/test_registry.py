"""Registry commands on each store: what they record, and what they refuse."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from domain.commands import NewOrganization, OrganizationChanges
from domain.context import acting_as
from domain.errors import (
    ExternalIdTakenError,
    OrganizationNotFoundError,
    SlugTakenError,
    ValidationError,
    VersionConflictError,
)
from tests.helpers import random_slug

if TYPE_CHECKING:
    from application.registry import OrganizationRegistry
    from service.composition import Services


def create(registry: OrganizationRegistry, **fields: Any) -> dict[str, Any]:
    new = NewOrganization(**{"name": "Acme", "slug": random_slug(), **fields})
    return registry.create(new).organization


def event_count(registry: OrganizationRegistry) -> int:
    return registry.recorder.max_notification_id() or 0


def test_create_records_created_with_actor_and_request_id(services: Services) -> None:
    with acting_as({"type": "admin"}, "req-42"):
        org = create(services.registry, external_id="idp-1", settings={"timezone": "UTC"})
    [event] = services.registry.history(org["id"])
    assert type(event).__name__ == "Created"
    assert (event.actor, event.request_id) == ({"type": "admin"}, "req-42")
    assert event.changes()["settings"] == {"timezone": "UTC"}


def test_invalid_create_names_every_field_and_records_nothing(services: Services) -> None:
    before = event_count(services.registry)
    with pytest.raises(ValidationError) as error:
        services.registry.create(
            NewOrganization(name=" ", slug="Admin", profile={"support_phone": "12"})
        )
    assert {p.field for p in error.value.problems} == {"name", "slug", "support_phone"}
    assert event_count(services.registry) == before


def test_slug_is_stored_lowercase_and_unique_case_insensitively(services: Services) -> None:
    slug = random_slug()
    org = create(services.registry, slug=slug.upper())
    assert org["slug"] == slug
    before = event_count(services.registry)
    with pytest.raises(SlugTakenError):
        create(services.registry, slug=slug)
    assert event_count(services.registry) == before


def test_external_id_is_unique(services: Services) -> None:
    create(services.registry, external_id="idp-dup")
    with pytest.raises(ExternalIdTakenError):
        create(services.registry, external_id="idp-dup")


def test_released_slug_can_be_claimed_by_another_organization(services: Services) -> None:
    old, new = random_slug(), random_slug()
    first = create(services.registry, slug=old)
    services.registry.update(first["id"], OrganizationChanges(slug=new))
    second = create(services.registry, slug=old)
    assert second["slug"] == old
    with pytest.raises(SlugTakenError):
        services.registry.update(first["id"], OrganizationChanges(slug=old))


def test_archived_organization_keeps_its_slug(services: Services) -> None:
    org = create(services.registry)
    services.registry.archive(org["id"])
    with pytest.raises(SlugTakenError):
        create(services.registry, slug=org["slug"])


def test_rename_and_slug_change_in_one_update_record_both_atomically(services: Services) -> None:
    org = create(services.registry)
    taken = create(services.registry)["slug"]
    before = event_count(services.registry)
    with pytest.raises(SlugTakenError):
        services.registry.update(org["id"], OrganizationChanges(name="New", slug=taken))
    assert event_count(services.registry) == before
    written = services.registry.update(
        org["id"],
        OrganizationChanges(name="New", slug=random_slug()),
    )
    types = [type(e).__name__ for e in services.registry.history(org["id"])]
    assert types == ["Created", "Renamed", "SlugChanged"]
    assert written.organization["version"] == 3


def test_update_that_changes_nothing_records_nothing(services: Services) -> None:
    org = create(services.registry, settings={"a": 1})
    before = event_count(services.registry)
    written = services.registry.update(
        org["id"],
        OrganizationChanges(name="Acme", settings={"a": 1}, merge=True),
    )
    assert written.position is None
    assert event_count(services.registry) == before


def test_patch_merges_settings_and_put_replaces_them(services: Services) -> None:
    org = create(services.registry, settings={"a": 1, "b": {"c": 2, "d": 3}})
    oid = org["id"]
    merged = services.registry.update(
        oid,
        OrganizationChanges(settings={"b": {"c": None}, "e": 5}, merge=True),
    )
    assert merged.organization["settings"] == {"a": 1, "b": {"d": 3}, "e": 5}
    replaced = services.registry.update(oid, OrganizationChanges(settings={"z": 0}))
    assert replaced.organization["settings"] == {"z": 0}


def test_merged_settings_are_validated_as_a_whole(services: Services) -> None:
    org = create(services.registry)
    with pytest.raises(ValidationError) as error:
        services.registry.update(
            org["id"],
            OrganizationChanges(settings={"defaultCurrency": "ABC"}, merge=True),
        )
    assert error.value.problems[0].field == "settings.defaultCurrency"


def test_update_with_stale_expected_version_is_refused(services: Services) -> None:
    org = create(services.registry)
    with pytest.raises(VersionConflictError) as error:
        services.registry.update(org["id"], OrganizationChanges(name="X"), expected_version=7)
    assert error.value.current_version == 1


def test_unknown_organization_is_not_found(services: Services) -> None:
    import uuid

    with pytest.raises(OrganizationNotFoundError):
        services.registry.update(uuid.uuid4(), OrganizationChanges(name="X"))

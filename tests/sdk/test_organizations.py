"""Organizations through the SDK: every operation on them, paging and ETags."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tenant_registry_client import (
    DuplicateSlugError,
    NotModified,
    OrganizationNotFoundError,
    VersionConflictError,
)
from tests.helpers import random_slug

if TYPE_CHECKING:
    from tenant_registry_client import Client, Organization


def test_a_created_organization_reads_back_the_same(client: Client) -> None:
    created = client.organizations.create(
        name="Acme", slug=random_slug(), settings={"timezone": "Europe/Rome"}, country_code="IT"
    )
    assert client.organizations.get(created.id) == created
    assert (created.settings, created.country_code, created.etag) == (
        {"timezone": "Europe/Rome"},
        "IT",
        '"1"',
    )


def test_an_error_answer_raises_the_class_of_its_code(client: Client, org: Organization) -> None:
    with pytest.raises(DuplicateSlugError) as refused:
        client.organizations.create(name="Copy", slug=org.slug)
    assert (refused.value.status, refused.value.code) == (400, "DUPLICATE_SLUG")
    assert refused.value.request_id


def test_lookup_finds_an_organization_by_slug_and_by_external_id(client: Client) -> None:
    org = client.organizations.create(name="Acme", slug=random_slug(), external_id=random_slug())
    assert client.organizations.lookup(slug=org.slug) == org
    assert client.organizations.lookup(external_id=org.external_id) == org


def test_a_taken_slug_is_not_available(client: Client, org: Organization) -> None:
    answer = client.organizations.slug_availability(org.slug)
    assert (answer.available, answer.reason) == (False, "taken")


def test_update_merges_and_replace_replaces_settings(client: Client) -> None:
    org = client.organizations.create(name="Acme", slug=random_slug(), settings={"a": 1})
    merged = client.organizations.update(org.id, settings={"b": 2}, support_email="x@example.com")
    assert (merged.settings, merged.support_email) == ({"a": 1, "b": 2}, "x@example.com")
    replaced = client.organizations.replace(org.id, settings={"c": 3})
    assert replaced.settings == {"c": 3}


def test_a_stale_if_match_raises_version_conflict_and_records_nothing(
    client: Client, org: Organization
) -> None:
    client.organizations.update(org.id, name="First", if_match=org.etag)
    with pytest.raises(VersionConflictError) as conflict:
        client.organizations.update(org.id, name="Second", if_match=org.etag)
    assert conflict.value.current_version == 2
    assert client.organizations.get(org.id).name == "First"


def test_get_with_the_current_etag_is_not_modified(client: Client, org: Organization) -> None:
    assert client.organizations.get(org.id, if_none_match=org.etag) == NotModified(org.etag)
    renamed = client.organizations.update(org.id, name="Renamed")
    assert client.organizations.get(org.id, if_none_match=org.etag) == renamed


def test_an_archived_organization_is_listed_only_as_archived(
    client: Client, org: Organization
) -> None:
    archived = client.organizations.archive(org.id, reason="closing")
    assert archived.status == "archived"
    assert org.id not in {o.id for o in client.organizations.list(q=org.slug)}
    assert [o.id for o in client.organizations.list(q=org.slug, status="archived")] == [org.id]


def test_a_revert_brings_back_an_earlier_version(client: Client, org: Organization) -> None:
    client.organizations.update(org.id, name="Changed")
    reverted = client.organizations.revert(org.id, 1, revert_reason="undo")
    assert (reverted.name, reverted.version) == (org.name, 3)
    assert client.organizations.get(org.id, version=2).name == "Changed"


def test_list_follows_every_page(client: Client) -> None:
    prefix = random_slug("paged")
    made = {client.organizations.create(name="P", slug=f"{prefix}-{n}").id for n in range(5)}
    first = client.organizations.page(q=prefix, limit=2)
    assert (len(first.items), first.next_cursor is not None) == (2, True)
    listed = [o.id for o in client.organizations.list(q=prefix, limit=2)]
    assert (len(listed), set(listed)) == (5, made)


def test_history_iterates_every_event_across_pages(client: Client, org: Organization) -> None:
    for n in range(4):
        client.organizations.update(org.id, name=f"Name {n}", reason=f"step {n}")
    events = list(client.organizations.history(org.id, limit=2))
    assert [e.version for e in events] == [1, 2, 3, 4, 5]
    assert (events[1].type, events[1].reason) == ("Renamed", "step 0")
    assert events[1].changes["name"].to == "Name 0"
    renamed = list(client.organizations.history(org.id, types=["Renamed"], order="desc"))
    assert [e.version for e in renamed] == [5, 4, 3, 2]


def test_an_unknown_organization_raises_not_found(client: Client) -> None:
    with pytest.raises(OrganizationNotFoundError):
        client.organizations.get("00000000-0000-0000-0000-000000000000")

"""The lookup read model on each store: it reflects the events, and answers queries."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from domain.commands import NewOrganization, OrganizationChanges
from projections.records import ListQuery
from tests.helpers import random_slug

if TYPE_CHECKING:
    from service.composition import Services


def create_seen(services: Services, **fields: Any) -> dict[str, Any]:
    new = NewOrganization(**{"name": "Acme", "slug": random_slug(), **fields})
    written = services.registry.create(new)
    assert services.read_model.queries.wait_for_position(written.position or 0, 10)
    return written.organization


def test_read_model_equals_the_aggregate_after_every_kind_of_change(services: Services) -> None:
    org = create_seen(services, external_id="idp-7", profile={"domain": "acme.com"})
    written = services.registry.update(
        org["id"],
        OrganizationChanges(
            name="Acme 2",
            slug=random_slug(),
            external_id="idp-8",
            settings={"timezone": "UTC"},
            metadata={"plan": "pro"},
            profile={"support_email": "help@acme.com", "domain": None},
            status="suspended",
            status_reason="audit",
        ),
    )
    assert services.read_model.queries.wait_for_position(written.position or 0, 10)
    assert services.read_model.queries.get_organization(org["id"]) == written.organization
    assert services.registry.get_details(org["id"]) == written.organization


def test_lookup_by_slug_and_external_id(services: Services) -> None:
    org = create_seen(services, external_id="idp-lookup")
    assert services.read_model.queries.find_organization(slug=org["slug"]) == org
    assert services.read_model.queries.find_organization(external_id="idp-lookup") == org
    assert services.read_model.queries.find_organization(slug="no-such-slug") is None


def test_list_is_newest_first_and_pages_with_a_cursor(services: Services) -> None:
    ids = [create_seen(services)["id"] for _ in range(5)]
    first = services.read_model.queries.list_organizations(ListQuery(limit=3))
    last = first[-1]
    rest = services.read_model.queries.list_organizations(
        ListQuery(limit=3, after=(last["created_at"], last["id"]))
    )
    assert [o["id"] for o in first + rest] == ids[::-1]


def test_list_hides_archived_unless_asked_and_filters_by_status(services: Services) -> None:
    kept, archived = create_seen(services), create_seen(services)
    w = services.registry.archive(archived["id"])
    services.read_model.queries.wait_for_position(w.position or 0, 10)
    assert [o["id"] for o in services.read_model.queries.list_organizations(ListQuery())] == [
        kept["id"]
    ]
    only = services.read_model.queries.list_organizations(ListQuery(status="archived"))
    assert [o["id"] for o in only] == [archived["id"]]


def test_list_q_is_a_case_insensitive_prefix_of_name_or_slug(services: Services) -> None:
    a = create_seen(services, name="Globex Corporation", slug=random_slug("zeta"))
    b = create_seen(services, name="Initech", slug=random_slug("globe"))
    create_seen(services, name="Acme globex", slug=random_slug("other"))
    found = services.read_model.queries.list_organizations(ListQuery(q="GLOBE"))
    assert {o["id"] for o in found} == {a["id"], b["id"]}
    assert services.read_model.queries.list_organizations(ListQuery(q="%")) == []


def test_list_filters_by_external_id(services: Services) -> None:
    org = create_seen(services, external_id="idp-filter")
    create_seen(services)
    found = services.read_model.queries.list_organizations(ListQuery(external_id="idp-filter"))
    assert [o["id"] for o in found] == [org["id"]]


def test_integers_beyond_64_bits_recorded_earlier_are_kept_exactly(services: Services) -> None:
    """Commands refuse them now (``domain.storable``); events that hold them still project."""
    from tests.integration.test_total_projection import legacy

    big = {"quota": 2**70, "ratio": 0.5, "nested": {"n": -(2**65)}}
    org_id = legacy(services, lambda org: org.replace_settings(big))
    found = services.read_model.queries.get_organization(org_id)
    assert found is not None
    assert found["settings"] == big

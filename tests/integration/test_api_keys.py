"""Secret keys on each store: what issuing and revoking record, and what the read model answers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, cast
from uuid import uuid4

import pytest

from domain.commands import NewApiKey, NewOrganization, OrganizationChanges
from domain.context import acting_as, api_key_actor
from domain.errors import ApiKeyNotFoundError, ForbiddenError, ValidationError
from domain.keys.secrets import hash_secret
from tests.helpers import race, random_slug

if TYPE_CHECKING:
    from uuid import UUID

    from application.results import IssuedApiKey
    from domain.organizations.organization import Organization
    from service.composition import Services


def create(services: Services) -> UUID:
    written = services.registry.create(NewOrganization(name="Acme", slug=random_slug()))
    assert services.read_model.queries.wait_for_position(written.position or 0, 10)
    org_id: UUID = written.organization["id"]
    return org_id


def issue(services: Services, org_id: UUID, **fields: Any) -> IssuedApiKey:
    issued = services.registry.issue_api_key(org_id, NewApiKey(**fields))
    assert services.read_model.queries.wait_for_position(issued.written.position or 0, 10)
    return issued


def test_issued_key_records_its_hash_and_prefix_but_never_its_secret(services: Services) -> None:
    org_id = create(services)
    issued = issue(services, org_id, name="billing")
    event = cast("Organization.ApiKeyIssued", services.registry.history(org_id)[-1])
    assert type(event).__name__ == "ApiKeyIssued"
    assert (event.secret_hash, event.prefix) == (hash_secret(issued.secret), issued.secret[:11])
    assert issued.secret not in repr(vars(event))
    assert len(issued.secret) >= 3 + 43  # "sk_" and at least 256 bits in base64url


def test_read_model_finds_a_key_by_its_hash_with_its_organization(services: Services) -> None:
    org_id = create(services)
    issued = issue(services, org_id)
    found = services.read_model.queries.find_api_key(hash_secret(issued.secret))
    assert found is not None
    assert (found.key_id, found.organization_id, found.organization_status) == (
        issued.api_key["id"],
        org_id,
        "active",
    )
    assert services.read_model.queries.find_api_key(hash_secret(issued.secret + "x")) is None


def test_key_events_move_the_read_model_to_the_aggregate_version(services: Services) -> None:
    org_id = create(services)
    issued = issue(services, org_id)
    _, written = services.registry.revoke_api_key(org_id, issued.api_key["id"])
    assert services.read_model.queries.wait_for_position(written.position or 0, 10)
    assert services.read_model.queries.get_organization(org_id) == written.organization
    assert written.organization["version"] == 3


def test_revoked_key_is_listed_with_its_revocation_time(services: Services) -> None:
    org_id = create(services)
    kept, revoked = issue(services, org_id, name="kept"), issue(services, org_id, name="gone")
    key, written = services.registry.revoke_api_key(org_id, revoked.api_key["id"])
    assert services.read_model.queries.wait_for_position(written.position or 0, 10)
    listed = services.read_model.queries.list_api_keys(org_id)
    assert listed == [kept.api_key, key]
    assert key["revoked_at"] is not None
    found = services.read_model.queries.find_api_key(hash_secret(revoked.secret))
    assert found is not None
    assert found.revoked_at == key["revoked_at"]


def test_revoking_a_revoked_key_records_nothing(services: Services) -> None:
    org_id = create(services)
    issued = issue(services, org_id)
    services.registry.revoke_api_key(org_id, issued.api_key["id"])
    _, again = services.registry.revoke_api_key(org_id, issued.api_key["id"])
    assert again.position is None


def test_revoking_an_unknown_key_is_not_found(services: Services) -> None:
    org_id = create(services)
    with pytest.raises(ApiKeyNotFoundError):
        services.registry.revoke_api_key(org_id, uuid4())


def test_invalid_key_fields_are_named_and_nothing_is_recorded(services: Services) -> None:
    org_id = create(services)
    before = services.registry.recorder.max_notification_id()
    past, naive = datetime.now(UTC) - timedelta(seconds=1), datetime(2099, 1, 1)
    for name, expires_at in ((" ", past), ("x" * 101, naive)):
        with pytest.raises(ValidationError) as error:
            services.registry.issue_api_key(org_id, NewApiKey(name, expires_at))
        assert {p.field for p in error.value.problems} == {"name", "expires_at"}
    assert services.registry.recorder.max_notification_id() == before


@pytest.mark.parametrize(
    "changes",
    [
        OrganizationChanges(status="suspended"),
        OrganizationChanges(status_reason="because"),
        OrganizationChanges(external_id="idp-9"),
    ],
)
def test_a_key_may_not_change_admin_only_fields(
    services: Services, changes: OrganizationChanges
) -> None:
    org_id = create(services)
    before = services.registry.recorder.max_notification_id()
    with acting_as(api_key_actor(str(uuid4()))), pytest.raises(ForbiddenError):
        services.registry.update(org_id, changes)
    assert services.registry.recorder.max_notification_id() == before


def test_concurrent_key_issues_on_one_organization_all_take_effect(
    services: Services, database_url: str
) -> None:
    org_id = create(services)
    outcomes = race(database_url, lambda r, i: r.issue_api_key(org_id, NewApiKey(name=f"k{i}")))
    assert all(not isinstance(o, Exception) for o in outcomes), outcomes
    final = services.registry.get_details(org_id)
    assert services.read_model.queries.wait_for_position(
        services.registry.recorder.max_notification_id() or 0, 10
    )
    listed = {key["name"] for key in services.read_model.queries.list_api_keys(org_id)}
    assert listed == {f"k{i}" for i in range(len(outcomes))}
    assert final["version"] == 1 + len(outcomes)

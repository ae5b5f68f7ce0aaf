"""The SDK cache's events applied to what it holds: pure, from literal snapshot lines and
feed events."""

from __future__ import annotations

from typing import Any

import pytest

from tenant_registry_client.cache import EventApplier, State, organization_of

ORG = "00000000-0000-4000-8000-000000000001"


def held() -> State:
    state = State(position=7)
    line = {
        "organization": {"id": ORG, "slug": "acme", "externalId": None, "name": "Acme",
                         "status": "active", "version": 3, "updatedAt": "t3"},
        "roles": [{"key": "owner", "name": "Owner", "permissions": ["*"], "builtIn": True}],
        "members": [{"id": "m1", "userId": "ann", "email": "a@x.com", "status": "active",
                     "roles": ["owner"]}],
    }  # fmt: skip
    state.put(organization_of(line))
    return state


def event(version: int, changes: dict[str, Any]) -> dict[str, Any]:
    changed = {path: {"from": None, "to": to} for path, to in changes.items()}
    return {"organizationId": ORG, "type": "X", "version": version, "occurredAt": "t",
            "changes": changed}  # fmt: skip


def test_an_event_that_cannot_be_applied_leaves_the_organization_as_it_was() -> None:
    state = held()
    broken = event(4, {"name": "Renamed", "slug": "new", "roles.billing.name": "Billing",
                       "members.m1.status": "inactive", "members.m2.roles": 5})  # fmt: skip
    with pytest.raises(TypeError):
        EventApplier(state).apply(broken)
    org = state.organizations[ORG]
    assert (org.data["name"], org.version, state.by_slug) == ("Acme", 3, {"acme": ORG})
    assert list(org.roles) == ["owner"]
    assert (org.by_user["ann"].status, list(org.members)) == ("active", ["m1"])


def test_a_role_defined_and_a_member_changed_by_one_event_are_both_applied() -> None:
    state = held()
    changes = {"roles.billing.name": "Billing", "roles.billing.permissions": ["billing:*"],
               "members.m1.roles": ["billing"]}  # fmt: skip
    assert EventApplier(state).apply(event(4, changes))
    org = state.organizations[ORG]
    assert org.roles["billing"] == {
        "key": "billing", "name": "Billing", "permissions": ["billing:*"], "builtIn": False
    }  # fmt: skip
    assert org.by_user["ann"].roles == ("billing",)


def test_a_role_whose_name_and_permissions_go_is_deleted() -> None:
    state = held()
    EventApplier(state).apply(event(4, {"roles.b.name": "B", "roles.b.permissions": []}))
    EventApplier(state).apply(event(5, {"roles.b.name": None, "roles.b.permissions": None}))
    assert list(state.organizations[ORG].roles) == ["owner"]

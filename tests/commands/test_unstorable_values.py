"""Values no store can hold faithfully are refused, naming each field, and nothing is
recorded (the JSON that carries them over HTTP: ``tests/api/test_hostile_input.py``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from domain.commands import NewMember, NewOrganization, OrganizationChanges
from domain.errors import ValidationError
from tests.helpers import random_slug

if TYPE_CHECKING:
    from application.registry import OrganizationRegistry

INF = float("inf")
UPDATE_VECTORS: list[tuple[dict[str, Any], list[str]]] = [
    (
        {"settings": {"big": 123456789012345678901234567890, "inf": INF}},
        ["settings.big", "settings.inf"],
    ),
    ({"settings": {"n": INF}}, ["settings.n"]),
    ({"settings": {"n": float("nan")}}, ["settings.n"]),
    ({"settings": {"n": -INF}}, ["settings.n"]),
    ({"settings": {"a": {"b": [1, 9007199254740992]}}}, ["settings.a.b[1]"]),
    ({"settings": {"t": "a\x00b"}}, ["settings.t"]),
    ({"settings": {"k\x00": 1}}, ["settings"]),
    ({"status": "suspended", "status_reason": "a\x00b"}, ["status_reason"]),
    ({"name": "a\ud800b"}, ["name"]),
    ({"profile": {"reference": "\udc00"}}, ["reference"]),
    ({"external_id": "x\ud83d"}, ["external_id"]),
    ({"metadata": {"k": "v\x00"}}, ["metadata.k"]),
    ({"metadata": {"\ud800": "v"}}, ["metadata"]),
]  # fmt: skip


def problems(error: pytest.ExceptionInfo[ValidationError]) -> list[str]:
    return [problem.field for problem in error.value.problems]


@pytest.mark.parametrize(("changes", "fields"), UPDATE_VECTORS)
def test_an_update_with_unstorable_values_is_refused_and_records_nothing(
    registry: OrganizationRegistry, changes: dict[str, Any], fields: list[str]
) -> None:
    org = registry.create(NewOrganization(name="Acme", slug=random_slug())).organization
    with pytest.raises(ValidationError) as refused:
        registry.update(org["id"], OrganizationChanges(**changes))
    assert problems(refused) == fields
    assert registry.get_details(org["id"])["version"] == org["version"]


def test_a_create_with_unstorable_values_is_refused_and_records_nothing(
    registry: OrganizationRegistry,
) -> None:
    slug = random_slug()
    new = NewOrganization(name="Acme", slug=slug, settings={"n": float("nan"), "t": "\x00"})
    with pytest.raises(ValidationError) as refused:
        registry.create(new)
    assert problems(refused) == ["settings.n", "settings.t"]
    assert registry.recorder.max_notification_id() in (None, 0)


@pytest.mark.parametrize("user_id", [".", ".."])
def test_a_user_id_that_is_a_dot_segment_is_refused_and_records_nothing(
    registry: OrganizationRegistry, user_id: str
) -> None:
    org = registry.create(NewOrganization(name="Acme", slug=random_slug())).organization
    with pytest.raises(ValidationError) as refused:
        registry.add_member(org["id"], NewMember(user_id=user_id, email="dots@example.com"))
    assert problems(refused) == ["user_id"]
    assert registry.get_details(org["id"])["version"] == org["version"]

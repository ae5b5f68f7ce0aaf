"""Copies of cached aggregates: equal to the original, and independent of it."""

from __future__ import annotations

from copy import deepcopy
from uuid import uuid4

from application.aggregate_cache import copy_aggregate
from domain.context import acting_as
from domain.organizations.organization import Organization


def organization() -> Organization:
    with acting_as({"type": "admin"}, "r-1"):
        org = Organization(
            name="Acme",
            slug="acme",
            external_id=None,
            settings={"theme": {"colors": ["red"]}},
            profile={},
            metadata={},
        )
        org.rename("Acme Group")
    org.collect_events()
    return org


def test_a_copy_has_the_state_of_the_original() -> None:
    org = organization()
    assert copy_aggregate(org).__dict__ == deepcopy(org).__dict__


def test_changing_a_copy_in_place_leaves_the_original_as_it_was() -> None:
    org = organization()
    copied = copy_aggregate(org)
    copied.settings["theme"]["colors"].append("blue")
    copied.metadata[str(uuid4())] = "x"
    assert org.settings == {"theme": {"colors": ["red"]}}
    assert org.metadata == {}

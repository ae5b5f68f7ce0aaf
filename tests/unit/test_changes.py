"""What an event changed, field by field."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.changes import diff, diff_applied

BEFORE: dict[str, Any] = {
    "name": "Acme",
    "slug": "acme",
    "settings": {"timezone": "UTC", "notifications": {"email": True}},
    "metadata": {},
}


@pytest.mark.parametrize(
    "changes",
    [
        {"name": "Acme Group"},
        {"name": "Acme"},
        {"settings": {"timezone": "UTC", "notifications": {"email": False}}},
        {"settings": {"timezone": "CET"}},
        {"settings": {}},
        {"metadata": {"tier": "gold"}},
        {"external_id": None},
        {"external_id": "crm-1", "name": "Other"},
    ],
)
def test_diff_applied_equals_the_diff_of_whole_states(changes: dict[str, Any]) -> None:
    assert diff_applied(BEFORE, changes) == diff(BEFORE, {**BEFORE, **changes})


def test_unchanged_settings_give_no_entries() -> None:
    assert diff(BEFORE, {**BEFORE, "name": "New"}) == {"name": {"from": "Acme", "to": "New"}}


def test_settings_are_compared_key_by_key_with_dotted_paths() -> None:
    after = {**BEFORE, "settings": {"timezone": "UTC", "notifications": {"email": False}}}
    assert diff(BEFORE, after) == {"settings.notifications.email": {"from": True, "to": False}}


def test_emptied_settings_show_each_removed_key() -> None:
    assert diff(BEFORE, {**BEFORE, "settings": None}) == {
        "settings.notifications.email": {"from": True, "to": None},
        "settings.timezone": {"from": "UTC", "to": None},
    }


def reference_diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """The definition ``diff`` must keep to: compare every leaf of both states."""

    def leaves(value: Any, path: str) -> dict[str, Any]:
        if isinstance(value, dict) and value:
            found: dict[str, Any] = {}
            for key, item in value.items():
                found.update(leaves(item, f"{path}.{key}"))
            return found
        return {path: value}

    changes: dict[str, Any] = {}
    for field in after.keys() | before.keys():
        old, new = before.get(field), after.get(field)
        if field in ("settings", "metadata"):
            old_leaves = {
                k: v
                for key, i in (old or {}).items()
                for k, v in leaves(i, f"{field}.{key}").items()
            }
            new_leaves = {
                k: v
                for key, i in (new or {}).items()
                for k, v in leaves(i, f"{field}.{key}").items()
            }
            for path in old_leaves.keys() | new_leaves.keys():
                o, n = old_leaves.get(path), new_leaves.get(path)
                if o != n or (path in old_leaves) != (path in new_leaves):
                    changes[path] = {"from": o, "to": n}
        elif old != new:
            changes[field] = {"from": old, "to": new}
    return dict(sorted(changes.items()))


scalars = st.none() | st.booleans() | st.integers() | st.text(max_size=3)
nested = st.recursive(
    scalars, lambda inner: st.dictionaries(st.sampled_from("abc"), inner, max_size=3), max_leaves=6
)
states = st.fixed_dictionaries(
    {},
    optional={
        "name": scalars,
        "external_id": scalars,
        "settings": st.dictionaries(st.sampled_from("abc"), nested, max_size=3),
        "metadata": st.dictionaries(st.sampled_from("abc"), st.text(max_size=2), max_size=3),
    },
)
"""States as organizations have them: settings and metadata are objects."""


@given(states, states)
def test_diff_keeps_to_its_definition(before: dict[str, Any], after: dict[str, Any]) -> None:
    assert diff(before, after) == reference_diff(before, after)
    assert list(diff(before, after)) == sorted(diff(before, after))


@given(states)
def test_a_new_state_diffs_against_nothing_by_the_definition(after: dict[str, Any]) -> None:
    assert diff({}, after) == reference_diff({}, after)


@given(states, states)
def test_diff_applied_keeps_to_its_definition(
    before: dict[str, Any], changes: dict[str, Any]
) -> None:
    assert diff_applied(before, changes) == reference_diff(before, {**before, **changes})

"""What an event changed, field by field."""

from __future__ import annotations

from typing import Any

import pytest

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

"""How the API shows what stored events recorded: field paths in camelCase (the stored
paths never change), and the event types the history can hold."""

from __future__ import annotations

from typing import get_args

from api.history.queries import EVENT_TYPES
from api.history.schemas import EventType
from service.wire import camel_path


def test_a_members_field_path_is_camel_case() -> None:
    assert camel_path("members.3f2a.user_id") == "members.3f2a.userId"


def test_a_members_metadata_key_is_kept_as_given() -> None:
    assert camel_path("members.3f2a.metadata.cost_center") == "members.3f2a.metadata.cost_center"


def test_a_keys_field_path_is_camel_case() -> None:
    assert camel_path("api_keys.k1.last_used_at") == "apiKeys.k1.lastUsedAt"


def test_a_settings_key_is_kept_as_given() -> None:
    assert camel_path("settings.fiscal_year.start_month") == "settings.fiscal_year.start_month"


def test_the_documented_event_types_are_those_the_history_holds() -> None:
    assert get_args(EventType) == EVENT_TYPES

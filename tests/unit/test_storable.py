"""The limits of what a command may record: what every store holds exactly, forever."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.errors import InvalidValueError
from domain.storable import (
    EARLIEST,
    LATEST,
    MAX_DEPTH,
    MAX_SAFE_INTEGER,
    check_time,
    storable_value,
    value_problems,
)


@pytest.mark.parametrize(
    ("value", "path", "message"),
    [
        ("a\x00b", "f", "NUL"),
        ("a\ud800b", "f", "lone surrogates"),
        ("\udfff", "f", "lone surrogates"),
        (float("nan"), "f", "finite"),
        (float("inf"), "f", "finite"),
        (-float("inf"), "f", "finite"),
        (MAX_SAFE_INTEGER + 1, "f", "integer between"),
        (-MAX_SAFE_INTEGER - 1, "f", "integer between"),
        ({"a": {"b": [1, "\x00"]}}, "f.a.b[1]", "NUL"),
        ({"k\x00": 1}, "f", "has a key"),
        ({1: "x"}, "f", "has a key that must be text"),
        (object(), "f", "JSON value"),
    ],
)
def test_a_value_no_store_holds_exactly_is_named_with_its_path(
    value: Any, path: str, message: str
) -> None:
    problems = value_problems("f", value)
    assert [p.field for p in problems] == [path]
    assert message in problems[0].message


@pytest.mark.parametrize(
    "value",
    [
        "",
        "plain",
        "emoji \U0001f600",
        "\t\n",
        MAX_SAFE_INTEGER,
        -MAX_SAFE_INTEGER,
        1.5e308,
        -0.0,
        True,
        None,
        [],
        {},
        {"a": [1, 2.5, "x", None, {"b": False}]},
    ],
)
def test_storable_values_have_no_problem(value: Any) -> None:
    assert value_problems("f", value) == []


def test_a_value_nested_deeper_than_the_limit_is_refused_without_recursing_further() -> None:
    value: Any = []
    for _ in range(MAX_DEPTH * 100):
        value = [value]
    [problem] = value_problems("settings", value)
    assert "levels deep" in problem.message


@pytest.mark.parametrize(
    "moment",
    [
        EARLIEST - timedelta(microseconds=1),
        LATEST,
        datetime(9999, 12, 31, 23, 59, tzinfo=timezone(timedelta(hours=-14))),
        datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=14))),
    ],
)
def test_a_time_outside_the_range_is_refused(moment: datetime) -> None:
    with pytest.raises(InvalidValueError, match="must be from"):
        check_time(moment)


def test_a_time_without_a_zone_is_refused() -> None:
    with pytest.raises(InvalidValueError, match="time zone"):
        check_time(datetime(2030, 1, 1))


def test_a_time_in_range_comes_back_in_utc() -> None:
    moment = datetime(2030, 1, 1, 2, tzinfo=timezone(timedelta(hours=2)))
    assert check_time(moment) == datetime(2030, 1, 1, tzinfo=UTC)
    assert check_time(moment).tzinfo is UTC


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(st.characters(codec=None, exclude_categories=())),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.text(st.characters(exclude_categories=()), max_size=3), inner, max_size=3
        )
    ),
    max_leaves=10,
)


@given(json_values)
def test_a_value_made_storable_has_no_problem_but_its_integers(value: Any) -> None:
    """Integers beyond the safe range stay as they are: both stores hold them; only new
    commands are refused them (JSON readers elsewhere would round them)."""
    problems = value_problems("f", storable_value(value))
    assert all("integer between" in p.message for p in problems)


@given(json_values)
def test_a_storable_value_is_left_as_it_is(value: Any) -> None:
    if not value_problems("f", value):
        assert storable_value(value) == value


def test_non_finite_numbers_become_the_text_json_readers_show() -> None:
    assert storable_value([math.nan, math.inf, -math.inf]) == ["NaN", "Infinity", "-Infinity"]

"""What every value a command records must be, so that every store holds it faithfully.

Events are immutable: a value recorded once is read back by every read model, on every
store, for as long as the registry lives. So a command accepts only what PostgreSQL
(``text`` and ``json`` columns), SQLite and JSON readers everywhere hold exactly:

- text without the NUL character and without lone surrogates (UTF-8 cannot encode them);
- integers within ``±(2**53 - 1)``, the range every JSON reader keeps exactly
  (RFC 8259 section 6: readers commonly use IEEE 754 doubles);
- finite numbers only (JSON has no NaN or infinity; ``1e400`` reads as infinity);
- times with a zone, from ``EARLIEST`` up to (not including) ``LATEST``.

``value_problems`` applies the first three at any depth of settings and metadata, keys
included; ``check_time`` applies the last.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from typing import Any

from domain.errors import FieldProblem, InvalidValueError

MAX_SAFE_INTEGER = 2**53 - 1
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(9999, 1, 1, tzinfo=UTC)
MAX_DEPTH = 32
"""Beyond this depth a value is refused without looking further (settings allow 8)."""

_UNSTORABLE_TEXT = re.compile("[\x00\ud800-\udfff]")


def text_problem(text: str) -> str | None:
    """Why ``text`` cannot be stored, or ``None``."""
    found = _UNSTORABLE_TEXT.search(text)
    if found is None:
        return None
    if found[0] == "\x00":
        return "must not contain the NUL character (U+0000)"
    return "must not contain lone surrogates (U+D800 to U+DFFF)"


def number_problem(value: int | float) -> str | None:
    """Why ``value`` cannot be stored exactly, or ``None``."""
    if isinstance(value, float):
        return None if math.isfinite(value) else "must be a finite number (no NaN or infinity)"
    if -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
        return None
    return f"must be an integer between -{MAX_SAFE_INTEGER} and {MAX_SAFE_INTEGER}"


def value_problems(path: str, value: Any, depth: int = 0) -> list[FieldProblem]:
    """Every part of ``value`` (keys and values, at any depth) that no store holds exactly."""
    if isinstance(value, str):
        problem = text_problem(value)
    elif isinstance(value, bool) or value is None:
        problem = None
    elif isinstance(value, int | float):
        problem = number_problem(value)
    elif depth >= MAX_DEPTH and isinstance(value, dict | list):
        problem = f"must be at most {MAX_DEPTH} levels deep"
    elif isinstance(value, dict):
        return _dict_problems(path, value, depth)
    elif isinstance(value, list):
        return [
            p
            for i, item in enumerate(value)
            for p in value_problems(f"{path}[{i}]", item, depth + 1)
        ]
    else:
        problem = "must be a JSON value"
    return [] if problem is None else [FieldProblem(path, problem)]


def _dict_problems(path: str, value: dict[Any, Any], depth: int) -> list[FieldProblem]:
    problems = []
    for key, item in value.items():
        key_problem = text_problem(key) if isinstance(key, str) else "must be text"
        if key_problem is not None:
            problems.append(FieldProblem(path, f"has a key that {key_problem}"))
            continue
        problems += value_problems(f"{path}.{key}", item, depth + 1)
    return problems


_NON_FINITE = {math.inf: "Infinity", -math.inf: "-Infinity"}


def storable_value(value: Any) -> Any:
    """``value`` with what no store holds replaced, at any depth: NUL and lone surrogates by
    U+FFFD (the replacement character), NaN and infinities by the text JSON readers show
    for them (``"NaN"``, ``"Infinity"``, ``"-Infinity"``). Only events recorded before
    these rules held need it: it keeps every event projectable, forever."""
    if type(value) is str:
        return _UNSTORABLE_TEXT.sub("\ufffd", value)
    if type(value) is float:
        return value if math.isfinite(value) else _NON_FINITE.get(value, "NaN")
    if type(value) is dict:
        return {storable_value(k): storable_value(v) for k, v in value.items()}
    if type(value) is list:
        return [storable_value(item) for item in value]
    return value


def check_text(value: str) -> str:
    """``value`` if every store holds it exactly, else ``InvalidValueError``."""
    problem = text_problem(value)
    if problem is not None:
        raise InvalidValueError(problem)
    return value


def check_time(value: datetime) -> datetime:
    """``value`` in UTC if it has a zone and lies in the range every store holds."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidValueError("must include a time zone, such as Z or +02:00")
    if not EARLIEST <= value < LATEST:
        raise InvalidValueError(
            f"must be from {EARLIEST.isoformat()} up to {LATEST.isoformat()} (exclusive)"
        )
    return value.astimezone(UTC)

"""No function in the service's code is longer than 40 lines (from ``def`` to its last
line): longer ones are split into named steps."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("domain", "application", "projections", "service", "api", "cli", "sdk")
MAX_LINES = 40


def long_functions(source: str, name: str) -> list[str]:
    return [
        f"{name}:{node.lineno} {node.name} ({node.end_lineno - node.lineno + 1} lines)"
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.end_lineno is not None
        and node.end_lineno - node.lineno + 1 > MAX_LINES
    ]


def test_no_function_in_the_services_code_is_over_40_lines() -> None:
    found = [
        long
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
        for long in long_functions(path.read_text(), str(path.relative_to(ROOT)))
    ]
    assert found == []


def test_the_check_sees_a_long_function() -> None:
    body = "\n".join(f"    x{i} = {i}" for i in range(40))
    assert long_functions(f"def f():\n{body}\n", "m.py") == ["m.py:1 f (41 lines)"]

"""The packages' layering, read from every module's imports (``ast``, nothing imported):
each package imports only the packages below it, no module imports another's private
names, and no modules import each other in a cycle."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ALLOWED = {
    "domain": {"domain"},
    "application": {"domain", "application"},
    "projections": {"domain", "application", "projections"},
    "service": {"domain", "application", "projections", "service"},
    "api": {"domain", "application", "projections", "service", "api"},
    "cli": {"domain", "application", "projections", "service", "cli"},
}
"""What each package may import (of this project's packages)."""


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {
    module_name(path): path for package in ALLOWED for path in (ROOT / package).rglob("*.py")
}


def imports(module: str) -> list[tuple[str, list[str], int]]:
    """Every import in ``module``, type-checking and function-level ones included: the
    module imported, the names taken from it, and the line."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(alias.name, [], node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            names = [alias.name for alias in node.names]
            submodules = [n for n in names if f"{base}.{n}" in MODULES]
            found += [(f"{base}.{n}", [], node.lineno) for n in submodules]
            others = [n for n in names if n not in submodules]
            if others:
                found.append((base, others, node.lineno))
    return found


def first_party(name: str) -> str | None:
    """The module of this project that an imported name resolves to, if any."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def test_each_package_imports_only_the_packages_below_it() -> None:
    wrong = [
        f"{module}:{line} imports {imported}"
        for module in MODULES
        for imported, _, line in imports(module)
        if imported.split(".")[0] in ALLOWED
        and imported.split(".")[0] not in ALLOWED[module.split(".")[0]]
    ]
    assert wrong == []


def test_no_module_imports_another_modules_private_names() -> None:
    wrong = [
        f"{module}:{line} imports {name} from {imported}"
        for module in MODULES
        for imported, names, line in imports(module)
        if first_party(imported) not in (None, module)
        for name in names
        if name.startswith("_") and not name.startswith("__")
    ]
    assert wrong == []


DOMAIN_THIRD_PARTY = {"eventsourcing.domain", "pycountry", "babel", "email_validator", "idna"}
DOMAIN_THIRD_PARTY |= {"phonenumbers"}
"""What ``domain`` may import beyond itself and the standard library: the event-sourcing
library's domain module and pure data libraries (no threads, stores or serialization)."""


def outside_imports(package: str) -> list[str]:
    """What ``package``'s modules import that is neither first-party nor standard library."""
    return [
        f"{module}:{line} imports {imported}"
        for module in MODULES
        if module.split(".")[0] == package
        for imported, _, line in imports(module)
        if imported.split(".")[0] not in {*ALLOWED, *sys.stdlib_module_names, "__future__"}
        and not any(imported == p or imported.startswith(f"{p}.") for p in DOMAIN_THIRD_PARTY)
    ]


def test_domain_imports_only_the_libraries_domain_and_pure_data_libraries() -> None:
    assert outside_imports("domain") == []


def graph() -> dict[str, set[str]]:
    return {
        module: {
            target
            for imported, _, _ in imports(module)
            if (target := first_party(imported)) is not None and target != module
        }
        for module in MODULES
    }


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in edges.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return groups


def test_no_modules_import_each_other_in_a_cycle() -> None:
    assert cycles(graph()) == []


def test_the_checks_see_what_they_check() -> None:
    assert {"application.registry", "projections.writer", "service.composition", "cli.main"} <= set(
        MODULES
    )
    assert "projections.writer" in graph()["projections.sqlite.writer"]
    assert outside_imports("application") != []  # eventsourcing.application, for one
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]

"""The packages' layering, read from every module's imports (``ast``, nothing imported):
each package imports only the packages below it, no module imports another's private
names, and no modules import each other in a cycle. In ``api``, every module lives in a
feature's folder or in ``api.http``, and no route module imports another."""

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

API_FEATURES = (
    "organizations",
    "members",
    "keys",
    "history",
    "jsonapi",
    "webhooks",
    "snapshot",
)
"""The API's feature folders; ``api.http`` holds the HTTP machinery they share."""
API_PACKAGES = {"api.http", *(f"api.{feature}" for feature in API_FEATURES)}
OTHER_ROUTE_MODULES = {"api.organizations.current", "api.http.health"}
"""Route modules not named ``routes``: the current organization's, the service's own."""


def is_route_module(module: str) -> bool:
    """A module of ``api`` that holds routes: ``api.<folder>.routes``, or one listed."""
    return module.startswith("api.") and (
        module.endswith(".routes") or module in OTHER_ROUTE_MODULES
    )


def imports(module: str) -> list[tuple[str, list[str], int]]:
    """Every import in ``module``, type-checking and function-level ones included: the
    module imported, the names taken from it, and the line."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: list[tuple[str, list[str], int]] = []
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


ROUTE_MODULES = {module for module in MODULES if is_route_module(module)}


def builds_a_router(module: str) -> bool:
    """Whether ``module`` calls ``APIRouter(...)``."""
    tree = ast.parse(MODULES[module].read_text(), str(MODULES[module]))
    return any(
        isinstance(node, ast.Call)
        and (
            (isinstance(node.func, ast.Name) and node.func.id == "APIRouter")
            or (isinstance(node.func, ast.Attribute) and node.func.attr == "APIRouter")
        )
        for node in ast.walk(tree)
    )


def route_module_imports(edges: dict[str, set[str]], routes: set[str]) -> list[str]:
    """Each import of a route module by another route module."""
    return sorted(
        f"{module} imports {target}"
        for module in routes
        for target in edges.get(module, ())
        if target in routes
    )


def test_every_module_that_builds_a_router_is_a_route_module() -> None:
    assert {module for module in MODULES if builds_a_router(module)} == ROUTE_MODULES


def test_no_route_module_imports_another() -> None:
    """What two features share lives in ``api.http`` (or a feature's other modules), never
    in a route module."""
    assert route_module_imports(graph(), ROUTE_MODULES) == []


def test_only_the_app_imports_route_modules() -> None:
    wrong = [
        f"{module} imports {target}"
        for module, targets in graph().items()
        if module != "api.main"
        for target in targets
        if target in ROUTE_MODULES
    ]
    assert wrong == []


def test_api_modules_live_in_a_feature_folder_or_in_api_http() -> None:
    wrong = [
        module
        for module in MODULES
        if module.startswith("api.")
        and module != "api.main"
        and module not in API_PACKAGES
        and module.rpartition(".")[0] not in API_PACKAGES
    ]
    assert wrong == []


def test_the_checks_see_what_they_check() -> None:
    assert {"application.registry", "projections.writer", "service.composition", "cli.main"} <= set(
        MODULES
    )
    assert "projections.writer" in graph()["projections.sqlite.writer"]
    assert outside_imports("application") != []  # eventsourcing.application, for one
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_the_route_checks_see_the_route_modules() -> None:
    assert {
        "api.organizations.routes",
        "api.organizations.current",
        "api.members.routes",
        "api.keys.routes",
        "api.history.routes",
        "api.webhooks.routes",
        "api.snapshot.routes",
        "api.http.health",
    } == ROUTE_MODULES
    assert set(MODULES) >= API_PACKAGES
    assert graph()["api.main"] >= ROUTE_MODULES  # `from api.x import routes as x` is seen.
    assert {"api.http.routing", "api.history.params"} <= graph()["api.organizations.current"]
    assert route_module_imports({"a.routes": {"b.routes", "c"}}, {"a.routes", "b.routes"}) == [
        "a.routes imports b.routes"
    ]


SDK = ROOT / "sdk" / "src" / "tenant_registry_client"


def imported_modules(path: Path) -> list[str]:
    """The modules a file imports (absolute imports; the SDK uses no others)."""
    found: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.append(node.module)
    return found


def test_the_sdk_imports_nothing_of_the_server() -> None:
    """The SDK is installed apart from the service: the stdlib, httpx and itself only."""
    server = {*ALLOWED, "tests", "pydantic", "fastapi", "eventsourcing", "psycopg"}
    found = [
        f"{path.relative_to(ROOT)}: {name}"
        for path in sorted(SDK.rglob("*.py"))
        for name in imported_modules(path)
        if name.split(".")[0] in server
    ]
    assert found == []
    assert "httpx" in {name for path in SDK.rglob("*.py") for name in imported_modules(path)}

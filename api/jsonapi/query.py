"""The JSON:API query parameters: ``include`` (the relationships a compound document
includes), ``fields[TYPE]`` (sparse fieldsets), ``page[size]`` and ``page[cursor]`` (our
``limit`` and ``cursor``) and ``filter[NAME]`` (our list filters); our own names are taken
too. 400 for what this service does not know (``sort`` included), as the specification
asks."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlencode

from api.jsonapi import documents
from api.jsonapi.documents import RELATED, TYPE, Fieldsets, attribute_name
from api.organizations.schemas import OrganizationPublic

if TYPE_CHECKING:
    from fastapi import FastAPI
    from starlette.types import Scope

KNOWN: dict[str, frozenset[str] | None] = {
    TYPE: documents.attributes(OrganizationPublic) - {"id"} | set(RELATED),
    "memberships": None,
    "roles": None,
    "permissions": None,
    "api_credentials": None,
}
"""The types a document may show, with the fields of those whose fields are checked."""
ALIASES = {
    "page[size]": "limit",
    "page[cursor]": "cursor",
    **{f"filter[{attribute_name(name)}]": name for name in ("status", "region", "q", "externalId")},
}
"""JSON:API's page and filter parameters, and the parameter of ours each stands for."""
TIME_TRAVEL = frozenset({"version", "asOf"})


@dataclass(frozen=True)
class Requested:
    include: tuple[str, ...] = ()
    fieldsets: Fieldsets = field(default_factory=dict)


def _names(value: str) -> frozenset[str]:
    return frozenset(name.strip() for name in value.split(",") if name.strip())


def requested(query_string: bytes) -> Requested:
    """What the query asks of the document (unchecked: ``problems`` checks it)."""
    include: tuple[str, ...] = ()
    fieldsets: Fieldsets = {}
    for name, value in parse_qsl(query_string.decode("latin-1"), keep_blank_values=True):
        if name == "include":
            include = tuple(sorted(_names(value)))
        elif name.startswith("fields[") and name.endswith("]"):
            fieldsets[name[len("fields[") : -1]] = _names(value)
    return Requested(include, fieldsets)


def parameter_names(query_string: bytes) -> set[str]:
    return {name for name, _ in parse_qsl(query_string.decode("latin-1"), keep_blank_values=True)}


def problems(query_string: bytes) -> list[dict[str, str]]:
    """Each query parameter of JSON:API that names what this service does not know."""
    asked = requested(query_string)
    found = [
        {"field": "include", "message": f"cannot include {name}"}
        for name in asked.include
        if name not in RELATED
    ]
    if asked.include and parameter_names(query_string) & TIME_TRAVEL:
        # The related resources are read as they are now, not as they were then.
        message = "cannot include with version or asOf (related resources are read as now)"
        found.append({"field": "include", "message": message})
    for kind, names in asked.fieldsets.items():
        if kind not in KNOWN:
            found.append({"field": f"fields[{kind}]", "message": f"no resource is of type {kind}"})
            continue
        known = KNOWN[kind]
        if known is not None:
            found += [
                {"field": f"fields[{kind}]", "message": f"{kind} have no field {name}"}
                for name in sorted(names - known)
            ]
    return found


@cache
def _operations(app: FastAPI) -> tuple[tuple[re.Pattern[str], str, frozenset[str]], ...]:
    """Each operation of the app's OpenAPI document: its path, method and query parameters;
    paths without a template first (``/current`` is matched before ``/{org_id}``)."""
    found = []
    for template, item in app.openapi()["paths"].items():
        pattern = re.compile("^" + re.sub(r"\{[^/]+\}", "[^/]+", template) + "$")
        for method, operation in item.items():
            parameters = operation.get("parameters", [])
            names = frozenset(p["name"] for p in parameters if p["in"] == "query")
            found.append((pattern, method.upper(), names))
    return tuple(sorted(found, key=lambda operation: "[^/]+" in operation[0].pattern))


def route_parameters(scope: Scope) -> frozenset[str] | None:
    """The query parameters the operation of this request takes; ``None`` if none takes
    the request (its 404 or 405 is the router's)."""
    for pattern, method, names in _operations(scope["app"]):
        if method == scope["method"] and pattern.match(scope["path"]):
            return names
    return None


def _unknown(name: str) -> str:
    if name == "sort":
        return "sorting is not supported (lists are newest first)"
    if name.startswith(("page[", "filter[")):
        return f"{name} is not supported here"
    return f"{name} is not a parameter of this endpoint"


def parameter_problems(query_string: bytes, taken: frozenset[str]) -> list[dict[str, str]]:
    """Each parameter that is neither JSON:API's own, nor one the route takes, by its name or
    by its JSON:API alias (given with the name it stands for: one of them, not both)."""
    names = parameter_names(query_string)
    found = []
    for name in sorted(names):
        if name == "include" or (name.startswith("fields[") and name.endswith("]")):
            continue
        if ALIASES.get(name, name) not in taken:
            found.append({"field": name, "message": _unknown(name)})
        elif ALIASES.get(name, name) in names - {name}:
            found.append({"field": name, "message": f"give {name} or {ALIASES[name]}, not both"})
    return found


def plain_query(query_string: bytes) -> bytes:
    """The query the routes take: each JSON:API alias by the name it stands for."""
    pairs = parse_qsl(query_string.decode("latin-1"), keep_blank_values=True)
    return urlencode([(ALIASES.get(name, name), value) for name, value in pairs]).encode()

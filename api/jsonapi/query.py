"""The JSON:API query parameters: ``include`` (the relationships a compound document
includes) and ``fields[TYPE]`` (sparse fieldsets); 400 for a path or a field this service
does not know, as the specification asks."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import parse_qsl

from pydantic.alias_generators import to_camel

from api.jsonapi.documents import RELATED, TYPE, Fieldsets, attribute_name
from api.organizations.schemas import OrganizationPublic

KNOWN: dict[str, frozenset[str] | None] = {
    TYPE: frozenset(
        {attribute_name(to_camel(name)) for name in OrganizationPublic.model_fields} - {"id"}
        | set(RELATED)
    ),
    "memberships": None,
    "roles": None,
    "permissions": None,
    "api_credentials": None,
}
"""The types a document may show, with the fields of those whose fields are checked."""


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

"""Stable names for the choices a schema offers beside ``null``: an enum or an object given
inline in an ``anyOf`` becomes a named component, referenced where it stood. A code
generator names a class after a component; an inline choice it can only number
(``ReadYourWritesType0``), and the numbers move when the description changes."""

from __future__ import annotations

import json
from typing import Any


def name_inline_choices(spec: dict[str, Any]) -> None:
    """Hoists every inline enum or object of an ``anyOf`` into ``components.schemas``."""
    components: dict[str, Any] = spec.setdefault("components", {}).setdefault("schemas", {})
    names: dict[str, str] = {}
    for name in list(components):
        _walk(components[name], name, components, names)
    for path_item in spec.get("paths", {}).values():
        for operation in path_item.values():
            for parameter in operation.get("parameters", []):
                prefix = _pascal(operation.get("operationId", "")) + _pascal(parameter["name"])
                _walk(parameter.get("schema", {}), prefix, components, names)


def _walk(
    node: Any, prefix: str, components: dict[str, Any], names: dict[str, str], short: str = ""
) -> None:
    if not isinstance(node, dict):
        return
    branches = node.get("anyOf")
    if isinstance(branches, list):
        for i, branch in enumerate(branches):
            if isinstance(branch, dict) and ("enum" in branch or branch.get("type") == "object"):
                branches[i] = {"$ref": _hoist(branch, (short, prefix), components, names)}
    for key, value in node.get("properties", {}).items():
        _walk(value, prefix + _pascal(key), components, names, _pascal(key))
    for key in ("items", "additionalProperties"):
        _walk(node.get(key), prefix, components, names)
    for branch in node.get("anyOf", []):
        _walk(branch, prefix, components, names)


def _hoist(
    schema: dict[str, Any],
    candidates: tuple[str, str],
    components: dict[str, Any],
    names: dict[str, str],
) -> str:
    """The reference of ``schema`` as a component: one name for one schema, taken from
    where it first stands (the property's name, or with its schema's name before it)."""
    key = json.dumps(schema, sort_keys=True)
    if key not in names:
        short, prefix = candidates
        name = short if short and short not in components else prefix
        while name in components:
            name += "Choice"
        components[name] = schema
        names[key] = name
        _walk(schema, name, components, names)
    return f"#/components/schemas/{names[key]}"


def _pascal(name: str) -> str:
    words = name.replace("-", "_").replace("[", "_").replace("]", "").split("_")
    return "".join(word[:1].upper() + word[1:] for word in words)

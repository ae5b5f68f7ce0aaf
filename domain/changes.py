"""What an event changed, field by field: ``{path: {"from": old, "to": new}}``.

``settings`` and ``metadata`` are compared key by key, with dotted paths for nested keys
(``settings.notifications.email``), so a history entry names exactly what moved.
"""

from __future__ import annotations

from typing import Any

PER_KEY_FIELDS = ("settings", "metadata")


def _leaves(value: Any, path: str) -> dict[str, Any]:
    if isinstance(value, dict) and value:
        leaves: dict[str, Any] = {}
        for key, item in value.items():
            leaves.update(_leaves(item, f"{path}.{key}"))
        return leaves
    return {path: value}


def _diff_per_key(field: str, before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    old = {k: v for key, item in before.items() for k, v in _leaves(item, f"{field}.{key}").items()}
    new = {k: v for key, item in after.items() for k, v in _leaves(item, f"{field}.{key}").items()}
    return {
        path: {"from": old.get(path), "to": new.get(path)}
        for path in sorted(old.keys() | new.keys())
        if old.get(path) != new.get(path) or (path in old) != (path in new)
    }


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every field (or settings/metadata key) whose value differs between two states."""
    changes: dict[str, dict[str, Any]] = {}
    for field in after.keys() | before.keys():
        old, new = before.get(field), after.get(field)
        if field in PER_KEY_FIELDS:
            if (old or {}) != (new or {}):
                changes.update(_diff_per_key(field, old or {}, new or {}))
        elif old != new:
            changes[field] = {"from": old, "to": new}
    return dict(sorted(changes.items()))


def diff_applied(before: dict[str, Any], changes: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """What applying ``changes`` (new values of some fields) to ``before`` changes: the
    same as ``diff(before, {**before, **changes})``, comparing only the changed fields."""
    return diff({field: before.get(field) for field in changes}, changes)

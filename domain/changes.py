"""What an event changed, field by field: ``{path: {"from": old, "to": new}}``.

``settings``, ``metadata`` and an organization's own ``roles`` (objects) are compared key by
key, with dotted paths for nested keys (``settings.notifications.email``), so a history
entry names exactly what moved.
"""

from __future__ import annotations

from typing import Any

PER_KEY_FIELDS = ("settings", "metadata", "roles")


def _leaves(value: dict[str, Any], path: str, into: dict[str, Any]) -> dict[str, Any]:
    """Add each leaf of ``value`` to ``into`` under its dotted path below ``path``."""
    for key, item in value.items():
        if type(item) is dict and item:
            _leaves(item, f"{path}.{key}", into)
        else:
            into[f"{path}.{key}"] = item
    return into


def _diff_per_key(field: str, before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    old, new = _leaves(before, field, {}), _leaves(after, field, {})
    if not old:
        return {path: {"from": None, "to": value} for path, value in new.items()}
    return {
        path: {"from": old.get(path), "to": new.get(path)}
        for path in old.keys() | new.keys()
        if old.get(path) != new.get(path) or (path in old) != (path in new)
    }


def _created(state: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """``diff({}, state)``: every field that has a value."""
    changes: dict[str, dict[str, Any]] = {}
    for field, value in state.items():
        if value is None:
            continue
        if field in PER_KEY_FIELDS and type(value) is dict:
            if value:
                for path, leaf in _leaves(value, field, {}).items():
                    changes[path] = {"from": None, "to": leaf}
        else:
            changes[field] = {"from": None, "to": value}
    return dict(sorted(changes.items()))


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every field (or settings/metadata key) whose value differs between two states."""
    if not before:
        return _created(after)
    changes: dict[str, dict[str, Any]] = {}
    for field in after.keys() | before.keys():
        old, new = before.get(field), after.get(field)
        if field in PER_KEY_FIELDS and type(old or {}) is dict and type(new or {}) is dict:
            if (old or {}) != (new or {}):
                changes.update(_diff_per_key(field, old or {}, new or {}))
        elif old != new:
            changes[field] = {"from": old, "to": new}
    return dict(sorted(changes.items())) if len(changes) > 1 else changes


def diff_applied(before: dict[str, Any], changes: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """What applying ``changes`` (new values of some fields) to ``before`` changes: the
    same as ``diff(before, {**before, **changes})``, comparing only the changed fields."""
    return diff({field: before.get(field) for field in changes}, changes)

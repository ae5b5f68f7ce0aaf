"""How names leave the service in JSON, in the API's answers and in webhook bodies alike:
camelCase."""

from __future__ import annotations

from pydantic.alias_generators import to_camel

_COLLECTIONS = frozenset({"members", "api_keys"})
"""Fields that hold records by id: their paths are ``<collection>.<id>.<field>``."""


def camel_path(path: str) -> str:
    """``status_reason`` -> ``statusReason``; ``settings.fiscal_year`` keeps its key; a
    member's and a key's fields too: ``members.<id>.user_id`` -> ``members.<id>.userId``."""
    head, _, rest = path.partition(".")
    if head in _COLLECTIONS and "." in rest:
        item, _, field = rest.partition(".")
        return f"{to_camel(head)}.{item}.{camel_path(field)}"
    return to_camel(head) + (f".{rest}" if rest else "")

"""How names leave the service in JSON, in the API's answers and in webhook bodies alike:
camelCase."""

from __future__ import annotations

from pydantic.alias_generators import to_camel


def camel_path(path: str) -> str:
    """``status_reason`` -> ``statusReason``; ``settings.fiscal_year`` keeps its key."""
    head, _, rest = path.partition(".")
    return to_camel(head) + (f".{rest}" if rest else "")

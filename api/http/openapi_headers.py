"""What the OpenAPI description says about headers and schemas beyond what FastAPI sees: the
headers responses carry (by status and operation), ``If-None-Match`` and its 304 on reads
that answer an ``ETag``, header parameters that are a string or absent (never null), and
each keyword that constrains one type of an ``anyOf`` placed inside that type's branch (a
``format`` beside ``anyOf`` applies to ``null`` too, for a code generator)."""

from __future__ import annotations

from typing import Any

_STRING = {"type": "string"}
_RETRY_AFTER = {"description": "Seconds to wait before retrying.", "schema": {"type": "integer"}}
_BY_STATUS: dict[str, dict[str, Any]] = {
    "401": {
        "WWW-Authenticate": {
            "description": 'The scheme to authenticate with: `Bearer realm="tenant-registry"`.',
            "schema": _STRING,
        }
    },
    "429": {"Retry-After": _RETRY_AFTER},
    "503": {"Retry-After": _RETRY_AFTER},
}
_WRITTEN = {
    "Idempotent-Replayed": {
        "description": "`true` when this is the first response to the same Idempotency-Key "
        "again: the write was not made twice.",
        "schema": {"type": "string", "enum": ["true"]},
    },
    "X-Feed-Position": {
        "description": "The change-feed position of the last event the write recorded "
        "(absent when it recorded nothing): a cache following `GET /api/v1/events` has the "
        "write once it has applied this position.",
        "schema": {"type": "string", "pattern": "^[0-9]{1,19}$"},
    },
    "X-Read-Your-Writes": {
        "description": "`timeout` when the read models did not reach the change in time (it "
        "is recorded; reads may not show it yet).",
        "schema": {"type": "string", "enum": ["timeout"]},
    },
}
LOCATED = frozenset({"createOrganization", "addMember"})
"""Operations whose 201 names what it made in ``Location``."""
_LOCATION = {"description": "The path of what was made.", "schema": _STRING}
IF_NONE_MATCH = {
    "name": "If-None-Match",
    "in": "header",
    "required": False,
    "description": 'ETags (`"<version>"`, comma-separated, or `*`): when the organization\'s '
    "is one of them, the answer is 304 with no body.",
    "schema": {"type": "string"},
}
IF_MATCH_SCHEMA = {
    "type": "string",
    "pattern": '^(\\*|(W/)?"[0-9]{1,18}")$',
    "examples": ['"3"', "*"],
}
"""``*`` or one quoted version (``api.http.deps.expected_version`` refuses anything else)."""
_IF_MATCH_DOC = (
    'Change only the version this ETag names (`"<version>"`, as `ETag` answers it; `W/` '
    "is ignored), else 412 `VERSION_CONFLICT`; `*` or no If-Match: whatever the version."
)
_CONSTRAINTS = frozenset(
    {
        "format",
        "pattern",
        "minLength",
        "maxLength",
        "minItems",
        "maxItems",
        "minProperties",
        "maxProperties",
        "propertyNames",
        "enum",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
    }
)


def describe_response_headers(method: str, operation: dict[str, Any]) -> None:
    """The headers each of ``operation``'s responses carries, beyond ``X-Request-Id`` and
    ``ETag``."""
    written = method in ("post", "put", "patch", "delete")
    for status, response in operation.get("responses", {}).items():
        headers = response.setdefault("headers", {})
        headers.update(_BY_STATUS.get(status, {}))
        if written and status.startswith("2"):
            headers.update(_WRITTEN)
        if status == "201" and operation.get("operationId") in LOCATED:
            headers["Location"] = _LOCATION


def describe_not_modified(method: str, operation: dict[str, Any]) -> None:
    """``If-None-Match`` and 304 on a read whose 200 carries an ``ETag``."""
    ok = operation.get("responses", {}).get("200", {})
    if method != "get" or "ETag" not in ok.get("headers", {}):
        return
    operation["parameters"].insert(-1, IF_NONE_MATCH)
    operation["responses"]["304"] = {
        "description": "Not modified: the organization's ETag is one If-None-Match named.",
        "headers": dict(ok["headers"]),
    }


def type_if_match(operation: dict[str, Any]) -> None:
    """``If-Match`` as the server reads it: ``*`` or one quoted version, never required."""
    for parameter in operation.get("parameters", []):
        if parameter["in"] == "header" and parameter["name"].lower() == "if-match":
            parameter.update(
                name="If-Match", required=False, description=_IF_MATCH_DOC, example="*"
            )
            parameter["schema"] = dict(IF_MATCH_SCHEMA)


def headers_never_null(operation: dict[str, Any]) -> None:
    """A header is sent as a string or not at all: no ``null`` in its schema (a generated
    client would send None, which its HTTP library refuses)."""
    for parameter in operation.get("parameters", []):
        if parameter["in"] != "header":
            continue
        branches = parameter["schema"].get("anyOf")
        if branches is not None:
            kept = [b for b in branches if b.get("type") != "null"]
            if len(kept) == 1:
                rest = {k: v for k, v in parameter["schema"].items() if k != "anyOf"}
                parameter["schema"] = {**kept[0], **rest}


def constraints_inside_any_of(node: Any) -> None:
    """Moves ``format``, lengths, patterns and bounds beside an ``anyOf`` into its typed
    branches (other than ``null``), through the whole document."""
    if isinstance(node, list):
        for item in node:
            constraints_inside_any_of(item)
        return
    if not isinstance(node, dict):
        return
    branches = node.get("anyOf")
    if isinstance(branches, list):
        typed = [b for b in branches if isinstance(b, dict) and b.get("type") not in (None, "null")]
        if typed and len(typed) == len([b for b in branches if b.get("type") != "null"]):
            moved = {k: node.pop(k) for k in list(node) if k in _CONSTRAINTS}
            for branch in typed:
                branch.update({k: v for k, v in moved.items() if k not in branch})
    for value in node.values():
        constraints_inside_any_of(value)

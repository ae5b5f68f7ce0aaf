"""The OpenAPI description, completed where FastAPI cannot see what the service does.

FastAPI describes routes from their signatures. This adds what middleware and
dependencies do: the bearer security scheme (in place of a raw ``Authorization``
parameter), the request headers every write takes (``Idempotency-Key``,
``X-Change-Reason``) and every request may send (``X-Request-Id``), the headers responses
carry (``X-Request-Id``, ``ETag``); and it drops the 422 FastAPI lists, which this API never
answers (invalid input is 400 ``VALIDATION_ERROR``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastapi.openapi.utils import get_openapi

if TYPE_CHECKING:
    from fastapi import FastAPI

WRITES = frozenset({"post", "put", "patch", "delete"})
BEARER: dict[str, list[str]] = {"bearerAuth": []}
OPTIONAL_CREDENTIALS = frozenset({"organizations-check_slug_availability"})
"""Operations that answer without credentials too (and say more with them)."""
_HEADER_PARAMETERS = {
    "Idempotency-Key": (
        "Run this write once: a retry with the same key and request gets the first response "
        "(see README, Idempotency).",
        {"type": "string", "minLength": 1, "maxLength": 255},
    ),
    "X-Change-Reason": (
        "Why the change is made; recorded as the events' reason.",
        {"type": "string", "maxLength": 1000},
    ),
}
_REQUEST_ID = {
    "name": "X-Request-Id",
    "in": "header",
    "required": False,
    "description": "Your id for this request (echoed, and recorded on events); one is made "
    "when absent or malformed.",
    "schema": {"type": "string", "pattern": "^[A-Za-z0-9._:/+=-]{1,128}$"},
}
_RESPONSE_HEADERS = {
    "X-Request-Id": {"description": "The request's id.", "schema": {"type": "string"}},
}
_ETAG = {
    "description": 'The organization\'s version, as "<version>".',
    "schema": {"type": "string"},
}


def openapi(app: FastAPI) -> dict[str, Any]:
    """The app's OpenAPI document, made once."""
    if app.openapi_schema is None:
        spec = get_openapi(
            title=app.title,
            version=app.version,
            summary=app.summary,
            description=app.description,
            routes=app.routes,
        )
        _complete(spec)
        app.openapi_schema = spec
    return app.openapi_schema


def _complete(spec: dict[str, Any]) -> None:
    components = spec.setdefault("components", {})
    components["securitySchemes"] = {
        "bearerAuth": {
            "type": "http",
            "scheme": "bearer",
            "description": "The admin token, or an organization's secret key (sk_...).",
        }
    }
    for name in ("HTTPValidationError", "ValidationError"):
        components.get("schemas", {}).pop(name, None)
    for path_item in spec["paths"].values():
        for method, operation in path_item.items():
            _complete_operation(method, operation)


def _complete_operation(method: str, operation: dict[str, Any]) -> None:
    parameters = operation.get("parameters", [])
    authorization = [p for p in parameters if p["name"].lower() == "authorization"]
    parameters = [p for p in parameters if p not in authorization]
    if authorization:
        optional = operation.get("operationId") in OPTIONAL_CREDENTIALS
        operation["security"] = [{}, BEARER] if optional else [BEARER]
    if method in WRITES:
        parameters += [
            {"name": name, "in": "header", "required": False, "description": text, "schema": schema}
            for name, (text, schema) in _HEADER_PARAMETERS.items()
        ]
    operation["parameters"] = [*parameters, _REQUEST_ID]
    responses = operation.get("responses", {})
    responses.pop("422", None)
    for status, response in responses.items():
        headers = response.setdefault("headers", {})
        headers.update(_RESPONSE_HEADERS)
        schema = str(response.get("content", {}))
        if status in ("200", "201") and "OrganizationEnvelope" in schema:
            headers["ETag"] = _ETAG

"""A JSON:API request document (``{"data": {"type": "organizations", "attributes": ...}}``)
as the JSON body the routes take, with the specification's answers to documents that do
not fit: 400 for a malformed one, 409 for another type or another id than the endpoint's,
403 for an id chosen by the client on create or relationships in an update."""

from __future__ import annotations

import json
from typing import Any

from api.http.errors import error_body, validation_body
from api.jsonapi.documents import TYPE, attributes, field_name
from api.jsonapi.errors import pointer_token
from api.organizations.schemas import OrganizationCreate, OrganizationUpdate

WRITABLE = {"POST": attributes(OrganizationCreate), "PATCH": attributes(OrganizationUpdate)}
"""The attributes a create and a patch may hold: those of their JSON bodies, renamed (the
admin's flags, limits and subscription are set by a patch, as in the JSON form)."""


class DocumentRefusedError(Exception):
    """A request document that cannot stand for the body of the request it came with."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(body["message"])
        self.status = status
        self.body = body


def _invalid(pointer: str, message: str) -> DocumentRefusedError:
    return DocumentRefusedError(400, validation_body([{"field": pointer, "message": message}]))


def _resource_object(raw: bytes) -> dict[str, Any]:
    try:
        document = json.loads(raw)
    except (ValueError, RecursionError):
        # No source: nothing in a document that is not one can be pointed at.
        message = "Malformed JSON: the body is not a JSON document"
        raise DocumentRefusedError(400, error_body("VALIDATION_ERROR", message)) from None
    data = document.get("data") if isinstance(document, dict) else None
    if not isinstance(data, dict):
        raise _invalid("/data", "must be a resource object")
    if not isinstance(data.get("type"), str):
        raise _invalid("/data/type", "is required (a string)")
    if data["type"] != TYPE:
        message = f"This endpoint takes resources of type {TYPE}"
        raise DocumentRefusedError(409, error_body("DOCUMENT_CONFLICT", message))
    return data


def _check_relationships(data: dict[str, Any], method: str) -> None:
    """Relationships change through their own endpoints: 403 on an update, as the
    specification asks of an unsupported relationship update; 400 on a create."""
    if "relationships" not in data:
        return
    message = "relationships change through their own endpoints"
    if method == "PATCH":
        raise DocumentRefusedError(403, error_body("FORBIDDEN", f"Forbidden: {message}"))
    raise _invalid("/data/relationships", message)


def _check_id(data: dict[str, Any], method: str, expected: str | None) -> None:
    if method == "POST" and "id" in data:
        message = "Forbidden: ids are given by the service, not the client"
        raise DocumentRefusedError(403, error_body("FORBIDDEN", message))
    if method != "PATCH":
        return
    if not isinstance(data.get("id"), str):
        raise _invalid("/data/id", "is required (the organization's id)")
    if expected is not None and data["id"].lower() != expected.lower():
        message = "The document's id is not the id of the organization this endpoint changes"
        raise DocumentRefusedError(409, error_body("DOCUMENT_CONFLICT", message))


def plain_body(raw: bytes, method: str, expected_id: str | None) -> bytes:
    """The JSON body a document stands for; ``DocumentRefusedError`` if it cannot."""
    data = _resource_object(raw)
    _check_id(data, method, expected_id)
    _check_relationships(data, method)
    attributes = data.get("attributes", {})
    if not isinstance(attributes, dict):
        raise _invalid("/data/attributes", "must be an object")
    verb = "a create" if method == "POST" else "a patch"
    unknown = [
        {
            "field": f"/data/attributes/{pointer_token(name)}",
            "message": f"is not an attribute {verb} sets",
        }
        for name in attributes
        if name not in WRITABLE[method]
    ]
    if unknown:
        raise DocumentRefusedError(400, validation_body(unknown))
    return json.dumps({field_name(name): value for name, value in attributes.items()}).encode()

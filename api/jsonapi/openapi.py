"""The JSON:API form in the OpenAPI description: on each organization endpoint, the
``application/vnd.api+json`` documents it answers (and, for create and patch, takes) beside
the JSON form, its ``include`` and ``fields[organizations]`` parameters, 406 and 415. The
documents' schemas are made from the JSON form's, renamed as the documents are."""

from __future__ import annotations

from typing import Any

from api.jsonapi.documents import RELATED, TYPE, attribute_name
from api.jsonapi.media import MEDIA_TYPE

SINGLE = "JsonApiOrganizationDocument"
PAGE = "JsonApiOrganizationsDocument"
ERRORS = "JsonApiErrors"
OPERATIONS = {
    "createOrganization": (SINGLE, "JsonApiOrganizationCreateDocument"),
    "listOrganizations": (PAGE, None),
    "lookupOrganization": (SINGLE, None),
    "getOrganization": (SINGLE, None),
    "patchOrganization": (SINGLE, "JsonApiOrganizationUpdateDocument"),
    "replaceOrganizationFields": (SINGLE, None),
    "archiveOrganization": (SINGLE, None),
    "getCurrentOrganization": (SINGLE, None),
    "patchCurrentOrganization": (
        SINGLE,
        "JsonApiOrganizationUpdateDocument",
    ),
    "replaceCurrentOrganizationFields": (SINGLE, None),
    "replaceCallerOrganizationFields": (SINGLE, None),
}
"""Each organization operation: the document it answers, the document it takes."""
_PARAMETERS = [
    {
        "name": "include",
        "in": "query",
        "required": False,
        "description": "JSON:API only: a compound document including these relationships "
        "(comma-separated: memberships, roles, permissions, api_credentials); one the caller "
        "may not read is left out, its `meta.omitted` says why.",
        "schema": {"type": "string"},
    },
    {
        "name": "fields[organizations]",
        "in": "query",
        "required": False,
        "description": "JSON:API only: the attributes and relationships to show (sparse "
        "fieldset, comma-separated).",
        "schema": {"type": "string"},
    },
]
_REFUSALS = {
    "406": "`NOT_ACCEPTABLE`: every JSON:API media type in Accept carries a parameter other "
    "than profile (this service supports no extension)",
    "415": "`UNSUPPORTED_MEDIA_TYPE`: a JSON:API document whose media type carries a "
    "parameter other than profile, or sent where no document is taken",
}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _attributes(schema: dict[str, Any]) -> dict[str, Any]:
    """An object schema with its properties renamed to JSON:API attributes (no ``id``)."""
    properties = {
        attribute_name(name): value
        for name, value in schema.get("properties", {}).items()
        if name != "id"
    }
    required = [attribute_name(n) for n in schema.get("required", []) if n != "id"]
    found: dict[str, Any] = {"type": "object", "properties": properties}
    if schema.get("additionalProperties") is False:
        found["additionalProperties"] = False
    return {**found, "required": required} if required else found


def _resource_schemas(schemas: dict[str, Any]) -> dict[str, Any]:
    identifier: dict[str, Any] = {
        "type": "object",
        "required": ["type", "id"],
        "properties": {"type": {"type": "string"}, "id": {"type": "string"}},
    }
    relationship = {
        "type": "object",
        "properties": {
            "links": {"type": "object", "properties": {"related": {"type": "string"}}},
            "data": {"type": "array", "items": identifier},
            "meta": {"type": "object"},
        },
    }
    organization = {
        "type": "object",
        "required": ["type", "id", "attributes", "links"],
        "properties": {
            "type": {"type": "string", "enum": [TYPE]},
            "id": {"type": "string", "format": "uuid"},
            "attributes": _attributes(schemas["OrganizationPublic"]),
            "relationships": {
                "type": "object",
                "properties": dict.fromkeys(RELATED, relationship),
            },
            "links": {"type": "object", "properties": {"self": {"type": "string"}}},
        },
    }
    included = {
        **identifier,
        "properties": {**identifier["properties"], "attributes": {"type": "object"}},
    }
    return {"JsonApiOrganization": organization, "JsonApiIncluded": included}


def _documents() -> dict[str, Any]:
    jsonapi = {"type": "object", "properties": {"version": {"type": "string"}}}
    included = {"type": "array", "items": _ref("JsonApiIncluded")}
    links = {"type": "object", "additionalProperties": {"type": ["string", "null"]}}
    return {
        SINGLE: {
            "type": "object",
            "required": ["data"],
            "properties": {
                "jsonapi": jsonapi,
                "data": _ref("JsonApiOrganization"),
                "included": included,
                "links": links,
                "meta": {"type": "object"},
            },
        },
        PAGE: {
            "type": "object",
            "required": ["data", "links"],
            "properties": {
                "jsonapi": jsonapi,
                "data": {"type": "array", "items": _ref("JsonApiOrganization")},
                "included": included,
                "links": links,
                "meta": {"type": "object"},
            },
        },
    }


def _errors() -> dict[str, Any]:
    error = {
        "type": "object",
        "properties": {
            "status": {"type": "string"},
            "code": {"type": "string", "description": "Our error code (README, Errors)."},
            "title": {"type": "string"},
            "detail": {"type": "string"},
            "source": {
                "type": "object",
                "properties": {
                    "pointer": {"type": "string"},
                    "parameter": {"type": "string"},
                    "header": {"type": "string"},
                },
            },
            "meta": {"type": "object"},
        },
    }
    return {
        "type": "object",
        "required": ["errors"],
        "properties": {
            "jsonapi": {"type": "object"},
            "errors": {"type": "array", "items": error},
        },
    }


def _request_document(attributes: dict[str, Any], *, with_id: bool) -> dict[str, Any]:
    data: dict[str, Any] = {
        "type": "object",
        # A create names the new organization's attributes (name and slug at least).
        "required": ["type", "id"] if with_id else ["type", "attributes"],
        "properties": {"type": {"type": "string", "enum": [TYPE]}, "attributes": attributes},
    }
    if with_id:
        data["properties"]["id"] = {"type": "string"}
    return {"type": "object", "required": ["data"], "properties": {"data": data}}


def _complete_operation(operation: dict[str, Any], answered: str, taken: str | None) -> None:
    operation["parameters"] = [*operation.get("parameters", []), *_PARAMETERS]
    for status, response in operation.get("responses", {}).items():
        content = response.setdefault("content", {})
        if status in ("200", "201"):
            content[MEDIA_TYPE] = {"schema": _ref(answered)}
        elif status >= "400":
            content[MEDIA_TYPE] = {"schema": _ref(ERRORS)}
    refusals = _REFUSALS if "requestBody" in operation else {"406": _REFUSALS["406"]}
    for status, description in refusals.items():
        operation["responses"][status] = {
            "description": description,
            "content": {MEDIA_TYPE: {"schema": _ref(ERRORS)}},
        }
    if taken is not None:
        operation["requestBody"]["content"][MEDIA_TYPE] = {"schema": _ref(taken)}


def document_jsonapi(spec: dict[str, Any]) -> None:
    """Add the JSON:API form to the OpenAPI description ``spec``."""
    schemas = spec["components"]["schemas"]
    schemas.update(_resource_schemas(schemas))
    schemas.update(_documents())
    schemas[ERRORS] = _errors()
    schemas["JsonApiOrganizationCreateDocument"] = _request_document(
        _attributes(schemas["OrganizationCreate"]), with_id=False
    )
    schemas["JsonApiOrganizationUpdateDocument"] = _request_document(
        _attributes(schemas["OrganizationUpdate"]), with_id=True
    )
    for path_item in spec["paths"].values():
        for operation in path_item.values():
            found = OPERATIONS.get(operation.get("operationId", ""))
            if found is not None:
                _complete_operation(operation, *found)

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

from api.http.openapi_headers import (
    constraints_inside_any_of,
    describe_not_modified,
    describe_response_headers,
    headers_never_null,
    type_if_match,
)
from api.http.openapi_names import name_inline_choices
from domain.organizations.attributes import parse_regions

if TYPE_CHECKING:
    from collections.abc import Callable

    from fastapi import FastAPI

WRITES = frozenset({"post", "put", "patch", "delete"})
BEARER: dict[str, list[str]] = {"bearerAuth": []}
OPTIONAL_CREDENTIALS = frozenset({"checkSlugAvailability"})
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
    "description": "Your id for this request, echoed and recorded on events when it is 1-128 "
    "characters of `A-Z a-z 0-9 . _ : / + = -`; otherwise (or when absent) the server makes "
    "one. Never refused.",
    # No pattern: the server accepts any value (it replaces a malformed one), and a pattern
    # would declare requests invalid that it answers as usual.
    "schema": {"type": "string"},
}
_RESPONSE_HEADERS = {
    "X-Request-Id": {"description": "The request's id.", "schema": {"type": "string"}},
}
_ETAG = {
    "description": 'The organization\'s version, as "<version>".',
    "schema": {"type": "string"},
}

TAGS = [
    {
        "name": "organizations",
        "description": "Create, find, read, change and archive organizations.",
    },
    {
        "name": "current-organization",
        "description": "The caller's own organization: the API key's, or the one an admin names "
        "with `X-Organization-Id`.",
    },
    {
        "name": "members",
        "description": "Members, invitations, roles and permission checks of an organization.",
    },
    {"name": "me", "description": "The signed-in user (a bearer token of the identity provider)."},
    {"name": "api-keys", "description": "An organization's secret keys."},
    {
        "name": "history",
        "description": "Every organization's events with what each changed, reverts, and "
        "the change feed.",
    },
    {
        "name": "snapshot",
        "description": "Every organization with its roles and members at a change-feed "
        "position: where a local cache starts before it follows the feed.",
    },
    {
        "name": "webhooks",
        "description": "Endpoints that receive every event as it is recorded, signed (Standard "
        "Webhooks), in order per organization, retried and replayable; their deliveries.",
    },
    {"name": "health", "description": "Liveness, readiness and metrics of the process."},
]
"""The tags of the operations, in the order the docs show them."""

CODES = {
    "VALIDATION_ERROR": (400, "invalid input (body, query, headers), naming each field"),
    "DUPLICATE_SLUG": (400, "the slug is held by another organization"),
    "DUPLICATE_ORGANIZATION": (400, "the externalId is held by another organization"),
    "UNAUTHORIZED": (401, "missing or wrong credentials"),
    "FORBIDDEN": (403, "an organization's key on an admin-only operation or field"),
    "ORGANIZATION_SUSPENDED": (403, "the key's organization is suspended"),
    "ORGANIZATION_NOT_FOUND": (404, "no such organization (or not the key's)"),
    "API_KEY_NOT_FOUND": (404, "the organization has no key with this id"),
    "MEMBER_NOT_FOUND": (404, "no such member or invitation (or not this invitation's token)"),
    "ROLE_NOT_FOUND": (404, "the organization has no role with this key"),
    "WEBHOOK_ENDPOINT_NOT_FOUND": (404, "no such webhook endpoint (or not this organization's)"),
    "WEBHOOK_URL_NOT_ALLOWED": (400, "the webhook url is not a globally reachable address"),
    "DUPLICATE_MEMBER": (409, "a member with this email or userId exists"),
    "LAST_OWNER": (409, "the organization would be left without an active owner"),
    "MEMBERSHIP_LIMIT_REACHED": (409, "the organization holds maxAllowedMemberships"),
    "INVITATION_EXPIRED": (410, "the invitation expired: resend it"),
    "CONFLICT": (409, "concurrent writers kept clashing; retry"),
    "IDEMPOTENCY_KEY_REUSED": (409, "the Idempotency-Key was used for another request"),
    "VERSION_CONFLICT": (412, "If-Match names another version"),
    "PAYLOAD_TOO_LARGE": (413, "the body is over REGISTRY_MAX_BODY_BYTES"),
    "RATE_LIMITED": (429, "too many failed authentications; see Retry-After"),
    "INTERNAL_ERROR": (500, "unexpected; quote X-Request-Id"),
    "STORE_UNAVAILABLE": (503, "the database does not answer; see Retry-After"),
    "DOCUMENT_CONFLICT": (409, "JSON:API: the document's type or id is not the endpoint's"),
    "NOT_ACCEPTABLE": (406, "JSON:API: Accept names its media type only with parameters"),
    "UNSUPPORTED_MEDIA_TYPE": (415, "JSON:API: a document's media type with parameters"),
    "NOT_READY": (503, "not ready: the database, the projection or the lag"),
    "IDENTITY_PROVIDER_UNAVAILABLE": (503, "no key of the identity provider could be had"),
    "SECRET_KEY_NOT_SET": (503, "REGISTRY_SECRET_KEY is needed to keep webhook secrets"),
    "NOT_FOUND": (404, "no such path"),
    "METHOD_NOT_ALLOWED": (405, "the path does not take this method"),
    "HTTP_ERROR": (400, "another error of HTTP itself, with its own status"),
}
_ANY = ("VALIDATION_ERROR", "RATE_LIMITED", "INTERNAL_ERROR", "STORE_UNAVAILABLE")
_KEY = (*_ANY, "UNAUTHORIZED", "IDENTITY_PROVIDER_UNAVAILABLE", "ORGANIZATION_SUSPENDED")
_ADMIN = (*_KEY, "FORBIDDEN")
_WRITE = ("PAYLOAD_TOO_LARGE", "IDEMPOTENCY_KEY_REUSED", "CONFLICT")
_CHANGE = (
    *_KEY,
    *_WRITE,
    "FORBIDDEN",
    "ORGANIZATION_NOT_FOUND",
    "VERSION_CONFLICT",
    "DUPLICATE_SLUG",
    "DUPLICATE_ORGANIZATION",
)
_MEMBER_WRITE = (*_KEY, *_WRITE, "ORGANIZATION_NOT_FOUND")
_USER = (*_ANY, "UNAUTHORIZED", "IDENTITY_PROVIDER_UNAVAILABLE", "FORBIDDEN")
_HOOK = ("WEBHOOK_ENDPOINT_NOT_FOUND",)
_HOOK_ADMIN = (*_ADMIN, "ORGANIZATION_NOT_FOUND")
_HOOK_OWN = (*_KEY, "FORBIDDEN", "ORGANIZATION_NOT_FOUND")
_HOOK_WRITE = (*_WRITE, "WEBHOOK_URL_NOT_ALLOWED", "SECRET_KEY_NOT_SET")
ERRORS = {
    "createOrganization": (
        *_ADMIN,
        *_WRITE,
        "DUPLICATE_SLUG",
        "DUPLICATE_ORGANIZATION",
        "DOCUMENT_CONFLICT",
    ),
    "listOrganizations": _ADMIN,
    "lookupOrganization": (*_KEY, "ORGANIZATION_NOT_FOUND"),
    "checkSlugAvailability": _KEY,
    "getOrganization": (*_KEY, "ORGANIZATION_NOT_FOUND"),
    "replaceOrganizationFields": _CHANGE,
    "patchOrganization": (*_CHANGE, "DOCUMENT_CONFLICT"),
    "archiveOrganization": (
        *_ADMIN,
        *_WRITE,
        "ORGANIZATION_NOT_FOUND",
        "VERSION_CONFLICT",
    ),
    "getCurrentOrganization": (*_KEY, "ORGANIZATION_NOT_FOUND"),
    "patchCurrentOrganization": (*_CHANGE, "DOCUMENT_CONFLICT"),
    "replaceCurrentOrganizationFields": _CHANGE,
    "replaceCallerOrganizationFields": _CHANGE,
    "currentOrganizationHistory": (*_KEY, "ORGANIZATION_NOT_FOUND"),
    "issueApiKey": (*_ADMIN, *_WRITE, "ORGANIZATION_NOT_FOUND"),
    "listApiKeys": (*_ADMIN, "ORGANIZATION_NOT_FOUND"),
    "revokeApiKey": (*_ADMIN, *_WRITE, "ORGANIZATION_NOT_FOUND", "API_KEY_NOT_FOUND"),
    "organizationHistory": (*_KEY, "ORGANIZATION_NOT_FOUND"),
    "revertOrganization": (
        *_ADMIN,
        *_WRITE,
        "ORGANIZATION_NOT_FOUND",
        "VERSION_CONFLICT",
        "DUPLICATE_SLUG",
        "DUPLICATE_ORGANIZATION",
    ),
    "changeFeed": _ADMIN,
    "getSnapshot": (*_ADMIN, "ORGANIZATION_NOT_FOUND"),
    "listMembers": (*_KEY, "ORGANIZATION_NOT_FOUND"),
    "addMember": (*_MEMBER_WRITE, "DUPLICATE_MEMBER", "MEMBERSHIP_LIMIT_REACHED"),
    "addMembers": (*_MEMBER_WRITE, "DUPLICATE_MEMBER", "MEMBERSHIP_LIMIT_REACHED"),
    "getMember": (*_KEY, "ORGANIZATION_NOT_FOUND", "MEMBER_NOT_FOUND"),
    "updateMember": (
        *_MEMBER_WRITE,
        "MEMBER_NOT_FOUND",
        "LAST_OWNER",
        "MEMBERSHIP_LIMIT_REACHED",
    ),
    "removeMember": (*_MEMBER_WRITE, "MEMBER_NOT_FOUND", "LAST_OWNER"),
    "getMemberPermissions": (*_KEY, "ORGANIZATION_NOT_FOUND", "MEMBER_NOT_FOUND"),
    "checkMemberPermission": (*_KEY, "ORGANIZATION_NOT_FOUND"),
    "inviteMember": (*_MEMBER_WRITE, "DUPLICATE_MEMBER", "MEMBERSHIP_LIMIT_REACHED"),
    "resendInvitation": (*_MEMBER_WRITE, "MEMBER_NOT_FOUND"),
    "acceptInvitation": (
        *_MEMBER_WRITE,
        "MEMBER_NOT_FOUND",
        "DUPLICATE_MEMBER",
        "INVITATION_EXPIRED",
    ),
    "revokeInvitation": (*_MEMBER_WRITE, "MEMBER_NOT_FOUND"),
    "listRoles": (*_KEY, "ORGANIZATION_NOT_FOUND"),
    "defineRole": _MEMBER_WRITE,
    "deleteRole": (*_MEMBER_WRITE, "ROLE_NOT_FOUND"),
    "userOrganizations": (*_ADMIN, "MEMBER_NOT_FOUND"),
    "getMe": _USER,
    "myOrganizations": _USER,
    "createWebhookEndpoint": (*_HOOK_ADMIN, *_HOOK_WRITE),
    "listWebhookEndpoints": _HOOK_ADMIN,
    "getWebhookEndpoint": (*_HOOK_ADMIN, *_HOOK),
    "updateWebhookEndpoint": (*_HOOK_ADMIN, *_HOOK_WRITE, *_HOOK),
    "deleteWebhookEndpoint": (*_HOOK_ADMIN, *_WRITE, *_HOOK),
    "rotateWebhookSecret": (*_HOOK_ADMIN, *_HOOK_WRITE, *_HOOK),
    "listWebhookDeliveries": (*_HOOK_ADMIN, *_HOOK),
    "replayWebhookEndpoint": (*_HOOK_ADMIN, *_WRITE, *_HOOK),
    "createOrganizationWebhookEndpoint": (*_HOOK_OWN, *_HOOK_WRITE),
    "listOrganizationWebhookEndpoints": _HOOK_OWN,
    "getOrganizationWebhookEndpoint": (*_HOOK_OWN, *_HOOK),
    "updateOrganizationWebhookEndpoint": (*_HOOK_OWN, *_HOOK_WRITE, *_HOOK),
    "deleteOrganizationWebhookEndpoint": (*_HOOK_OWN, *_WRITE, *_HOOK),
    "rotateOrganizationWebhookSecret": (*_HOOK_OWN, *_HOOK_WRITE, *_HOOK),
    "listOrganizationWebhookDeliveries": (*_HOOK_OWN, *_HOOK),
    "replayOrganizationWebhookEndpoint": (*_HOOK_OWN, *_WRITE, *_HOOK),
    "readyz": ("NOT_READY",),
}
"""The error codes each operation may answer (README, Errors), by operation id."""


def _error_responses(codes: tuple[str, ...]) -> dict[str, Any]:
    by_status: dict[int, list[str]] = {}
    for code in dict.fromkeys(codes):
        by_status.setdefault(CODES[code][0], []).append(code)
    return {
        str(status): {
            "description": "; ".join(f"`{c}`: {CODES[c][1]}" for c in names),
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}},
        }
        for status, names in sorted(by_status.items())
    }


def openapi(app: FastAPI, *additions: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    """The app's OpenAPI document, made once, with what ``additions`` add to it (another
    form of some answers, say)."""
    if app.openapi_schema is None:
        spec = get_openapi(
            title=app.title,
            version=app.version,
            summary=app.summary,
            description=app.description,
            routes=app.routes,
            tags=TAGS,
        )
        _complete(spec, parse_regions(app.state.settings.regions))
        for add in additions:
            add(spec)
        app.openapi_schema = spec
    return app.openapi_schema


def _regions(schemas: dict[str, Any], regions: tuple[str, ...]) -> None:
    """An organization's region: one of the operator's (REGISTRY_REGIONS)."""
    for model in ("OrganizationCreate", "OrganizationUpdate"):
        region = schemas.get(model, {}).get("properties", {}).get("region", {})
        for branch in [region, *region.get("anyOf", [])]:
            if branch.get("type") == "string":
                branch.pop("pattern", None)
                branch["enum"] = list(regions)


def _complete(spec: dict[str, Any], regions: tuple[str, ...]) -> None:
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
    schemas = components.get("schemas", {})
    _regions(schemas, regions)
    if "ErrorBody" in schemas:
        schemas["ErrorBody"]["properties"]["code"]["enum"] = list(CODES)
    for path_item in spec["paths"].values():
        for method, operation in path_item.items():
            _complete_operation(method, operation)
            headers_never_null(operation)
            type_if_match(operation)
            describe_response_headers(method, operation)
            describe_not_modified(method, operation)
    constraints_inside_any_of(spec)
    name_inline_choices(spec)


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
    codes = ERRORS.get(operation.get("operationId", ""))
    if codes is not None:
        for status in [s for s in responses if s >= "400"]:
            del responses[status]
        responses.update(_error_responses(codes))
    for status, response in responses.items():
        for media in response.get("content", {}).values():
            # FastAPI types a non-JSON answer as a string, and keeps that beside the model
            # it is given (NDJSON lines): a string that is an object matches nothing.
            if "$ref" in media.get("schema", {}):
                media["schema"].pop("type", None)
        headers = response.setdefault("headers", {})
        headers.update(_RESPONSE_HEADERS)
        schema = str(response.get("content", {}))
        if status in ("200", "201") and "OrganizationEnvelope" in schema:
            headers["ETag"] = _ETAG

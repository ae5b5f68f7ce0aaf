"""Every error leaves the API in one shape: {"message", "code", "details"}."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.routing import Match

from api.http.identity import IdentityProviderUnavailableError, InvalidTokenError
from api.http.rate_limit import RateLimitedError
from api.http.read_your_writes import recorded_outcome
from domain.command_records import CommandAlreadyRecordedError
from domain.errors import (
    ApiKeyNotFoundError,
    ConcurrentUpdateError,
    DuplicateMemberError,
    ExternalIdTakenError,
    ForbiddenError,
    InvitationExpiredError,
    LastOwnerError,
    MemberNotFoundError,
    MembershipLimitReachedError,
    OrganizationNotFoundError,
    OrganizationSuspendedError,
    PermissionRequiredError,
    RoleNotFoundError,
    SecretKeyMissingError,
    SlugTakenError,
    ValidationError,
    VersionConflictError,
    WebhookEndpointNotFoundError,
    WebhookUrlRefusedError,
)
from projections.store_errors import STORE_ERRORS
from service.wire import camel_path

if TYPE_CHECKING:
    from fastapi import FastAPI, Request


class UnauthorizedError(Exception):
    """No credentials, or credentials this service does not accept."""


class InvalidQueryError(Exception):
    """A query parameter is wrong in a way its type cannot say."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class ErrorResponse(JSONResponse):
    """JSON escaped to ASCII: an error may quote any text a request held, lone surrogates
    included, and must still be sent."""

    def render(self, content: Any) -> bytes:
        return json.dumps(content, separators=(",", ":")).encode()


def error_body(code: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    """The one shape of every error (also for middleware, which answers without a route)."""
    return {"message": message, "code": code, "details": details or {}}


def validation_body(fields: list[dict[str, str]]) -> dict[str, Any]:
    return error_body("VALIDATION_ERROR", "Validation failed", {"fields": fields})


UNAUTHORIZED_MESSAGE = "Missing or invalid credentials"
WWW_AUTHENTICATE = {"WWW-Authenticate": 'Bearer realm="tenant-registry"'}


def rate_limited_body(
    retry_after: int, message: str = "Too many failed authentications; retry later"
) -> dict[str, Any]:
    return error_body("RATE_LIMITED", message, {"retryAfter": retry_after})


def error_response(
    status: int, code: str, message: str, details: dict[str, Any] | None = None
) -> JSONResponse:
    return ErrorResponse(error_body(code, message, details), status_code=status)


def validation_response(fields: list[dict[str, str]]) -> JSONResponse:
    return ErrorResponse(validation_body(fields), status_code=400)


def _request_validation(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    fields = []
    for error in exc.errors():
        location = [str(p) for p in error["loc"][1:]]
        if error["type"] == "json_invalid":
            fields.append({"field": "body", "message": "malformed JSON"})
            continue
        field = ".".join(location) or str(error["loc"][0])
        fields.append({"field": field, "message": str(error["msg"])})
    return validation_response(fields)


def _domain_validation(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ValidationError)
    return validation_response(
        [{"field": camel_path(p.field), "message": p.message} for p in exc.problems]
    )


def _invalid_query(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, InvalidQueryError)
    return validation_response([{"field": exc.field, "message": str(exc)}])


def _simple(status: int, code: str, message: str) -> Any:
    def handler(_: Request, exc: Exception) -> JSONResponse:
        return error_response(status, code, message)

    return handler


def _unauthorized(_: Request, exc: Exception) -> JSONResponse:
    response = error_response(401, "UNAUTHORIZED", UNAUTHORIZED_MESSAGE)
    response.headers.update(WWW_AUTHENTICATE)
    return response


def _forbidden(_: Request, exc: Exception) -> JSONResponse:
    details = {"permission": exc.permission} if isinstance(exc, PermissionRequiredError) else None
    return error_response(403, "FORBIDDEN", f"Forbidden: {exc}", details)


def _invalid_token(_: Request, exc: Exception) -> JSONResponse:
    response = error_response(401, "UNAUTHORIZED", UNAUTHORIZED_MESSAGE)
    response.headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
    return response


def _version_conflict(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, VersionConflictError)
    return error_response(
        412,
        "VERSION_CONFLICT",
        "The organization has changed since the version given in If-Match",
        {"currentVersion": exc.current_version},
    )


READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def store_unavailable(method: str) -> dict[str, Any]:
    """The body of a 503 ``STORE_UNAVAILABLE``: a write that met it may have been recorded."""
    written = method not in READ_METHODS
    message = "The database does not answer; retry"
    if written:
        message += " (the change may have been recorded: retry with the same Idempotency-Key)"
    return error_body("STORE_UNAVAILABLE", message, {"mayHaveCommitted": written})


def _store_unavailable(request: Request, exc: Exception) -> JSONResponse:
    request.app.state.services.health.suspect()
    response = ErrorResponse(store_unavailable(request.method), status_code=503)
    response.headers["Retry-After"] = "1"
    return response


def _recorded(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, CommandAlreadyRecordedError)
    if not exc.same_request:
        return error_response(
            409, "IDEMPOTENCY_KEY_REUSED", "This Idempotency-Key was used for another request"
        )
    try:
        return recorded_outcome(request, exc.record)
    except STORE_ERRORS as error:
        return _store_unavailable(request, error)


def _membership_limit(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, MembershipLimitReachedError)
    return error_response(
        409,
        "MEMBERSHIP_LIMIT_REACHED",
        f"The organization may hold at most {exc.limit} memberships (active and invited)",
        {"maxAllowedMemberships": exc.limit},
    )


def _rate_limited(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RateLimitedError)
    response = ErrorResponse(rate_limited_body(exc.retry_after), status_code=429)
    response.headers["Retry-After"] = str(exc.retry_after)
    return response


_HTTP_CODES = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED", 413: "PAYLOAD_TOO_LARGE"}


def _http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 400:  # A body that is not JSON at all (too deep, not UTF-8).
        return validation_response([{"field": "body", "message": "malformed JSON"}])
    code = _HTTP_CODES.get(exc.status_code, "HTTP_ERROR")
    response = error_response(exc.status_code, code, str(exc.detail))
    response.headers.update(exc.headers or {})
    if exc.status_code == 405:
        response.headers["Allow"] = allowed_methods(request) or response.headers.get("Allow", "")
    return response


def allowed_methods(request: Request) -> str:
    """Every method the request's path takes: those of each route with the path template
    the router matches first (the router names only that route's, and a path such as a
    member's has one route per method)."""
    routes = getattr(request.app.state, "routes", [])
    matched = next((r for r in routes if r.matches(request.scope)[0] != Match.NONE), None)
    if matched is None:
        return ""
    methods = {m for r in routes if r.path == matched.path for m in r.methods or ()}
    return ", ".join(sorted(methods))


def _webhook_url_refused(_: Request, exc: Exception) -> JSONResponse:
    return error_response(400, "WEBHOOK_URL_NOT_ALLOWED", f"url: {exc}")


HANDLERS: dict[type[Exception], Any] = {
    RequestValidationError: _request_validation,
    ValidationError: _domain_validation,
    InvalidQueryError: _invalid_query,
    OrganizationNotFoundError: _simple(404, "ORGANIZATION_NOT_FOUND", "Organization not found"),
    SlugTakenError: _simple(400, "DUPLICATE_SLUG", "Slug is already taken"),
    ExternalIdTakenError: _simple(
        400, "DUPLICATE_ORGANIZATION", "An organization with this externalId already exists"
    ),
    UnauthorizedError: _unauthorized,
    InvalidTokenError: _invalid_token,
    IdentityProviderUnavailableError: _simple(
        503, "IDENTITY_PROVIDER_UNAVAILABLE", "No key of the identity provider could be had"
    ),
    ForbiddenError: _forbidden,
    OrganizationSuspendedError: _simple(
        403, "ORGANIZATION_SUSPENDED", "The organization is suspended"
    ),
    ApiKeyNotFoundError: _simple(404, "API_KEY_NOT_FOUND", "API key not found"),
    VersionConflictError: _version_conflict,
    ConcurrentUpdateError: _simple(
        409, "CONFLICT", "The organization kept changing concurrently; retry"
    ),
    MemberNotFoundError: _simple(404, "MEMBER_NOT_FOUND", "Member or invitation not found"),
    DuplicateMemberError: _simple(
        409,
        "DUPLICATE_MEMBER",
        "The organization already has a member with this email or userId",
    ),
    InvitationExpiredError: _simple(
        410, "INVITATION_EXPIRED", "The invitation has expired; resend it"
    ),
    LastOwnerError: _simple(
        409, "LAST_OWNER", "The organization must keep at least one active owner"
    ),
    MembershipLimitReachedError: _membership_limit,
    RoleNotFoundError: _simple(404, "ROLE_NOT_FOUND", "The organization has no such role"),
    WebhookEndpointNotFoundError: _simple(
        404, "WEBHOOK_ENDPOINT_NOT_FOUND", "Webhook endpoint not found"
    ),
    WebhookUrlRefusedError: _webhook_url_refused,
    SecretKeyMissingError: _simple(
        503, "SECRET_KEY_NOT_SET", "Set REGISTRY_SECRET_KEY to keep webhook secrets"
    ),
    HTTPException: _http,
    RateLimitedError: _rate_limited,
    CommandAlreadyRecordedError: _recorded,
    **dict.fromkeys(STORE_ERRORS, _store_unavailable),
}
"""Each error a route may raise, and the handler that answers it: one status and code each."""


def handled(request: Request, exc: Exception) -> JSONResponse:
    """What the handler of ``exc`` answers (for middleware, which answers without a route)."""
    for cls in type(exc).__mro__:
        if cls in HANDLERS:
            response: JSONResponse = HANDLERS[cls](request, exc)
            return response
    raise exc


def install_error_handlers(app: FastAPI) -> None:
    for exc_class, handler in HANDLERS.items():
        app.add_exception_handler(exc_class, handler)

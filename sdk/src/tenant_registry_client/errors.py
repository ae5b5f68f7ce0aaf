"""The registry's errors: one class per error code, all under ``RegistryError``.

Every error answer has the body ``{"message", "code", "details"}`` and the header
``X-Request-Id``; ``error_for`` turns one into the class of its code (an unknown code, from a
newer server, into ``RegistryError`` itself).
"""

from __future__ import annotations

import json
from typing import Any


class RegistryError(Exception):
    """An answer of the registry that is an error, or no answer at all."""

    code: str = ""
    """The error code this class stands for (the answer's own on an instance)."""

    def __init__(
        self,
        message: str,
        *,
        status: int,
        code: str | None = None,
        details: dict[str, Any] | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code or type(self).code
        self.details = details or {}
        self.request_id = request_id

    def __str__(self) -> str:
        return f"{self.status} {self.code}: {self.message} (request {self.request_id})"


class ConnectionFailedError(RegistryError):
    """No answer (connection refused or cut, a timeout), after every retry allowed."""

    code = "CONNECTION_FAILED"


class ValidationError(RegistryError):
    """Invalid input; ``details["fields"]`` names each field and what is wrong with it."""

    code = "VALIDATION_ERROR"


class DuplicateSlugError(RegistryError):
    """The slug is held by another organization."""

    code = "DUPLICATE_SLUG"


class DuplicateOrganizationError(RegistryError):
    """The externalId is held by another organization."""

    code = "DUPLICATE_ORGANIZATION"


class UnauthorizedError(RegistryError):
    """Missing, wrong, revoked or expired credentials."""

    code = "UNAUTHORIZED"


class ForbiddenError(RegistryError):
    """The credential may not do this (an admin-only operation or field, a missing permission)."""

    code = "FORBIDDEN"


class OrganizationSuspendedError(RegistryError):
    """The credential's organization is suspended."""

    code = "ORGANIZATION_SUSPENDED"


class OrganizationNotFoundError(RegistryError):
    """No such organization (or not one this credential may see)."""

    code = "ORGANIZATION_NOT_FOUND"


class ApiKeyNotFoundError(RegistryError):
    """The organization has no key with this id."""

    code = "API_KEY_NOT_FOUND"


class MemberNotFoundError(RegistryError):
    """No such member or invitation (or not this invitation's token)."""

    code = "MEMBER_NOT_FOUND"


class RoleNotFoundError(RegistryError):
    """The organization has no own role with this key."""

    code = "ROLE_NOT_FOUND"


class NotFoundError(RegistryError):
    """No such route."""

    code = "NOT_FOUND"


class MethodNotAllowedError(RegistryError):
    """The route does not take this method."""

    code = "METHOD_NOT_ALLOWED"


class ConflictError(RegistryError):
    """An update kept clashing with concurrent writers."""

    code = "CONFLICT"


class DuplicateMemberError(RegistryError):
    """The organization already has a member or invitation with this email or userId."""

    code = "DUPLICATE_MEMBER"


class LastOwnerError(RegistryError):
    """The change would leave the organization without an active owner."""

    code = "LAST_OWNER"


class MembershipLimitReachedError(RegistryError):
    """The organization holds ``maxAllowedMemberships`` members and invitations."""

    code = "MEMBERSHIP_LIMIT_REACHED"


class InvitationExpiredError(RegistryError):
    """The invitation expired before it was accepted: resend it."""

    code = "INVITATION_EXPIRED"


class IdempotencyKeyReusedError(RegistryError):
    """The ``Idempotency-Key`` was already used for another request."""

    code = "IDEMPOTENCY_KEY_REUSED"


class DocumentConflictError(RegistryError):
    """JSON:API: the document's type or id is not the endpoint's."""

    code = "DOCUMENT_CONFLICT"


class NotAcceptableError(RegistryError):
    """JSON:API: ``Accept`` names its media type only with parameters."""

    code = "NOT_ACCEPTABLE"


class UnsupportedMediaTypeError(RegistryError):
    """JSON:API: a document's media type carries parameters, or no document is taken here."""

    code = "UNSUPPORTED_MEDIA_TYPE"


class VersionConflictError(RegistryError):
    """``If-Match`` names another version than the organization's current one."""

    code = "VERSION_CONFLICT"

    @property
    def current_version(self) -> int | None:
        """The organization's version now: read it again, or update with this ``If-Match``."""
        version = self.details.get("currentVersion")
        return version if isinstance(version, int) else None


class PayloadTooLargeError(RegistryError):
    """The request body is over the server's limit."""

    code = "PAYLOAD_TOO_LARGE"


class RateLimitedError(RegistryError):
    """Over the credential's request quota, or too many failed authentications."""

    code = "RATE_LIMITED"

    @property
    def retry_after(self) -> float | None:
        """Seconds to wait before sending again."""
        after = self.details.get("retryAfter")
        return float(after) if isinstance(after, int | float) else None


class InternalError(RegistryError):
    """Something unexpected on the server; quote ``request_id``."""

    code = "INTERNAL_ERROR"


class StoreUnavailableError(RegistryError):
    """The database does not answer."""

    code = "STORE_UNAVAILABLE"

    @property
    def may_have_committed(self) -> bool:
        """Whether a write may have been recorded all the same: retry it with the same
        ``Idempotency-Key`` (the SDK does) to learn its outcome without running it twice."""
        return bool(self.details.get("mayHaveCommitted"))


class IdentityProviderUnavailableError(RegistryError):
    """No key of the identity provider could be had to verify the user's token."""

    code = "IDENTITY_PROVIDER_UNAVAILABLE"


class NotReadyError(RegistryError):
    """``/readyz``: the database does not answer, the projection fails, or the read model lags."""

    code = "NOT_READY"


class HttpError(RegistryError):
    """Another error of HTTP itself, with its own status, or an answer that is not JSON."""

    code = "HTTP_ERROR"


def _by_code() -> dict[str, type[RegistryError]]:
    found: dict[str, type[RegistryError]] = {}
    pending = list(RegistryError.__subclasses__())
    while pending:
        cls = pending.pop()
        found[cls.code] = cls
        pending.extend(cls.__subclasses__())
    return found


ERRORS: dict[str, type[RegistryError]] = _by_code()
"""The exception class of each error code."""


def error_for(status: int, body: bytes, request_id: str | None) -> RegistryError:
    """The exception an error answer stands for."""
    try:
        parsed = json.loads(body)
    except ValueError:
        parsed = None
    if not isinstance(parsed, dict) or not isinstance(parsed.get("code"), str):
        text = body.decode("utf-8", "replace")[:200] or f"HTTP {status}"
        return HttpError(text, status=status, request_id=request_id)
    code: str = parsed["code"]
    details = parsed.get("details")
    return ERRORS.get(code, RegistryError)(
        str(parsed.get("message", "")),
        status=status,
        code=code,
        details=details if isinstance(details, dict) else {},
        request_id=request_id,
    )

"""Errors raised by the registry's commands and queries."""

from __future__ import annotations

from dataclasses import dataclass


class RegistryError(Exception):
    """Base class of every error the registry reports to its callers."""


@dataclass(frozen=True)
class FieldProblem:
    field: str
    message: str


class ValidationError(RegistryError):
    """One or more fields of a command break the organization's rules."""

    def __init__(self, problems: list[FieldProblem]) -> None:
        super().__init__("; ".join(f"{p.field}: {p.message}" for p in problems))
        self.problems = problems


class InvalidValueError(ValueError):
    """A single value breaks a rule; ``path`` narrows it inside the field."""

    def __init__(self, message: str, path: str = "") -> None:
        super().__init__(message)
        self.path = path


class InvalidSlugError(InvalidValueError):
    """A slug does not have the required shape."""


class ReservedSlugError(InvalidValueError):
    """A slug is reserved for the system."""


class OrganizationNotFoundError(RegistryError):
    """No organization has this id, slug or external id."""


class SlugTakenError(RegistryError):
    """The slug is held by another organization."""


class ExternalIdTakenError(RegistryError):
    """The external id is held by another organization."""


class VersionConflictError(RegistryError):
    """The organization is not at the version the caller expected."""

    def __init__(self, current_version: int) -> None:
        super().__init__(f"organization is at version {current_version}")
        self.current_version = current_version


class ConcurrentUpdateError(RegistryError):
    """Concurrent writers kept changing the organization; the update was not applied."""


class ForbiddenError(RegistryError):
    """The caller's credentials do not allow this action."""


class PermissionRequiredError(ForbiddenError):
    """The user's roles in the organization do not grant what the operation needs."""

    def __init__(self, permission: str) -> None:
        super().__init__(f"this needs the permission {permission!r}")
        self.permission = permission


class OrganizationSuspendedError(RegistryError):
    """The caller's organization is suspended."""


class ApiKeyNotFoundError(RegistryError):
    """The organization has no API key with this id."""


class MemberNotFoundError(RegistryError):
    """The organization has no such member or invitation (or the invitation's token is
    not its own)."""


class DuplicateMemberError(RegistryError):
    """The organization already has a member with this email or user id."""


class InvitationExpiredError(RegistryError):
    """The invitation expired before it was accepted: resend it."""


class LastOwnerError(RegistryError):
    """The change would leave the organization without an active owner."""


class MembershipLimitReachedError(RegistryError):
    """The organization holds as many memberships (active and invited) as it may."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"the organization may hold at most {limit} memberships")
        self.limit = limit


class RoleNotFoundError(RegistryError):
    """The organization has no role with this key."""


class WebhookEndpointNotFoundError(RegistryError):
    """No webhook endpoint has this id (for this caller)."""


class WebhookUrlRefusedError(RegistryError):
    """A webhook URL points where the registry does not deliver (not https, or a private,
    loopback, link-local, multicast or metadata address outside the allowed networks)."""


class SecretKeyMissingError(RegistryError):
    """No key to seal webhook secrets with is configured (``REGISTRY_SECRET_KEY``), or not
    the one they were sealed under."""

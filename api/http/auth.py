"""Who is calling, and what they may reach.

A request carries the admin token or one organization's secret key (``sk_...``). The
admin reaches every organization. A key reaches only its own: any other organization
looks exactly like one that does not exist (404), so ids cannot be probed; admin-only
endpoints answer 403. Whoever calls is recorded as the actor of the events that follow.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any
from uuid import UUID

from fastapi import Depends, Header, Request
from starlette.concurrency import run_in_threadpool

from api.http.deps import ReadModelDep, organization_id
from api.http.errors import InvalidQueryError, UnauthorizedError
from api.http.rate_limit import failure_keys
from domain.context import actor_cvar, admin_actor, api_key_actor
from domain.errors import ForbiddenError, OrganizationNotFoundError, OrganizationSuspendedError
from domain.keys.secrets import hash_secret, is_expired, looks_like_secret
from domain.organizations.organization import ARCHIVED, SUSPENDED

if TYPE_CHECKING:
    from api.http.rate_limit import FailureLimiter
    from projections.queries import ReadModelQueries


@dataclass(frozen=True)
class Caller:
    actor: dict[str, Any]
    organization_id: UUID | None = None
    """The key's organization; ``None`` for the admin."""
    suspended: bool = False

    @property
    def is_admin(self) -> bool:
        return self.organization_id is None


ADMIN = Caller(admin_actor())


def key_caller(read_model: ReadModelQueries, secret: str) -> Caller:
    """The caller a secret key stands for: one indexed read of the key read model."""
    secret_hash = hash_secret(secret)
    found = read_model.find_api_key(secret_hash)
    if (
        found is None
        or not hmac.compare_digest(found.secret_hash, secret_hash)
        or found.revoked_at is not None
        or is_expired(found.expires_at, datetime.now(UTC))
        or found.organization_status == ARCHIVED
    ):
        raise UnauthorizedError
    return Caller(
        api_key_actor(str(found.key_id)),
        found.organization_id,
        suspended=found.organization_status == SUSPENDED,
    )


async def authenticate(
    request: Request,
    read_model: ReadModelDep,
    authorization: Annotated[str | None, Header()] = None,
) -> Caller | None:
    """``None`` without credentials; 401 for credentials this service does not accept.

    ``async`` so the actor is set in the request's own context, which the route's
    worker thread inherits.
    """
    if authorization is None:
        return None
    limiter: FailureLimiter = request.app.state.auth_failures
    address = request.client.host if request.client else ""
    keys = failure_keys(address, authorization.encode("latin-1"))
    limiter.check(*keys)
    try:
        caller = await _caller(request, read_model, authorization)
    except UnauthorizedError:
        limiter.failed(*keys)
        raise
    actor_cvar.set(caller.actor)
    return caller


def bearer_token(authorization: str) -> str | None:
    """The token of ``Bearer <token>``, or ``None`` for anything else."""
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def is_admin_token(authorization: str, admin_token: bytes) -> bool:
    """Whether ``authorization`` carries the admin token (compared in constant time)."""
    token = bearer_token(authorization)
    return token is not None and hmac.compare_digest(token.encode(), admin_token)


async def _caller(request: Request, read_model: ReadModelQueries, authorization: str) -> Caller:
    token = bearer_token(authorization)
    if token is None:
        raise UnauthorizedError
    if hmac.compare_digest(token.encode(), request.app.state.admin_token):
        return ADMIN
    if looks_like_secret(token):
        return await run_in_threadpool(key_caller, read_model, token)
    raise UnauthorizedError


async def any_status_caller(caller: Annotated[Caller | None, Depends(authenticate)]) -> Caller:
    """Any valid credentials, a suspended organization's key included."""
    if caller is None:
        raise UnauthorizedError
    return caller


async def optional_caller(
    caller: Annotated[Caller | None, Depends(authenticate)],
) -> Caller | None:
    if caller is not None and caller.suspended:
        raise OrganizationSuspendedError
    return caller


async def active_caller(caller: Annotated[Caller, Depends(any_status_caller)]) -> Caller:
    """Valid credentials, and not of a suspended organization."""
    if caller.suspended:
        raise OrganizationSuspendedError
    return caller


async def require_admin(caller: Annotated[Caller, Depends(active_caller)]) -> Caller:
    if not caller.is_admin:
        raise ForbiddenError("this endpoint is for admins")
    return caller


def ensure_reachable(caller: Caller, org_id: UUID) -> None:
    if not caller.is_admin and caller.organization_id != org_id:
        raise OrganizationNotFoundError(org_id)


async def reachable_organization(
    org_id: Annotated[UUID, Depends(organization_id)],
    caller: Annotated[Caller, Depends(active_caller)],
) -> UUID:
    """The organization in the path, if the caller may reach it."""
    ensure_reachable(caller, org_id)
    return org_id


async def _current_organization(
    caller: Caller,
    read_model: ReadModelQueries,
    by_id: str | None,
    by_external_id: str | None,
) -> UUID:
    """A key's own organization, or the one an admin names in an org-context header."""
    if by_id is not None:
        named: UUID | None = await organization_id(by_id)
    elif by_external_id is not None:
        found = await run_in_threadpool(read_model.find_organization, external_id=by_external_id)
        named = None if found is None else found["id"]
        if named is None:
            raise OrganizationNotFoundError(by_external_id)
    else:
        named = None
    if caller.organization_id is not None:
        if named is not None and named != caller.organization_id:
            raise OrganizationNotFoundError(named)
        return caller.organization_id
    if named is None:
        raise InvalidQueryError(
            "X-Organization-Id",
            "an admin names the current organization with X-Organization-Id "
            "or x-stytch-organization-id",
        )
    return named


XOrganizationId = Annotated[str | None, Header(alias="X-Organization-Id")]
XStytchOrganizationId = Annotated[str | None, Header(alias="x-stytch-organization-id")]


async def current_organization(
    caller: Annotated[Caller, Depends(active_caller)],
    read_model: ReadModelDep,
    x_organization_id: XOrganizationId = None,
    x_stytch_organization_id: XStytchOrganizationId = None,
) -> UUID:
    return await _current_organization(
        caller, read_model, x_organization_id, x_stytch_organization_id
    )


async def current_organization_any_status(
    caller: Annotated[Caller, Depends(any_status_caller)],
    read_model: ReadModelDep,
    x_organization_id: XOrganizationId = None,
    x_stytch_organization_id: XStytchOrganizationId = None,
) -> UUID:
    """As ``current_organization``, for the one endpoint a suspended organization may call."""
    return await _current_organization(
        caller, read_model, x_organization_id, x_stytch_organization_id
    )


AdminDep = Depends(require_admin)
CallerDep = Annotated[Caller, Depends(active_caller)]
OptionalCallerDep = Annotated[Caller | None, Depends(optional_caller)]
ReachableOrganizationDep = Annotated[UUID, Depends(reachable_organization)]
CurrentOrganizationDep = Annotated[UUID, Depends(current_organization)]
AnyStatusCurrentOrganizationDep = Annotated[UUID, Depends(current_organization_any_status)]

"""Who is calling, and what they may reach.

A request carries the admin token, one organization's secret key (``sk_...``), or a
user's token from the identity provider (a JWT, ``api.http.identity``). The admin reaches
every organization. A key reaches only its own, and a user only those they are an active
member of: any other organization looks exactly like one that does not exist (404), so
ids cannot be probed; admin-only endpoints answer 403. A user calls an operation only if
their roles grant its permission (``api.http.permissions``). Whoever calls is recorded as
the actor of the events that follow.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any
from uuid import UUID

from fastapi import Depends, Header, Request
from starlette.concurrency import run_in_threadpool
from starlette.routing import Match

from api.http.deps import ReadModelDep, organization_id
from api.http.errors import InvalidQueryError, UnauthorizedError
from api.http.identity import (
    Identity,
    InvalidTokenError,
    TokenVerifier,
)
from api.http.permissions import ROUTE_PERMISSIONS, SUSPENDED_ROUTES
from api.http.quotas import CREDENTIAL
from api.http.rate_limit import failure_keys
from domain.commands import NewMember
from domain.context import actor_cvar, admin_actor, api_key_actor, grantable_cvar, user_actor
from domain.errors import (
    ForbiddenError,
    OrganizationNotFoundError,
    OrganizationSuspendedError,
    PermissionRequiredError,
)
from domain.keys.secrets import hash_secret, is_expired, looks_like_secret
from domain.members.membership import ACTIVE
from domain.members.roles import grants, role_permissions
from domain.organizations.organization import ARCHIVED, SUSPENDED

if TYPE_CHECKING:
    from starlette.datastructures import State
    from starlette.types import Scope

    from api.http.quotas import RequestQuotas
    from api.http.rate_limit import FailureLimiter
    from projections.queries import ReadModelQueries


@dataclass(frozen=True)
class Caller:
    actor: dict[str, Any]
    organization_id: UUID | None = None
    """The key's organization; ``None`` for the admin and for users."""
    suspended: bool = False
    user: Identity | None = None
    """Who a user's token says they are; ``None`` for the admin and keys."""

    @property
    def is_admin(self) -> bool:
        return self.organization_id is None and self.user is None


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
    credential = authorization.encode("latin-1")
    limiter.check_attempt(address, credential)
    try:
        caller = await _caller(request, read_model, authorization)
    except (UnauthorizedError, InvalidTokenError):
        limiter.failed(*failure_keys(address, credential))
        raise
    actor_cvar.set(caller.actor)
    quotas: RequestQuotas = request.app.state.quotas
    quotas.authenticated(request.scope.get(CREDENTIAL), caller.user, request.method)
    if caller.organization_id is not None:
        await _learn_organization(request, caller.organization_id, read_model)
    return caller


async def _learn_organization(request: Request, org_id: UUID, read_model: ReadModelQueries) -> None:
    """The request's credential is of ``org_id``: its quota is the organization's."""
    quotas: RequestQuotas = request.app.state.quotas
    await quotas.learn(request.scope.get(CREDENTIAL), org_id, read_model)


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
    verifier: TokenVerifier | None = request.app.state.token_verifier
    if verifier is None:
        raise UnauthorizedError
    identity = await token_identity(verifier, token)
    return Caller(user_actor(identity.user_id), user=identity)


async def token_identity(verifier: TokenVerifier, token: str) -> Identity:
    """Who a user's token names: remembered, or verified (off the event loop when that may
    fetch keys); ``InvalidTokenError`` or ``IdentityProviderUnavailableError`` otherwise."""
    identity = verifier.remembered(token)
    if identity is None and verifier.needs_fetch(token):  # Fetching keys blocks.
        identity = await run_in_threadpool(verifier.verify, token)
    elif identity is None:
        identity = verifier.verify(token)
    return identity


async def signed_in_user_of(state: State, authorization: bytes) -> Identity | None:
    """The user ``authorization`` carries a valid token of; ``None`` for any other
    credential (the admin token, a key) and for a token that fails verification.
    ``IdentityProviderUnavailableError`` when no key of the provider can be had: whether it
    is a user's token is not known then, and guessing would make it someone else's."""
    verifier: TokenVerifier | None = state.token_verifier
    token = bearer_token(authorization.decode("latin-1"))
    if verifier is None or token is None or looks_like_secret(token):
        return None
    if hmac.compare_digest(token.encode(), state.admin_token):
        return None
    try:
        return await token_identity(verifier, token)
    except InvalidTokenError:
        return None


async def accepted_now(state: State, authorization: bytes) -> bool:
    """Whether ``authorization`` carries the admin token, or a key accepted now (not
    revoked, not expired, of an organization not archived)."""
    text = authorization.decode("latin-1")
    if is_admin_token(text, state.admin_token):
        return True
    token = bearer_token(text)
    if token is None or not looks_like_secret(token):
        return False
    try:
        await run_in_threadpool(key_caller, state.services.read_model.queries, token)
    except UnauthorizedError:
        return False
    return True


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


async def ensure_reachable(
    request: Request, caller: Caller, read_model: ReadModelQueries, org_id: UUID
) -> None:
    """404 for an organization the caller may not reach; for a user, 403 for an operation
    their roles there do not allow."""
    if caller.user is not None:
        await authorize_user(request, caller.user, read_model, org_id)
    elif not caller.is_admin and caller.organization_id != org_id:
        raise OrganizationNotFoundError(org_id)


async def authorize_user(
    request: Request, user: Identity, read_model: ReadModelQueries, org_id: UUID
) -> None:
    """A user reaches an organization as an active member only, and calls the operation
    only if their roles there grant its permission (``ROUTE_PERMISSIONS``)."""
    route = request.scope["route"].name
    grantable_cvar.set(await user_permissions(read_model, user, org_id, route))
    await _learn_organization(request, org_id, read_model)


async def user_permissions(
    read_model: ReadModelQueries, user: Identity, org_id: UUID, route: str
) -> list[str]:
    """What ``user``'s roles grant in the organization, if they may call ``route`` (a
    route's name) there now; otherwise what the route answers them (404, suspended, 403)."""
    org, member = read_model.cache.get(org_id), read_model.cache.get_member(org_id, user.user_id)
    if org is None or member is None:
        org, member = await run_in_threadpool(_organization_and_member, read_model, org_id, user)
    if org is None or org["status"] == ARCHIVED or member is None or member["status"] != ACTIVE:
        raise OrganizationNotFoundError(org_id)
    if org["status"] == SUSPENDED and route not in SUSPENDED_ROUTES:
        raise OrganizationSuspendedError
    needed = ROUTE_PERMISSIONS.get(route)
    if needed is None:
        raise ForbiddenError("this operation is not for users")
    granted = role_permissions(member["roles"], org["roles"])
    for permission in needed:
        if not grants(granted, permission):
            raise PermissionRequiredError(permission)
    return granted


USER_REFUSALS = (
    OrganizationNotFoundError,
    OrganizationSuspendedError,
    ForbiddenError,
    InvalidQueryError,
)
"""What ``user_may_call_now`` raises: the route's answer to a user who may not call it."""


async def user_may_call_now(state: State, user: Identity, scope: Scope) -> bool:
    """Whether the request ``scope`` names an organization, which ``user`` may call its
    operation on now (as ``authorize_user`` checks); raises what the route would answer
    them otherwise. ``False`` for an operation that names none (a user creating one)."""
    found = _route_of(state, scope)
    if found is None:
        return False
    route, params = found
    read_model: ReadModelQueries = state.services.read_model.queries
    if "org_id" in params:
        org_id = await organization_id(params["org_id"])
    elif route in ROUTE_PERMISSIONS:  # The current organization's operations.
        org_id = await _users_organization(read_model, user, _named_by(scope))
    else:
        return False
    await user_permissions(read_model, user, org_id, route)
    return True


def _named_by(scope: Scope) -> tuple[str | None, str | None]:
    """What the request's org-context headers name (as ``org_context`` reads them)."""
    headers = dict(scope["headers"])
    by_id, by_external_id = (
        headers.get(name) for name in (b"x-organization-id", b"x-stytch-organization-id")
    )
    return (
        None if by_id is None else by_id.decode("latin-1"),
        None if by_external_id is None else by_external_id.decode("latin-1"),
    )


def _route_of(state: State, scope: Scope) -> tuple[str, dict[str, Any]] | None:
    """The name and path parameters of the route the request goes to."""
    for route in state.routes:
        match, child = route.matches(scope)
        if match == Match.FULL:
            return route.name, child.get("path_params", {})
    return None


def _organization_and_member(
    read_model: ReadModelQueries, org_id: UUID, user: Identity
) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    return read_model.get_organization(org_id), read_model.get_member(org_id, user.user_id)


async def reachable_organization(
    request: Request,
    org_id: Annotated[UUID, Depends(organization_id)],
    caller: Annotated[Caller, Depends(any_status_caller)],
    read_model: ReadModelDep,
) -> UUID:
    """The organization in the path, if the caller may reach it."""
    if caller.suspended:
        raise OrganizationSuspendedError
    await ensure_reachable(request, caller, read_model, org_id)
    return org_id


async def _current_organization(
    request: Request,
    caller: Caller,
    read_model: ReadModelQueries,
    named_by: tuple[str | None, str | None],
) -> UUID:
    """A key's own organization, one a user's session or an org-context header names (an
    active membership of the user's), or the one an admin names in an org-context header."""
    if caller.user is not None:
        users = await _users_organization(read_model, caller.user, named_by)
        await authorize_user(request, caller.user, read_model, users)
        return users
    named = await _named_organization(read_model, *named_by)
    if caller.organization_id is not None:
        if named is not None and named != caller.organization_id:
            raise OrganizationNotFoundError(named)
        return caller.organization_id
    if named is None:
        raise _no_current_organization()
    return named


async def _users_organization(
    read_model: ReadModelQueries, user: Identity, named_by: tuple[str | None, str | None]
) -> UUID:
    """The organization a user's request names in an org-context header, or their
    session names."""
    by_id, by_external_id = named_by
    if by_id is None and by_external_id is None:
        by_external_id = user.organization
    named = await _named_organization(read_model, by_id, by_external_id)
    if named is None:
        raise _no_current_organization()
    return named


def _no_current_organization() -> InvalidQueryError:
    return InvalidQueryError(
        "X-Organization-Id",
        "name the current organization with X-Organization-Id or "
        "x-stytch-organization-id (a user's token may name it)",
    )


async def _named_organization(
    read_model: ReadModelQueries, by_id: str | None, by_external_id: str | None
) -> UUID | None:
    if by_id is not None:
        return await organization_id(by_id)
    if by_external_id is None:
        return None
    found = await run_in_threadpool(read_model.find_organization, external_id=by_external_id)
    if found is None:
        raise OrganizationNotFoundError(by_external_id)
    named: UUID = found["id"]
    return named


XOrganizationId = Annotated[str | None, Header(alias="X-Organization-Id")]
XStytchOrganizationId = Annotated[str | None, Header(alias="x-stytch-organization-id")]


async def org_context(
    x_organization_id: XOrganizationId = None,
    x_stytch_organization_id: XStytchOrganizationId = None,
) -> tuple[str | None, str | None]:
    """The organization an org-context header names: by id, or by external id."""
    return x_organization_id, x_stytch_organization_id


OrgContextDep = Annotated[tuple[str | None, str | None], Depends(org_context)]


async def current_organization(
    request: Request,
    caller: Annotated[Caller, Depends(active_caller)],
    read_model: ReadModelDep,
    named_by: OrgContextDep,
) -> UUID:
    return await _current_organization(request, caller, read_model, named_by)


async def current_organization_any_status(
    request: Request,
    caller: Annotated[Caller, Depends(any_status_caller)],
    read_model: ReadModelDep,
    named_by: OrgContextDep,
) -> UUID:
    """As ``current_organization``, for the one endpoint a suspended organization may call."""
    return await _current_organization(request, caller, read_model, named_by)


async def organization_creator(
    request: Request, caller: Annotated[Caller, Depends(active_caller)]
) -> NewMember | None:
    """Who a new organization is made for: nobody (the admin creates it), or the signed-in
    user, who becomes its owner (unless the operator turned that off)."""
    if caller.is_admin:
        return None
    if caller.user is None or not request.app.state.settings.users_create_organizations:
        raise ForbiddenError("this endpoint is for admins")
    return NewMember(user_id=caller.user.user_id, email=caller.user.email, roles=["owner"])


async def signed_in_user(caller: Annotated[Caller, Depends(any_status_caller)]) -> Identity:
    if caller.user is None:
        raise ForbiddenError("this endpoint is for signed-in users")
    return caller.user


AdminDep = Depends(require_admin)
CallerDep = Annotated[Caller, Depends(active_caller)]
CreatorDep = Annotated[NewMember | None, Depends(organization_creator)]
UserDep = Annotated[Identity, Depends(signed_in_user)]
OptionalCallerDep = Annotated[Caller | None, Depends(optional_caller)]
ReachableOrganizationDep = Annotated[UUID, Depends(reachable_organization)]
CurrentOrganizationDep = Annotated[UUID, Depends(current_organization)]
AnyStatusCurrentOrganizationDep = Annotated[UUID, Depends(current_organization_any_status)]

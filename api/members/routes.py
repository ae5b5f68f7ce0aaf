"""Members, invitations, roles and permission checks of an organization: the admin
reaches every organization's, an organization's own key only its own (404 elsewhere)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated
from urllib.parse import quote
from uuid import UUID

from fastapi import APIRouter, Depends, Path, Query

from api.http.auth import AdminDep, ReachableOrganizationDep, UserDep
from api.http.deps import AcknowledgementDep, ReadModelDep, RegistryDep, SettingsDep, id_in_path
from api.http.routing import ERRORS, PREFIX
from api.http.schemas import StoredTime
from api.members.queries import (
    describe_user,
    member_now,
    member_permissions,
    members_page,
    my_organizations_page,
    permission_check,
    user_organizations_page,
)
from api.members.schemas import (
    InvitationAccept,
    InvitationCreate,
    InvitationIssued,
    InvitationResend,
    Me,
    MemberCreate,
    MemberEnvelope,
    MemberPermissions,
    MemberPublic,
    MembersAdded,
    MembersBulkCreate,
    MembersPage,
    MemberStatus,
    MemberUpdate,
    MyOrganizationsPage,
    PermissionCheck,
    RoleDefinition,
    RolesPage,
    UserOrganizationsPage,
)
from api.organizations.queries import organization_now
from domain.errors import MemberNotFoundError, ValidationError
from domain.members.roles import BUILT_IN_ROLES, PERMISSION_PATTERN, ROLE_KEY_PATTERN
from domain.members.validation import validate_permission, validate_user_id

if TYPE_CHECKING:
    from application.results import IssuedInvitation, MemberWritten

router = APIRouter(prefix=PREFIX + "/{org_id}", tags=["members"], responses=ERRORS)  # type: ignore[arg-type]
checks = APIRouter(prefix=PREFIX + "/{org_id}", tags=["members"], responses=ERRORS)  # type: ignore[arg-type]
"""The permission check alone: the app matches it first, as the path every service calls."""
users = APIRouter(prefix="/api/v1/users", tags=["members"], dependencies=[AdminDep])
me = APIRouter(prefix="/api/v1/me", tags=["me"], responses=ERRORS)  # type: ignore[arg-type]


async def member_user_id(user_id: Annotated[str, Path(min_length=1, max_length=255)]) -> str:
    """A user id no member could have (not storable text) is a member that does not exist
    (404, not 400)."""
    try:
        return validate_user_id(user_id)
    except ValidationError:
        raise MemberNotFoundError(user_id) from None


async def permission_path(
    permission: Annotated[
        str, Path(min_length=1, max_length=200, json_schema_extra=PERMISSION_SCHEMA)
    ],
) -> str:
    return validate_permission(permission)


PERMISSION_SCHEMA = {"pattern": f"^(?:{PERMISSION_PATTERN})$"}
OWN_ROLE_SCHEMA = {"pattern": f"^(?:{ROLE_KEY_PATTERN})$", "not": {"enum": list(BUILT_IN_ROLES)}}
"""An organization's own role: a role key, not a built-in one's."""
UserIdPath = Annotated[str, Depends(member_user_id)]
Permission = Annotated[str, Depends(permission_path)]


async def invitation_id(invitation_id: str) -> UUID:
    return id_in_path(invitation_id, MemberNotFoundError)


InvitationIdDep = Annotated[UUID, Depends(invitation_id)]


def _envelope(ack: AcknowledgementDep, org_id: UUID, written: MemberWritten) -> MemberEnvelope:
    outcome = ack.wait(written.written)
    return MemberEnvelope(
        organization_id=org_id, member=MemberPublic(**written.member), read_your_writes=outcome
    )


# Members


@router.get("/members", summary="List members, oldest first (filter by status, role, email)")
def list_members(
    org_id: ReachableOrganizationDep,
    read_model: ReadModelDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
    status: MemberStatus | None = None,
    role: Annotated[str | None, Query(max_length=40)] = None,
    email: Annotated[
        str | None, Query(max_length=254, description="A prefix of the email.")
    ] = None,
) -> MembersPage:
    return members_page(read_model, org_id, limit, cursor, status, role, email)


@router.post("/members", status_code=201, summary="Add an active member")
def add_member(
    org_id: ReachableOrganizationDep,
    body: MemberCreate,
    registry: RegistryDep,
    ack: AcknowledgementDep,
) -> MemberEnvelope:
    written = registry.add_member(org_id, body.to_command())
    user = quote(written.member["user_id"], safe="")  # Any text: a header holds ASCII only.
    ack.response.headers["Location"] = f"{PREFIX}/{org_id}/members/{user}"
    return _envelope(ack, org_id, written)


@router.post(
    "/members/bulk", status_code=201, summary="Add up to 1,000 active members, all or none"
)
def add_members(
    org_id: ReachableOrganizationDep,
    body: MembersBulkCreate,
    registry: RegistryDep,
    ack: AcknowledgementDep,
) -> MembersAdded:
    written = registry.add_members(org_id, body.to_commands())
    return MembersAdded(
        organization_id=org_id,
        members=[MemberPublic(**m) for m in written.members],
        read_your_writes=ack.wait(written.written),
    )


@router.get("/members/{user_id}", summary="Get an active or inactive member")
def get_member(
    org_id: ReachableOrganizationDep, user_id: UserIdPath, read_model: ReadModelDep
) -> MemberEnvelope:
    member = MemberPublic(**member_now(read_model, org_id, user_id))
    return MemberEnvelope(organization_id=org_id, member=member)


@router.patch("/members/{user_id}", summary="Change a member's roles, status or metadata")
def update_member(
    org_id: ReachableOrganizationDep,
    user_id: UserIdPath,
    body: MemberUpdate,
    registry: RegistryDep,
    ack: AcknowledgementDep,
) -> MemberEnvelope:
    return _envelope(ack, org_id, registry.update_member(org_id, user_id, body.to_changes()))


@router.delete("/members/{user_id}", summary="Remove a member (the history keeps them)")
def remove_member(
    org_id: ReachableOrganizationDep,
    user_id: UserIdPath,
    registry: RegistryDep,
    ack: AcknowledgementDep,
) -> MemberEnvelope:
    return _envelope(ack, org_id, registry.remove_member(org_id, user_id))


@router.get(
    "/members/{user_id}/permissions",
    summary="A member's effective permissions, now or as they were (asOf)",
)
def get_member_permissions(
    org_id: ReachableOrganizationDep,
    user_id: UserIdPath,
    read_model: ReadModelDep,
    registry: RegistryDep,
    as_of: Annotated[StoredTime | None, Query(alias="asOf")] = None,
) -> MemberPermissions:
    return member_permissions(read_model, registry, org_id, user_id, as_of)


@checks.get(
    "/members/{user_id}/permissions/{permission}",
    summary="Whether the user is an active member with this permission (the hot path)",
)
async def check_member_permission(
    org_id: ReachableOrganizationDep,
    user_id: UserIdPath,
    permission: Permission,
    read_model: ReadModelDep,
    registry: RegistryDep,
    as_of: Annotated[StoredTime | None, Query(alias="asOf")] = None,
) -> PermissionCheck:
    return await permission_check(read_model, registry, org_id, (user_id, permission), as_of)


# Invitations


@router.post(
    "/invitations",
    status_code=201,
    summary="Invite a person by email (the token is shown only here)",
)
def invite_member(
    org_id: ReachableOrganizationDep,
    body: InvitationCreate,
    registry: RegistryDep,
    ack: AcknowledgementDep,
) -> InvitationIssued:
    return _issued(ack, org_id, registry.invite_member(org_id, body.to_command()))


@router.post(
    "/invitations/{invitation_id}/resend",
    summary="A new token and expiry for a pending invitation (the old token stops working)",
)
def resend_invitation(
    org_id: ReachableOrganizationDep,
    invitation: InvitationIdDep,
    registry: RegistryDep,
    ack: AcknowledgementDep,
    body: InvitationResend | None = None,
) -> InvitationIssued:
    days = None if body is None else body.expires_in_days
    return _issued(ack, org_id, registry.resend_invitation(org_id, invitation, days))


def _issued(ack: AcknowledgementDep, org_id: UUID, issued: IssuedInvitation) -> InvitationIssued:
    outcome = ack.wait(issued.written)
    ack.response.headers["Cache-Control"] = "no-store"  # Kept only encrypted (idempotency).
    return InvitationIssued(
        organization_id=org_id,
        member=MemberPublic(**issued.member),
        token=issued.token,
        read_your_writes=outcome,
    )


@router.post(
    "/invitations/{invitation_id}/accept",
    summary="Accept an invitation: the person's userId is bound and they become active",
)
def accept_invitation(
    org_id: ReachableOrganizationDep,
    invitation: InvitationIdDep,
    body: InvitationAccept,
    registry: RegistryDep,
    ack: AcknowledgementDep,
) -> MemberEnvelope:
    written = registry.accept_invitation(org_id, invitation, body.token, body.user_id)
    return _envelope(ack, org_id, written)


@router.delete("/invitations/{invitation_id}", summary="Revoke a pending invitation")
def revoke_invitation(
    org_id: ReachableOrganizationDep,
    invitation: InvitationIdDep,
    registry: RegistryDep,
    ack: AcknowledgementDep,
) -> MemberEnvelope:
    return _envelope(ack, org_id, registry.revoke_invitation(org_id, invitation))


# Roles


@router.get("/roles", summary="The built-in roles and the organization's own")
def list_roles(org_id: ReachableOrganizationDep, read_model: ReadModelDep) -> RolesPage:
    return RolesPage.of(org_id, organization_now(read_model, org_id)["roles"], BUILT_IN_ROLES)


@router.put("/roles/{key}", summary="Create or replace one of the organization's own roles")
def define_role(
    org_id: ReachableOrganizationDep,
    key: Annotated[str, Path(max_length=40, json_schema_extra=OWN_ROLE_SCHEMA)],
    body: RoleDefinition,
    registry: RegistryDep,
    ack: AcknowledgementDep,
) -> RolesPage:
    written = registry.define_role(org_id, key, body.name, body.permissions)
    roles = written.organization["roles"]
    return RolesPage.of(org_id, roles, BUILT_IN_ROLES, ack.wait(written))


@router.delete("/roles/{key}", summary="Delete one of the organization's own roles")
def delete_role(
    org_id: ReachableOrganizationDep,
    key: Annotated[str, Path(max_length=40)],
    registry: RegistryDep,
    ack: AcknowledgementDep,
) -> RolesPage:
    written = registry.delete_role(org_id, key)
    roles = written.organization["roles"]
    return RolesPage.of(org_id, roles, BUILT_IN_ROLES, ack.wait(written))


# A person's organizations


@users.get(
    "/{user_id}/organizations",
    summary="The organizations a userId belongs to",
    responses=ERRORS,  # type: ignore[arg-type]
)
def user_organizations(
    user_id: UserIdPath,
    read_model: ReadModelDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
    status: MemberStatus | None = None,
) -> UserOrganizationsPage:
    return user_organizations_page(read_model, user_id, limit, cursor, status)


# The signed-in user


@me.get("", summary="Who the signed-in user is, as the registry read their token")
async def get_me(user: UserDep, settings: SettingsDep) -> Me:
    return describe_user(user, settings.jwt_user_claim, settings.jwt_organization_claim)


@me.get(
    "/organizations",
    summary="The signed-in user's organizations, with their roles and what those grant",
)
def my_organizations(
    user: UserDep,
    read_model: ReadModelDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> MyOrganizationsPage:
    return my_organizations_page(read_model, user.user_id, limit, cursor)

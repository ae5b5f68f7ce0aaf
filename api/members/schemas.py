"""Request and response bodies of members, invitations, roles and permission checks."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import Field

from api.http.schemas import (
    LINE_PATTERN,
    METADATA_KEYS,
    READ_YOUR_WRITES,
    USER_ID_PATTERN,
    MetadataValue,
    ReadYourWrites,
    RequestBody,
    ResponseBody,
    WholeNumber,
    doc,
    doc_not_null,
    matching,
)
from domain.commands import UNSET, MemberChanges, NewInvitation, NewMember
from domain.members.membership import (
    INVITATION_DAYS_DEFAULT,
    INVITATION_DAYS_MAX,
    INVITATION_DAYS_MIN,
)
from domain.members.roles import PERMISSION_PATTERN, ROLE_KEY_PATTERN
from domain.rules import EMAIL_PATTERN

RoleKey = Annotated[str, matching(ROLE_KEY_PATTERN)]
"""A role's key, as the domain checks it (``domain.members.roles``)."""
PermissionName = Annotated[str, matching(PERMISSION_PATTERN, maxLength=200)]

MemberStatus = Literal["invited", "active", "inactive", "removed"]
CheckRefusal = Literal[
    "organization_suspended",
    "organization_archived",
    "not_a_member",
    "member_inactive",
    "permission_not_granted",
]
"""Why a permission check answers ``allowed: false`` (``domain.members.access``)."""
ROLES_DOC = (
    'Role keys: owner, admin, member, or the organization\'s own; `["member"]` if not given.'
)
METADATA_DOC = "Up to 50 pairs of text keys (1-40 characters) and values (up to 500)."


class MemberCreate(RequestBody):
    user_id: str = doc(
        "The person's id at your identity provider.",
        default=...,
        minLength=1,
        maxLength=255,
        pattern=USER_ID_PATTERN,
        examples=["user_2aBcD"],
    )
    email: str = doc(
        "Their email address.", default=..., format="email", maxLength=254, pattern=EMAIL_PATTERN
    )
    roles: list[RoleKey] | None = doc(ROLES_DOC, minItems=1, maxItems=10, examples=[["admin"]])
    metadata: dict[str, MetadataValue] | None = doc(METADATA_DOC, maxProperties=50, **METADATA_KEYS)

    def to_command(self) -> NewMember:
        return NewMember(self.user_id, self.email, self.roles, self.metadata)


class MembersBulkCreate(RequestBody):
    members: list[MemberCreate] = doc(
        "1 to 1,000 people, added together or not at all.", default=..., minItems=1, maxItems=1000
    )

    def to_commands(self) -> list[NewMember]:
        return [member.to_command() for member in self.members]


class MemberUpdate(RequestBody):
    """Only the fields present change."""

    roles: list[RoleKey] = doc_not_null(ROLES_DOC, minItems=1, maxItems=10)
    status: Literal["active", "inactive"] = doc_not_null(
        "`inactive` deactivates (roles kept, no permissions); `active` reactivates."
    )
    metadata: dict[str, MetadataValue] | None = doc(METADATA_DOC, maxProperties=50, **METADATA_KEYS)

    def to_changes(self) -> MemberChanges:
        given = self.model_fields_set
        return MemberChanges(
            roles=self.roles if "roles" in given else UNSET,
            status=self.status if "status" in given else UNSET,
            metadata=self.metadata if "metadata" in given else UNSET,
        )


EXPIRY_DOC = (
    f"Days until the invitation expires: {INVITATION_DAYS_MIN}-{INVITATION_DAYS_MAX}, "
    f"{INVITATION_DAYS_DEFAULT} if not given."
)


class InvitationCreate(RequestBody):
    email: str = doc(
        "Whom to invite.", default=..., format="email", maxLength=254, pattern=EMAIL_PATTERN
    )
    roles: list[RoleKey] | None = doc(ROLES_DOC, minItems=1, maxItems=10)
    expires_in_days: WholeNumber | None = doc(
        EXPIRY_DOC, minimum=INVITATION_DAYS_MIN, maximum=INVITATION_DAYS_MAX
    )
    metadata: dict[str, MetadataValue] | None = doc(METADATA_DOC, maxProperties=50, **METADATA_KEYS)

    def to_command(self) -> NewInvitation:
        return NewInvitation(self.email, self.roles, self.expires_in_days, self.metadata)


class InvitationResend(RequestBody):
    expires_in_days: WholeNumber | None = doc(
        EXPIRY_DOC, minimum=INVITATION_DAYS_MIN, maximum=INVITATION_DAYS_MAX
    )


class InvitationAccept(RequestBody):
    token: str = doc("The invitation's token (inv_...).", default=..., maxLength=200)
    user_id: str = doc(
        "The id the invited person has at your identity provider.",
        default=...,
        minLength=1,
        maxLength=255,
        pattern=USER_ID_PATTERN,
    )


class RoleDefinition(RequestBody):
    name: str = doc(
        "1-100 characters.", default=..., minLength=1, maxLength=100, pattern=LINE_PATTERN
    )
    permissions: list[PermissionName] = doc(
        "Up to 100 permissions such as `billing:read`; `billing:*` grants every billing "
        "action, `*` everything.",
        default=...,
        maxItems=100,
        examples=[["billing:read", "invoices:*"]],
    )


class MemberPublic(ResponseBody):
    id: UUID = Field(description="The membership's id (an invitation's id while invited).")
    organization_id: UUID
    user_id: str | None = Field(description="Null while only invited.")
    email: str
    status: MemberStatus
    roles: list[str]
    metadata: dict[str, str]
    invitation_expires_at: datetime | None = Field(
        description="While invited: when the invitation expires."
    )
    created_at: datetime
    updated_at: datetime


class MemberEnvelope(ResponseBody):
    organization_id: UUID
    member: MemberPublic
    read_your_writes: ReadYourWrites | None = READ_YOUR_WRITES


class MembersAdded(ResponseBody):
    organization_id: UUID
    members: list[MemberPublic]
    read_your_writes: ReadYourWrites | None = READ_YOUR_WRITES


class InvitationIssued(MemberEnvelope):
    token: str = Field(
        description="The invitation's token: shown in this response only. Send it to the "
        "invited person with the invitation's id; accepting needs both."
    )


class MembersPage(ResponseBody):
    organization_id: UUID
    members: list[MemberPublic] = Field(description="Oldest first.")
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null: none.")


class RolePublic(ResponseBody):
    key: str
    name: str
    permissions: list[str]
    built_in: bool


class RolesPage(ResponseBody):
    organization_id: UUID
    roles: list[RolePublic]
    read_your_writes: ReadYourWrites | None = READ_YOUR_WRITES

    @classmethod
    def of(
        cls,
        org_id: UUID,
        custom: dict[str, Any],
        built_in: dict[str, Any],
        read_your_writes: ReadYourWrites | None = None,
    ) -> RolesPage:
        roles = [
            RolePublic(key=key, built_in=key in built_in, **definition)
            for key, definition in {**built_in, **custom}.items()
        ]
        return cls(organization_id=org_id, roles=roles, read_your_writes=read_your_writes)


class MemberPermissions(ResponseBody):
    organization_id: UUID
    user_id: str
    status: MemberStatus
    roles: list[str]
    permissions: list[str] = Field(description="Every permission the member's roles grant.")
    as_of: datetime | None = Field(description="The time asked about; null: now.")


class PermissionCheck(ResponseBody):
    organization_id: UUID
    user_id: str
    permission: str
    allowed: bool = Field(
        description="Whether the user is an active member of an active organization whose "
        "roles grant the permission."
    )
    reason: CheckRefusal | None = Field(
        description="Why not, when not allowed: the organization is suspended or archived, "
        "the user is not a member, their membership is inactive, or no role of theirs "
        "grants the permission.",
        examples=["permission_not_granted"],
    )
    as_of: datetime | None = Field(
        default=None, description="The moment the answer is for; `null`: now."
    )


class UserMembership(ResponseBody):
    organization_id: UUID
    organization_name: str
    organization_slug: str
    organization_status: str
    member: MemberPublic


class UserOrganizationsPage(ResponseBody):
    user_id: str
    memberships: list[UserMembership] = Field(description="Oldest membership first.")
    next_cursor: str | None


class Me(ResponseBody):
    user_id: str = Field(description="The userId the token names (REGISTRY_JWT_USER_CLAIM).")
    email: str | None = Field(description="The token's `email` claim, if any.")
    organization: str | None = Field(
        description="The organization the session is for (REGISTRY_JWT_ORGANIZATION_CLAIM)."
    )
    claims: dict[str, Any] = Field(description="The token's claims the registry read.")


class MyMembership(UserMembership):
    permissions: list[str] = Field(
        description="What the user's roles grant in this organization (none unless active)."
    )


class MyOrganizationsPage(ResponseBody):
    user_id: str
    memberships: list[MyMembership] = Field(description="Oldest membership first.")
    next_cursor: str | None

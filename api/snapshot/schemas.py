"""The lines of a snapshot (NDJSON): where it stands, each organization with its roles and
members, and its end."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, RootModel

from api.http.schemas import ResponseBody
from api.members.schemas import MemberPublic, RolePublic, RolesPage
from api.organizations.schemas import OrganizationPublic
from domain.members.roles import BUILT_IN_ROLES

MEDIA_TYPE = "application/x-ndjson"


class SnapshotStart(ResponseBody):
    """The first line: the change-feed position the snapshot is exact at."""

    kind: Literal["start"] = "start"
    position: int = Field(
        description="Follow `GET /api/v1/events?after=<position>` from here: the feed's "
        "events after it are exactly the changes the snapshot does not hold."
    )


class SnapshotOrganization(ResponseBody):
    """One line per organization, by id: as `GET /organizations/{id}` answers it, with its
    roles as `GET .../roles` answers them and its members that are not removed (invited,
    active, inactive), oldest first."""

    kind: Literal["organization"] = "organization"
    organization: OrganizationPublic
    roles: list[RolePublic]
    members: list[MemberPublic]

    @classmethod
    def of(
        cls, organization: dict[str, Any], members: list[dict[str, Any]]
    ) -> SnapshotOrganization:
        roles = RolesPage.of(organization["id"], organization["roles"], BUILT_IN_ROLES).roles
        return cls(
            organization=OrganizationPublic.of(organization),
            roles=roles,
            members=[MemberPublic(**member) for member in members],
        )


class SnapshotEnd(ResponseBody):
    """The last line: the snapshot is whole. A stream that ends without it was cut short
    (a time limit, the store, the connection): take another."""

    kind: Literal["end"] = "end"
    position: int
    organizations: int = Field(description="How many organization lines came before it.")


class SnapshotLine(RootModel[SnapshotStart | SnapshotOrganization | SnapshotEnd]):
    """One line of a snapshot (one JSON object per line): its `kind` says which."""

    root: Annotated[SnapshotStart | SnapshotOrganization | SnapshotEnd, Field(discriminator="kind")]

"""Unique keys: one aggregate per unique value (a slug, an external id, a member's email or
user id), saved with the change that claims or releases it, so a claim is atomic with its
event and the store refuses a second claim."""

from __future__ import annotations

from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.errors import DuplicateMemberError, ExternalIdTakenError, SlugTakenError

SLUGS = "slugs"
EXTERNAL_IDS = "external-ids"
"""Held by an organization."""
MEMBER_EMAILS = "member-emails"
MEMBER_USERS = "member-users"
"""Per organization: which membership holds an email, or a user id."""
TAKEN_ERRORS: dict[str, type[Exception]] = {
    SLUGS: SlugTakenError,
    EXTERNAL_IDS: ExternalIdTakenError,
    MEMBER_EMAILS: DuplicateMemberError,
    MEMBER_USERS: DuplicateMemberError,
}
"""What a claim of a value another aggregate holds raises, by kind of value."""


def member_key(org_id: UUID, kind: str, value: str) -> str:
    """The unique key of a member's email (compared case-insensitively) or user id."""
    return f"{org_id}/{value.casefold() if kind == MEMBER_EMAILS else value}"


def _holder_was_organization_id(state: dict[str, Any]) -> None:
    """Events recorded before the holder was named for what it is (an organization or a
    membership) called it ``organization_id``."""
    state["holder_id"] = state.pop("organization_id")


class UniqueKey(Aggregate):
    """Which aggregate holds one unique value right now (``None`` once released):
    ``kind`` names the value's namespace (``SLUGS`` ... ``MEMBER_USERS``)."""

    class Created(Aggregate.Created):
        kind: str
        key: str
        holder_id: UUID
        class_version = 2
        upcast_v1_v2 = staticmethod(_holder_was_organization_id)

    class Claimed(Aggregate.Event):
        holder_id: UUID
        class_version = 2
        upcast_v1_v2 = staticmethod(_holder_was_organization_id)

    @event(Created)
    def __init__(self, kind: str, key: str, holder_id: UUID) -> None:
        self.kind = kind
        self.key = key
        self.holder_id: UUID | None = holder_id

    @staticmethod
    def create_id(kind: str, key: str) -> UUID:
        return uuid5(NAMESPACE_URL, f"/{kind}/{key}")

    @event(Claimed)
    def claim(self, holder_id: UUID) -> None:
        self.holder_id = holder_id

    @event("Released")
    def release(self) -> None:
        self.holder_id = None

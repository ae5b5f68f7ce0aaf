"""Unique keys: one aggregate per slug or external id, so a claim is atomic with its event."""

from __future__ import annotations

from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

SLUGS = "slugs"
EXTERNAL_IDS = "external-ids"
MEMBER_EMAILS = "member-emails"
MEMBER_USERS = "member-users"
"""Per organization: which membership holds an email, or a user id."""


def member_key(org_id: UUID, kind: str, value: str) -> str:
    """The unique key of a member's email (compared case-insensitively) or user id."""
    return f"{org_id}/{value.casefold() if kind == MEMBER_EMAILS else value}"


class UniqueKey(Aggregate):
    """Which aggregate holds one unique value right now (``None`` once released).

    ``kind`` names the value's namespace: ``slugs`` or ``external-ids`` (held by an
    organization), ``member-emails`` or ``member-users`` (held by a membership; the
    attribute keeps its first name, ``organization_id``, as recorded events have it).
    """

    def __init__(self, kind: str, key: str, organization_id: UUID) -> None:
        self.kind = kind
        self.key = key
        self.organization_id: UUID | None = organization_id

    @staticmethod
    def create_id(kind: str, key: str) -> UUID:
        return uuid5(NAMESPACE_URL, f"/{kind}/{key}")

    @event("Claimed")
    def claim(self, organization_id: UUID) -> None:
        self.organization_id = organization_id

    @event("Released")
    def release(self) -> None:
        self.organization_id = None

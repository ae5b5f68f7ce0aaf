"""Unique keys: one aggregate per slug or external id, so a claim is atomic with its event."""

from __future__ import annotations

from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

SLUGS = "slugs"
EXTERNAL_IDS = "external-ids"


class UniqueKey(Aggregate):
    """Which organization holds one unique value right now (``None`` once released).

    ``kind`` names the value's namespace: ``slugs`` or ``external-ids``.
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

"""What a command's decision may ask of the store it runs against, and hand back to it.

The application's command pipeline implements it, one ``Work`` per attempt: the
decision reads through it, and every aggregate it changes is saved together, in one
transaction, with the command's record.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from uuid import UUID

    from eventsourcing.domain import Aggregate

    from domain.members.membership import Membership


class Work(Protocol):
    def membership(self, member_id: UUID) -> Membership | None:
        """The membership with this id, if there is one."""

    def holder(self, kind: str, key: str) -> UUID | None:
        """Which aggregate holds this unique value now."""

    def claim(self, kind: str, key: str, holder: UUID) -> None:
        """Claim a unique value for ``holder`` (its ``kind``'s taken error if another
        holds it)."""

    def release(self, kind: str, key: str) -> None:
        """Release a unique value its holder no longer uses."""

    def add(self, *aggregates: Aggregate) -> None:
        """Save these aggregates' new events with the command's."""

"""How a membership is laid out in a read-model row, the same on every store.

A membership's row keeps its state as a JSON document (``Membership.summary``) beside the
columns queries filter on: its organization, user id, case-folded email, status, and its
roles as text (`` admin owner ``: each key between spaces, so that a LIKE finds one).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from uuid import UUID

from domain.members.membership import ACTIVE, INACTIVE, REMOVED, member_details
from projections.rows import like_contains, like_prefix

if TYPE_CHECKING:
    from datetime import datetime

    from projections.records import MemberQuery, UserMembershipQuery

MEMBER_COLUMNS = (
    "id, organization_id, user_id, email_folded, status, roles, created_at, updated_at, doc"
)
CURRENT = (ACTIVE, INACTIVE)
"""The statuses of a member proper (an invitation is not one yet; a removed one no more)."""


@dataclass(slots=True)
class MemberRow:
    """A membership's row as a batch leaves it."""

    id: UUID
    organization_id: UUID
    new: bool
    """Created by this batch (inserted), else changed by it (updated)."""
    doc: dict[str, Any]
    created_at: datetime | None
    """Known for a new row only."""
    updated_at: datetime

    def indexed(self) -> tuple[str | None, str, str, str]:
        """The columns derived from the document: user id, folded email, status, roles."""
        doc = self.doc
        return doc["user_id"], doc["email"].casefold(), doc["status"], roles_text(doc["roles"])


def roles_text(roles: list[str]) -> str:
    return f" {' '.join(roles)} "


def member_of(
    member_id: Any, doc: dict[str, Any], created_at: datetime, updated_at: datetime
) -> dict[str, Any]:
    """A membership as it leaves the read model: the domain's shape."""
    return member_details(UUID(str(member_id)), doc, created_at, updated_at)


def _status_filter(status: str | None, mark: str, column: str) -> tuple[str, list[Any]]:
    if status is None:
        return f"{column} <> '{REMOVED}'", []
    return f"{column} = {mark}", [status]


def member_filter(
    query: MemberQuery, mark: str, after: tuple[Any, Any] | None
) -> tuple[str, list[Any]]:
    """The WHERE and ORDER BY of a page of an organization's members (without LIMIT), with
    ``mark`` as placeholder, and its parameters; ``after`` is the query's cursor in the
    store's own column types. Removed memberships are listed only when asked for."""
    condition, params = _status_filter(query.status, mark, "status")
    where: list[str] = [f"organization_id = {mark}", condition]
    params = [query.organization_id, *params]
    if query.role is not None:
        where.append(f"roles LIKE {mark} ESCAPE '\\'")
        params.append(like_contains(roles_text([query.role])))
    if query.email is not None:
        where.append(f"email_folded LIKE {mark} ESCAPE '\\'")
        params.append(like_prefix(query.email))
    if after is not None:
        where.append(f"(created_at, id) > ({mark}, {mark})")
        params += list(after)
    return " AND ".join(where) + " ORDER BY created_at, id", params


def user_filter(
    query: UserMembershipQuery, mark: str, after: tuple[Any, Any] | None
) -> tuple[str, list[Any]]:
    """The WHERE and ORDER BY of a page of one user's memberships (``m``) joined with their
    organizations (without LIMIT), and its parameters."""
    condition, params = _status_filter(query.status, mark, "m.status")
    where = [f"m.user_id = {mark}", condition]
    params = [query.user_id, *params]
    if after is not None:
        where.append(f"(m.created_at, m.id) > ({mark}, {mark})")
        params += list(after)
    return " AND ".join(where) + " ORDER BY m.created_at, m.id", params

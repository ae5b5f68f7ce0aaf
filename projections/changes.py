"""What a batch of organization events changes in the read model's rows, the same on
every store.

A batch fills one ``RowChanges``: each organization's row as the batch leaves it (its
document merged from the events, read once from the store when the batch did not create
it), the rows the batch adds to the history (with what changed, from and to) and to the
keys, the keys it revokes, the organizations whose version alone moves, and each
membership's row as the batch leaves it (memberships' events carry their whole state).
When the batch ends, its store's row writer writes them all in its transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from domain.changes import diff, diff_applied
from domain.organizations.organization import legacy_attributes
from projections.member_rows import MemberRow
from projections.rows import doc_of, indexed_columns

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from datetime import datetime
    from uuid import UUID

    from projections.records import HistoryEntry

HistoryRow = tuple[Any, ...]
"""A history row in ``rows.HISTORY_COLUMNS`` order: position, organization id, version,
type, occurred at, actor, request id, reason, changes, region."""
KeyRow = tuple[Any, ...]
"""A key row in ``rows.KEY_COLUMNS`` order: id, organization id, secret hash, name, prefix,
created at, expires at, revoked at."""


@dataclass(slots=True)
class OrganizationRow:
    """An organization's row as a batch leaves it."""

    id: UUID
    new: bool
    """Created by this batch (inserted), else changed by it (updated)."""
    doc: dict[str, Any]
    version: int
    created_at: datetime | None
    """Known for a new row only (an update leaves it as it is)."""
    updated_at: datetime

    def indexed(self) -> tuple[str, str | None, str, str]:
        """The columns derived from the document: slug, external id, folded name, status."""
        return indexed_columns(self.doc)


@dataclass(slots=True)
class VersionMove:
    """An organization whose row keeps its document and takes a new version (an event
    about its keys), in a batch that does not otherwise change it."""

    id: UUID
    version: int
    updated_at: datetime


class RowChanges:
    """The row changes of one batch. ``read_document`` reads an organization's document
    from the store (``None`` if it has no row), in the batch's transaction."""

    def __init__(self, read_document: Callable[[UUID], dict[str, Any] | None]) -> None:
        self._read_document = read_document
        self.organizations: dict[UUID, OrganizationRow] = {}
        self.moves: dict[UUID, VersionMove] = {}
        self.history: list[HistoryRow] = []
        self.keys_added: list[KeyRow] = []
        self.keys_revoked: list[tuple[datetime, UUID]] = []
        """(revoked at, key id)."""
        self.members: dict[UUID, MemberRow] = {}

    def organization_created(self, state: dict[str, Any], entry: HistoryEntry) -> None:
        """A new organization's row (``state``: its fields) and its first history entry."""
        doc = doc_of(state)
        org_id, at = entry.organization_id, entry.occurred_at
        self.organizations[org_id] = OrganizationRow(org_id, True, doc, entry.version, at, at)
        self.add_history(entry, doc["region"], diff({}, doc))

    def organization_changed(
        self, changes: dict[str, Any], entry: HistoryEntry, more: dict[str, Any] | None = None
    ) -> None:
        """``changes`` applied to the entry's organization, and the entry (with what
        changed, from and to, and ``more`` such changes) added to its history."""
        org_id = entry.organization_id
        row = self.organizations.get(org_id)
        before = self.document(org_id) if row is None else row.doc
        doc = {**before, **changes}
        if row is None:
            self.moves.pop(org_id, None)
            self.organizations[org_id] = OrganizationRow(
                org_id, False, doc, entry.version, None, entry.occurred_at
            )
        else:
            row.doc, row.version, row.updated_at = doc, entry.version, entry.occurred_at
        changed = {**diff_applied(before, changes), **(more or {})}
        self.add_history(entry, doc["region"], changed)

    def membership_changed(
        self,
        member_id: UUID,
        member: dict[str, Any],
        previous: dict[str, Any] | None,
        changes: dict[str, Any],
        entry: HistoryEntry,
        times: tuple[datetime, datetime],
    ) -> None:
        """A membership's row as ``member`` (``Membership.summary``) has it, with its
        ``times`` (created, updated) as its aggregate has them; the
        organization's fields ``changes`` applied, and the entry added to its history with
        what changed in the organization and in the membership (``members.<id>.<field>``)."""
        shown = {f: v for f, v in member.items() if f != "organization_id"}
        before = {f: v for f, v in (previous or {}).items() if f != "organization_id"}
        more = {f"members.{member_id}.{path}": c for path, c in diff(before, shown).items()}
        self.organization_changed(changes, entry, more)
        created_at, updated_at = times
        row = self.members.get(member_id)
        if row is None:
            new = previous is None
            self.members[member_id] = MemberRow(
                member_id, entry.organization_id, new, member, created_at, updated_at
            )
        else:
            row.doc, row.updated_at = member, updated_at

    def api_key_issued(self, key: dict[str, Any], entry: HistoryEntry) -> None:
        """An organization's new key; its row moves to the entry's version."""
        self.keys_added.append(
            (
                key["id"],
                entry.organization_id,
                key["secret_hash"],
                key["name"],
                key["prefix"],
                key["created_at"],
                key["expires_at"],
                None,
            )
        )
        self.move_to_version(entry)
        self.add_history(entry, self.region(entry.organization_id))

    def api_key_revoked(self, key_id: UUID, entry: HistoryEntry) -> None:
        """A key marked revoked; its organization moves to the entry's version."""
        self.keys_revoked.append((entry.occurred_at, key_id))
        self.move_to_version(entry)
        self.add_history(entry, self.region(entry.organization_id))

    def region(self, org_id: UUID) -> str:
        """The organization's region as the batch leaves it so far."""
        row = self.organizations.get(org_id)
        region: str = (self.document(org_id) if row is None else row.doc)["region"]
        return region

    def document(self, org_id: UUID) -> dict[str, Any]:
        """The organization's document as the store has it (the batch has not changed it),
        with seed 001's attributes as folding gives them to a row written before them."""
        doc = self._read_document(org_id)
        if doc is None:
            msg = f"read model has no row for organization {org_id}"
            raise LookupError(msg)
        # Every field of the document as this code writes it (a row written before a
        # field existed lacks it): the same document whether it came from the store or
        # from the read cache's row, and as a rebuild writes it.
        return doc_of(doc if "region" in doc else {**legacy_attributes(), **doc})

    def move_to_version(self, entry: HistoryEntry) -> None:
        row = self.organizations.get(entry.organization_id)
        if row is not None:
            row.version, row.updated_at = entry.version, entry.occurred_at
        else:
            org_id = entry.organization_id
            self.moves[org_id] = VersionMove(org_id, entry.version, entry.occurred_at)

    def add_history(
        self, entry: HistoryEntry, region: str, changes: dict[str, Any] | None = None
    ) -> None:
        """Add ``entry`` to the history, recorded in ``region``, with ``changes`` if given
        (else its own)."""
        self.history.append(
            (
                entry.position,
                entry.organization_id,
                entry.version,
                entry.type,
                entry.occurred_at,
                entry.actor,
                entry.request_id,
                entry.reason,
                entry.changes if changes is None else changes,
                region,
            )
        )

    def new_organizations(self) -> Iterator[OrganizationRow]:
        return (row for row in self.organizations.values() if row.new)

    def changed_organizations(self) -> Iterator[OrganizationRow]:
        return (row for row in self.organizations.values() if not row.new)

    def new_members(self) -> Iterator[MemberRow]:
        return (row for row in self.members.values() if row.new)

    def changed_members(self) -> Iterator[MemberRow]:
        return (row for row in self.members.values() if not row.new)

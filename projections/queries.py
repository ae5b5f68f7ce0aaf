"""The read model's queries: organizations by id, slug and external id; listing; API keys by
the hash of their secret; every organization's history, and the change feed; members of an
organization, and the organizations of a user.

Gets by id, lookups by slug and members by user id are answered from this process's read
cache when it has them; each store's queries do the reading from its tables.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Any

from projections.records import APPLICATION_NAME, SnapshotEntry

if TYPE_CHECKING:
    from collections.abc import Callable, Generator
    from contextlib import AbstractContextManager
    from datetime import datetime
    from uuid import UUID

    from projections.cache import ReadCache
    from projections.records import (
        HistoryEntry,
        HistoryQuery,
        KeyCredential,
        ListQuery,
        MemberQuery,
        UserMembershipQuery,
    )
    from projections.signal import PositionSignal
    from projections.tables import Tables

SNAPSHOT_CHUNK = 500
"""Organizations read at once by a snapshot (their members in one more statement)."""


class ReadModelQueries(ABC):
    def __init__(
        self,
        datastore: Any,
        tables: Tables,
        cache: ReadCache,
        position_signal: PositionSignal,
        position: Callable[[], int],
    ) -> None:
        """``position``: reads the read model's tracking position."""
        self.datastore = datastore
        self.tables = tables
        self.cache = cache
        self.position_signal = position_signal
        self._position = position

    def position(self) -> int:
        """The position of the last event the read model includes."""
        return self._position()

    def wait_for_position(self, position: int, timeout: float) -> bool:
        """Block until the read model includes ``position``; ``False`` on timeout."""
        return self.position_signal.wait(position, timeout, self.position)

    def get_organization(self, org_id: UUID) -> dict[str, Any] | None:
        """The organization with this id, or ``None`` (from the cache when it has it)."""
        found = self.cache.get(org_id)
        if found is None:
            generation = self.cache.generation
            found = self.select_organization(org_id)
            if found is not None:
                self.cache.put(found, generation)
        return found

    def find_organization(
        self, *, slug: str | None = None, external_id: str | None = None
    ) -> dict[str, Any] | None:
        """The organization holding this slug or external id, or ``None`` (by slug, from
        the cache when it has it)."""
        found = None if slug is None else self.cache.get_by_slug(slug)
        if found is None:
            generation = self.cache.generation
            found = self.select_organization_by(slug=slug, external_id=external_id)
            if found is not None:
                self.cache.put(found, generation)
        return found

    def select_organization(self, org_id: UUID) -> dict[str, Any] | None:
        """The organization with this id, from the store (never the cache)."""
        return self.select_one("id", org_id)

    def select_organization_by(
        self, *, slug: str | None = None, external_id: str | None = None
    ) -> dict[str, Any] | None:
        """The organization holding this slug or external id, from the store."""
        if slug is not None:
            return self.select_one("slug", slug)
        return self.select_one("external_id", external_id)

    def get_member(self, org_id: UUID, user_id: str) -> dict[str, Any] | None:
        """The organization's active or inactive member with this user id, or ``None``
        (from the cache when it has it)."""
        found = self.cache.get_member(org_id, user_id)
        if found is None:
            generation = self.cache.generation
            found = self.select_member(org_id, user_id)
            if found is not None:
                self.cache.put_member(found, generation)
        return found

    @abstractmethod
    def select_member(self, org_id: UUID, user_id: str) -> dict[str, Any] | None:
        """The organization's active or inactive member with this user id, from the store."""

    @abstractmethod
    def list_members(self, query: MemberQuery) -> list[dict[str, Any]]:
        """A page of an organization's memberships, oldest first."""

    @abstractmethod
    def user_memberships(
        self, query: UserMembershipQuery
    ) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        """A page of one user's memberships, oldest first, each with its organization."""

    @abstractmethod
    def select_one(self, column: str, value: Any) -> dict[str, Any] | None:
        """The organization whose ``column`` (``id``, ``slug`` or ``external_id``: each
        one indexed) holds ``value``, from the store."""

    @abstractmethod
    def list_organizations(self, query: ListQuery) -> list[dict[str, Any]]:
        """A page of organizations, newest first."""

    @abstractmethod
    def organization_history(self, query: HistoryQuery) -> list[HistoryEntry]:
        """A page of one organization's history, by version."""

    @abstractmethod
    def events_after(
        self, position: int, limit: int, types: tuple[str, ...] = (), region: str | None = None
    ) -> list[HistoryEntry]:
        """Every organization's history entries after ``position``, in commit order; with
        ``region``, those recorded while their organization was in it (a move: in the
        region it entered), and the moves out of it."""

    @abstractmethod
    def version_at(self, org_id: UUID, moment: datetime) -> int | None:
        """The organization's version at ``moment`` (one index seek: its last event at or
        before ``moment``), or ``None`` if it did not exist yet."""

    @abstractmethod
    def list_api_keys(self, org_id: UUID) -> list[dict[str, Any]]:
        """An organization's keys, oldest first, without their hashes."""

    @abstractmethod
    def find_api_key(self, secret_hash: str) -> KeyCredential | None:
        """The key with this hash (one indexed read), or ``None``."""

    def snapshot(
        self, only: UUID | None = None, chunk: int = SNAPSHOT_CHUNK
    ) -> Generator[int | SnapshotEntry]:
        """The read model's position first, then every organization (or ``only`` this one)
        by id, each with its memberships that are not removed: all exactly as of that
        position, read in one read-only transaction that sees neither a batch the
        projection commits meanwhile nor part of one. Read ``chunk`` organizations at a
        time, so the whole never sits in memory."""
        with self.consistent_read() as cursor:
            yield self.tracked_position(cursor, APPLICATION_NAME)
            after: Any = None
            while True:
                organizations = self.organizations_after(cursor, after, chunk, only)
                members: dict[Any, list[dict[str, Any]]] = {}
                for member in self.members_of(cursor, [key for key, _ in organizations]):
                    members.setdefault(member["organization_id"], []).append(member)
                for _, organization in organizations:
                    yield SnapshotEntry(organization, members.get(organization["id"], []))
                if len(organizations) < chunk:
                    return
                after = organizations[-1][0]

    @abstractmethod
    def consistent_read(self) -> AbstractContextManager[Any]:
        """A cursor in a read-only transaction that sees one committed state throughout."""

    @abstractmethod
    def tracked_position(self, cursor: Any, application: str) -> int:
        """The read model's position, as ``cursor``'s transaction sees it."""

    @abstractmethod
    def organizations_after(
        self, cursor: Any, after: Any, limit: int, only: UUID | None
    ) -> list[tuple[Any, dict[str, Any]]]:
        """Up to ``limit`` organizations by id after ``after`` (the key of the last one of
        the previous chunk, ``None`` first; or only ``only``), each with its key."""

    @abstractmethod
    def members_of(self, cursor: Any, keys: list[Any]) -> list[dict[str, Any]]:
        """The memberships that are not removed of these organizations (by their keys),
        oldest first."""

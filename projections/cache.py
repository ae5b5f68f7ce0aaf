"""An in-process cache of organizations as the read model has them, for gets by id and
lookups by slug, and of their members, for permission checks.

It is kept exact by the projector of the same process: every batch the projector writes
removes the organizations it touches before it commits, and nothing fills the cache until
the batch is over, so a request that has seen its write committed (read-your-writes) never
reads an entry older than that write. As the batch ends, the rows it committed are kept
(the next read of an organization just written needs no database read). It is active only
while this process runs the projection; a process that does not (another one leads)
reads the database every time, having no way to learn of changes soon enough.

While a batch is being written, nothing fills the cache; a read that misses fills it only
if no batch began or ended between its start and its end (a generation number). So a slow
read can never put back a row older than one already committed. Entries are shared:
callers must not change them.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator
    from uuid import UUID


@dataclass
class Change:
    """What ``ReadCache.changing`` knows of a change: the rows the cache held of the
    organizations it changes as it began (``previous``), and the rows the change
    committed (``written``, set once it has committed), which the cache then keeps."""

    previous: dict[UUID, dict[str, Any]] = field(default_factory=dict)
    written: list[dict[str, Any]] | None = None


class ReadCache:
    def __init__(self, size: int = 0, member_size: int | None = None) -> None:
        self.size = size
        """The most organizations kept (least recently used go first); 0 turns it off."""
        self.member_size = size if member_size is None else member_size
        """The most members kept (least recently used go first)."""
        self._rows: OrderedDict[UUID, dict[str, Any]] = OrderedDict()
        self._slugs: dict[str, UUID] = {}
        self._members: OrderedDict[tuple[UUID, str], dict[str, Any]] = OrderedDict()
        self._members_of: dict[UUID, set[str]] = {}
        """The user ids of each organization's cached members."""
        self._lock = threading.Lock()
        self._generation = 0
        self._changing = 0
        self._active = False

    @property
    def generation(self) -> int:
        """Taken before a read that may fill the cache; see ``put``."""
        return self._generation

    def activate(self) -> None:
        """This process's projector is running: from now on it invalidates what it changes."""
        with self._lock:
            self._generation += 1
            self._active = self.size > 0

    def deactivate(self) -> None:
        """This process's projector stopped: nothing here learns of changes any more."""
        with self._lock:
            self._active = False
            self._forget_all()

    hits = 0
    misses = 0
    """Reads answered from the cache, and not (while it is active), for ``/metrics``."""

    def get(self, org_id: UUID) -> dict[str, Any] | None:
        with self._lock:
            row = self._rows.get(org_id)
            if row is not None:
                self._rows.move_to_end(org_id)
            self._count(row is not None)
            return row

    def get_by_slug(self, slug: str) -> dict[str, Any] | None:
        with self._lock:
            org_id = self._slugs.get(slug)
            row = None if org_id is None else self._rows.get(org_id)
            if row is None or row["slug"] != slug:
                self._count(False)
                return None
            self._rows.move_to_end(row["id"])
            self._count(True)
            return row

    def get_member(self, org_id: UUID, user_id: str) -> dict[str, Any] | None:
        """An active or inactive member, kept from an earlier read."""
        with self._lock:
            row = self._members.get((org_id, user_id))
            if row is not None:
                self._members.move_to_end((org_id, user_id))
            self._count(row is not None)
            return row

    def put_member(self, row: dict[str, Any], generation: int) -> None:
        """Keep a member, as ``put`` keeps an organization."""
        with self._lock:
            if not self._active or self._changing or generation != self._generation:
                return
            org_id, user_id = row["organization_id"], row["user_id"]
            self._members[(org_id, user_id)] = row
            self._members.move_to_end((org_id, user_id))
            self._members_of.setdefault(org_id, set()).add(user_id)
            while len(self._members) > self.member_size:
                (old_org, old_user), _ = self._members.popitem(last=False)
                users = self._members_of[old_org]
                users.discard(old_user)
                if not users:
                    del self._members_of[old_org]

    def _count(self, hit: bool) -> None:
        if not self._active:
            return
        if hit:
            self.hits += 1
        else:
            self.misses += 1

    def put(self, row: dict[str, Any], generation: int) -> None:
        """Keep ``row``, read from the read model by a read that began at ``generation``,
        unless a batch has been committed since (its row may be newer than ``row``)."""
        with self._lock:
            if not self._active or self._changing or generation != self._generation:
                return
            self._keep(row)

    def _keep(self, row: dict[str, Any]) -> None:
        self._rows[row["id"]] = row
        self._rows.move_to_end(row["id"])
        self._slugs[row["slug"]] = row["id"]
        while len(self._rows) > self.size:
            self._drop(next(iter(self._rows)))

    @contextmanager
    def changing(
        self, org_ids: Iterable[UUID] | None, members: Iterable[UUID] | None = None
    ) -> Iterator[Change]:
        """Around a transaction that changes these organizations (``None``: any): their
        entries are gone from its start, and nothing fills the cache until it has ended.
        ``members``: those of them whose members change (``None``: all of them); the
        members of the others stay cached. The rows the change sets as ``written`` once
        it has committed are kept as it ends (unless another change is under way), so
        the next read of an organization just written needs no database read."""
        ids = None if org_ids is None else list(org_ids)
        member_ids = ids if members is None or ids is None else list(members)
        change = Change()
        # Dropped as the change begins, not only once it is over: a request may learn from
        # the database that the change is committed before this thread returns from it.
        self._forget(ids, member_ids, +1, change)
        try:
            yield change
        finally:
            self._forget(ids, member_ids, -1, change)

    def _forget(
        self,
        org_ids: list[UUID] | None,
        member_ids: list[UUID] | None,
        changing: int,
        change: Change,
    ) -> None:
        with self._lock:
            self._changing += changing
            self._generation += 1
            if org_ids is None:
                self._forget_all()
                return
            for org_id in org_ids:
                previous = self._drop_row(org_id)
                if previous is not None and changing > 0:
                    change.previous[org_id] = previous
            for org_id in member_ids or ():
                self._drop_members(org_id)
            if changing < 0 and change.written and self._active and not self._changing:
                for row in change.written:
                    self._keep(row)

    def clear(self) -> None:
        """The read model changed in ways not tracked by organization (a rebuild's switch)."""
        with self._lock:
            self._forget_all()

    def __len__(self) -> int:
        return len(self._rows)

    def _forget_all(self) -> None:
        self._generation += 1
        self._rows.clear()
        self._slugs.clear()
        self._members.clear()
        self._members_of.clear()

    def _drop(self, org_id: UUID) -> None:
        """Forget an organization and its members."""
        self._drop_row(org_id)
        self._drop_members(org_id)

    def _drop_row(self, org_id: UUID) -> dict[str, Any] | None:
        row = self._rows.pop(org_id, None)
        if row is not None and self._slugs.get(row["slug"]) == org_id:
            del self._slugs[row["slug"]]
        return row

    def _drop_members(self, org_id: UUID) -> None:
        for user_id in self._members_of.pop(org_id, ()):
            self._members.pop((org_id, user_id), None)

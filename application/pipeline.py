"""The one way every command runs: load what it needs, decide, save, and retry on a clash.

A command's decision (``domain``) changes an organization and, through its ``Work``,
memberships and unique keys. The pipeline saves all their new events together, with the
command's record when it was sent with an ``Idempotency-Key``, in one transaction. When
another writer was first (the store refuses a version or a claim), the whole command runs
again on what that writer left, after a random pause so that many clashing writers spread
out instead of clashing again; after ``MAX_ATTEMPTS`` it gives up.

Commands that claim values most likely new (a new organization's slug, a directory sync's
members) claim them on their first attempt as if nobody held them (no read: the store
refuses a claim that exists); later attempts, and other commands, read each claim first, to
name the value that is taken or to take one that was released.
"""

from __future__ import annotations

import random
import time
from typing import TYPE_CHECKING, TypeVar

from eventsourcing.application import AggregateNotFoundError, ProcessingEvent
from eventsourcing.persistence import IntegrityError

from application.aggregate_cache import CachingRepository
from application.results import Written
from domain.command_records import (
    CommandAlreadyRecordedError,
    CommandKey,
    CommandRecord,
    command_key_cvar,
)
from domain.errors import ConcurrentUpdateError, OrganizationNotFoundError, VersionConflictError
from domain.members.membership import Membership
from domain.organizations.organization import Organization
from domain.unique_keys import TAKEN_ERRORS, UniqueKey

if TYPE_CHECKING:
    from collections.abc import Callable
    from uuid import UUID

    from eventsourcing.application import Repository
    from eventsourcing.domain import Aggregate
    from eventsourcing.persistence import Recording

T = TypeVar("T")

MAX_ATTEMPTS = 12
BACKOFF_SECONDS, BACKOFF_MAX_SECONDS = 0.002, 0.1
"""A clashing writer pauses up to BACKOFF_SECONDS, doubling per attempt up to
BACKOFF_MAX_SECONDS: in all, it gives up after about a second."""
UNRECORDED_EVENTS = (
    Organization.ApiKeyIssued,
    Organization.ApiKeyRevoked,
    Organization.MembershipChanged,
    Organization.RolesChanged,
)
"""Commands whose outcome a command record cannot give again: a key's or an invitation's
secret is never stored, and member and role commands answer with more than the
organization. Their keyed retries are answered from stored responses (the API's
idempotency store)."""


class Attempt:
    """One run of a command's decision: what it reads, and the aggregates it changes."""

    def __init__(
        self, repository: Repository[UUID], number: int, optimistic: bool, trusting: bool = False
    ) -> None:
        """``trusting``: organizations and memberships come from the process's aggregate
        cache as they are, if it has them (``trusted`` says whether any did)."""
        self._repository = repository
        self._read_claims = number > 0 or not optimistic
        self._trusting = trusting and isinstance(repository, CachingRepository)
        self.trusted = False
        self.changed: list[Aggregate] = []

    def organization(self, org_id: UUID, version: int | None = None) -> Organization:
        org = self._get(org_id, version)
        if not isinstance(org, Organization):
            raise OrganizationNotFoundError(org_id)
        return org

    def aggregate(self, aggregate_id: UUID) -> Aggregate | None:
        """Any aggregate by id (``None`` if it does not exist)."""
        return self._get(aggregate_id)

    def membership(self, member_id: UUID) -> Membership | None:
        member = self._get(member_id)
        return member if isinstance(member, Membership) else None

    def holder(self, kind: str, key: str) -> UUID | None:
        index = self._get(UniqueKey.create_id(kind, key))
        return index.holder_id if isinstance(index, UniqueKey) else None

    def claim(self, kind: str, key: str, holder: UUID) -> None:
        index = self._get(UniqueKey.create_id(kind, key)) if self._read_claims else None
        if not isinstance(index, UniqueKey):
            self.add(UniqueKey(kind, key, holder))
        elif index.holder_id not in (None, holder):
            raise TAKEN_ERRORS[kind](key)
        elif index.holder_id is None:
            index.claim(holder)
            self.add(index)

    def release(self, kind: str, key: str) -> None:
        index = self._get(UniqueKey.create_id(kind, key))
        if isinstance(index, UniqueKey):
            index.release()
            self.add(index)

    def add(self, *aggregates: Aggregate) -> None:
        self.changed += aggregates

    def _get(self, aggregate_id: UUID, version: int | None = None) -> Aggregate | None:
        if self._trusting and version is None:
            assert isinstance(self._repository, CachingRepository)
            cached: Aggregate | None = self._repository.cached_copy(aggregate_id)
            if cached is not None:
                self.trusted = True
                return cached
        return _found(self._repository, aggregate_id, version)


def _found(
    repository: Repository[UUID], aggregate_id: UUID, version: int | None = None
) -> Aggregate | None:
    """The aggregate with this id (at ``version``), or ``None``."""
    try:
        aggregate: Aggregate = repository.get(aggregate_id, version=version)
    except AggregateNotFoundError:
        return None
    return aggregate


class CommandPipeline:
    def __init__(
        self,
        repository: Repository[UUID],
        record: Callable[[ProcessingEvent[UUID]], list[Recording[UUID]]],
    ) -> None:
        """``record`` writes one processing event's events in one transaction."""
        self._repository = repository
        self._record = record

    def create(self, decide: Callable[[Attempt], Organization]) -> Written:
        """Run a command that makes a new organization (its claims optimistic)."""
        return self._run(lambda attempt: (decide(attempt), None), optimistic=True, once=True)[1]

    def change(
        self,
        org_id: UUID,
        decide: Callable[[Attempt, Organization], T],
        expected_version: int | None = None,
        *,
        optimistic: bool = False,
        once: bool = False,
    ) -> tuple[T, Written]:
        """Run a command on an existing organization (at ``expected_version``, if given).
        ``once``: a keyed run finds whether the key's command was recorded before it
        decides (commands answered with the organization alone, which their record gives
        again)."""

        def load_and_decide(attempt: Attempt) -> tuple[Organization, T]:
            org = attempt.organization(org_id)
            if expected_version is not None and org.version != expected_version:
                raise VersionConflictError(org.version)
            return org, decide(attempt, org)

        return self._run(load_and_decide, optimistic=optimistic, once=once)

    def apply(self, decide: Callable[[Attempt], Aggregate]) -> tuple[Aggregate, int | None]:
        """Run a command on an aggregate of a feature beside the organization's (``decide``
        loads or makes it, and changes it); returns it and the position of its last event
        (``None``: nothing changed)."""
        for number in range(MAX_ATTEMPTS):
            aggregate = decide(Attempt(self._repository, number, optimistic=False))
            if not aggregate.pending_events:
                return aggregate, None
            events: ProcessingEvent[UUID] = ProcessingEvent()
            events.collect_events(aggregate)
            try:
                recordings = self._record(events)
            except IntegrityError:
                pause = min(BACKOFF_SECONDS * 2**number, BACKOFF_MAX_SECONDS)
                time.sleep(random.uniform(0, pause))  # noqa: S311
                continue
            return aggregate, max(r.notification.id for r in recordings)
        raise ConcurrentUpdateError

    def record_of(self, command_key: CommandKey) -> CommandRecord | None:
        """The record of the command keyed by ``command_key``, if it was recorded."""
        record = _found(self._repository, command_key.record_id)
        return record if isinstance(record, CommandRecord) else None

    def _run(
        self, decide: Callable[[Attempt], tuple[Organization, T]], *, optimistic: bool, once: bool
    ) -> tuple[T, Written]:
        """The first attempt decides on the cached aggregates as they are (no read of the
        store); if they were behind the store, its write is refused on the version, and the
        command runs again at once on what the store has. So does a first attempt that
        fails, or that writes no event of the organization (whose version checks the rest)."""
        if once:
            self._ensure_not_recorded()
        trusting = True
        for number in range(MAX_ATTEMPTS):
            attempt = Attempt(self._repository, number, optimistic, trusting)
            try:
                org, result = decide(attempt)
            except Exception:
                if not attempt.trusted:
                    raise
                trusting = False  # Perhaps refused for what the cache did not know yet.
                continue
            if attempt.trusted and not org.pending_events:
                trusting = False  # Nothing to check the cached state against.
                continue
            try:
                return result, self._save(org, attempt.changed)
            except IntegrityError:
                if attempt.trusted or (optimistic and number == 0):
                    trusting = False
                    continue  # Behind the store, or a claim was taken: again, at once.
                pause = min(BACKOFF_SECONDS * 2**number, BACKOFF_MAX_SECONDS)
                time.sleep(random.uniform(0, pause))  # noqa: S311
        raise ConcurrentUpdateError

    def _save(self, org: Organization, others: list[Aggregate]) -> Written:
        if not org.pending_events and not any(a.pending_events for a in others):
            return Written(org.details(), None)  # Nothing changes: nothing is recorded.
        record = self._command_record(org)  # Before collecting takes the pending events.
        events: ProcessingEvent[UUID] = ProcessingEvent()
        events.collect_events(org, *others, *([] if record is None else [record]))
        try:
            recordings = self._record(events)
        except IntegrityError:
            self._ensure_not_recorded()  # Another run of this keyed command was first.
            raise
        positions = [
            r.notification.id for r in recordings if r.domain_event.originator_id == org.id
        ]
        return Written(org.details(), max(positions) if positions else None)

    @staticmethod
    def _command_record(org: Organization) -> CommandRecord | None:
        """The record of this keyed command's outcome, saved with its events (``None`` for
        a command sent without a key, or one in ``UNRECORDED_EVENTS``)."""
        command_key = command_key_cvar.get()
        if command_key is None or not org.pending_events:
            return None
        if isinstance(org.pending_events[0], UNRECORDED_EVENTS):
            return None
        created = isinstance(org.pending_events[0], Organization.Created)
        return CommandRecord(
            id=command_key.record_id,
            fingerprint=command_key.fingerprint,
            kind="created" if created else "changed",
            organization_id=org.id,
            version=org.version,
        )

    def _ensure_not_recorded(self) -> None:
        """Raise ``CommandAlreadyRecordedError`` if this keyed command ran before."""
        command_key = command_key_cvar.get()
        record = None if command_key is None else self.record_of(command_key)
        if command_key is not None and record is not None:
            raise CommandAlreadyRecordedError(record, record.fingerprint == command_key.fingerprint)

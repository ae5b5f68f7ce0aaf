"""OrganizationRegistry: the application service that records organizations' events.

Every command has one shape: check its inputs, then run one decision of ``domain``
through the command pipeline (load, decide, save with claims and command record, retry),
and answer with what it wrote.
"""

from __future__ import annotations

import logging
import os
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar, cast
from uuid import UUID, uuid4

from eventsourcing.application import (
    AggregateNotFoundError,
    Application,
    ProcessingEvent,
    Repository,
    project_aggregate,
)
from eventsourcing.utils import get_topic

import application.topics  # noqa: F401 - events stored under their old topics resolve
from application.aggregate_cache import CachingRepository
from application.group_commit import GroupCommit
from application.pipeline import CommandPipeline
from application.recording import InlinePostgresRecorder, InlineSQLiteRecorder, InlineWriteError
from application.results import BulkWritten, IssuedApiKey, IssuedInvitation, MemberWritten
from application.transcoder import OrjsonTranscoder
from domain.commands import OrganizationChanges
from domain.context import because, current_actor, granting
from domain.errors import (
    FieldProblem,
    MemberNotFoundError,
    OrganizationNotFoundError,
    ValidationError,
)
from domain.keys.secrets import hash_secret, new_secret
from domain.members import decisions as members
from domain.members.membership import ACTIVE, INACTIVE, Membership, new_invitation_token
from domain.members.roles import check_role_key, role_permissions
from domain.members.validation import (
    MAX_BULK,
    validate_days,
    validate_member_changes,
    validate_new_invitation,
    validate_new_member,
    validate_new_members,
    validate_role,
    validate_token,
    validate_user_id,
)
from domain.organizations import decisions as organizations
from domain.organizations.access import ensure_may_change
from domain.organizations.attributes import parse_regions
from domain.organizations.organization import ARCHIVED, Organization
from domain.organizations.validation import (
    validate_changes,
    validate_new,
    validate_new_api_key,
    validate_reason,
)
from domain.rules import DEFAULT_RESERVED_SLUGS, Problems, normalize_slug
from domain.unique_keys import MEMBER_USERS, SLUGS, UniqueKey, member_key

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from eventsourcing.domain import Aggregate
    from eventsourcing.persistence import Recording
    from eventsourcing.utils import EnvType

    from application.pipeline import Attempt
    from application.recording import InlineRows
    from application.results import Written
    from domain.command_records import CommandKey
    from domain.commands import MemberChanges, NewApiKey, NewInvitation, NewMember, NewOrganization

log = logging.getLogger("tenant_registry.registry")
INLINE_RECORDERS = {
    "eventsourcing.postgres": InlinePostgresRecorder,
    "eventsourcing.sqlite": InlineSQLiteRecorder,
}
"""The event store's recorders, by persistence module: they can write rows inline."""


def _with_inline_recorder(env: EnvType | None) -> EnvType | None:
    """``env`` with the recorder that can write rows in the events' transaction, unless it
    names its own."""
    given = dict(env or {})
    module = given.get("PERSISTENCE_MODULE") or os.environ.get("PERSISTENCE_MODULE", "")
    recorder = INLINE_RECORDERS.get(module)
    if recorder is None or "APPLICATION_RECORDER_TOPIC" in given:
        return env
    return {**given, "APPLICATION_RECORDER_TOPIC": get_topic(recorder)}


class OrganizationRegistry(Application[UUID]):
    """Records every change to every organization; the source of truth for the read models."""

    env: ClassVar[dict[str, str]] = {
        "RESERVED_SLUGS": "",
        "REGIONS": "",
        "TRANSCODER_TOPIC": get_topic(OrjsonTranscoder),
    }
    snapshotting_intervals: ClassVar[dict[Any, int]] = {Organization: 100}
    """A snapshot every 100 versions: loading any version folds at most 99 events."""

    def __init__(self, env: EnvType | None = None) -> None:
        super().__init__(_with_inline_recorder(env))
        configured = self.env.get("RESERVED_SLUGS") or ""
        self.reserved_slugs = (
            frozenset(normalize_slug(s) for s in configured.split(",") if s.strip())
            or DEFAULT_RESERVED_SLUGS
        )
        self.regions = parse_regions(self.env.get("REGIONS") or "")
        """The operator's regions; new organizations are in the first unless told."""
        self.on_recorded: list[Callable[[], None]] = []
        """Called after each save in this process (to wake an in-process projection)."""
        self.inline: InlineRows | None = None
        """Writes the read model's rows in the events' transaction, if set
        (``projections.inline``)."""
        self._group_commit: GroupCommit = GroupCommit(self._record, self._recorded, "registry")
        self.pipeline = CommandPipeline(self.repository, self._group_commit.save)

    def _record(self, processing_event: ProcessingEvent[UUID]) -> list[Recording[UUID]]:
        """The library's, with the read model's rows written in the same transaction where
        ``inline`` writes them; if it fails, the events are recorded without them (the
        follower projects them, or stops on the event that fails)."""
        inline = self.inline
        if inline is None or processing_event.tracking is not None:
            return super()._record(processing_event)
        try:
            with inline.around(processing_event.events) as write:
                if write is None:
                    return super()._record(processing_event)
                saved = processing_event.saved_kwargs
                processing_event.saved_kwargs = {**saved, "inline": write}
                try:
                    return super()._record(processing_event)
                finally:
                    processing_event.saved_kwargs = saved
        except InlineWriteError as error:
            log.warning("recording without writing the read model's rows inline: %s", error)
        return super()._record(processing_event)

    def _recorded(self, events: ProcessingEvent[UUID], recordings: list[Recording[UUID]]) -> None:
        """What the library's ``save`` does once the events are recorded; and the aggregates
        just written are cached as they now are (``AGGREGATE_CACHE_MAXSIZE``)."""
        try:
            self._cache(events)
            self._take_snapshots(events)
        finally:
            for listener in self.on_recorded:
                listener()

    def construct_repository(self) -> Repository[UUID]:
        """The library's repository with our aggregate cache (``application.aggregate_cache``),
        whatever the library's environment says about fast-forwarding and copies."""
        size = self.env.get(self.AGGREGATE_CACHE_MAXSIZE)
        return CachingRepository(
            event_store=self.events,
            snapshot_store=self.snapshots,
            cache_maxsize=int(size) if size else None,
        )

    def _cache(self, events: ProcessingEvent[UUID]) -> None:
        """Keep the organizations and memberships a command wrote, as committed, so the next
        command on them folds nothing."""
        repository = self.repository
        assert isinstance(repository, CachingRepository)
        for aggregate in events.aggregates.values():
            repository.keep(aggregate)

    def commit_counts(self) -> tuple[int, int]:
        """Transactions this process committed for commands, and the commands they held."""
        return self._group_commit.transactions, self._group_commit.commands

    def stop_commands(self) -> None:
        """Record the commands already queued, and refuse new ones (``ClosedError``)."""
        self._group_commit.close()

    def close(self) -> None:
        self.stop_commands()
        super().close()

    # Organizations

    def create(self, new: NewOrganization, owner: NewMember | None = None) -> Written:
        """A new organization; with ``owner``, that person is its first active member, with
        the owner role, in the same transaction (an organization made for its creator)."""

        def decide(attempt: Attempt) -> Organization:
            org = organizations.create(
                attempt, validate_new(new, self.reserved_slugs, self.regions)
            )
            if owner is not None:
                with granting(["*"]):  # The creator of an organization holds all of it.
                    members.add(attempt, org, validate_new_member(owner, org.roles))
            return org

        return self.pipeline.create(decide)

    def update(
        self, org_id: UUID, changes: OrganizationChanges, expected_version: int | None = None
    ) -> Written:
        ensure_may_change(current_actor(), changes)

        def decide(attempt: Attempt, org: Organization) -> None:
            values = validate_changes(changes, org, self.reserved_slugs, self.regions)
            organizations.change(attempt, org, values)

        return self.pipeline.change(org_id, decide, expected_version, once=True)[1]

    def archive(self, org_id: UUID, expected_version: int | None = None) -> Written:
        return self.update(org_id, OrganizationChanges(status=ARCHIVED), expected_version)

    def revert(
        self,
        org_id: UUID,
        to_version: int,
        reason: str | None = None,
        expected_version: int | None = None,
    ) -> Written:
        """Record the changes that bring the organization back to its state at
        ``to_version`` (``organizations.changes_back_to`` says which)."""
        reason = validate_reason(reason)
        now = self._get(org_id)
        if not 1 <= to_version <= now.version:
            problem = FieldProblem("to_version", f"must be between 1 and {now.version}")
            raise ValidationError([problem])
        changes = organizations.changes_back_to(self._get(org_id, to_version), now)
        with because(reason):
            return self.update(org_id, changes, expected_version)

    # Keys

    def issue_api_key(self, org_id: UUID, new: NewApiKey) -> IssuedApiKey:
        """Issue a secret key for the organization; only its hash and prefix are recorded."""
        name, expires_at = validate_new_api_key(new, datetime.now(UTC))
        key_id, secret = uuid4(), new_secret()

        def issue(attempt: Attempt, org: Organization) -> dict[str, Any]:
            org.issue_api_key(key_id, name, secret.prefix, secret.secret_hash, expires_at)
            return org.api_key_details(key_id)

        details, written = self.pipeline.change(org_id, issue)
        return IssuedApiKey(details, secret.secret, written)

    def revoke_api_key(self, org_id: UUID, key_id: UUID) -> tuple[dict[str, Any], Written]:
        """Revoke a key (revoking a revoked key records nothing)."""

        def revoke(attempt: Attempt, org: Organization) -> dict[str, Any]:
            org.revoke_api_key(key_id)
            return org.api_key_details(key_id)

        return self.pipeline.change(org_id, revoke)

    # Members

    def add_member(self, org_id: UUID, new: NewMember) -> MemberWritten:
        """Add a person as an active member (provisioned by an identity provider)."""
        return self._on_member(
            org_id, lambda w, org: members.add(w, org, validate_new_member(new, org.roles))
        )

    def add_members(self, org_id: UUID, news: list[NewMember]) -> BulkWritten:
        """Add up to ``MAX_BULK`` people as active members, all or none, in one transaction
        (provisioning many at once, as a directory sync does)."""
        if not 1 <= len(news) <= MAX_BULK:
            message = f"must hold 1 to {MAX_BULK} members"
            raise ValidationError([FieldProblem("members", message)])

        def add_all(attempt: Attempt, org: Organization) -> list[dict[str, Any]]:
            values = validate_new_members(news, org.roles)
            return [members.add(attempt, org, value).details() for value in values]

        added, written = self.pipeline.change(org_id, add_all, optimistic=True)
        return BulkWritten(added, written)

    def update_member(self, org_id: UUID, user_id: str, changes: MemberChanges) -> MemberWritten:
        """Change a member's roles, status (active or inactive) or metadata."""

        def update(attempt: Attempt, org: Organization) -> Membership:
            values = validate_member_changes(changes, org.roles)
            return members.update(attempt, org, user_id, values)

        return self._on_member(org_id, update)

    def remove_member(self, org_id: UUID, user_id: str) -> MemberWritten:
        """Remove a member: their email and user id may join again later."""

        def remove(attempt: Attempt, org: Organization) -> Membership:
            member = members.current(attempt, org.id, user_id)
            return members.remove(attempt, org, member, "removed")

        return self._on_member(org_id, remove)

    # Invitations

    def invite_member(self, org_id: UUID, new: NewInvitation) -> IssuedInvitation:
        """Invite a person by email; the token is in the result only."""
        token = new_invitation_token()

        def invite(attempt: Attempt, org: Organization) -> Membership:
            values = validate_new_invitation(new, org.roles)
            now = datetime.now(UTC)
            return members.invite(attempt, org, values, hash_secret(token), now)

        written = self._on_member(org_id, invite)
        return IssuedInvitation(written.member, token, written.written)

    def resend_invitation(
        self, org_id: UUID, invitation_id: UUID, expires_in_days: Any = None
    ) -> IssuedInvitation:
        """A new token and expiry for a pending invitation; the old token stops working."""
        days = validate_days(expires_in_days)
        token = new_invitation_token()

        def resend(attempt: Attempt, org: Organization) -> Membership:
            expires_at = datetime.now(UTC) + timedelta(days=days)
            return members.resend(attempt, org, invitation_id, hash_secret(token), expires_at)

        written = self._on_member(org_id, resend)
        return IssuedInvitation(written.member, token, written.written)

    def revoke_invitation(self, org_id: UUID, invitation_id: UUID) -> MemberWritten:
        def revoke(attempt: Attempt, org: Organization) -> Membership:
            member = members.invitation(attempt, org.id, invitation_id)
            return members.remove(attempt, org, member, "invitation_revoked")

        return self._on_member(org_id, revoke)

    def accept_invitation(
        self, org_id: UUID, invitation_id: UUID, token: Any, user_id: Any
    ) -> MemberWritten:
        """Bind the invited person's user id; they become an active member."""
        checked_user_id = validate_user_id(user_id)
        offered = hash_secret(validate_token(token))
        return self._on_member(
            org_id,
            lambda w, org: members.accept(w, org, invitation_id, offered, checked_user_id),
        )

    # Roles

    def define_role(self, org_id: UUID, key: Any, name: Any, permissions: Any) -> Written:
        """Create or replace one of the organization's own roles."""
        problems = Problems()
        checked_key = problems.check("key", check_role_key, key)
        problems.raise_if_any()
        role = validate_role(name, permissions)
        return self.pipeline.change(
            org_id, lambda _, org: members.define_role(org, checked_key, role)
        )[1]

    def delete_role(self, org_id: UUID, key: str) -> Written:
        return self.pipeline.change(org_id, lambda _, org: members.delete_role(org, key))[1]

    # Queries from the event store (the read models answer the frequent ones)

    def get_details(self, org_id: UUID, version: int | None = None) -> dict[str, Any]:
        """The organization now, or as it was at ``version`` (not found before it existed
        or beyond its current version)."""
        if version is None:
            return self._get(org_id).details()
        if version < 1:
            raise OrganizationNotFoundError(org_id)
        org = self._get(org_id, version)
        if org.version != version:
            raise OrganizationNotFoundError(org_id)
        return org.details()

    def details_from(self, org_id: UUID, first: int, last: int) -> Iterator[dict[str, Any]]:
        """The organization as it was at each version from ``first`` to ``last``: loaded
        once, then carried forward event by event (not loaded again for each version)."""
        org = self._get(org_id, first)
        yield org.details()
        for event in self.events.get(org_id, gt=first, lte=last):
            org = cast("Organization", project_aggregate(org, [event]))
            yield org.details()

    def find_by_slug(self, slug: str) -> UUID:
        holder = self._unique_holder(UniqueKey.create_id(SLUGS, normalize_slug(slug)))
        if holder is None:
            raise OrganizationNotFoundError(slug)
        return holder

    def history(self, org_id: UUID) -> list[Organization.Event]:
        events = [e for e in self.events.get(org_id) if isinstance(e, Organization.Event)]
        if not events:
            raise OrganizationNotFoundError(org_id)
        return events

    def is_recorded(self, command_key: CommandKey) -> bool:
        """Whether a command keyed by ``command_key`` was recorded."""
        return self.pipeline.record_of(command_key) is not None

    def member_permissions(
        self, org_id: UUID, user_id: str, as_of: datetime | None = None, version: int | None = None
    ) -> dict[str, Any]:
        """A member's status, roles and effective permissions, now or at ``as_of`` (with
        the organization at ``version``, its version then)."""
        org, member = self.membership_at(org_id, user_id, as_of, version)
        if member is None:
            raise MemberNotFoundError(user_id)
        active = member["status"] == ACTIVE
        granted = role_permissions(member["roles"], org["roles"]) if active else []
        return {"member": member, "permissions": granted}

    def membership_at(
        self, org_id: UUID, user_id: str, as_of: datetime | None, version: int | None
    ) -> tuple[dict[str, Any], dict[str, Any] | None]:
        """The organization at ``version`` and the active or inactive membership of
        ``user_id`` at ``as_of`` (now, without it; ``None`` when there was none)."""
        org = self._get(org_id, version).details()
        try:
            member = self._member_at(org_id, user_id, as_of or datetime.max.replace(tzinfo=UTC))
        except MemberNotFoundError:
            return org, None
        return org, member

    # Helpers

    def _on_member(
        self, org_id: UUID, decide: Callable[[Attempt, Organization], Membership]
    ) -> MemberWritten:
        member, written = self.pipeline.change(org_id, decide)
        return MemberWritten(member.details(), written)

    def _member_at(self, org_id: UUID, user_id: str, moment: datetime) -> dict[str, Any]:
        """The membership of ``user_id`` as it was at ``moment``: the user id's key as it
        was then names the membership, folded from its events up to then."""
        key_id = UniqueKey.create_id(MEMBER_USERS, member_key(org_id, MEMBER_USERS, user_id))
        key = self._folded_until(key_id, moment)
        holder = None if key is None else key.holder_id
        member = None if holder is None else self._folded_until(holder, moment)
        if not isinstance(member, Membership) or member.status not in (ACTIVE, INACTIVE):
            raise MemberNotFoundError(user_id)
        summary: dict[str, Any] = member.summary()
        return summary

    def _folded_until(self, aggregate_id: UUID, moment: datetime) -> Any:
        aggregate = None
        recorded_events: list[Any] = list(self.repository.event_store.get(aggregate_id))
        for recorded in recorded_events:
            if recorded.timestamp > moment:
                break
            aggregate = recorded.mutate(aggregate)
        return aggregate

    def _get(self, org_id: UUID, version: int | None = None) -> Organization:
        try:
            org: Aggregate = self.repository.get(org_id, version=version)
        except AggregateNotFoundError:
            raise OrganizationNotFoundError(org_id) from None
        if not isinstance(org, Organization):
            raise OrganizationNotFoundError(org_id)
        return org

    def _unique_holder(self, key_id: UUID) -> UUID | None:
        try:
            index: UniqueKey = self.repository.get(key_id)
        except AggregateNotFoundError:
            return None
        return index.holder_id

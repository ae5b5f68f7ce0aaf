"""OrganizationRegistry: the application service that records organizations' events."""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar
from uuid import UUID, uuid4

from eventsourcing.application import AggregateNotFoundError, Application, ProcessingEvent
from eventsourcing.persistence import IntegrityError
from eventsourcing.utils import get_topic

from domain.access import ensure_may_change
from domain.command_records import (
    CommandAlreadyRecordedError,
    CommandKey,
    CommandRecord,
    command_key_cvar,
)
from domain.commands import IssuedApiKey, NewApiKey, NewOrganization, OrganizationChanges, Written
from domain.context import because, current_actor
from domain.errors import (
    ConcurrentUpdateError,
    DuplicateMemberError,
    ExternalIdTakenError,
    FieldProblem,
    OrganizationNotFoundError,
    SlugTakenError,
    ValidationError,
    VersionConflictError,
)
from domain.group_commit import GroupCommit
from domain.indexes import EXTERNAL_IDS, MEMBER_EMAILS, MEMBER_USERS, SLUGS, UniqueKey
from domain.keys import new_secret
from domain.membership_commands import MembershipCommands
from domain.organization import ARCHIVED, Organization
from domain.rules import DEFAULT_RESERVED_SLUGS, PROFILE_FIELDS, normalize_slug
from domain.transcoder import OrjsonTranscoder
from domain.validation import (
    validate_changes,
    validate_new,
    validate_new_api_key,
    validate_reason,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from eventsourcing.domain import Aggregate
    from eventsourcing.persistence import Recording
    from eventsourcing.utils import EnvType

MAX_ATTEMPTS = 12
_UNRECORDED_EVENTS = (
    Organization.ApiKeyIssued,
    Organization.ApiKeyRevoked,
    Organization.MembershipChanged,
    Organization.RolesChanged,
)
TAKEN_ERRORS: dict[str, type[Exception]] = {
    SLUGS: SlugTakenError,
    EXTERNAL_IDS: ExternalIdTakenError,
    MEMBER_EMAILS: DuplicateMemberError,
    MEMBER_USERS: DuplicateMemberError,
}
"""What a claim of a value another aggregate holds raises, by kind of value."""
BACKOFF_SECONDS, BACKOFF_MAX_SECONDS = 0.002, 0.1
"""Clashing writers retry after a random pause of up to BACKOFF_SECONDS, doubling per
attempt up to BACKOFF_MAX_SECONDS: in all, a writer gives up after about a second."""


class OrganizationRegistry(MembershipCommands, Application[UUID]):
    """Records every change to every organization; the source of truth for the read models."""

    env: ClassVar[dict[str, str]] = {
        "RESERVED_SLUGS": "",
        "TRANSCODER_TOPIC": get_topic(OrjsonTranscoder),
    }
    snapshotting_intervals: ClassVar[dict[Any, int]] = {Organization: 100}
    """A snapshot every 100 versions: loading any version folds at most 99 events."""

    def __init__(self, env: EnvType | None = None) -> None:
        super().__init__(env)
        configured = self.env.get("RESERVED_SLUGS") or ""
        self.reserved_slugs = (
            frozenset(normalize_slug(s) for s in configured.split(",") if s.strip())
            or DEFAULT_RESERVED_SLUGS
        )
        self.on_recorded: list[Callable[[], None]] = []
        """Called after each save in this process (to wake an in-process projection)."""
        self._group_commit: GroupCommit = GroupCommit(self._record, self._recorded, "registry")

    def _recorded(self, events: ProcessingEvent[UUID], recordings: list[Recording[UUID]]) -> None:
        """What the library's ``save`` does once the events are recorded."""
        try:
            self._take_snapshots(events)
        finally:
            self._notify(recordings)

    def commit_counts(self) -> tuple[int, int]:
        """Transactions this process committed for commands, and the commands they held."""
        return self._group_commit.transactions, self._group_commit.commands

    def stop_commands(self) -> None:
        """Record the commands already queued, and refuse new ones (``ClosedError``)."""
        self._group_commit.close()

    def close(self) -> None:
        self.stop_commands()
        super().close()

    def create(self, new: NewOrganization) -> Written:
        self._ensure_not_recorded()
        values = validate_new(new, self.reserved_slugs)
        for attempt in range(MAX_ATTEMPTS):
            org = Organization(**values)
            # First as if the values were never claimed (no read: the store refuses a claim
            # that exists); after a refusal, read the claims to say which one is taken.
            claim = self._claim if attempt else self._first_claim
            keys = [claim(SLUGS, org.slug, org.id)]
            if org.external_id is not None:
                keys.append(claim(EXTERNAL_IDS, org.external_id, org.id))
            try:
                return self._save(org, keys)
            except IntegrityError:
                continue  # Another writer claimed a key first: the next attempt says which.
        raise ConcurrentUpdateError

    def update(
        self, org_id: UUID, changes: OrganizationChanges, expected_version: int | None = None
    ) -> Written:
        ensure_may_change(current_actor(), changes)
        self._ensure_not_recorded()

        def apply(org: Organization) -> list[UniqueKey]:
            return self._apply(org, validate_changes(changes, org, self.reserved_slugs))

        return self._change(org_id, apply, expected_version)[1]

    def archive(self, org_id: UUID, expected_version: int | None = None) -> Written:
        return self.update(org_id, OrganizationChanges(status=ARCHIVED), expected_version)

    def issue_api_key(self, org_id: UUID, new: NewApiKey) -> IssuedApiKey:
        """Issue a secret key for the organization; only its hash and prefix are recorded."""
        name, expires_at = validate_new_api_key(new, datetime.now(UTC))
        key_id, secret = uuid4(), new_secret()

        def issue(org: Organization) -> list[UniqueKey]:
            org.issue_api_key(key_id, name, secret.prefix, secret.secret_hash, expires_at)
            return []

        org, written = self._change(org_id, issue)
        return IssuedApiKey(org.api_key_details(key_id), secret.secret, written)

    def revoke_api_key(self, org_id: UUID, key_id: UUID) -> tuple[dict[str, Any], Written]:
        """Revoke a key (revoking a revoked key records nothing)."""

        def revoke(org: Organization) -> list[UniqueKey]:
            org.revoke_api_key(key_id)
            return []

        org, written = self._change(org_id, revoke)
        return org.api_key_details(key_id), written

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

    def revert(
        self,
        org_id: UUID,
        to_version: int,
        reason: str | None = None,
        expected_version: int | None = None,
    ) -> Written:
        """Record the changes that bring the organization back to its state at
        ``to_version``. Keys, roles and memberships are not reverted: a revoked key stays
        revoked, and nobody regains access by a revert."""
        reason = validate_reason(reason)
        current = self._get(org_id).version
        if not 1 <= to_version <= current:
            problem = FieldProblem("to_version", f"must be between 1 and {current}")
            raise ValidationError([problem])
        past = self._get(org_id, to_version)
        changes = OrganizationChanges(
            name=past.name,
            slug=past.slug,
            external_id=past.external_id,
            settings=past.settings,
            metadata=past.metadata,
            profile={f: getattr(past, f) for f in PROFILE_FIELDS},
            status=past.status,
            status_reason=past.status_reason,
            verified=past.verified,
            managed_by=past.managed_by,
            max_allowed_memberships=past.max_allowed_memberships,
        )
        with because(reason):
            return self.update(org_id, changes, expected_version)

    def find_by_slug(self, slug: str) -> UUID:
        holder = self._holder(SLUGS, normalize_slug(slug))
        if holder is None:
            raise OrganizationNotFoundError(slug)
        return holder

    def history(self, org_id: UUID) -> list[Organization.Event]:
        events = [e for e in self.events.get(org_id) if isinstance(e, Organization.Event)]
        if not events:
            raise OrganizationNotFoundError(org_id)
        return events

    def _apply(self, org: Organization, values: dict[str, Any]) -> list[UniqueKey]:
        keys: list[UniqueKey] = []
        if "name" in values:
            org.rename(values["name"])
        if values.get("slug", org.slug) != org.slug:
            keys += [self._release(SLUGS, org.slug), self._claim(SLUGS, values["slug"], org.id)]
            org.change_slug(values["slug"])
        if values.get("external_id", org.external_id) != org.external_id:
            if org.external_id is not None:
                keys.append(self._release(EXTERNAL_IDS, org.external_id))
            if values["external_id"] is not None:
                keys.append(self._claim(EXTERNAL_IDS, values["external_id"], org.id))
            org.change_external_id(values["external_id"])
        if "settings" in values:
            org.replace_settings(values["settings"])
        if values.get("profile"):
            org.update_profile(values["profile"])
        if "metadata" in values:
            org.replace_metadata(values["metadata"])
        if "status" in values:
            org.change_status(values["status"], values["status_reason"])
        if values.get("account"):
            org.update_account(values["account"])
        return keys

    def _change(
        self,
        org_id: UUID,
        act: Callable[[Organization], list[UniqueKey]],
        expected_version: int | None = None,
    ) -> tuple[Organization, Written]:
        """Load, act, save; on a clash with another writer, reload and act again."""

        def attempt() -> tuple[Organization, Written]:
            org = self._get(org_id)
            if expected_version is not None and org.version != expected_version:
                raise VersionConflictError(org.version)
            keys = act(org)
            return org, self._save(org, keys)

        result: tuple[Organization, Written] = self._retrying(attempt)
        return result

    def _retrying(self, attempt: Callable[[], Any]) -> Any:
        """Run ``attempt`` (which loads, acts and saves) until the store takes its save."""
        for number in range(MAX_ATTEMPTS):
            try:
                return attempt()
            except IntegrityError:
                # Someone else wrote first: reload and apply to their result, after a random
                # pause so that many clashing writers spread out instead of clashing again.
                pause = min(BACKOFF_SECONDS * 2**number, BACKOFF_MAX_SECONDS)
                time.sleep(random.uniform(0, pause))  # noqa: S311
        raise ConcurrentUpdateError

    def _save(self, org: Organization, others: list[Any]) -> Written:
        """Record the organization's new events with those of ``others`` (unique keys,
        memberships), atomically."""
        record = self._command_record(org)  # Before collecting takes the pending events.
        events: ProcessingEvent[UUID] = ProcessingEvent()
        events.collect_events(org, *others, *([] if record is None else [record]))
        try:
            recordings = self._group_commit.save(events)
        except IntegrityError:
            self._ensure_not_recorded()  # Another run of this keyed command was first.
            raise
        positions = [
            r.notification.id for r in recordings if r.domain_event.originator_id == org.id
        ]
        return Written(org.details(), max(positions) if positions else None)

    def _command_record(self, org: Organization) -> CommandRecord | None:
        """The record of this keyed command's outcome (``domain.command_records``), to be
        saved with its events; ``None`` for a command sent without a key."""
        command_key = command_key_cvar.get()
        if command_key is None or not org.pending_events:
            return None
        if isinstance(org.pending_events[0], _UNRECORDED_EVENTS):
            # A key's or an invitation's secret cannot be given again from a record, and
            # member and role commands answer with more than the organization: they are
            # replayed from their stored responses (api.http.idempotency).
            return None
        created = isinstance(org.pending_events[0], Organization.Created)
        return CommandRecord(
            id=command_key.record_id,
            fingerprint=command_key.fingerprint,
            kind="created" if created else "changed",
            organization_id=org.id,
            version=org.version,
        )

    def is_recorded(self, command_key: CommandKey) -> bool:
        """Whether a command keyed by ``command_key`` was recorded."""
        return self._record_of(command_key) is not None

    def _ensure_not_recorded(self) -> None:
        """Raise ``CommandAlreadyRecordedError`` if this keyed command ran before."""
        command_key = command_key_cvar.get()
        if command_key is None:
            return
        record = self._record_of(command_key)
        if record is not None:
            raise CommandAlreadyRecordedError(record, record.fingerprint == command_key.fingerprint)

    def _record_of(self, command_key: CommandKey) -> CommandRecord | None:
        try:
            record: CommandRecord = self.repository.get(command_key.record_id)
        except AggregateNotFoundError:
            return None
        return record

    def _notify(self, recordings: list[Recording[UUID]]) -> None:
        for listener in self.on_recorded:
            listener()

    def _get(self, org_id: UUID, version: int | None = None) -> Organization:
        try:
            org: Aggregate = self.repository.get(org_id, version=version)
        except AggregateNotFoundError:
            raise OrganizationNotFoundError(org_id) from None
        if not isinstance(org, Organization):
            raise OrganizationNotFoundError(org_id)
        return org

    def _holder(self, kind: str, key: str) -> UUID | None:
        try:
            index: UniqueKey = self.repository.get(UniqueKey.create_id(kind, key))
        except AggregateNotFoundError:
            return None
        holder: UUID | None = index.organization_id
        return holder

    @staticmethod
    def _first_claim(kind: str, key: str, org_id: UUID) -> UniqueKey:
        return UniqueKey(kind, key, org_id)

    def _claim(self, kind: str, key: str, org_id: UUID) -> UniqueKey:
        try:
            index: UniqueKey = self.repository.get(UniqueKey.create_id(kind, key))
        except AggregateNotFoundError:
            return UniqueKey(kind, key, org_id)
        if index.organization_id is not None and index.organization_id != org_id:
            raise TAKEN_ERRORS[kind](key)
        if index.organization_id is None:
            index.claim(org_id)
        return index

    def _release(self, kind: str, key: str) -> UniqueKey:
        index: UniqueKey = self.repository.get(UniqueKey.create_id(kind, key))
        index.release()
        return index

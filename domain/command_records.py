"""Command records: a keyed command's outcome, saved in the same transaction as its events.

A client that retries a command with the same ``Idempotency-Key`` must get the first
outcome, even when the process that ran it died between committing and answering. So a
keyed command saves, with its own events and atomically with them, a record whose id is
derived from the key: a second run of the same key cannot record anything (the store
refuses the record's id), and any retry finds what the first run did.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from domain.errors import RegistryError

if TYPE_CHECKING:
    from collections.abc import Iterator


@dataclass(frozen=True)
class CommandKey:
    """Who sent a keyed command and what it was: hashes only (see ``api.http.idempotency``)."""

    scope: str
    """The SHA-256 of the caller's credential."""
    key: str
    """The SHA-256 of the ``Idempotency-Key``."""
    fingerprint: str
    """The SHA-256 of the request (method, path, query and body)."""

    @property
    def record_id(self) -> UUID:
        return uuid5(NAMESPACE_URL, f"/command-records/{self.scope}/{self.key}")


command_key_cvar: ContextVar[CommandKey | None] = ContextVar("command_key", default=None)


@contextmanager
def keyed(command_key: CommandKey) -> Iterator[None]:
    """Record the enclosed command's outcome under ``command_key``."""
    token = command_key_cvar.set(command_key)
    try:
        yield
    finally:
        command_key_cvar.reset(token)


class CommandRecord(Aggregate):
    """That the command keyed by ``record_id`` left ``organization_id`` at ``version``."""

    def __init__(
        self, id: UUID, fingerprint: str, kind: str, organization_id: UUID, version: int
    ) -> None:
        """``id``: the command key's ``record_id``."""
        self.fingerprint = fingerprint
        self.kind = kind
        """``created`` for a new organization, ``changed`` otherwise."""
        self.organization_id = organization_id
        self.version = version


class CommandAlreadyRecordedError(RegistryError):
    """This keyed command was recorded before: its outcome, not a second run."""

    def __init__(self, record: CommandRecord, same_request: bool) -> None:
        super().__init__(f"command recorded for organization {record.organization_id}")
        self.record = record
        self.same_request = same_request
        """``False`` when the key was used for another request."""

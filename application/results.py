"""What the registry's commands return, as plain values."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Written:
    """An organization after a command, and the position its last event was recorded at.

    ``position`` is ``None`` when the command changed nothing and recorded nothing.
    """

    organization: dict[str, Any]
    position: int | None


@dataclass(frozen=True)
class IssuedApiKey:
    """A new key: its details, its secret (shown once, never stored) and the command's result."""

    api_key: dict[str, Any]
    secret: str
    written: Written


@dataclass(frozen=True)
class MemberWritten:
    """A membership after a command, and the command's result for its organization."""

    member: dict[str, Any]
    written: Written


@dataclass(frozen=True)
class BulkWritten:
    """Memberships added together, and the command's result for their organization."""

    members: list[dict[str, Any]]
    written: Written


@dataclass(frozen=True)
class IssuedInvitation:
    """A new invitation token: shown once, never stored (only its hash is)."""

    member: dict[str, Any]
    token: str
    written: Written

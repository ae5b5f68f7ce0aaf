"""Who issued the current command, in which request, and why.

The API layer sets these per request; every event recorded while they are set
carries them (see ``Organization.Event``).
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterator

SYSTEM_ACTOR: dict[str, Any] = {"type": "system"}

actor_cvar: ContextVar[dict[str, Any]] = ContextVar("actor", default=SYSTEM_ACTOR)
request_id_cvar: ContextVar[str | None] = ContextVar("request_id", default=None)
reason_cvar: ContextVar[str | None] = ContextVar("reason", default=None)
grantable_cvar: ContextVar[list[str] | None] = ContextVar("grantable", default=None)
"""The permissions the current actor holds in the organization, when they act as one of its
members: no one grants a role what they do not hold themselves. ``None``: the admin, the
system and an organization's key, who are not limited so."""


def admin_actor() -> dict[str, Any]:
    return {"type": "admin"}


def api_key_actor(key_id: str) -> dict[str, Any]:
    return {"type": "apiKey", "id": key_id}


USER = "user"


def user_actor(user_id: str) -> dict[str, Any]:
    """A person signed in with the identity provider's token: their userId."""
    return {"type": USER, "id": user_id}


def current_actor() -> dict[str, Any]:
    return dict(actor_cvar.get())


def current_request_id() -> str | None:
    return request_id_cvar.get()


def current_reason() -> str | None:
    return reason_cvar.get()


@contextmanager
def because(reason: str | None) -> Iterator[None]:
    """Record ``reason`` as why the enclosed commands' changes were made."""
    token = reason_cvar.set(reason)
    try:
        yield
    finally:
        reason_cvar.reset(token)


@contextmanager
def acting_as(actor: dict[str, Any], request_id: str | None = None) -> Iterator[None]:
    """Record the events of the enclosed commands as issued by ``actor``."""
    actor_token = actor_cvar.set(actor)
    request_token = request_id_cvar.set(request_id)
    try:
        yield
    finally:
        request_id_cvar.reset(request_token)
        actor_cvar.reset(actor_token)


@contextmanager
def granting(permissions: list[str]) -> Iterator[None]:
    """Let the enclosed commands grant ``permissions`` (the creator of an organization
    holds everything in it)."""
    token = grantable_cvar.set(permissions)
    try:
        yield
    finally:
        grantable_cvar.reset(token)

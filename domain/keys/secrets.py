"""Per-organization secret keys: how a secret is made, shown, hashed and checked.

A secret is ``sk_`` followed by 320 random bits (``secrets``). The store keeps only its
SHA-256 and a short prefix that lets people tell keys apart; the secret itself is shown
once, in the response that issues it. SHA-256 suits here (unlike for passwords) because
the secret is random and long: there is nothing to guess, and lookups by hash are exact.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING

from domain.errors import InvalidValueError
from domain.rules import check_line
from domain.storable import check_time

if TYPE_CHECKING:
    from datetime import datetime

SECRET_MARK = "sk_"  # noqa: S105 - the marker every secret starts with, not a secret
SECRET_RANDOM_BYTES = 40
PREFIX_LENGTH = len(SECRET_MARK) + 8
NAME_MAX_LENGTH = 100


@dataclass(frozen=True)
class NewSecret:
    secret: str
    prefix: str
    secret_hash: str


def looks_like_secret(token: str) -> bool:
    return token.startswith(SECRET_MARK)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_secret() -> NewSecret:
    secret = SECRET_MARK + secrets.token_urlsafe(SECRET_RANDOM_BYTES)
    return NewSecret(secret, secret[:PREFIX_LENGTH], hash_secret(secret))


def check_key_name(value: str | None) -> str | None:
    return None if value is None else check_line(value, NAME_MAX_LENGTH)


def check_expires_at(value: datetime | None, now: datetime) -> datetime | None:
    if value is None:
        return None
    when = check_time(value)
    if when <= now:
        raise InvalidValueError("must be in the future")
    return when


def is_expired(expires_at: datetime | None, now: datetime) -> bool:
    return expires_at is not None and expires_at <= now

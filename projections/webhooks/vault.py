"""Webhook secrets sealed at rest (AES-256-GCM) under the operator's key.

The key is ``REGISTRY_SECRET_KEY`` (or ``_FILE``); on the embedded SQLite default without
one, a key is made once and kept in a file beside the database (``<db>.secret-key``, mode
0600). The database, its dumps and its events hold only sealed secrets and their ids.
"""

from __future__ import annotations

import base64
import contextlib
import os
import secrets
import tempfile
from typing import TYPE_CHECKING

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from domain.errors import SecretKeyMissingError

if TYPE_CHECKING:
    from collections.abc import Iterable
    from uuid import UUID

    from projections.webhooks.store import WebhookStore

_INFO = b"tenant-registry/webhook-secret/v1"
_NONCE_BYTES = 12


def key_beside(database_path: str) -> str:
    """The key kept beside an SQLite database, made the first time: written whole to a file
    of its own, then linked into place, so a process starting at the same moment reads
    either no key file or the whole key, never an empty one."""
    path = f"{database_path}.secret-key"
    with contextlib.suppress(FileNotFoundError), open(path) as file:
        return file.read().strip()
    key = secrets.token_urlsafe(32)
    fd, draft = tempfile.mkstemp(prefix=".secret-key-", dir=os.path.dirname(path) or ".")
    try:
        with os.fdopen(fd, "w") as file:  # mkstemp makes it 0600.
            file.write(key + "\n")
            file.flush()
            os.fsync(file.fileno())
        os.link(draft, path)
    except FileExistsError:  # Another process linked its key first: that one is the key.
        with open(path) as file:
            return file.read().strip()
    finally:
        os.unlink(draft)
    return key


class SecretVault:
    """Seals secrets into the store's ``webhook_secrets`` table and opens them again."""

    def __init__(self, store: WebhookStore, key: str | None) -> None:
        self._store = store
        self._cipher = None if not key else AESGCM(_derived(key.encode()))
        self._opened: dict[str, str] = {}

    @property
    def ready(self) -> bool:
        return self._cipher is not None

    def keep(self, secret_id: UUID, secret: str) -> None:
        nonce = os.urandom(_NONCE_BYTES)
        sealed = nonce + self._required().encrypt(nonce, secret.encode(), str(secret_id).encode())
        self._store.keep_secret(str(secret_id), base64.b64encode(sealed).decode())

    def secret(self, secret_id: str) -> str | None:
        """The secret kept under ``secret_id`` (``None``: none is); raises
        ``SecretKeyMissingError`` without the key it was sealed under."""
        if secret_id not in self._opened:
            sealed = self._store.sealed_secret(secret_id)
            if sealed is None:
                return None
            raw = base64.b64decode(sealed)
            try:
                opened = self._required().decrypt(
                    raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], secret_id.encode()
                )
            except InvalidTag:
                message = "REGISTRY_SECRET_KEY is not the key the webhook secrets were sealed under"
                raise SecretKeyMissingError(message) from None
            self._opened[secret_id] = opened.decode()
        return self._opened[secret_id]

    def forget(self, secret_ids: Iterable[str]) -> None:
        """Keep no opened copy of these secrets in memory (they were dropped)."""
        for secret_id in secret_ids:
            self._opened.pop(secret_id, None)

    def _required(self) -> AESGCM:
        if self._cipher is None:
            raise SecretKeyMissingError("set REGISTRY_SECRET_KEY to seal webhook secrets")
        return self._cipher


def _derived(key: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(key)

"""Sealed responses: a response that carries a credential is kept only encrypted.

A replay of a keyed request (see ``api.http.idempotency``) must give the client its first
response again, including a new key's secret, yet no secret may be recoverable from the
database, a dump or a backup. So such a response is encrypted (AES-256-GCM) under a key
derived (HKDF-SHA256, a random salt per response) from what only the retrying client
holds: the credential it authenticates with and its ``Idempotency-Key``. The store keeps
neither: only their SHA-256, which does not give them back. Whoever can open a sealed
response could issue a key of their own with that credential anyway. (A signed-in user's
tokens change as their session is refreshed: for them the credential is their issuer and
userId keyed with a key derived from the admin token for that alone, ``user_keys``.)
"""

from __future__ import annotations

import hashlib
import hmac
import os
import struct

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_SALT_BYTES, _NONCE_BYTES = 16, 12
_INFO = b"tenant-registry/idempotent-response/v1"
_USER_SCOPE_INFO = b"tenant-registry/user-idempotency-scope/v1"
_USER_SEAL_INFO = b"tenant-registry/user-idempotency-seal/v1"


def _key(credential: bytes, idempotency_key: bytes, salt: bytes) -> bytes:
    material = struct.pack(">I", len(credential)) + credential + idempotency_key
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=_INFO).derive(material)


def seal(body: bytes, credential: bytes, idempotency_key: bytes) -> bytes:
    """``body`` encrypted, with the salt and nonce needed to open it again."""
    salt, nonce = os.urandom(_SALT_BYTES), os.urandom(_NONCE_BYTES)
    cipher = AESGCM(_key(credential, idempotency_key, salt))
    return salt + nonce + cipher.encrypt(nonce, body, None)


def unseal(sealed: bytes, credential: bytes, idempotency_key: bytes) -> bytes:
    """The body ``seal`` was given; ``cryptography.exceptions.InvalidTag`` if the
    credential or key differ, or the sealed bytes were changed."""
    salt, nonce = sealed[:_SALT_BYTES], sealed[_SALT_BYTES : _SALT_BYTES + _NONCE_BYTES]
    cipher = AESGCM(_key(credential, idempotency_key, salt))
    return cipher.decrypt(nonce, sealed[_SALT_BYTES + _NONCE_BYTES :], None)


def user_keys(admin_token: bytes, name: bytes) -> tuple[str, bytes]:
    """What a signed-in user's kept answers are filed under (hex) and sealed with, for the
    user ``name`` names: each an HMAC of it under its own key derived (HKDF-SHA256) from the
    admin token, so neither is the admin token put to another use, and a dump, which holds
    the issuer and every member's userId, cannot tell whose the answers are."""
    scope_key, seal_key = (
        _derived(admin_token, info) for info in (_USER_SCOPE_INFO, _USER_SEAL_INFO)
    )
    scope = hmac.new(scope_key, name, hashlib.sha256).hexdigest()
    return scope, hmac.new(seal_key, name, hashlib.sha256).digest()


def _derived(secret: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(secret)

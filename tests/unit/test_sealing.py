"""Sealed responses: what keys a signed-in user's kept answers."""

from __future__ import annotations

import hashlib
import hmac

from api.http.sealing import user_keys

ADMIN_TOKEN = b"admin-token-of-the-server"
NAME = b'["user", "https://issuer.example", "ann"]'


def test_a_users_answers_are_keyed_by_keys_derived_for_them_never_the_admin_token() -> None:
    scope, seal = user_keys(ADMIN_TOKEN, NAME)
    keyed_by_the_token = hmac.new(ADMIN_TOKEN, NAME, hashlib.sha256).digest()
    assert seal != keyed_by_the_token
    assert scope not in (keyed_by_the_token.hex(), hashlib.sha256(NAME).hexdigest())
    assert scope != seal.hex()

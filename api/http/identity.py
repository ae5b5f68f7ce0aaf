"""Tokens from the identity provider: JWTs verified with the provider's published keys.

Only asymmetric algorithms are accepted (RS256, ES256, EdDSA): never ``none``, and never
an HMAC key made from a public key. The issuer, the audience and the times (``exp``,
``nbf``, ``iat``, with a small leeway) are checked. The keys (a JWKS) come from a file,
from a URL, or from the issuer's OpenID discovery document; they are kept in memory and
fetched again when a token names a key id they do not hold (at most once every
``REFETCH_SECONDS`` by default), so a provider's key rotation needs nothing from the operator.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
import urllib.request
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jwt

from domain.errors import InvalidValueError
from domain.members.validation import check_user_id

if TYPE_CHECKING:
    from service.settings import Settings

ALGORITHMS = ("RS256", "ES256", "EdDSA")
REFETCH_SECONDS = 5.0
MAX_KEY_AGE_SECONDS = 600.0
"""Keys are fetched again this long after the last fetch, so a key the provider withdrew
stops being trusted."""
FETCH_TIMEOUT_SECONDS = 5.0
MAX_DOCUMENT_BYTES = 1 << 20
MAX_TOKEN_LENGTH = 16 * 1024


class InvalidTokenError(Exception):
    """The token is not one this registry accepts (401 ``UNAUTHORIZED``)."""


class IdentityProviderUnavailableError(Exception):
    """No key to verify the token with could be had from the provider (503)."""


@dataclass(frozen=True)
class Identity:
    """Who a verified token says the caller is."""

    user_id: str
    email: str | None
    organization: str | None
    """The organization the session is for, when the provider names one."""
    claims: dict[str, Any] = field(repr=False)


@dataclass(frozen=True)
class TokenRules:
    issuer: str
    audience: tuple[str, ...]
    user_claim: str = "sub"
    organization_claim: str | None = None
    leeway: float = 30.0


class KeySource:
    """The provider's signing keys, by key id, fetched when needed."""

    def __init__(
        self,
        issuer: str,
        jwks_url: str | None,
        jwks_file: str | None,
        refetch_seconds: float = REFETCH_SECONDS,
    ) -> None:
        self._issuer, self._url, self._file = issuer, jwks_url, jwks_file
        self._refetch_seconds = refetch_seconds
        self._keys: dict[str | None, jwt.PyJWK] = {}
        self._fetched_at = -refetch_seconds
        self._lock = threading.Lock()

    def holds(self, kid: str | None) -> bool:
        return kid in self._keys

    def key(self, kid: str | None) -> jwt.PyJWK:
        """The key with this id: from memory, or fetched again if it was not there (or the
        keys held are old). One request fetches at a time: while keys are held the others
        use them; before any is, they wait for the first fetch."""
        found = self._keys.get(kid)
        age = time.monotonic() - self._fetched_at
        if (found is None and age >= self._refetch_seconds) or age >= MAX_KEY_AGE_SECONDS:
            self._refresh_once(blocking=not self._keys)
            found = self._keys.get(kid)
        if found is None:
            if not self._keys:
                raise IdentityProviderUnavailableError
            raise InvalidTokenError
        return found

    def _refresh_once(self, *, blocking: bool) -> None:
        if not self._lock.acquire(blocking=blocking):
            return
        try:  # Unless another request fetched while this one waited.
            if time.monotonic() - self._fetched_at >= self._refetch_seconds:
                self._refresh()
        finally:
            self._lock.release()

    def _refresh(self) -> None:
        # Tried, whatever the outcome: a provider that fails is asked again only after the
        # pause between fetches, however many tokens name keys nobody holds.
        self._fetched_at = time.monotonic()
        try:
            keys = jwt.PyJWKSet.from_dict(self._document()).keys
        except (OSError, ValueError, jwt.PyJWKSetError, jwt.InvalidKeyError):
            return  # Keep the keys held: a token they cannot verify is refused.
        usable = [
            k for k in keys if k.algorithm_name in ALGORITHMS and k.public_key_use in (None, "sig")
        ]
        self._keys = {k.key_id: k for k in usable}
        if len(usable) == 1:  # A token naming no key id may use the only key.
            self._keys.setdefault(None, usable[0])

    def _document(self) -> dict[str, Any]:
        if self._file is not None:
            return _json(Path(self._file).read_bytes())
        url = self._url
        if url is None:
            discovery = _get(self._issuer.rstrip("/") + "/.well-known/openid-configuration")
            url = discovery.get("jwks_uri")
            if not isinstance(url, str):
                raise ValueError("the discovery document names no jwks_uri")
        return _get(url)


def _get(url: str) -> dict[str, Any]:
    if not url.startswith(("https://", "http://")):
        raise ValueError(f"not an HTTP URL: {url!r}")
    request = urllib.request.Request(url, headers={"Accept": "application/json"})  # noqa: S310
    with urllib.request.urlopen(request, timeout=FETCH_TIMEOUT_SECONDS) as response:  # noqa: S310
        return _json(response.read(MAX_DOCUMENT_BYTES + 1))


def _json(raw: bytes) -> dict[str, Any]:
    if len(raw) > MAX_DOCUMENT_BYTES:
        raise ValueError("document too large")
    document = json.loads(raw)
    if not isinstance(document, dict):
        raise ValueError("not a JSON object")
    return document


class TokenVerifier:
    """Verifies tokens, and remembers the ones it verified for ``REMEMBER_SECONDS`` at most
    (never past their expiry), so a client sending one token many times pays its signature
    check once."""

    REMEMBER_SECONDS = 60.0
    REMEMBER_TOKENS = 10_000

    def __init__(self, rules: TokenRules, keys: KeySource) -> None:
        self.rules, self.keys = rules, keys
        self._verified: OrderedDict[bytes, tuple[Identity, float]] = OrderedDict()
        self._lock = threading.Lock()

    def needs_fetch(self, token: str) -> bool:
        """Whether verifying ``token`` may fetch keys (so should not run on the event loop)."""
        try:
            return not self.keys.holds(jwt.get_unverified_header(token).get("kid"))
        except jwt.PyJWTError:
            return False

    def verify(self, token: str) -> Identity:
        """The identity a valid token names (checked in full, then remembered);
        ``InvalidTokenError`` for any other token."""
        identity = self._verify(token)
        expires = float(identity.claims["exp"]) + self.rules.leeway
        until = min(time.time() + self.REMEMBER_SECONDS, expires)
        with self._lock:
            self._verified[_digest(token)] = (identity, until)
            if len(self._verified) > self.REMEMBER_TOKENS:
                self._verified.popitem(last=False)
        return identity

    def remembered(self, token: str) -> Identity | None:
        """The identity of a token verified a short while ago, still unexpired."""
        with self._lock:
            found = self._verified.get(_digest(token))
        if found is None or found[1] <= time.time():
            return None
        return found[0]

    def _verify(self, token: str) -> Identity:
        if len(token) > MAX_TOKEN_LENGTH:
            raise InvalidTokenError
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise InvalidTokenError from None
        algorithm = header.get("alg")
        if algorithm not in ALGORITHMS:
            raise InvalidTokenError
        key = self.keys.key(header.get("kid"))
        if key.algorithm_name != algorithm:
            raise InvalidTokenError
        return self._identity(self._claims(token, key, algorithm))

    def _claims(self, token: str, key: jwt.PyJWK, algorithm: str) -> dict[str, Any]:
        rules = self.rules
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key.key,
                algorithms=[algorithm],
                audience=list(rules.audience),
                issuer=rules.issuer,
                leeway=rules.leeway,
                options={"require": ["exp", "iat", "iss", "aud"]},
            )
        except jwt.PyJWTError:
            raise InvalidTokenError from None
        return claims

    def _identity(self, claims: dict[str, Any]) -> Identity:
        try:
            user_id = check_user_id(claims.get(self.rules.user_claim))
        except InvalidValueError:
            raise InvalidTokenError from None
        email = claims.get("email")
        org_claim = self.rules.organization_claim
        return Identity(
            user_id=user_id,
            email=email if isinstance(email, str) else None,
            organization=session_organization(claims.get(org_claim)) if org_claim else None,
            claims=claims,
        )


def session_organization(value: object) -> str | None:
    """The organization an organization claim names: a string claim itself (WorkOS
    ``org_id``), or an object claim's ``organization_id`` or ``id`` member (Stytch's
    ``https://stytch.com/organization``); ``None`` if it names none."""
    if isinstance(value, dict):
        value = value.get("organization_id", value.get("id"))
    return value if isinstance(value, str) else None


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).digest()


def token_verifier(settings: Settings) -> TokenVerifier | None:
    """The verifier the settings configure; ``None`` when users are not configured."""
    if settings.jwt_issuer is None:
        return None
    rules = TokenRules(
        issuer=settings.jwt_issuer,
        audience=tuple(a.strip() for a in (settings.jwt_audience or "").split(",") if a.strip()),
        user_claim=settings.jwt_user_claim,
        organization_claim=settings.jwt_organization_claim,
        leeway=settings.jwt_leeway,
    )
    keys = KeySource(
        settings.jwt_issuer, settings.jwks_url, settings.jwks_file, settings.jwks_refetch_seconds
    )
    return TokenVerifier(rules, keys)

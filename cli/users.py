"""``tenant-registry users``: try signed-in users without an identity provider.

``users keys`` makes a local signing key pair (the private key in a file only its owner
reads) and the JWKS the registry verifies tokens with (``REGISTRY_JWKS_FILE``); ``users
token`` signs a token for a userId with it, as an identity provider would.
"""

from __future__ import annotations

import json
import os
import shlex
import time
import uuid
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from cli.commands import command

LOCAL_ISSUER = "tenant-registry-local"
LOCAL_AUDIENCE = "tenant-registry"
PRIVATE_KEY, JWKS = "signing-key.pem", "jwks.json"


def make_keys(directory: Path) -> None:
    """Write a new ES256 key pair: the private key (mode 0600) and its public JWKS."""
    directory.mkdir(parents=True, exist_ok=True)
    private = ec.generate_private_key(ec.SECP256R1())
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    key_path = directory / PRIVATE_KEY
    descriptor = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as f:
        f.write(pem)
    public: dict[str, Any] = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(private.public_key()))
    jwk = {**public, "kid": uuid.uuid4().hex[:16], "alg": "ES256", "use": "sig"}
    (directory / JWKS).write_text(json.dumps({"keys": [jwk]}, indent=1) + "\n")


def mint_token(directory: Path, user_id: str, **options: Any) -> str:
    """A token for ``user_id`` signed with the key ``make_keys`` wrote in ``directory``."""
    pem = (directory / PRIVATE_KEY).read_bytes()
    kid = json.loads((directory / JWKS).read_text())["keys"][0]["kid"]
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": options.get("issuer") or LOCAL_ISSUER,
        "aud": options.get("audience") or LOCAL_AUDIENCE,
        "sub": user_id,
        "iat": now,
        "exp": now + 60 * int(options.get("minutes") or 60),
    }
    if options.get("email"):
        claims["email"] = options["email"]
    if options.get("organization"):
        claims["org_id"] = options["organization"]
    key = serialization.load_pem_private_key(pem, password=None)
    return jwt.encode(claims, key, algorithm="ES256", headers={"kid": kid})  # type: ignore[arg-type]


def keys(args: Any) -> None:
    """Make the keys, and print the settings that verify their tokens (for ``eval``)."""
    make_keys(Path(args.dir))
    print(f"export REGISTRY_JWKS_FILE={shlex.quote(str(Path(args.dir).resolve() / JWKS))}")
    print(f"export REGISTRY_JWT_ISSUER={LOCAL_ISSUER}")
    print(f"export REGISTRY_JWT_AUDIENCE={LOCAL_AUDIENCE}")


def token(args: Any) -> None:
    options = {"email": args.email, "organization": args.organization, "minutes": args.minutes}
    print(mint_token(Path(args.dir), args.user_id, **options))


def add_parsers(sub: Any) -> None:
    users = command(
        sub,
        "users",
        "try signed-in users without an identity provider: a local key pair and tokens",
        'eval "$(tenant-registry users keys --dir ./local-idp)"',
        "tenant-registry users token alice --email alice@example.com --dir ./local-idp",
    )
    users_sub = users.add_subparsers(dest="users_command", required=True)
    k = command(
        users_sub,
        "keys",
        "make a signing key pair and the JWKS file the registry verifies tokens with, and "
        "print the settings that use them",
        'eval "$(tenant-registry users keys --dir ./local-idp)"',
    )
    k.add_argument("--dir", default="./local-idp", help="where to write them (./local-idp)")
    k.set_defaults(func=keys)
    t = command(
        users_sub,
        "token",
        "print a token for a userId, signed with the key `users keys` made",
        "tenant-registry users token alice --email alice@example.com --dir ./local-idp",
    )
    t.add_argument("user_id", metavar="USER_ID", help="the userId (the token's sub)")
    t.add_argument("--email", help="the email claim (needed to create organizations)")
    t.add_argument("--organization", help="the org_id claim: an organization's externalId")
    t.add_argument("--minutes", type=int, default=60, help="how long it is valid (60)")
    t.add_argument("--dir", default="./local-idp", help="where `users keys` wrote (./local-idp)")
    t.set_defaults(func=token)

"""A real key server for the tests: an HTTP server on a loopback port serving an OpenID
discovery document and a JWKS, with keys made by ``cryptography`` and tokens signed by
PyJWT, as an identity provider would."""

from __future__ import annotations

import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

AUDIENCE = "tenant-registry-tests"
PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey


def _private_key(algorithm: str) -> PrivateKey:
    if algorithm == "RS256":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    if algorithm == "ES256":
        return ec.generate_private_key(ec.SECP256R1())
    if algorithm == "EdDSA":
        return ed25519.Ed25519PrivateKey.generate()
    raise ValueError(f"no key for {algorithm}")


class SigningKey:
    """A provider's signing key: RS256 (RSA 2048), ES256 (P-256) or EdDSA (Ed25519)."""

    def __init__(self, algorithm: str = "RS256") -> None:
        self.kid = uuid.uuid4().hex[:12]
        self.algorithm = algorithm
        self.private = _private_key(algorithm)

    def jwk(self) -> dict[str, Any]:
        public: dict[str, Any] = json.loads(
            jwt.algorithms.get_default_algorithms()[self.algorithm].to_jwk(
                self.private.public_key()
            )
        )
        return {**public, "kid": self.kid, "alg": self.algorithm, "use": "sig"}


class KeyServer:
    """Serves ``/.well-known/openid-configuration`` and ``/jwks.json`` on 127.0.0.1: a key
    of each of ``algorithms``, the first one signing tokens unless told otherwise."""

    def __init__(self, algorithms: tuple[str, ...] = ("RS256",)) -> None:
        self.keys = [SigningKey(algorithm) for algorithm in algorithms]
        self.jwks_requests = 0
        self._failing: list[float] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body: dict[str, Any]
                if server._failing:
                    time.sleep(server._failing.pop())
                    self.send_error(503)
                    return
                if self.path == "/.well-known/openid-configuration":
                    body = {"issuer": server.issuer, "jwks_uri": f"{server.issuer}/jwks.json"}
                elif self.path == "/jwks.json":
                    server.jwks_requests += 1
                    body = {"keys": [k.jwk() for k in server.keys]}
                else:
                    self.send_error(404)
                    return
                raw = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.issuer = f"http://127.0.0.1:{self._http.server_address[1]}"
        self._thread = threading.Thread(target=self._http.serve_forever, daemon=True)
        self._thread.start()

    def token(self, user_id: str, key: SigningKey | None = None, **claims: Any) -> str:
        """A token as the provider signs it, for ``user_id``; ``claims`` override."""
        key = key or self.keys[0]
        now = int(time.time())
        payload = {
            "iss": self.issuer,
            "aud": AUDIENCE,
            "sub": user_id,
            "email": f"{user_id}@example.com",
            "iat": now,
            "exp": now + 300,
            **claims,
        }
        return jwt.encode(payload, key.private, algorithm=key.algorithm, headers={"kid": key.kid})

    def fail_next(self, seconds: float) -> None:
        """Answer the next request 503, after ``seconds``: a provider down for a moment."""
        self._failing.append(seconds)

    def signing(self, algorithm: str) -> SigningKey:
        """The first key published for ``algorithm``."""
        return next(k for k in self.keys if k.algorithm == algorithm)

    def rotate(self) -> SigningKey:
        """Publish a new key beside the old one; it signs from now on."""
        new = SigningKey()
        self.keys.insert(0, new)
        return new

    def stop(self) -> None:
        self._http.shutdown()
        self._http.server_close()

"""Settings: read once from the environment, turned into the event store's configuration."""

from __future__ import annotations

import math
import os
from typing import Any, Literal
from urllib.parse import parse_qs, unquote, urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from domain.organizations.attributes import DEFAULT_REGION, parse_regions
from domain.webhooks.validation import parse_networks
from projections.webhooks.vault import key_beside

DEFAULT_DATABASE_URL = "sqlite:///./tenant-registry.db"
SECRET_FILE_FIELDS = ("admin_token", "database_url", "secret_key")


MAX_SECRET_OVERLAP = 7 * 86400
"""The longest a rotated webhook secret may go on signing (seconds)."""


class Settings(BaseSettings):
    """Configuration from ``REGISTRY_*`` environment variables (see README)."""

    model_config = SettingsConfigDict(env_prefix="REGISTRY_", env_ignore_empty=True, extra="ignore")

    database_url: str = DEFAULT_DATABASE_URL
    admin_token: SecretStr | None = None
    reserved_slugs: str | None = None
    regions: str = DEFAULT_REGION
    """The regions organizations may be in, comma-separated; new ones go to the first."""
    max_body_bytes: int = Field(default=64 * 1024, ge=1024)
    consistency_timeout: float = Field(default=10.0, gt=0, le=300)
    snapshot_timeout: float = Field(default=300.0, gt=0, le=3600)
    """A snapshot still being read after this many seconds ends without its end line."""
    snapshot_concurrency: int = Field(default=2, ge=1, le=64)
    """Snapshots read from the store at once (each holds a connection while it is read);
    more wait their turn without holding one."""
    run_projections: bool = True
    ready_max_lag: int = Field(default=100, ge=0)
    read_cache_size: int = Field(default=10_000, ge=0)
    aggregate_cache_size: int = Field(default=10_000, ge=0)
    """Organizations (and their members' and keys' aggregates) each process keeps folded for
    its commands; 0 folds every command's aggregates from the store."""
    member_cache_size: int = Field(default=100_000, ge=0)
    """Members kept in each process's read cache, for permission checks."""
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    log_format: Literal["auto", "json", "text"] = "auto"
    """``auto``: readable text on a terminal, JSON lines otherwise."""
    tracing: Literal["off", "otlp", "console"] = "off"
    """OpenTelemetry tracing (the ``tracing`` extra): see ``api.http.tracing``."""
    pool_size: int = Field(default=5, ge=1, le=100)
    """Connections each of the process's two PostgreSQL pools (events, read models) keeps."""
    pool_max_overflow: int = Field(default=10, ge=0, le=100)
    """Connections each pool may open beyond ``pool_size`` under load."""
    idempotency_abandoned_seconds: float = Field(default=30.0, gt=0, le=3600)
    """Seconds after which a keyed request still pending is taken for dead (its process
    died before committing) and a retry with its key runs."""
    store_timeout: float = Field(default=5.0, gt=0, le=60)
    """How long a request waits for the database before it answers 503 (PostgreSQL)."""
    auth_failures_per_minute: int = Field(default=120, ge=0)
    """Failed authentications per minute allowed per client address and per credential."""
    rate_limit_reads_per_minute: int = Field(default=6000, ge=0, le=60_000_000)
    """Reads (GET, HEAD, OPTIONS) each credential may make a minute, on average (0: no
    quota); an organization's own quota, set by the admin, wins (``api.http.quotas``)."""
    rate_limit_read_burst: int = Field(default=200, ge=1, le=1_000_000)
    """Reads each credential may make at once, beyond its rate, after a quiet spell."""
    rate_limit_writes_per_minute: int = Field(default=1200, ge=0, le=60_000_000)
    """Writes (any other method) each credential may make a minute (0: no quota)."""
    rate_limit_write_burst: int = Field(default=40, ge=1, le=1_000_000)
    rate_limit_refusal_delay: float = Field(default=1.0, ge=0, le=10)
    """Seconds a request refused for its quota waits before its 429 is sent (without a
    worker thread): a client that ignores Retry-After and asks again at once gets one
    refusal a second per connection, not as many as the server can send (0: at once)."""
    rate_limit_admin: bool = True
    """Whether the admin token has the quotas too (``False``: none, for a deployment whose
    own backend makes more requests with it than a key's quota allows)."""
    rate_limit_in_flight: int = Field(default=8, ge=0, le=10_000)
    """Requests of one credential served at once by one process; more wait their turn
    (0: no bound)."""
    header_timeout: float = Field(default=10.0, gt=0, le=300)
    """Seconds a request's headers may take to arrive."""
    body_timeout: float = Field(default=30.0, gt=0, le=3600)
    """Seconds a request's body may take to arrive after its headers."""
    max_connections: int = Field(default=1000, ge=1)
    """Open connections one server process holds; one more is answered 503."""
    shutdown_grace: int = Field(default=5, ge=0, le=300)
    """Seconds open requests get to finish after SIGTERM (long polls end at once)."""
    jwt_issuer: str | None = None
    """The identity provider whose tokens sign users in (``iss``); none: no users."""
    jwt_audience: str | None = None
    """The ``aud`` a token must name: one, or several separated by commas."""
    jwt_user_claim: str = Field(default="sub", min_length=1, max_length=100)
    jwt_organization_claim: str | None = Field(default=None, min_length=1, max_length=100)
    """The claim naming the organization a session is for (Stytch, WorkOS ``org_id``)."""
    jwt_leeway: float = Field(default=30.0, ge=0, le=300)
    """Seconds of clock difference allowed on ``exp``, ``nbf`` and ``iat``."""
    users_create_organizations: bool = True
    """Whether a signed-in user may create organizations (becoming their owner)."""
    jwks_refetch_seconds: float = Field(default=5.0, ge=0.1, le=3600)
    """The least time between two fetches of the provider's keys (on an unknown key id)."""
    secret_key: SecretStr | None = None
    """The key webhook secrets are sealed under (on SQLite, made beside the database if
    not given)."""
    webhook_retry_schedule: str = "5,300,1800,7200,18000,36000,36000"
    """Seconds to wait after each failed delivery, comma-separated."""
    webhook_timeout: float = Field(default=10.0, gt=0, le=60)
    """Seconds one delivery may take in all (connect, send, answer) before it counts as
    failed."""
    webhook_allowed_networks: str = ""
    """CIDRs webhooks may be delivered to though internal (and over plain http)."""
    webhook_secret_overlap: float = Field(default=86400.0, ge=0, le=MAX_SECRET_OVERLAP)
    """Seconds the secrets before a rotation go on signing, unless the rotation says."""
    jwks_url: str | None = None
    jwks_file: str | None = None
    """Where the provider's keys are, if not in its discovery document."""

    @model_validator(mode="after")
    def _users_need_an_audience(self) -> Settings:
        if self.jwt_issuer is not None and not (self.jwt_audience or "").strip(","):
            raise ValueError("REGISTRY_JWT_AUDIENCE is required with REGISTRY_JWT_ISSUER")
        if self.jwks_url is not None and self.jwks_file is not None:
            raise ValueError("give REGISTRY_JWKS_URL or REGISTRY_JWKS_FILE, not both")
        return self

    @field_validator("database_url")
    @classmethod
    def _known_scheme(cls, url: str) -> str:
        store_env(url)  # Raises ValueError for an unusable URL.
        return url

    @model_validator(mode="before")
    @classmethod
    def _secrets_from_files(cls, values: Any) -> Any:
        """``REGISTRY_ADMIN_TOKEN_FILE`` and ``REGISTRY_DATABASE_URL_FILE`` name files
        holding the value (container secrets), when the variable itself is not set."""
        if not isinstance(values, dict):
            return values
        for field in SECRET_FILE_FIELDS:
            path = os.environ.get(f"REGISTRY_{field.upper()}_FILE")
            if path and not values.get(field):
                try:
                    with open(path) as file:
                        values[field] = file.read().strip()
                except OSError as error:
                    variable = f"REGISTRY_{field.upper()}_FILE"
                    msg = f"{variable}: cannot read {path}: {error.strerror}"
                    raise ValueError(msg) from None
        return values

    @field_validator("webhook_retry_schedule")
    @classmethod
    def _schedule(cls, text: str) -> str:
        steps = [s.strip() for s in text.split(",") if s.strip()]
        if not steps or not all(_seconds(s) for s in steps):
            raise ValueError("REGISTRY_WEBHOOK_RETRY_SCHEDULE: seconds, comma-separated")
        return ",".join(steps)

    @field_validator("webhook_allowed_networks")
    @classmethod
    def _networks(cls, text: str) -> str:
        parse_networks(text)  # Raises ValueError for one that is not a CIDR.
        return text

    def sealing_key(self) -> str | None:
        """The key webhook secrets are sealed under: the operator's, or on SQLite one kept
        beside the database; ``None`` on PostgreSQL without one."""
        if self.secret_key is not None:
            return self.secret_key.get_secret_value()
        env = store_env(self.database_url)
        return None if self.is_postgres else key_beside(env["SQLITE_DBNAME"])

    @field_validator("log_level", mode="before")
    @classmethod
    def _lowercase(cls, level: object) -> object:
        return level.lower() if isinstance(level, str) else level

    @field_validator("admin_token")
    @classmethod
    def _strong_token(cls, token: SecretStr | None) -> SecretStr | None:
        if token is not None and len(token.get_secret_value()) < 16:
            msg = "REGISTRY_ADMIN_TOKEN must be at least 16 characters"
            raise ValueError(msg)
        return token

    @field_validator("regions")
    @classmethod
    def _known_regions(cls, regions: str) -> str:
        return ",".join(parse_regions(regions))

    @property
    def is_postgres(self) -> bool:
        return self.database_url.startswith(("postgresql://", "postgres://"))

    def registry_env(self) -> dict[str, str]:
        """The eventsourcing library's environment for the registry and its read models."""
        env = store_env(self.database_url)
        if self.is_postgres:
            # The library takes whole seconds: how long to wait for a pooled connection.
            env["POSTGRES_CONNECT_TIMEOUT"] = str(max(1, math.ceil(self.store_timeout)))
            env["POSTGRES_POOL_SIZE"] = str(self.pool_size)
            env["POSTGRES_MAX_OVERFLOW"] = str(self.pool_max_overflow)
        if self.reserved_slugs is not None:
            env["RESERVED_SLUGS"] = self.reserved_slugs
        env["AGGREGATE_CACHE_MAXSIZE"] = str(self.aggregate_cache_size or "")
        env["REGIONS"] = self.regions
        return env


def _seconds(text: str) -> bool:
    try:
        return 0 <= float(text) < math.inf
    except ValueError:
        return False


def store_env(url: str) -> dict[str, str]:
    """``sqlite:///path`` or ``postgresql://user:pass@host:port/db[?schema=name]``."""
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        path = unquote(parts.path[1:] if parts.path.startswith("/") else parts.path)
        if not path or parts.netloc:
            msg = "a SQLite URL looks like sqlite:///relative/path.db or sqlite:////absolute.db"
            raise ValueError(msg)
        return {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": path}
    if parts.scheme in ("postgresql", "postgres"):
        if not parts.hostname or not parts.path.strip("/"):
            msg = "a PostgreSQL URL looks like postgresql://user:password@host:5432/dbname"
            raise ValueError(msg)
        schema = parse_qs(parts.query).get("schema", [""])[0]
        return {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": unquote(parts.path.strip("/")),
            "POSTGRES_HOST": parts.hostname,
            "POSTGRES_PORT": str(parts.port or 5432),
            "POSTGRES_USER": unquote(parts.username or ""),
            "POSTGRES_PASSWORD": unquote(parts.password or ""),
            "POSTGRES_SCHEMA": schema,
        }
    msg = f"unsupported database URL scheme {parts.scheme!r}: use sqlite:/// or postgresql://"
    raise ValueError(msg)

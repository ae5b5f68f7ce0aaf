"""Webhook endpoints' commands: create, change, rotate a secret, disable, enable, delete.

Each runs through the one command pipeline, recorded with its actor as every change is.
An endpoint's secret is made here, shown once, and handed to the ``SecretVault``, which
keeps it sealed; events carry only its id.
"""

from __future__ import annotations

import base64
import secrets
import socket
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol, TypeVar
from uuid import UUID, uuid4

from domain.errors import WebhookEndpointNotFoundError
from domain.webhooks.endpoint import WebhookEndpoint
from domain.webhooks.validation import (
    check_description,
    check_event_types,
    check_url_shape,
    destination,
    parse_networks,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from application.pipeline import Attempt, CommandPipeline

SECRET_BYTES = 32
"""Standard Webhooks: 24 to 64 random bytes, base64 after ``whsec_``."""
DEFAULT_OVERLAP = timedelta(hours=24)
"""How long the secret before a rotation keeps signing too."""
RESOLVE_SECONDS = 5.0
"""How long a registration waits for the URL's host to resolve before refusing it."""
T = TypeVar("T")
ALL = object()
"""The scope of the admin: every endpoint."""


class SecretVault(Protocol):
    def keep(self, secret_id: UUID, secret: str) -> None:
        """Keep ``secret`` sealed under ``secret_id`` (before any event names it)."""


def new_webhook_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (the system's resolver)."""
    return [str(info[4][0]) for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)]


def within(seconds: float, work: Callable[[], T]) -> T:
    """``work()``'s result, or ``TimeoutError`` when it takes more than ``seconds``; work
    that does not end in time (a silent resolver) is left to end by itself."""
    found: list[T] = []
    failed: list[BaseException] = []
    done = threading.Event()

    def run() -> None:
        try:
            found.append(work())
        except Exception as error:
            failed.append(error)
        finally:
            done.set()

    threading.Thread(target=run, name="webhook-resolve", daemon=True).start()
    if not done.wait(seconds):
        raise TimeoutError(f"no answer within {seconds:g} s")
    if failed:
        raise failed[0]
    return found[0]


def resolve_briefly(host: str, port: int) -> list[str]:
    """``resolve`` within ``RESOLVE_SECONDS``, or ``TimeoutError`` (an ``OSError``: the URL
    is refused as not resolving)."""
    return within(RESOLVE_SECONDS, lambda: resolve(host, port))


@dataclass(frozen=True)
class EndpointWritten:
    endpoint: dict[str, Any]
    position: int | None
    secret: str | None = None
    """A new secret, shown only in this answer."""


class WebhookEndpoints:
    """The webhook endpoints' commands; ``scope``: an organization's id, or ``ALL``."""

    def __init__(
        self,
        pipeline: CommandPipeline,
        vault: SecretVault,
        allowed_networks: str = "",
        overlap: timedelta = DEFAULT_OVERLAP,
    ) -> None:
        self._pipeline, self._vault = pipeline, vault
        self.allowed = parse_networks(allowed_networks)
        self.overlap = overlap
        """How long the secrets before a rotation keep signing, unless it says."""

    def check_url(self, value: Any) -> str:
        url = check_url_shape(value)
        destination(url, self.allowed, resolve_briefly)
        return url

    def create(
        self, organization_id: UUID | None, url: Any, event_types: Any, description: Any
    ) -> EndpointWritten:
        checked = (self.check_url(url), check_event_types(event_types))
        text = check_description(description)
        secret, secret_id = new_webhook_secret(), uuid4()

        def decide(attempt: Attempt) -> WebhookEndpoint:
            if organization_id is not None:
                attempt.organization(organization_id)  # Not found: 404.
            return WebhookEndpoint(organization_id, *checked, text, secret_id)

        self._vault.keep(secret_id, secret)
        endpoint, position = self._pipeline.apply(decide)
        assert isinstance(endpoint, WebhookEndpoint)
        return EndpointWritten(endpoint.details(), position, secret)

    def update(self, scope: object, endpoint_id: UUID, changes: dict[str, Any]) -> EndpointWritten:
        """``changes``: any of ``url``, ``event_types``, ``description``, ``enabled``."""
        checked: dict[str, Any] = {}
        if "url" in changes:
            checked["url"] = self.check_url(changes["url"])
        if "event_types" in changes:
            checked["event_types"] = check_event_types(changes["event_types"])
        if "description" in changes:
            checked["description"] = check_description(changes["description"])

        def decide(endpoint: WebhookEndpoint) -> None:
            endpoint.update(checked)
            if changes.get("enabled") is True:
                endpoint.enable()
            elif changes.get("enabled") is False:
                endpoint.disable("disabled by request")

        return self._change(scope, endpoint_id, decide)

    def rotate_secret(
        self, scope: object, endpoint_id: UUID, overlap: timedelta | None = None
    ) -> EndpointWritten:
        """A new secret; those before it sign ``overlap`` more (the setting's when
        ``None``); any that stopped signing by now is dropped (at once with no overlap)."""
        secret, secret_id = new_webhook_secret(), uuid4()
        self._vault.keep(secret_id, secret)

        def rotate(endpoint: WebhookEndpoint) -> None:
            now = datetime.now(UTC)
            endpoint.rotate_secret(secret_id, now + (self.overlap if overlap is None else overlap))
            endpoint.drop_expired_secrets(now)

        written = self._change(scope, endpoint_id, rotate)
        return EndpointWritten(written.endpoint, written.position, secret)

    def drop_expired_secrets(self, endpoint_id: UUID) -> EndpointWritten:
        """Drop the endpoint's secrets past their expiry (the delivery that sees one)."""
        return self._change(ALL, endpoint_id, lambda e: e.drop_expired_secrets(datetime.now(UTC)))

    def disable(self, endpoint_id: UUID, reason: str) -> EndpointWritten:
        return self._change(ALL, endpoint_id, lambda e: e.disable(reason))

    def delete(self, scope: object, endpoint_id: UUID) -> EndpointWritten:
        return self._change(scope, endpoint_id, lambda e: e.delete())

    def get(self, scope: object, endpoint_id: UUID) -> dict[str, Any]:
        found, _ = self._pipeline.apply(lambda attempt: _endpoint(attempt, scope, endpoint_id))
        assert isinstance(found, WebhookEndpoint)
        return found.details()

    def _change(self, scope: object, endpoint_id: UUID, change: Any) -> EndpointWritten:
        def decide(attempt: Attempt) -> WebhookEndpoint:
            endpoint = _endpoint(attempt, scope, endpoint_id)
            change(endpoint)
            return endpoint

        endpoint, position = self._pipeline.apply(decide)
        assert isinstance(endpoint, WebhookEndpoint)
        return EndpointWritten(endpoint.details(), position)


def _endpoint(attempt: Attempt, scope: object, endpoint_id: UUID) -> WebhookEndpoint:
    """The endpoint, if it exists and is in ``scope``."""
    endpoint = attempt.aggregate(endpoint_id)
    if not isinstance(endpoint, WebhookEndpoint) or endpoint.deleted:
        raise WebhookEndpointNotFoundError(endpoint_id)
    if scope is not ALL and endpoint.organization_id != scope:
        raise WebhookEndpointNotFoundError(endpoint_id)
    return endpoint

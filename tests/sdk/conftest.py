"""The SDK against a real server (uvicorn, its projections) on each store, with users'
tokens verified against a key server and webhooks allowed to loopback."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tenant_registry_client import Client, Organization
from tests.helpers import ADMIN_TOKEN, Server, random_slug
from tests.key_server import AUDIENCE, KeyServer
from tests.receiver import HOOKS_ENV

if TYPE_CHECKING:
    from collections.abc import Iterator


@pytest.fixture(scope="module")
def keys() -> Iterator[KeyServer]:
    running = KeyServer()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def server(module_database_url: str, keys: KeyServer) -> Iterator[Server]:
    users = {"REGISTRY_JWT_ISSUER": keys.issuer, "REGISTRY_JWT_AUDIENCE": AUDIENCE}
    running = Server(module_database_url, env={**HOOKS_ENV, **users})
    yield running
    running.stop()


@pytest.fixture
def client(server: Server) -> Iterator[Client]:
    """The admin's client."""
    with Client(server.url, ADMIN_TOKEN) as admin:
        yield admin


@pytest.fixture
def org(client: Client) -> Organization:
    return client.organizations.create(name="Acme", slug=random_slug())

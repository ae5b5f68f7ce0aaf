"""The HTTP API tier: the application in this process (its lifespan, middleware, routes,
read model and projection all real), spoken to over ASGI instead of a socket, on each
store. What only a server process shows (the protocol guard, slow clients, signals,
several processes) is in ``tests/e2e``."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from service.logs import LOGGERS
from tests.helpers import make_settings

if TYPE_CHECKING:
    from collections.abc import Iterator

    import httpx


class InProcessServer:
    """The app with a client, as ``tests.helpers.Server`` offers a server process."""

    def __init__(self, database_url: str, **settings: object) -> None:
        # An httpx.Client at run time; Starlette types it against httpx2 (not installed),
        # which would leave every response untyped.
        self.app = app = create_app(make_settings(database_url, **settings))
        self.client: httpx.Client = TestClient(app)
        self.client.__enter__()  # Runs the lifespan: the services start.

    def stop(self) -> None:
        self.client.__exit__(None, None, None)


@pytest.fixture(scope="module")
def server(module_database_url: str) -> Iterator[InProcessServer]:
    """The app on a store of each kind, shared by one test module."""
    loggers = [logging.getLogger(name) for name in LOGGERS]
    running = InProcessServer(module_database_url)
    yield running
    running.stop()
    for logger in loggers:
        logger.handlers.clear()

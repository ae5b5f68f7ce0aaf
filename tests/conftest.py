"""Stores for the tests: every behaviour runs on SQLite and on PostgreSQL.

PostgreSQL runs when REGISTRY_TEST_POSTGRES_URL is set (each test gets its own
schema); with REGISTRY_REQUIRE_POSTGRES=1 (as in CI) its absence is a failure.
"""

from __future__ import annotations

import logging
import os
import uuid
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from psycopg.sql import SQL, Identifier

from application.registry import OrganizationRegistry
from projections.leadership import schema_setup
from service.composition import bootstrap
from service.logs import LOGGERS
from tests.helpers import POSTGRES_URL, Server, make_settings, postgres_conninfo

if TYPE_CHECKING:
    from collections.abc import Iterator

    from service.composition import Services

# Small connection pools in this process and in every server it starts, so the whole suite
# fits within PostgreSQL's default of 100 connections, beside anything else on the server.
os.environ.setdefault("REGISTRY_POOL_SIZE", "2")
os.environ.setdefault("REGISTRY_POOL_MAX_OVERFLOW", "4")
# No request quota in this process's apps and the servers it starts: the suite sends bursts
# from one credential by design; tests of quotas set their own (tests/e2e/test_quotas.py).
os.environ.setdefault("REGISTRY_RATE_LIMIT_READS_PER_MINUTE", "0")
os.environ.setdefault("REGISTRY_RATE_LIMIT_WRITES_PER_MINUTE", "0")
os.environ.setdefault("REGISTRY_RATE_LIMIT_IN_FLIGHT", "0")
REQUIRE_POSTGRES = os.environ.get("REGISTRY_REQUIRE_POSTGRES", "") == "1"


def _require_postgres() -> None:
    if not POSTGRES_URL:
        if REQUIRE_POSTGRES:
            pytest.fail("REGISTRY_REQUIRE_POSTGRES=1 but REGISTRY_TEST_POSTGRES_URL is not set")
        pytest.skip(
            "PostgreSQL tests: set REGISTRY_TEST_POSTGRES_URL=postgresql://user:password@host/db, "
            "or install PostgreSQL's server (postgresql-15) and run scripts/test"
        )


def _postgres_schema_url() -> Iterator[str]:
    _require_postgres()
    schema = f"test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(**postgres_conninfo(), autocommit=True) as conn:
        conn.execute(SQL("CREATE SCHEMA {}").format(Identifier(schema)))
    separator = "&" if "?" in POSTGRES_URL else "?"
    yield f"{POSTGRES_URL}{separator}schema={schema}"
    with psycopg.connect(**postgres_conninfo(), autocommit=True) as conn:
        conn.execute(SQL("DROP SCHEMA {} CASCADE").format(Identifier(schema)))


def _store_url(kind: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if kind == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('store')}/registry.db"
    else:
        yield from _postgres_schema_url()


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A fresh, empty store of each kind."""
    yield from _store_url(request.param, tmp_path_factory)


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def module_database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A store of each kind shared by one test module (for servers that are slow to start)."""
    yield from _store_url(request.param, tmp_path_factory)


@pytest.fixture(scope="module")
def server(module_database_url: str) -> Iterator[Server]:
    """A real uvicorn server, with its projections, on a store of each kind."""
    running = Server(module_database_url)
    yield running
    running.stop()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL schema, for behaviour that only PostgreSQL has."""
    yield from _postgres_schema_url()


@pytest.fixture
def postgres_database_url() -> Iterator[str]:
    """A fresh PostgreSQL database, for a test that counts or ends every connection or
    transaction of its database: schemas would share those with the tests that other
    pytest-xdist workers run at the same time."""
    _require_postgres()
    name = f"test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(**postgres_conninfo(), autocommit=True) as conn:
        conn.execute(SQL("CREATE DATABASE {}").format(Identifier(name)))
    yield urlunsplit(urlsplit(POSTGRES_URL)._replace(path=f"/{name}"))
    with psycopg.connect(**postgres_conninfo(), autocommit=True) as conn:
        conn.execute(SQL("DROP DATABASE {} WITH (FORCE)").format(Identifier(name)))


@pytest.fixture
def app_logging() -> Iterator[None]:
    """For an app run in this process (its lifespan configures the service's loggers onto
    this test's stderr): configured anew, and unconfigured after, so that later tests do
    not log into this test's closed capture."""
    loggers = [logging.getLogger(name) for name in LOGGERS]
    for logger in loggers:
        logger.handlers.clear()
    yield
    for logger in loggers:
        logger.handlers.clear()


@pytest.fixture
def registry(database_url: str) -> Iterator[OrganizationRegistry]:
    """The registry alone (its commands and the event store), without read models."""
    env = make_settings(database_url).registry_env()
    with schema_setup(env):
        registry = OrganizationRegistry(env)
    yield registry
    registry.close()


@pytest.fixture
def services(database_url: str) -> Iterator[Services]:
    """The registry, its read model and a running projection, in this process."""
    services = bootstrap(make_settings(database_url))
    yield services
    services.close()


# scripts/test runs the suite on pytest-xdist workers (``-n 2 --dist loadgroup``).
STORE_FIXTURES = ("module_database_url", "database_url")
FIRST = ("tests/e2e/test_openapi_fuzz.py", "tests/e2e/", "tests/faults/", "tests/sdk/")
"""Handed out first, the slowest first, so that no long module starts last."""


def _group(item: pytest.Item) -> str:
    """One module on one store: its tests share a server and may follow on one another."""
    params = getattr(item, "callspec", None)
    stores = (
        [params.params[name] for name in STORE_FIXTURES if name in params.params] if params else []
    )
    return f"{item.path.relative_to(item.config.rootpath)}::{'-'.join(map(str, stores))}"


def _rank(item: pytest.Item) -> int:
    path = str(item.path.relative_to(item.config.rootpath))
    return next((i for i, prefix in enumerate(FIRST) if path.startswith(prefix)), len(FIRST))


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Each worker gets whole groups (``_group``), in the order ``FIRST`` sets."""
    for item in items:
        item.add_marker(pytest.mark.xdist_group(_group(item)))
    items.sort(key=_rank)

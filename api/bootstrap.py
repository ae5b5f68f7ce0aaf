"""The composition root: builds the registry, its read model and the projection supervisor."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import psycopg
from eventsourcing.postgres import PostgresDatastore
from psycopg.sql import SQL, Identifier

from api.idempotency_store import (
    IdempotencyStore,
    PostgresIdempotencyStore,
    SQLiteIdempotencyStore,
)
from api.store_health import StoreHealth
from domain.registry import OrganizationRegistry
from projections.cache import ReadCache
from projections.leadership import (
    FileLeaderLock,
    LeaderLock,
    PostgresLeaderLock,
    is_postgres,
    postgres_conninfo,
    schema_setup,
    store_conninfo,
)
from projections.projection import OrganizationLookupProjection
from projections.rebuild import LOCK_NAME as REBUILD_LOCK_NAME
from projections.rebuild import is_outdated, rebuild_in_background
from projections.runner import FAILED, STANDBY, ProjectionSupervisor
from projections.views import construct_view

if TYPE_CHECKING:
    from collections.abc import Sequence

    from eventsourcing.persistence import Notification

    from api.settings import Settings
    from projections.interface import OrganizationLookupView


@dataclass
class Services:
    registry: OrganizationRegistry
    view: OrganizationLookupView
    supervisor: ProjectionSupervisor | None
    idempotency: IdempotencyStore
    health: StoreHealth

    def behind(self, limit: int) -> tuple[int, Sequence[Notification]]:
        """The read model's position, and (up to ``limit`` of) its events the store has
        beyond it."""
        position = self.view.position()
        beyond = self.registry.recorder.select_notifications(
            start=position + 1, limit=limit, topics=OrganizationLookupProjection.topics
        )
        return position, beyond

    def lag(self, limit: int = 10_000) -> tuple[int, int]:
        """The read model's position, and how many of its events the store has beyond it."""
        position, beyond = self.behind(limit)
        return position, len(beyond)

    def projection_failure(self) -> str | None:
        """The error the read model's projector stopped on, while it fails (this process's
        own projector, or else the one whose state is recorded in the database)."""
        supervisor = self.supervisor
        if supervisor is not None and supervisor.state != STANDBY:
            return supervisor.last_error if supervisor.state == FAILED else None
        state, error = self.view.recorded_status()
        return (error or "failed") if state == FAILED else None

    def close(self) -> None:
        self.registry.stop_commands()  # While the projection still runs to answer them.
        if self.supervisor is not None:
            self.supervisor.stop()
        self.health.stop()
        self.view.datastore.close()
        self.registry.close()


def ensure_schema(env: dict[str, str]) -> None:
    """Create the configured PostgreSQL schema if it does not exist yet."""
    if is_postgres(env) and env.get("POSTGRES_SCHEMA"):
        with psycopg.connect(**postgres_conninfo(env), autocommit=True) as conn:
            conn.execute(
                SQL("CREATE SCHEMA IF NOT EXISTS {}").format(Identifier(env["POSTGRES_SCHEMA"]))
            )


def leader_lock(env: dict[str, str], name: str) -> LeaderLock:
    if is_postgres(env):
        key = f"tenant-registry/{env.get('POSTGRES_SCHEMA') or 'public'}/{name}"
        return PostgresLeaderLock(postgres_conninfo(env), key)
    return FileLeaderLock(f"{env['SQLITE_DBNAME']}.{name}.lock")


def construct_idempotency_store(view: OrganizationLookupView) -> IdempotencyStore:
    """Kept in the read model's database, through the same connections."""
    datastore = view.datastore
    store: IdempotencyStore = (
        PostgresIdempotencyStore(datastore)
        if isinstance(datastore, PostgresDatastore)
        else SQLiteIdempotencyStore(datastore)
    )
    store.create_table()
    return store


def bootstrap(settings: Settings, *, run_projections: bool | None = None) -> Services:
    env = settings.registry_env()
    ensure_schema(env)
    with schema_setup(env):
        registry = OrganizationRegistry(env)
        view = construct_view(env)
        idempotency = construct_idempotency_store(view)
    view.cache = ReadCache(settings.read_cache_size)
    health = StoreHealth(store_conninfo(env), settings.store_timeout)
    for datastore in {id(d): d for d in (registry.recorder.datastore, view.datastore)}.values():  # type: ignore[attr-defined]
        health.guard(datastore)
    health.start()
    supervisor = None
    if settings.run_projections if run_projections is None else run_projections:
        projection = OrganizationLookupProjection(view)
        supervisor = ProjectionSupervisor(
            projection, registry, leader_lock(env, projection.name), env
        )
        registry.on_recorded.append(supervisor.wake)
        supervisor.start()
        if is_outdated(view):
            rebuild_in_background(registry, view, leader_lock(env, REBUILD_LOCK_NAME))
    return Services(registry, view, supervisor, idempotency, health)

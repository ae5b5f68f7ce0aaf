"""The composition root: builds the registry, its read model and the projection supervisor,
for the API, the command line and the benchmarks alike."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

import psycopg
from psycopg.sql import SQL, Identifier

from application.registry import OrganizationRegistry
from application.webhooks import WebhookEndpoints
from projections.inline import InlineProjection
from projections.leadership import (
    is_postgres,
    leader_lock,
    postgres_conninfo,
    schema_setup,
    store_conninfo,
)
from projections.projection import OrganizationLookupProjection
from projections.rebuild import LOCK_NAME as REBUILD_LOCK_NAME
from projections.rebuild import is_outdated, rebuild_in_background
from projections.runner import FAILED, STANDBY, ProjectionSupervisor
from projections.stores import construct_read_model
from projections.webhooks.store import WebhookStore
from projections.webhooks.vault import SecretVault
from service.store_health import StoreHealth
from service.webhooks.dispatcher import parse_schedule
from service.webhooks.supervisor import WebhookSupervisor

if TYPE_CHECKING:
    from collections.abc import Sequence

    from eventsourcing.persistence import Notification

    from projections.read_model import ReadModel
    from service.settings import Settings

WEBHOOKS_LOCK_NAME = "webhooks"


@dataclass
class Services:
    registry: OrganizationRegistry
    read_model: ReadModel
    """The live read model: its queries, its writer and its administration."""
    supervisor: ProjectionSupervisor | None
    health: StoreHealth
    webhooks: WebhookEndpoints
    webhook_store: WebhookStore
    webhook_vault: SecretVault
    webhook_supervisor: WebhookSupervisor | None = None

    def behind(self, limit: int) -> tuple[int, Sequence[Notification]]:
        """The read model's position, and (up to ``limit`` of) its events the store has
        beyond it."""
        position = self.read_model.position()
        beyond = self.registry.recorder.select_notifications(
            start=position + 1, limit=limit, topics=OrganizationLookupProjection.topics
        )
        return position, beyond

    def last_event_to_project(self, window: int = 1000) -> int | None:
        """The position of the last event recorded so far that the read model projects
        (``None`` when it includes them all): reads see everything recorded so far once they
        reach it. Looked for back from the store's head, a window at a time: the last
        organization event is a few positions before the head at most, whatever the lag."""
        position = self.read_model.position()
        stop = self.registry.recorder.max_notification_id() or 0
        while stop > position:
            start = max(position + 1, stop - window + 1)
            found = self.registry.recorder.select_notifications(
                start=start, limit=window, stop=stop, topics=OrganizationLookupProjection.topics
            )
            if found:
                return found[-1].id
            stop = start - 1
        return None

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
        state, error = self.read_model.admin.recorded_status()
        return (error or "failed") if state == FAILED else None

    def close(self) -> None:
        self.registry.stop_commands()  # While the projection still runs to answer them.
        if self.webhook_supervisor is not None:
            self.webhook_supervisor.stop()
        if self.supervisor is not None:
            self.supervisor.stop()
        self.health.stop()
        self.read_model.datastore.close()
        self.registry.close()


def ensure_schema(env: dict[str, str]) -> None:
    """Create the configured PostgreSQL schema if it does not exist yet."""
    if is_postgres(env) and env.get("POSTGRES_SCHEMA"):
        with psycopg.connect(**postgres_conninfo(env), autocommit=True) as conn:
            conn.execute(
                SQL("CREATE SCHEMA IF NOT EXISTS {}").format(Identifier(env["POSTGRES_SCHEMA"]))
            )


def _webhooks(
    settings: Settings, registry: OrganizationRegistry, read_model: ReadModel
) -> tuple[WebhookStore, SecretVault, WebhookEndpoints]:
    env = settings.registry_env()
    store = WebhookStore(read_model.datastore, is_postgres(env))
    with schema_setup(env):
        store.create_tables()
    vault = SecretVault(store, settings.sealing_key())
    overlap = timedelta(seconds=settings.webhook_secret_overlap)
    endpoints = WebhookEndpoints(
        registry.pipeline, vault, settings.webhook_allowed_networks, overlap
    )
    return store, vault, endpoints


def start_webhooks(services: Services, settings: Settings) -> None:
    """Deliver webhooks from this process whenever it holds their leader lock."""
    parts = (services.webhook_store, services.webhook_vault, services.webhooks)
    supervisor = WebhookSupervisor(
        parts,
        services.registry,
        services.read_model,
        leader_lock(settings.registry_env(), WEBHOOKS_LOCK_NAME),
        parse_schedule(settings.webhook_retry_schedule),
        settings.webhook_timeout,
    )
    services.webhook_supervisor = supervisor
    services.registry.on_recorded.append(supervisor.wake)
    supervisor.start()


def bootstrap(
    settings: Settings, *, run_projections: bool | None = None, deliver_webhooks: bool = False
) -> Services:
    """The services; with ``deliver_webhooks``, a process that runs the projections
    delivers webhooks too (``serve`` and ``tenant-registry project``)."""
    env = settings.registry_env()
    ensure_schema(env)
    with schema_setup(env):
        registry = OrganizationRegistry(env)
        read_model = construct_read_model(env, settings.read_cache_size, settings.member_cache_size)
    health = StoreHealth(store_conninfo(env), settings.store_timeout)
    datastores = (registry.recorder.datastore, read_model.datastore)  # type: ignore[attr-defined]
    for datastore in {id(d): d for d in datastores}.values():
        health.guard(datastore)
    health.start()
    supervisor = None
    if settings.run_projections if run_projections is None else run_projections:
        name = OrganizationLookupProjection.name
        supervisor = ProjectionSupervisor(read_model, registry, leader_lock(env, name), env)
        registry.inline = InlineProjection(read_model.writer, registry, supervisor.wake)
        supervisor.start()
        if is_outdated(read_model):
            rebuild_in_background(registry, read_model, leader_lock(env, REBUILD_LOCK_NAME))
    store, vault, endpoints = _webhooks(settings, registry, read_model)
    services = Services(registry, read_model, supervisor, health, endpoints, store, vault)
    if supervisor is not None and deliver_webhooks:
        start_webhooks(services, settings)
    return services

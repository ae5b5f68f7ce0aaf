"""create_app: the FastAPI application, built around services made once in its lifespan."""

from __future__ import annotations

import asyncio
import gc
import logging
import logging.config
import signal
import threading
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

import anyio
from fastapi import FastAPI

from api.history import routes as history
from api.http import health
from api.http.docs import install_docs
from api.http.errors import install_error_handlers
from api.http.idempotency import IdempotencyMiddleware
from api.http.idempotency_store import construct_idempotency_store
from api.http.identity import token_verifier
from api.http.metrics import Metrics, MetricsMiddleware
from api.http.middleware import BodyLimitMiddleware, ConditionalGetMiddleware, RequestIdMiddleware
from api.http.openapi import openapi
from api.http.position_watch import PositionWatch
from api.http.quotas import QuotaMiddleware, RequestQuotas
from api.http.rate_limit import FailureLimiter
from api.http.tracing import instrument
from api.jsonapi.middleware import JsonApiRequestMiddleware, JsonApiResponseMiddleware
from api.jsonapi.openapi import document_jsonapi
from api.keys import routes as keys
from api.members import routes as members
from api.organizations import current
from api.organizations import routes as organizations
from api.snapshot import routes as snapshot
from api.webhooks import routes as webhooks
from projections.leadership import schema_setup, store_conninfo
from service.composition import bootstrap
from service.logs import logging_config
from service.settings import Settings

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable
    from contextlib import AbstractAsyncContextManager
    from types import FrameType

    from fastapi.routing import APIRoute

log = logging.getLogger("tenant_registry.api")


def _operation_id(route: APIRoute) -> str:
    """The route's name in camelCase (``getCurrentOrganization``): what generated clients
    name their methods, so it changes only when the route's function is renamed."""
    first, *rest = route.name.split("_")
    return first + "".join(word.capitalize() for word in rest)


def _configure_logging(settings: Settings) -> None:
    if not logging.getLogger("tenant_registry").handlers:  # `serve` configured it already.
        logging.config.dictConfig(logging_config(settings.log_level, settings.log_format))


def _on_shutdown_signal(callback: Callable[[], None]) -> None:
    """Run ``callback`` on the event loop as soon as SIGTERM or SIGINT arrives, before the
    server's own handling (which waits for open requests, long polls included)."""
    if threading.current_thread() is not threading.main_thread():
        return
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        previous = signal.getsignal(sig)

        def handler(number: int, frame: FrameType | None, previous: Any = previous) -> None:
            loop.call_soon_threadsafe(callback)
            if callable(previous):
                previous(number, frame)

        signal.signal(sig, handler)


def _lifespan(settings: Settings) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """What the app builds when it starts (the services, once) and closes when it stops."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        _configure_logging(settings)
        app.state.services = services = bootstrap(settings, deliver_webhooks=True)
        env = settings.registry_env()
        with schema_setup(env):
            app.state.idempotency = construct_idempotency_store(
                services.read_model.datastore, settings.idempotency_abandoned_seconds
            )
        app.state.metrics.services = services
        app.state.watch = watch = PositionWatch(services.read_model, store_conninfo(env))
        app.state.snapshots = anyio.CapacityLimiter(settings.snapshot_concurrency)
        watch.start()
        _on_shutdown_signal(watch.stop)
        # What start-up built lives as long as the process: the collector need not scan
        # it again on every full collection (shorter pauses in request latencies).
        gc.freeze()
        try:
            yield
        finally:
            watch.stop()
            services.close()

    return lifespan


def _add_middleware(app: FastAPI, settings: Settings) -> None:
    """The middleware, innermost first: each added one wraps those before it."""
    if settings.tracing != "off":  # Its middleware runs inside those added below.
        instrument(app, settings.tracing)
    app.add_middleware(ConditionalGetMiddleware)
    app.add_middleware(IdempotencyMiddleware)
    app.add_middleware(JsonApiRequestMiddleware)  # Its document is the body idempotency keeps.
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(RequestIdMiddleware)
    # Before anything reads the body, claims an Idempotency-Key or reads the database.
    app.add_middleware(
        QuotaMiddleware,
        quotas=app.state.quotas,
        metrics=app.state.metrics,
        admin=app.state.admin_token,
    )
    # Around every answer but the metrics: errors of any middleware become JSON:API too.
    app.add_middleware(JsonApiResponseMiddleware)
    app.add_middleware(MetricsMiddleware, metrics=app.state.metrics)


def _include_routers(app: FastAPI) -> None:
    """The routes, in the order they are matched; also listed in that order on
    ``app.state.routes``, for middleware that must know a request's route before it runs
    (``api.http.auth.user_may_call_now``)."""
    routers = (
        members.checks,  # First: the hot path, matched before any other route.
        health.router,
        current.router,  # Before "/{org_id}", which would take "current".
        organizations.admin,
        organizations.router,
        keys.router,
        history.router,
        history.feed,
        snapshot.router,
        members.router,
        members.users,
        members.me,
        webhooks.admin,
        webhooks.router,
    )
    for router in routers:
        app.include_router(router)
    app.state.routes = [route for router in routers for route in router.routes]


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    if settings.admin_token is None:
        msg = "REGISTRY_ADMIN_TOKEN is not set (tenant-registry serve generates one)"
        raise RuntimeError(msg)
    app = FastAPI(
        title="Tenant registry",
        summary="Event-sourced organizations: lookup, settings and full history.",
        version="0.1.0",
        lifespan=_lifespan(settings),
        generate_unique_id_function=_operation_id,
        docs_url=None,  # Served from packaged assets: api.http.docs.
        redoc_url=None,
    )
    app.openapi = lambda: openapi(app, document_jsonapi)  # type: ignore[method-assign]
    app.state.settings = settings
    app.state.admin_token = settings.admin_token.get_secret_value().encode()
    app.state.auth_failures = FailureLimiter(settings.auth_failures_per_minute)
    app.state.quotas = RequestQuotas(settings)
    app.state.token_verifier = token_verifier(settings)
    app.state.metrics = Metrics()
    install_error_handlers(app)
    _add_middleware(app, settings)
    install_docs(app)
    _include_routers(app)
    return app

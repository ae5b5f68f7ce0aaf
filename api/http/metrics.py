"""Prometheus metrics of this server process, served at ``GET /metrics`` (``api.http.health``).

Requests by route template, method and status, with their latency; the read model's
position, lag and projector state; read-cache hits and misses; idempotent replays, rate
limiting and answers given while the database was down; webhook deliveries by outcome,
and each endpoint's events waiting and the age of its oldest. Each process has its own: with
``serve --workers N``, a scrape reaches one of them (label targets per process, or run one
worker per container).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from starlette.responses import Response

from projections.rebuild import rebuild_checkpoint

if TYPE_CHECKING:
    from collections.abc import Iterator

    from starlette.types import ASGIApp, Message, Receive, Scope, Send

    from service.composition import Services

STATES = ("standby", "starting", "running", "failed", "stopped")


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "registry_http_requests",
            "HTTP requests answered, by route template, method and status.",
            ("route", "method", "status"),
            registry=self.registry,
        )
        self.latency = Histogram(
            "registry_http_request_duration_seconds",
            "Time from a request's arrival to its answer's end, by route template and method.",
            ("route", "method"),
            registry=self.registry,
        )
        self.replays = Counter(
            "registry_idempotent_replays",
            "Requests answered from an earlier one with the same Idempotency-Key.",
            registry=self.registry,
        )
        self.quota_refusals = Counter(
            "registry_quota_refusals",
            "Requests refused (429) for being over their credential's quota, by the kind "
            "of credential: admin, apiKey or user.",
            ("kind",),
            registry=self.registry,
        )
        self.services: Any = None
        self.registry.register(_ServiceCollector(self))

    def response(self) -> Response:
        return Response(generate_latest(self.registry), media_type=CONTENT_TYPE_LATEST)


class _ServiceCollector:
    """Read at each scrape: the read model, its projector and its cache."""

    def __init__(self, metrics: Metrics) -> None:
        self._metrics = metrics

    def collect(self) -> Iterator[Any]:
        services = self._metrics.services
        if services is None:
            return
        yield from _projection(services)
        yield from _writes_and_reads(services)
        yield from _webhooks(services)


def _projection(services: Services) -> Iterator[Any]:
    """Where the read model's projection is, and how its projector fares."""
    position: int | None
    lag: int | None
    try:
        position, lag = services.lag()
    except Exception:  # The database does not answer: no position to report.
        position = lag = None
    if position is not None:
        yield GaugeMetricFamily(
            "registry_projection_position", "Last event the read model includes.", position
        )
        yield GaugeMetricFamily(
            "registry_projection_lag_events", "Events the read model is behind.", lag
        )
    supervisor = services.supervisor
    state = GaugeMetricFamily(
        "registry_projection_state",
        "This process's projector state (1 for the current one).",
        labels=("state",),
    )
    for name in STATES:
        current = supervisor is not None and supervisor.state == name
        state.add_metric((name,), 1.0 if current else 0.0)
    yield state
    if supervisor is not None:
        yield CounterMetricFamily(
            "registry_projection_restarts", "Projector restarts after errors.", supervisor.restarts
        )
    checkpoint = rebuild_checkpoint(services.read_model)
    if checkpoint is not None:
        yield GaugeMetricFamily(
            "registry_rebuild_position",
            "How far a rebuild under way (by any process) has filled its new copy.",
            checkpoint,
        )


def _writes_and_reads(services: Services) -> Iterator[Any]:
    """How commands were committed, how reads were answered, and whether the store is up."""
    transactions, commands = services.registry.commit_counts()
    yield CounterMetricFamily(
        "registry_group_commit_transactions",
        "Transactions that recorded commands (several commands may share one).",
        transactions,
    )
    yield CounterMetricFamily(
        "registry_group_commit_commands", "Commands those transactions recorded.", commands
    )
    cache = services.read_model.cache
    yield CounterMetricFamily("registry_read_cache_hits", "Reads answered from memory.", cache.hits)
    yield CounterMetricFamily(
        "registry_read_cache_misses", "Reads the cache could not answer.", cache.misses
    )
    yield GaugeMetricFamily(
        "registry_store_available",
        "Whether the database answers (1) or not (0).",
        1.0 if services.health.available else 0.0,
    )


def _webhooks(services: Services) -> Iterator[Any]:
    """Delivery attempts by outcome (in the process that delivers), and each endpoint's
    events waiting (from the store, so any process tells)."""
    outcomes = CounterMetricFamily(
        "registry_webhook_deliveries",
        "Webhook delivery attempts by this process, by outcome (delivered; failed: an "
        "answer but not 2xx; timeout: no full answer in time; unreachable: no connection; "
        "refused: not sent, address not allowed or no secret to sign with).",
        labels=("outcome",),
    )
    supervisor = services.webhook_supervisor
    counts = {} if supervisor is None else supervisor.outcomes.counts()
    for outcome in ("delivered", "failed", "timeout", "unreachable", "refused"):
        outcomes.add_metric((outcome,), counts.get(outcome, 0))
    yield outcomes
    try:
        rows = services.webhook_store.lag()
    except Exception:  # The database does not answer: nothing to report.
        return
    lag = GaugeMetricFamily(
        "registry_webhook_lag_events",
        "Events queued for each webhook endpoint and not yet delivered.",
        labels=("endpoint",),
    )
    age = GaugeMetricFamily(
        "registry_webhook_oldest_undelivered_seconds",
        "Age of each endpoint's oldest event not yet delivered (0: none waits).",
        labels=("endpoint",),
    )
    now = time.time()
    for row in rows:
        lag.add_metric((row["endpoint_id"],), row["events"])
        oldest = row["oldest"]
        age.add_metric((row["endpoint_id"],), 0.0 if oldest is None else max(0.0, now - oldest))
    yield lag
    yield age


class MetricsMiddleware:
    """Count and time every HTTP request by the route template it matched."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started, status = time.perf_counter(), 500

        async def send_counted(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                if any(k == b"idempotent-replayed" for k, _ in message.get("headers", [])):
                    self.metrics.replays.inc()
            await send(message)

        try:
            await self.app(scope, receive, send_counted)
        finally:
            route = getattr(scope.get("route"), "path", "unmatched")
            method = scope["method"]
            self.metrics.requests.labels(route, method, str(status)).inc()
            self.metrics.latency.labels(route, method).observe(time.perf_counter() - started)

"""OpenTelemetry tracing, optional: ``pip install 'tenant-registry[tracing]'`` and set
``REGISTRY_TRACING=otlp`` (spans sent to the collector the standard ``OTEL_EXPORTER_OTLP_*``
variables name) or ``console`` (spans printed, to try it). Each request becomes a span
named by its route template, with its status, and with the request id as an attribute."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from domain.context import request_id_cvar

if TYPE_CHECKING:
    from fastapi import FastAPI
    from starlette.types import ASGIApp, Receive, Scope, Send


def instrument(app: FastAPI, exporter_name: str) -> None:
    try:
        from opentelemetry import trace
        from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import (
            BatchSpanProcessor,
            ConsoleSpanExporter,
            SimpleSpanProcessor,
        )
    except ImportError:
        msg = "REGISTRY_TRACING needs the tracing extra: pip install 'tenant-registry[tracing]'"
        raise RuntimeError(msg) from None
    provider = TracerProvider(resource=Resource.create({"service.name": "tenant-registry"}))
    if exporter_name == "console":
        provider.add_span_processor(SimpleSpanProcessor(ConsoleSpanExporter(out=sys.stdout)))
    else:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    if not isinstance(trace.get_tracer_provider(), TracerProvider):  # Set once a process.
        trace.set_tracer_provider(provider)
    FastAPIInstrumentor.instrument_app(app, tracer_provider=provider)
    app.add_middleware(SpanRequestIdMiddleware)


class SpanRequestIdMiddleware:
    """Puts the request id (given or made by ``RequestIdMiddleware``, which runs around
    this one) on the request's span."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        from opentelemetry import trace

        request_id = request_id_cvar.get()
        span = trace.get_current_span()
        if request_id is not None and span.is_recording():
            span.set_attribute("registry.request_id", request_id)
        await self.app(scope, receive, send)

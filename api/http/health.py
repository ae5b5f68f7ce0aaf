"""The service's own routes: liveness and readiness probes, and Prometheus metrics."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import APIRouter, Request, Response
from fastapi.responses import PlainTextResponse

from api.http.errors import error_response
from api.http.schemas import ErrorBody, Health
from projections.runner import stopped_at

if TYPE_CHECKING:
    from fastapi.responses import JSONResponse

    from service.composition import Services

router = APIRouter(tags=["health"])


@router.get(
    "/metrics",
    summary="Prometheus metrics of this process",
    response_class=PlainTextResponse,
    responses={200: {"content": {"text/plain": {}}}},
)
def metrics(request: Request) -> Response:
    response: Response = request.app.state.metrics.response()
    return response


@router.get("/healthz", summary="The process is alive")
def healthz() -> Health:
    return Health(status="ok")


@router.get(
    "/readyz",
    summary="The database answers, the projection runs and the read models are caught up",
    response_model=Health,
    responses={503: {"model": ErrorBody}},
)
def readyz(request: Request) -> Health | JSONResponse:
    services: Services = request.app.state.services
    try:
        position, lag = services.lag()
        failure = services.projection_failure()
    except Exception as error:
        return error_response(
            503, "NOT_READY", "Database unreachable", {"error": type(error).__name__}
        )
    if failure is not None:
        return error_response(
            503,
            "NOT_READY",
            "The read model's projection is failing",
            # Where it stopped, not why: the error may quote event data, and this
            # endpoint answers anyone. `projections status` and the logs say why.
            {"position": position, "lag": lag, "stoppedAt": stopped_at(failure)},
        )
    if lag > request.app.state.settings.ready_max_lag:
        return error_response(
            503,
            "NOT_READY",
            "Read models are behind the event store",
            {"position": position, "lag": lag},
        )
    return Health(status="ready", position=position, lag=lag)

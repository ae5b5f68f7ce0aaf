"""Read-your-writes: a command's route answers once the read models include its write
(``Acknowledgement``), an organization with its ETag, and a keyed command's recorded
outcome when a retry finds it (``domain.command_records``), once reads see it too."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from fastapi.responses import JSONResponse

from api.organizations.schemas import OrganizationEnvelope

if TYPE_CHECKING:
    from fastapi import Request, Response

    from api.http.schemas import ReadYourWrites
    from application.results import Written
    from domain.command_records import CommandRecord
    from projections.queries import ReadModelQueries

log = logging.getLogger("tenant_registry.api")

FEED_POSITION = "X-Feed-Position"
"""On a write's answer: the change-feed position of the last event it recorded (absent when
it recorded nothing). A cache following the feed has the write once it applied that one."""


def recorded_outcome(request: Request, record: CommandRecord) -> JSONResponse:
    """What a keyed command answered when it ran (its status, the organization as it left
    it), for a retry that found it recorded (``domain.command_records``); once reads see it,
    as for any command. The record was committed before this retry began, so reads see it
    once they include every event recorded as of now."""
    services = request.app.state.services
    details = services.registry.get_details(record.organization_id, record.version)
    timeout = request.app.state.settings.consistency_timeout
    target = services.last_event_to_project()
    outcome = wait_for_reads(services.read_model.queries, target, timeout)
    body = OrganizationEnvelope.of(details, outcome).model_dump(mode="json", by_alias=True)
    created = record.kind == "created"
    response = JSONResponse(body, status_code=201 if created else 200)
    response.headers["ETag"] = f'"{record.version}"'
    response.headers["Idempotent-Replayed"] = "true"
    if created:
        response.headers["Location"] = f"/api/v1/organizations/{record.organization_id}"
    if outcome == "timeout":
        response.headers["X-Read-Your-Writes"] = "timeout"
    # At or after the recorded write's: reads include everything up to there.
    reached = target if target is not None else services.read_model.position()
    response.headers[FEED_POSITION] = str(reached)
    return response


def wait_for_reads(
    read_model: ReadModelQueries, position: int | None, timeout: float
) -> ReadYourWrites:
    """``ok`` once the read models include the event at ``position`` (at once for
    ``None``: nothing was written); ``timeout`` if they did not within ``timeout``."""
    if position is None or read_model.wait_for_position(position, timeout):
        return "ok"
    log.warning("read model did not reach position %s in %ss", position, timeout)
    return "timeout"


def organization_response(
    details: dict[str, Any], response: Response, read_your_writes: ReadYourWrites | None = None
) -> OrganizationEnvelope:
    response.headers["ETag"] = f'"{details["version"]}"'
    return OrganizationEnvelope.of(details, read_your_writes)


@dataclass(frozen=True)
class Acknowledgement:
    """How a command's route answers: only once the read models include its write
    (read-your-writes), so that a read right after the response sees the change."""

    read_model: ReadModelQueries
    timeout: float
    response: Response

    def wait(self, written: Written) -> ReadYourWrites:
        """``ok`` once reads see this write; ``timeout`` (and the response's header says
        so) if they did not within the timeout."""
        outcome = wait_for_reads(self.read_model, written.position, self.timeout)
        if written.position is not None:
            self.response.headers[FEED_POSITION] = str(written.position)
        if outcome == "timeout":
            self.response.headers["X-Read-Your-Writes"] = "timeout"
        return outcome

    def organization(self, written: Written) -> OrganizationEnvelope:
        """Wait until reads see this write, then answer with the organization it left."""
        outcome = self.wait(written)
        return organization_response(written.organization, self.response, outcome)

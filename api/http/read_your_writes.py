"""Read-your-writes: a command's route answers once the read models include its write
(``Acknowledgement``), an organization with its ETag, and a keyed command's recorded
outcome when a retry finds it (``domain.command_records``), once reads see it too."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from fastapi.responses import JSONResponse

from api.organizations.schemas import OrganizationEnvelope

if TYPE_CHECKING:
    from fastapi import Request, Response

    from api.http.schemas import ReadYourWrites
    from application.results import Written
    from domain.command_records import CommandRecord
    from projections.queries import OrganizationQueries

log = logging.getLogger("tenant_registry.api")


RECORD_POLL_SECONDS = 0.05


def recorded_outcome(request: Request, record: CommandRecord) -> JSONResponse:
    """What a keyed command answered when it ran (its status, the organization as it left
    it), for a retry that found it recorded (``domain.command_records``); once reads see it,
    as for any command."""
    services = request.app.state.services
    details = services.registry.get_details(record.organization_id, record.version)
    deadline = time.monotonic() + request.app.state.settings.consistency_timeout
    while not _reads_see(services.read_model.queries, record) and time.monotonic() < deadline:
        time.sleep(RECORD_POLL_SECONDS)
    outcome: ReadYourWrites = "ok" if _reads_see(services.read_model.queries, record) else "timeout"
    body = OrganizationEnvelope.of(details, outcome).model_dump(mode="json", by_alias=True)
    created = record.kind == "created"
    response = JSONResponse(body, status_code=201 if created else 200)
    response.headers["ETag"] = f'"{record.version}"'
    response.headers["Idempotent-Replayed"] = "true"
    if created:
        response.headers["Location"] = f"/api/v1/organizations/{record.organization_id}"
    if outcome == "timeout":
        response.headers["X-Read-Your-Writes"] = "timeout"
    return response


def _reads_see(read_model: OrganizationQueries, record: CommandRecord) -> bool:
    found = read_model.get_organization(record.organization_id)
    return found is not None and found["version"] >= record.version


def organization_response(
    details: dict[str, Any], response: Response, read_your_writes: ReadYourWrites | None = None
) -> OrganizationEnvelope:
    response.headers["ETag"] = f'"{details["version"]}"'
    return OrganizationEnvelope.of(details, read_your_writes)


@dataclass(frozen=True)
class Acknowledgement:
    """How a command's route answers: only once the read models include its write
    (read-your-writes), so that a read right after the response sees the change."""

    read_model: OrganizationQueries
    timeout: float
    response: Response

    def wait(self, written: Written) -> ReadYourWrites:
        """``ok`` once reads see this write; ``timeout`` (and the response's header says
        so) if they did not within the timeout."""
        position = written.position
        if position is not None and not self.read_model.wait_for_position(position, self.timeout):
            log.warning("read model did not reach position %s in %ss", position, self.timeout)
            self.response.headers["X-Read-Your-Writes"] = "timeout"
            return "timeout"
        return "ok"

    def organization(self, written: Written) -> OrganizationEnvelope:
        """Wait until reads see this write, then answer with the organization it left."""
        outcome = self.wait(written)
        return organization_response(written.organization, self.response, outcome)

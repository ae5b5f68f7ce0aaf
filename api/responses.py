"""Turns a command's result into its HTTP response, once the read models include it."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from api.schemas import OrganizationEnvelope, ReadYourWrites

if TYPE_CHECKING:
    from fastapi import Response

    from domain.commands import Written
    from projections.interface import OrganizationLookupView

log = logging.getLogger("tenant_registry.api")


def organization_response(
    details: dict[str, Any], response: Response, read_your_writes: ReadYourWrites | None = None
) -> OrganizationEnvelope:
    response.headers["ETag"] = f'"{details["version"]}"'
    return OrganizationEnvelope.of(details, read_your_writes)


@dataclass(frozen=True)
class Acknowledgement:
    """How a command's route answers: only once the read models include its write
    (read-your-writes), so that a read right after the response sees the change."""

    view: OrganizationLookupView
    timeout: float
    response: Response

    def wait(self, written: Written) -> ReadYourWrites:
        """``ok`` once reads see this write; ``timeout`` (and the response's header says
        so) if they did not within the timeout."""
        position = written.position
        if position is not None and not self.view.wait_for_position(position, self.timeout):
            log.warning("read model did not reach position %s in %ss", position, self.timeout)
            self.response.headers["X-Read-Your-Writes"] = "timeout"
            return "timeout"
        return "ok"

    def organization(self, written: Written) -> OrganizationEnvelope:
        """Wait until reads see this write, then answer with the organization it left."""
        outcome = self.wait(written)
        return organization_response(written.organization, self.response, outcome)

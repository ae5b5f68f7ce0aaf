"""Turns a command's result into its HTTP response, once the read models include it."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from api.schemas import OrganizationEnvelope

if TYPE_CHECKING:
    from fastapi import Response

    from domain.commands import Written
    from projections.interface import OrganizationLookupView

log = logging.getLogger("tenant_registry.api")


def organization_response(details: dict[str, Any], response: Response) -> OrganizationEnvelope:
    response.headers["ETag"] = f'"{details["version"]}"'
    return OrganizationEnvelope.of(details)


def await_read_models(
    written: Written, view: OrganizationLookupView, timeout: float, response: Response
) -> None:
    """Return once reads see this write (read-your-writes), or mark the response if they
    did not within ``timeout``."""
    if written.position is not None and not view.wait_for_position(written.position, timeout):
        log.warning("read model did not reach position %s in %ss", written.position, timeout)
        response.headers["X-Read-Your-Writes"] = "timeout"


def written_response(
    written: Written, view: OrganizationLookupView, timeout: float, response: Response
) -> OrganizationEnvelope:
    """Wait until reads see this write, then answer with its result."""
    await_read_models(written, view, timeout, response)
    return organization_response(written.organization, response)

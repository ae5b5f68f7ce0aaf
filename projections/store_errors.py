"""Errors that say the database did not answer, as opposed to an event or a command at fault.

Requests meeting one answer 503 ``STORE_UNAVAILABLE``; a projector meeting one waits and
tries again, without blaming the event it was projecting.
"""

from __future__ import annotations

from eventsourcing.persistence import InterfaceError, OperationalError


class StoreUnavailableError(Exception):
    """The database does not answer; nothing was sent to it."""


STORE_ERRORS = (StoreUnavailableError, OperationalError, InterfaceError)

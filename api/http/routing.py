"""What the route modules share: the organizations' path prefix, and the error responses
every route may give (each operation's own list is completed in ``api.http.openapi``)."""

from __future__ import annotations

from api.http.schemas import ErrorBody

PREFIX = "/api/v1/organizations"
MAX_POSITION = 2**63 - 1
"""The highest position a store can hold (a signed 64-bit integer)."""
ERRORS = {code: {"model": ErrorBody} for code in (400, 401, 403, 404, 409, 412, 413, 500)}

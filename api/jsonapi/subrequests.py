"""A read the JSON:API layer asks of the routes themselves, in the JSON form, with the
client's own credentials: what a compound document includes is exactly what the member,
role and key routes answer that client (their permission checks, their fields, never a
secret), and the current organization is the one ``/current`` names for it."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from api.http.recording import RecordedResponse

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Message, Scope

NOT_FORWARDED = frozenset(
    {
        b"accept",
        b"content-type",
        b"content-length",
        b"if-none-match",
        b"if-match",
        b"idempotency-key",
        b"x-change-reason",
    }
)
"""What concerns the client's own request only, not a read made for it."""


def read_scope(scope: Scope, path: str, query: str = "") -> Scope:
    """A ``GET`` of ``path`` in the JSON form, with the request's credentials and context."""
    headers = [(k, v) for k, v in scope["headers"] if k.lower() not in NOT_FORWARDED]
    return {
        **scope,
        "method": "GET",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "headers": [*headers, (b"accept", b"application/json")],
    }


async def get_json(app: ASGIApp, scope: Scope, path: str, query: str = "") -> tuple[int, Any]:
    """The status and JSON body the app answers a ``GET`` of ``path`` for this client."""
    answer = RecordedResponse()

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    await app(read_scope(scope, path, query), receive, answer)
    try:
        return answer.status, json.loads(answer.body)
    except ValueError:
        return answer.status, {}

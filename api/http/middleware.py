"""ASGI middleware: request ids (and the change reason) on every request, conditional
GETs, the request body size limit; and how middleware reads a body and answers JSON."""

from __future__ import annotations

import json
import logging
import re
import uuid
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from api.http.errors import error_body, validation_body
from domain.context import reason_cvar, request_id_cvar
from domain.errors import InvalidValueError
from domain.organizations.validation import check_reason
from domain.storable import text_problem

if TYPE_CHECKING:
    from collections.abc import Mapping

    from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("tenant_registry.api")

_CLIENT_ID = re.compile(r"[A-Za-z0-9._:/+=-]{1,128}")


class RequestIdMiddleware:
    """Echo a well-formed client ``X-Request-Id`` or make one; events record it, and the
    reason given in ``X-Change-Reason`` (up to 1000 characters; a longer one is 400).

    It also turns any unexpected exception into a 500 ``INTERNAL_ERROR`` that carries
    the request id, and logs the exception with that id.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = ensure_request_id(scope)
        headers = dict(scope["headers"])
        started = False

        async def send_with_id(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message.setdefault("headers", [])
                message["headers"] = [
                    *message["headers"],
                    (b"x-request-id", request_id.encode()),
                ]
            await send(message)

        reason = headers.get(b"x-change-reason", b"").decode("utf-8", "replace").strip()
        fields = _header_and_query_problems(scope, reason)
        if fields:
            await send_json(send_with_id, 400, validation_body(fields))
            return
        token = request_id_cvar.set(request_id)
        reason_token = reason_cvar.set(reason or None)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            log.exception(
                "unexpected error on %s %s (request %s)", scope["method"], scope["path"], request_id
            )
            if started:
                raise
            await send_json(send_with_id, 500, INTERNAL_ERROR)
        finally:
            reason_cvar.reset(reason_token)
            request_id_cvar.reset(token)


def ensure_request_id(scope: Scope) -> str:
    """The request's id: the client's ``X-Request-Id`` if well-formed, else a new one,
    written into the scope's headers (in place: the router's match must reach the metrics)
    so that every read made for this request (JSON:API's) runs, and is logged, under it."""
    headers: dict[bytes, bytes] = dict(scope["headers"])
    given = headers.get(b"x-request-id", b"").decode("latin-1")
    if _CLIENT_ID.fullmatch(given):
        return given
    request_id = uuid.uuid4().hex
    kept = [(k, v) for k, v in scope["headers"] if k != b"x-request-id"]
    scope["headers"] = [*kept, (b"x-request-id", request_id.encode())]
    return request_id


def _header_and_query_problems(scope: Scope, reason: str) -> list[dict[str, str]]:
    """What no handler could store: a query parameter no store holds, or a change reason
    beyond its rules."""
    fields = _unstorable_query(scope.get("query_string", b""))
    try:
        check_reason(reason)
    except InvalidValueError as e:
        fields.append({"field": "X-Change-Reason", "message": str(e)})
    return fields


class ConditionalGetMiddleware:
    """``If-None-Match`` on reads: a 200 whose ``ETag`` (the organization's version) is one
    the client names becomes 304 Not Modified, with no body (RFC 9110 section 13.1.2)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        given = dict(scope.get("headers", [])).get(b"if-none-match")
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD") or given is None:
            await self.app(scope, receive, send)
            return
        wanted = {_opaque(tag) for tag in given.split(b",")}
        not_modified = False

        async def send_conditional(message: Message) -> None:
            nonlocal not_modified
            if message["type"] == "http.response.start" and message["status"] == 200:
                headers = message.get("headers", [])
                etag = next((v for k, v in headers if k.lower() == b"etag"), None)
                if etag is not None and (_opaque(etag) in wanted or b"*" in wanted):
                    not_modified = True
                    kept = [(k, v) for k, v in headers if k.lower() in _KEPT_ON_304]
                    await send({"type": "http.response.start", "status": 304, "headers": kept})
                    return
            if not_modified and message["type"] == "http.response.body":
                if not message.get("more_body", False):
                    await send({"type": "http.response.body", "body": b""})
                return
            await send(message)

        await self.app(scope, receive, send_conditional)


_KEPT_ON_304 = frozenset({b"etag", b"cache-control", b"x-request-id", b"vary"})


def _opaque(tag: bytes) -> bytes:
    """An entity tag compared weakly: without ``W/`` and surrounding spaces."""
    tag = tag.strip()
    return tag[2:] if tag.startswith(b"W/") else tag


def _unstorable_query(query_string: bytes) -> list[dict[str, str]]:
    """The query parameters holding text no store can compare against (NUL), named; they
    are refused before any route sees them, as every field of a body is."""
    if b"%00" not in query_string.lower() and b"\x00" not in query_string:
        return []
    return [
        {"field": name, "message": problem}
        for name, value in parse_qsl(query_string.decode("latin-1"), keep_blank_values=True)
        if (problem := text_problem(name + value)) is not None
    ]


class BodyLimitMiddleware:
    """Refuse request bodies over ``max_bytes`` with 413, before any handler runs."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(send)
            return
        try:
            body = await read_body(receive, self.max_bytes)
        except ClientDisconnectedError:
            return  # Nobody to answer; nothing runs.
        if body is None:
            await self._refuse(send)
            return
        await self.app(scope, replaying(body, receive), send)

    async def _refuse(self, send: Send) -> None:
        error = error_body(
            "PAYLOAD_TOO_LARGE",
            f"Request body is over {self.max_bytes} bytes",
            {"maxBytes": self.max_bytes},
        )
        await send_json(send, 413, error, close=True)


INTERNAL_ERROR = error_body("INTERNAL_ERROR", "Internal error; quote the X-Request-Id header")


async def send_json(
    send: Send,
    status: int,
    body: Mapping[str, Any],
    *,
    close: bool = False,
    headers: Mapping[str, str] | None = None,
) -> None:
    raw = json.dumps(body).encode()
    sent = [(b"content-type", b"application/json"), (b"content-length", str(len(raw)).encode())]
    if close:
        sent.append((b"connection", b"close"))
    sent += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": sent})
    await send({"type": "http.response.body", "body": raw})


class ClientDisconnectedError(Exception):
    """The client went away (or was cut off) before its whole body arrived."""


async def read_body(receive: Receive, max_bytes: int | None = None) -> bytes | None:
    """The whole request body; ``None`` once it grows past ``max_bytes``;
    ``ClientDisconnectedError`` if the client goes before sending all of it (a partial body
    must never run as if it were whole)."""
    chunks, size, more = [], 0, True
    while more:
        message = await receive()
        if message["type"] != "http.request":
            raise ClientDisconnectedError
        chunk = message.get("body", b"")
        size += len(chunk)
        if max_bytes is not None and size > max_bytes:
            return None
        chunks.append(chunk)
        more = message.get("more_body", False)
    return b"".join(chunks)


def replaying(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that hands the app a body already read, then listens on."""
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if replayed:
            return await receive()
        replayed = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay

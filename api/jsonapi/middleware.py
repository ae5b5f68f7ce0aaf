"""JSON:API on request, as two ASGI middlewares around the routes, which keep speaking
the JSON form only (so idempotent replays, recorded outcomes and every middleware's errors
are converted as the routes' answers are).

- ``JsonApiRequestMiddleware`` (inside the body limit, outside idempotency) refuses what
  the specification refuses (406, 415, unknown ``include`` or ``fields``) and turns a
  request document into the JSON body the routes take.
- ``JsonApiResponseMiddleware`` (outermost but for metrics) turns the JSON form of an
  organization endpoint's answer into a JSON:API document, for a client whose ``Accept``
  asks for one; without that ``Accept`` nothing is changed.
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any

from api.http.errors import error_body, validation_body
from api.http.middleware import (
    INTERNAL_ERROR,
    ensure_request_id,
    read_body,
    replaying,
    send_json,
)
from api.http.recording import RecordedResponse
from api.jsonapi import documents, etags, included, media, query
from api.jsonapi.errors import Request, errors_document
from api.jsonapi.subrequests import get_json
from api.jsonapi.writes import DocumentRefusedError, plain_body
from domain.context import request_id_cvar

if TYPE_CHECKING:
    import re

    from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("tenant_registry.api")

NOT_ACCEPTABLE = error_body(
    "NOT_ACCEPTABLE",
    "Accept names the JSON:API media type only with parameters this service does not "
    "support (it supports no extension)",
)
UNSUPPORTED = error_body(
    "UNSUPPORTED_MEDIA_TYPE",
    "The JSON:API media type of Content-Type may carry no parameter but profile here "
    "(this service supports no extension)",
)
NO_DOCUMENT = error_body(
    "UNSUPPORTED_MEDIA_TYPE",
    "JSON:API documents are taken by create (POST) and update (PATCH) only",
)


BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
"""The methods whose body a ``Content-Type`` describes (clients send one on reads too)."""


def _sends_document(scope: Scope, headers: dict[bytes, bytes]) -> bool:
    return scope["method"] in BODY_METHODS and media.sends_document(headers)


def _takes_document(method: str, match: re.Match[str]) -> bool:
    named = match.group("id")
    return (method == "POST" and named is None) or (
        method == "PATCH" and named not in (None, "lookup")
    )


def _refusal(scope: Scope, headers: dict[bytes, bytes], match: re.Match[str]) -> Any:
    """The status and body of what the specification refuses, if anything."""
    if media.not_acceptable(headers):
        return 406, NOT_ACCEPTABLE
    if _sends_document(scope, headers) and media.unsupported_document(headers):
        return 415, UNSUPPORTED
    if _sends_document(scope, headers) and not _takes_document(scope["method"], match):
        return 415, NO_DOCUMENT
    if media.wants_jsonapi(headers) and (found := _query_problems(scope)):
        return 400, validation_body(found)
    return None


def _query_problems(scope: Scope) -> list[dict[str, str]]:
    taken = query.route_parameters(scope)
    found = query.problems(scope["query_string"])
    if taken is not None:
        found += query.parameter_problems(scope["query_string"], taken)
    return found


def _as_json(scope: Scope, body: bytes) -> Scope:
    kept = [(k, v) for k, v in scope["headers"] if k not in (b"content-type", b"content-length")]
    sent = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    return {**scope, "headers": [*kept, *sent]}


class JsonApiRequestMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        match = media.organization_path(scope["path"])
        headers = media.request_headers(scope["headers"])
        if match is None:
            # FastAPI would read a document as the JSON body of any other route.
            if _sends_document(scope, headers):
                await send_json(send, 415, NO_DOCUMENT)
            else:
                await self.app(scope, receive, send)
            return
        refusal = _refusal(scope, headers, match)
        if refusal is not None:
            await send_json(send, *refusal)
            return
        # In place: the answer's links keep the client's query.
        scope["headers"] = etags.conditions(scope["headers"], media.wants_jsonapi(headers))
        if media.wants_jsonapi(headers):
            scope["query_string"] = query.plain_query(scope["query_string"])
        if not _sends_document(scope, headers):
            await self.app(scope, receive, send)
            return
        raw = await read_body(receive) or b""
        try:
            body = plain_body(raw, scope["method"], await self._expected_id(scope, match))
        except DocumentRefusedError as refused:
            await send_json(send, refused.status, refused.body)
            return
        await self.app(_as_json(scope, body), replaying(body, receive), send)

    async def _expected_id(self, scope: Scope, match: re.Match[str]) -> str | None:
        """The id a patch's document must hold: the path's, or the current organization's
        (as ``/current`` names it for this client; ``None`` if it names none)."""
        if match.group("id") != "current":
            return media.path_id(match)
        status, body = await get_json(self.app, scope, f"{documents.PREFIX}/current")
        return str(body["organization"]["id"]) if status == 200 else None


class JsonApiResponseMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        match = media.organization_path(scope["path"]) if scope["type"] == "http" else None
        if match is None:
            await self.app(scope, receive, send)
            return
        if not media.wants_jsonapi(media.request_headers(scope["headers"])):
            await self.app(scope, receive, _varying(send))
            return
        # Chosen here, outside the request-id middleware: the reads made for the document,
        # this layer's logs and its own 500 carry the id the answer carries.
        request_id = ensure_request_id(scope)
        token = request_id_cvar.set(request_id)
        sent = False

        async def send_once(message: Message) -> None:
            nonlocal sent
            sent = True
            await send(message)

        try:
            await self._translated(scope, receive, send_once)
        except Exception:
            log.exception("unexpected error in the JSON:API answer to %s", scope["path"])
            if sent:
                raise
            await self._internal_error(scope, request_id, send)
        finally:
            request_id_cvar.reset(token)

    async def _translated(self, scope: Scope, receive: Receive, send: Send) -> None:
        unrouted = dict(scope)  # The router writes its match into the scope it is given.
        answer = RecordedResponse()
        await self.app(scope, receive, answer)
        if answer.start:  # Nothing was answered (the client went away): nothing to translate.
            await self._answer(unrouted, answer.start, answer.body, send)

    async def _answer(self, scope: Scope, started: dict[str, Any], body: bytes, send: Send) -> None:
        headers = [(k, v) for k, v in started.get("headers", [])]
        status = started["status"]
        kind = dict(headers).get(b"content-type", b"")
        if body and kind.startswith(b"application/json"):
            status, document = await self._document(scope, status, json.loads(body))
            if document is not None:
                body = json.dumps(document, separators=(",", ":")).encode()
                headers = _document_headers(headers, len(body))
        headers = etags.negotiated(headers, jsonapi=True)
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def _document(
        self, scope: Scope, status: int, payload: Any
    ) -> tuple[int, dict[str, Any] | None]:
        if status >= 400:
            return status, self._errors(scope, status, payload)
        asked = query.requested(scope["query_string"])
        path, query_string = scope["path"], scope["query_string"].decode("latin-1")
        if isinstance(payload, dict) and "organization" in payload:
            link = f"{path}?{query_string}" if query_string else path
            document = documents.single(payload, asked.fieldsets, link)
            resources = [document["data"]]
        elif isinstance(payload, dict) and "organizations" in payload:
            document = documents.collection(payload, asked.fieldsets, path, query_string)
            resources = document["data"]
        else:
            return status, None
        if asked.include:
            await self._include(scope, document, resources, asked)
        return status, document

    async def _include(
        self,
        scope: Scope,
        document: dict[str, Any],
        resources: list[dict[str, Any]],
        asked: query.Requested,
    ) -> None:
        # One page of members for each organization of a list page (the work is bounded).
        pages = 1 if isinstance(document["data"], list) else included.MAX_MEMBER_PAGES
        reader = included.Reader(self.app, scope, member_pages=pages)
        found = [
            r
            for res in resources
            for r in await included.include(reader, res, asked.include, asked.fieldsets)
        ]
        document["included"] = included.unique(found)
        if not reader.complete:
            document["meta"] = {**document.get("meta", {}), "complete": False}

    async def _internal_error(self, scope: Scope, request_id: str, send: Send) -> None:
        body = json.dumps(self._errors(scope, 500, INTERNAL_ERROR)).encode()
        headers = [*_document_headers([], len(body)), (b"x-request-id", request_id.encode())]
        headers = etags.negotiated(headers, jsonapi=True)
        await send({"type": "http.response.start", "status": 500, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    def _errors(self, scope: Scope, status: int, payload: Any) -> dict[str, Any]:
        headers = media.request_headers(scope["headers"])
        sent = Request(
            parameters=frozenset(query.parameter_names(scope["query_string"])),
            headers=frozenset(k.decode("latin-1").lower() for k in headers),
            document=_sends_document(scope, headers),
        )
        body = payload if isinstance(payload, dict) else {}
        return errors_document(status, body, sent)


def _document_headers(headers: list[tuple[bytes, bytes]], length: int) -> list[tuple[bytes, bytes]]:
    kept = [(k, v) for k, v in headers if k.lower() not in (b"content-type", b"content-length")]
    return [
        *kept,
        (b"content-type", media.MEDIA_TYPE.encode()),
        (b"content-length", str(length).encode()),
    ]


def _varying(send: Send) -> Send:
    """``send`` adding ``Vary: Accept`` to the JSON form of an organization endpoint."""

    async def send_varying(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = etags.negotiated(list(message.get("headers", [])), jsonapi=False)
            message = {**message, "headers": headers}
        await send(message)

    return send_varying

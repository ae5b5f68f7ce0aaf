"""Our error body (``{"message", "code", "details"}``) as JSON:API error objects: the same
status and code; ``title`` the message; one object per field of a ``VALIDATION_ERROR``,
its ``source`` the attribute of the request document (``pointer``), the query parameter
(``parameter``) or the header (``header``) it names; the other details as ``meta``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from api.jsonapi.documents import JSONAPI, attribute_name


@dataclass(frozen=True)
class Request:
    """What a request sent, to name the source of each error."""

    parameters: frozenset[str]
    headers: frozenset[str]
    """Lowercase."""
    document: bool
    """Whether its body was a JSON:API document."""


def pointer_token(token: str) -> str:
    """A JSON Pointer reference token (RFC 6901)."""
    return token.replace("~", "~0").replace("/", "~1")


def source(field: str, request: Request) -> dict[str, str] | None:
    """Where in the request the field an error names is."""
    if field.startswith("/"):  # Already a pointer into the document.
        return {"pointer": field}
    if field in request.parameters:
        return {"parameter": field}
    if field.lower() in request.headers:
        return {"header": field}
    if not request.document:
        return None
    head, *rest = field.split(".")
    if head == "body":
        return {"pointer": "/data"}
    tokens = [attribute_name(head), *rest]
    return {"pointer": "/data/attributes/" + "/".join(pointer_token(t) for t in tokens)}


def error_objects(status: int, body: dict[str, Any], request: Request) -> list[dict[str, Any]]:
    common = {"status": str(status), "code": str(body.get("code", "HTTP_ERROR"))}
    title = str(body.get("message", ""))
    details = dict(body.get("details") or {})
    fields = details.pop("fields", None)
    if not fields:
        found = {**common, "title": title, "detail": title}
        return [{**found, "meta": details} if details else found]
    objects = []
    for problem in fields:
        where = source(str(problem["field"]), request)
        named = _named(str(problem["field"]), where)
        found = {**common, "title": title, "detail": f"{named}: {problem['message']}"}
        objects.append({**found, "source": where} if where else found)
    return objects


def _named(field: str, where: dict[str, str] | None) -> str:
    """The field as the client named it: an attribute by its JSON:API name."""
    pointer = (where or {}).get("pointer", "")
    prefix = "/data/attributes/"
    return pointer.removeprefix(prefix).replace("/", ".") if pointer.startswith(prefix) else field


def errors_document(status: int, body: dict[str, Any], request: Request) -> dict[str, Any]:
    return {"jsonapi": JSONAPI, "errors": error_objects(status, body, request)}

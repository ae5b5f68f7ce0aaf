"""Which requests speak JSON:API (1.1, "Content Negotiation"): the media type in ``Accept``
and ``Content-Type``, and the organization endpoints that answer it.

A JSON:API media type may carry ``ext`` and ``profile`` only. This service supports no
extension, so an ``ext`` is as unacceptable as any other parameter; a ``profile`` is
ignored, as the specification allows. ``q`` weighs a range of ``Accept`` and is no
parameter of the media type; a range weighed ``q=0`` is one the client does not accept.
Several ``Accept`` headers are one list.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping

MEDIA_TYPE = "application/vnd.api+json"
ORGANIZATION_PATH = re.compile(r"^/api/v1/organizations(?:/(?P<id>[^/]+))?$")
"""The organization endpoints: the collection, one organization, ``lookup``, ``current``."""
NOT_AN_ID = frozenset({"lookup", "current"})
IGNORED_PARAMETERS = frozenset({"profile", "q"})


def request_headers(raw: list[tuple[bytes, bytes]]) -> dict[bytes, bytes]:
    """A request's headers by name; a header sent several times (``Accept``) as one, its
    values joined by commas (RFC 9110 section 5.3)."""
    found: dict[bytes, bytes] = {}
    for name, value in raw:
        found[name] = found[name] + b", " + value if name in found else value
    return found


def _weighed_zero(parameters: list[str]) -> bool:
    """``q=0``: the range is not acceptable (RFC 9110 section 12.4.2)."""
    for parameter in parameters:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "q":
            try:
                return float(value.strip()) == 0
            except ValueError:
                return False
    return False


def _ranges(header: str) -> list[tuple[str, set[str]]]:
    """Each media range of a header that is not weighed ``q=0``: its type and the names of
    its parameters."""
    found = []
    for item in header.split(","):
        kind, *parameters = item.split(";")
        if _weighed_zero(parameters):
            continue
        names = {p.partition("=")[0].strip().lower() for p in parameters if p.strip()}
        found.append((kind.strip().lower(), names))
    return found or [("", set())]


def _acceptable(parameters: set[str]) -> bool:
    return parameters <= IGNORED_PARAMETERS


def wants_jsonapi(headers: Mapping[bytes, bytes]) -> bool:
    """Whether ``Accept`` names the JSON:API media type in a form this service answers."""
    accept = headers.get(b"accept", b"").decode("latin-1")
    return any(k == MEDIA_TYPE and _acceptable(p) for k, p in _ranges(accept))


def not_acceptable(headers: Mapping[bytes, bytes]) -> bool:
    """406: ``Accept`` names the JSON:API media type, each time with a parameter (an
    extension included) this service does not support."""
    accept = headers.get(b"accept", b"").decode("latin-1")
    instances = [p for k, p in _ranges(accept) if k == MEDIA_TYPE]
    return bool(instances) and not any(_acceptable(p) for p in instances)


def sends_document(headers: Mapping[bytes, bytes]) -> bool:
    """Whether the body is declared a JSON:API document (with any parameters)."""
    content_type = headers.get(b"content-type", b"").decode("latin-1")
    return _ranges(content_type)[0][0] == MEDIA_TYPE


def unsupported_document(headers: Mapping[bytes, bytes]) -> bool:
    """415: the body is a JSON:API document whose media type carries a parameter other
    than ``profile`` (an extension included)."""
    content_type = headers.get(b"content-type", b"").decode("latin-1")
    kind, parameters = _ranges(content_type)[0]
    return kind == MEDIA_TYPE and not parameters <= {"profile"}


def organization_path(path: str) -> re.Match[str] | None:
    """The match of an organization endpoint's path; ``None`` for any other path."""
    return ORGANIZATION_PATH.match(path)


def path_id(match: re.Match[str]) -> str | None:
    """The organization id a path names (not ``lookup`` or ``current``)."""
    named = match.group("id")
    return None if named is None or named in NOT_AN_ID else named

"""Each form of an organization its own entity tag: the JSON form's is the version
(``"2"``), the JSON:API document's the version marked ``;jsonapi`` (``"2;jsonapi"``), so that
a cache keeps the two apart (with ``Vary: Accept`` on every answer of these endpoints).

Conditions name either form: ``If-Match`` compares versions, whichever form's tag it
holds (a lost update is the same in both forms); ``If-None-Match`` of a JSON:API request
matches JSON:API tags only (a tag of the JSON form names another representation)."""

from __future__ import annotations

MARK = b";jsonapi"

Headers = list[tuple[bytes, bytes]]


def _marked(tag: bytes) -> bool:
    return tag.strip().endswith(MARK + b'"')


def _unmarked(tag: bytes) -> bytes:
    tag = tag.strip()
    return tag[: -len(MARK) - 1] + b'"' if _marked(tag) else tag


def _none_match(value: bytes) -> bytes:
    """A JSON:API request's ``If-None-Match`` as the routes compare it: its JSON:API tags
    as versions, ``*`` kept, the JSON form's tags dropped."""
    tags = [tag.strip() for tag in value.split(b",")]
    return b", ".join(_unmarked(tag) for tag in tags if tag == b"*" or _marked(tag))


def conditions(headers: Headers, jsonapi: bool) -> Headers:
    """The request's headers with its conditions as the routes compare them."""
    found: Headers = []
    for name, value in headers:
        if name == b"if-match":
            found.append((name, b", ".join(_unmarked(t) for t in value.split(b","))))
        elif name == b"if-none-match" and jsonapi:
            if kept := _none_match(value):
                found.append((name, kept))
        else:
            found.append((name, value))
    return found


def negotiated(headers: Headers, jsonapi: bool) -> Headers:
    """An answer's headers with ``Vary: Accept`` and, for a JSON:API answer, its own tag."""
    found: Headers = []
    for name, value in headers:
        if name.lower() == b"etag" and jsonapi and value.endswith(b'"'):
            found.append((name, value[:-1] + MARK + b'"'))
        elif name.lower() != b"vary":
            found.append((name, value))
    varies = [v for k, v in headers if k.lower() == b"vary"]
    if not any(b"accept" in [n.strip() for n in v.lower().split(b",")] for v in varies):
        varies.append(b"Accept")
    return [*found, (b"vary", b", ".join(varies))]

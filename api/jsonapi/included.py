"""Compound documents: the memberships, roles, permissions and API credentials of each
organization a document holds, read through their own routes for the same client
(``api.jsonapi.subrequests``).

A relationship the client may not read (a key or a user lacking the permission of its
route: 403 there), or whose read failed on the server's side (5xx, logged), is left out:
its relationship says why in ``meta.omitted`` (the status and code its route answered),
and the rest of the document is answered. An include never turns an answer into an
error: a write that was saved is answered as saved.

The work is bounded: memberships are read ``MEMBER_PAGE_SIZE`` at a time, up to
``MAX_MEMBER_PAGES`` pages for one organization and one page for each of a list page's; a
request includes at most ``MAX_INCLUDED`` resources (counted before de-duplication). A
relationship cut short says ``meta.complete: false`` (its ``links.related`` lists them all),
and so does the document. Memberships are
included up to ``MAX_MEMBER_PAGES`` pages of 100; beyond, ``meta.complete`` is false and
``links.related`` lists them all.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from api.jsonapi import documents
from api.jsonapi.documents import PREFIX, RELATED, Fieldsets
from api.jsonapi.subrequests import get_json

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Scope

log = logging.getLogger("tenant_registry.api")

MAX_MEMBER_PAGES = 10
MEMBER_PAGE_SIZE = 100
MAX_INCLUDED = 1_000


@dataclass
class Reader:
    """Reads the related lists of one request's organizations, each route once."""

    app: ASGIApp
    scope: Scope
    member_pages: int = field(default_factory=lambda: MAX_MEMBER_PAGES)
    budget: int = field(default_factory=lambda: MAX_INCLUDED)
    """How many more resources this request may include."""
    complete: bool = True
    """Whether every relationship was included whole."""
    read: dict[str, tuple[int, dict[str, Any]]] = field(default_factory=dict)

    async def listing(self, org_id: str, name: str) -> tuple[int, dict[str, Any]]:
        path = f"{PREFIX}/{org_id}/{RELATED[name][0]}"
        if path not in self.read:
            self.read[path] = await self._read(path, name)
        return self.read[path]

    async def _read(self, path: str, name: str) -> tuple[int, dict[str, Any]]:
        key = RELATED[name][1]
        query = urlencode({"limit": MEMBER_PAGE_SIZE}) if name == "memberships" else ""
        status, body = await get_json(self.app, self.scope, path, query)
        pages, items = 1, list(body.get(key) or [])
        while status == 200 and body.get("nextCursor") and pages < self.member_pages:
            query = urlencode({"limit": MEMBER_PAGE_SIZE, "cursor": body["nextCursor"]})
            status, body = await get_json(self.app, self.scope, path, query)
            pages, items = pages + 1, items + list(body.get(key) or [])
        if status >= 500:
            log.error("include: %s answered %s; left out of the document", path, status)
        complete = status != 200 or not body.get("nextCursor")
        return status, {**body, key: items, "complete": complete}


def _resources(
    org_id: str, name: str, payload: dict[str, Any], fieldsets: Fieldsets
) -> list[dict[str, Any]]:
    items = payload[RELATED[name][1]]
    if name == "memberships":
        return documents.members(items, fieldsets)
    if name == "roles":
        return documents.roles(org_id, items, fieldsets)
    if name == "permissions":
        return documents.permissions(items, fieldsets)
    return documents.api_credentials(items, fieldsets)


async def include(
    reader: Reader, resource: dict[str, Any], names: tuple[str, ...], fieldsets: Fieldsets
) -> list[dict[str, Any]]:
    """The resources ``names`` relate to ``resource``, linked from its relationships
    (``data``), or each relationship's reason for leaving them out (``meta.omitted``)."""
    included: list[dict[str, Any]] = []
    shown = fieldsets.get(documents.TYPE)
    for name in names:
        status, payload = await reader.listing(resource["id"], name)
        # A sparse fieldset without the relationship shows no linkage (JSON:API allows it).
        linked = shown is None or name in shown
        relationship = resource["relationships"].setdefault(name, {}) if linked else {}
        if status != 200:
            code = str(payload.get("code", "HTTP_ERROR"))
            relationship["meta"] = {"omitted": {"status": str(status), "code": code}}
            continue
        found = _resources(resource["id"], name, payload, fieldsets)
        kept = found[: max(reader.budget, 0)]
        reader.budget -= len(kept)
        relationship["data"] = documents.linkage(kept)
        if not payload["complete"] or len(kept) < len(found):
            relationship["meta"] = {"complete": False}
            reader.complete = False
        included += kept
    return included


def unique(resources: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each resource once (a permission is granted in several organizations)."""
    seen: dict[tuple[str, str], dict[str, Any]] = {}
    for found in resources:
        seen.setdefault((found["type"], found["id"]), found)
    return list(seen.values())

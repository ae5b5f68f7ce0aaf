"""JSON:API documents made from the API's JSON form: an organization as seed 001's
resource object (``type: "organizations"``, snake_case attributes, ``config`` for our
``settings``), a page of them, the resources a compound document includes (memberships,
roles, permissions, api_credentials), and error objects carrying our codes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode

from pydantic.alias_generators import to_camel, to_snake

if TYPE_CHECKING:
    from pydantic import BaseModel

TYPE = "organizations"
JSONAPI = {"version": "1.1"}
PREFIX = "/api/v1/organizations"
RELATED = {
    "memberships": ("members", "members"),
    "roles": ("roles", "roles"),
    "permissions": ("roles", "roles"),
    "api_credentials": ("api-keys", "apiKeys"),
}
"""Each relationship of an organization: the path (below it) of its related resources, and
the key of their list in the JSON form there. The permissions an organization knows are
those its roles grant, so they are read there."""
RENAMED = {"settings": "config"}
"""Our fields that seed 001 names otherwise; every other attribute is our field in
snake_case."""

Fieldsets = dict[str, frozenset[str]]
"""``fields[TYPE]=a,b``: the attributes and relationships to show of each type."""


def attribute_name(field: str) -> str:
    """Our camelCase field -> its JSON:API attribute (``settings`` -> ``config``)."""
    return RENAMED.get(field, to_snake(field))


def field_name(attribute: str) -> str:
    """A JSON:API attribute -> our camelCase field (``config`` -> ``settings``)."""
    back = {name: field for field, name in RENAMED.items()}
    return back.get(attribute, to_camel(attribute))


def attributes(model: type[BaseModel]) -> frozenset[str]:
    """The JSON:API attributes of one of our models: its fields, renamed."""
    return frozenset(attribute_name(to_camel(name)) for name in model.model_fields)


def _sparse(resource: dict[str, Any], fieldsets: Fieldsets) -> dict[str, Any]:
    shown = fieldsets.get(resource["type"])
    if shown is None:
        return resource
    for member in ("attributes", "relationships"):
        if member in resource:
            resource[member] = {k: v for k, v in resource[member].items() if k in shown}
    return resource


def resource(
    kind: str, ident: Any, fields: dict[str, Any], fieldsets: Fieldsets, *hidden: str
) -> dict[str, Any]:
    """A resource object of ``kind`` from one of our JSON objects, less ``hidden`` fields."""
    attributes = {attribute_name(k): v for k, v in fields.items() if k not in hidden}
    return _sparse({"type": kind, "id": str(ident), "attributes": attributes}, fieldsets)


def organization(org: dict[str, Any], fieldsets: Fieldsets) -> dict[str, Any]:
    """Seed 001's organization object: attributes, its relationships' links, its own link."""
    link = f"{PREFIX}/{org['id']}"
    found = resource(TYPE, org["id"], org, {}, "id")
    found["relationships"] = {
        name: {"links": {"related": f"{link}/{path}"}} for name, (path, _) in RELATED.items()
    }
    found["links"] = {"self": link}
    return _sparse(found, fieldsets)


def single(envelope: dict[str, Any], fieldsets: Fieldsets, self_link: str) -> dict[str, Any]:
    """The document of one organization (``{"organization", "readYourWrites"}``)."""
    document = {
        "jsonapi": JSONAPI,
        "data": organization(envelope["organization"], fieldsets),
        "links": {"self": self_link},
    }
    if envelope.get("readYourWrites") is not None:
        document["meta"] = {"read_your_writes": envelope["readYourWrites"]}
    return document


def collection(page: dict[str, Any], fieldsets: Fieldsets, path: str, query: str) -> dict[str, Any]:
    """The document of a page of organizations: ``links.next`` is this request with the
    next page's cursor as ``page[cursor]`` (the same cursors as the JSON form), none on the
    last page."""
    after = page["nextCursor"]
    pairs = parse_qsl(query, keep_blank_values=True)
    kept = [(k, v) for k, v in pairs if k not in ("cursor", "page[cursor]")]
    links = {"self": f"{path}?{query}" if query else path}
    if after is not None:  # Left out on the last page (the schema's links take no null).
        links["next"] = f"{path}?{urlencode([*kept, ('page[cursor]', after)])}"
    return {
        "jsonapi": JSONAPI,
        "data": [organization(org, fieldsets) for org in page["organizations"]],
        "links": links,
        "meta": {"next_cursor": after},
    }


def members(payload: list[dict[str, Any]], fieldsets: Fieldsets) -> list[dict[str, Any]]:
    return [resource("memberships", m["id"], m, fieldsets, "id", "organizationId") for m in payload]


def roles(org_id: str, payload: list[dict[str, Any]], fieldsets: Fieldsets) -> list[dict[str, Any]]:
    """An organization's roles: ids ``<organization id>:<key>``, as two organizations may
    define one key each their own way."""
    return [resource("roles", f"{org_id}:{r['key']}", r, fieldsets) for r in payload]


def permissions(payload: list[dict[str, Any]], fieldsets: Fieldsets) -> list[dict[str, Any]]:
    """Each permission the organization's roles grant (``*``: every one); which role grants
    it is in the roles. A permission is one name everywhere: its id."""
    names = sorted({p for role in payload for p in role["permissions"]})
    return [resource("permissions", name, {}, fieldsets) for name in names]


def api_credentials(payload: list[dict[str, Any]], fieldsets: Fieldsets) -> list[dict[str, Any]]:
    """Keys as the key list shows them: never a secret."""
    return [resource("api_credentials", k["id"], k, fieldsets, "id") for k in payload]


def linkage(included: list[dict[str, Any]]) -> list[dict[str, str]]:
    return [{"type": r["type"], "id": r["id"]} for r in included]

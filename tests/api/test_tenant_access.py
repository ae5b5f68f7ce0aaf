"""Tenant access over HTTP, on each store: every endpoint by every kind of credential (the
admin token, organizations' keys in every state, and users signed in with a real key
server's tokens, by their role in organization A)."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from uuid import uuid4

import pytest

from service.logs import LOGGERS
from tests.api.conftest import InProcessServer as Server
from tests.helpers import ADMIN, bearer, create_body, issue_key, new_org
from tests.key_server import AUDIENCE, KeyServer

if TYPE_CHECKING:
    from collections.abc import Iterator

ORGS = "/api/v1/organizations"
CREDENTIALS = ("none", "bad", "admin", "own", "other", "revoked", "expired", "suspended")
USERS = ("owner", "admin role", "member role", "custom role", "non-member")
"""Users by their membership of A: its owner, roles admin, member and a custom role granting
``organization:read`` only, and a member of B alone."""


@pytest.fixture(scope="module")
def keys() -> Iterator[KeyServer]:
    running = KeyServer()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def server(module_database_url: str, keys: KeyServer) -> Iterator[Server]:
    """The app, its users' tokens verified with the key server's keys; a session names its
    organization by external id in ``org_id``."""
    settings = {"jwt_issuer": keys.issuer, "jwt_audience": AUDIENCE}
    running = Server(module_database_url, **settings, jwt_organization_claim="org_id")
    yield running
    running.stop()
    for name in LOGGERS:
        logging.getLogger(name).handlers.clear()


def email_of(user: str) -> str:
    return f"{user.replace(' ', '-')}@example.com"


def user_token(keys: KeyServer, user: str, external_id: str) -> str:
    return keys.token(user, None, email=email_of(user), org_id=external_id)


def add_users(server: Server, keys: KeyServer, a: dict[str, Any], b: dict[str, Any]) -> None:
    role = {"name": "Viewer", "permissions": ["organization:read"]}
    server.client.put(f"{ORGS}/{a['id']}/roles/viewer", json=role, headers=ADMIN)
    joined = [("owner", a, "owner"), ("admin role", a, "admin"), ("member role", a, "member")]
    joined += [("custom role", a, "viewer"), ("non-member", b, "owner")]
    for user, org, role_key in joined:
        body = {"userId": user, "email": email_of(user), "roles": [role_key]}
        added = server.client.post(f"{ORGS}/{org['id']}/members", json=body, headers=ADMIN)
        assert added.status_code == 201, added.text


@dataclass
class World:
    """Organization A (the target of every request), B, a suspended C, and their keys."""

    a: dict[str, Any]
    b: dict[str, Any]
    headers: dict[str, dict[str, str]]


@pytest.fixture(scope="module")
def world(server: Server, keys: KeyServer) -> World:
    a, b, c = new_org(server, externalId=f"idp-{uuid4()}"), new_org(server), new_org(server)
    own, other, suspended = (issue_key(server, o["id"])["secret"] for o in (a, b, c))
    revoked = issue_key(server, a["id"])
    server.client.delete(f"{ORGS}/{a['id']}/api-keys/{revoked['apiKey']['id']}", headers=ADMIN)
    expires_at = datetime.now(UTC) + timedelta(seconds=1.5)
    expired = issue_key(server, a["id"], expiresAt=expires_at.isoformat())["secret"]
    server.client.patch(f"{ORGS}/{c['id']}", json={"status": "suspended"}, headers=ADMIN)
    add_users(server, keys, a, b)
    time.sleep(max(0.0, (expires_at - datetime.now(UTC)).total_seconds()) + 0.1)
    headers = {
        "none": {},
        "bad": bearer("sk_" + "x" * 54),
        "admin": ADMIN,
        "own": bearer(own),
        "other": bearer(other),
        "revoked": bearer(revoked["secret"]),
        "expired": bearer(expired),
        "suspended": bearer(suspended),
        **{user: bearer(user_token(keys, user, a["externalId"])) for user in USERS},
    }
    return World(a, b, headers)


@dataclass(frozen=True)
class Endpoint:
    name: str
    method: str
    path: str
    """With ``{a}`` for organization A's id and ``{slug}`` for its slug."""
    body: dict[str, Any] | None
    expected: dict[str, tuple[int, str | None]]
    """Credential -> (status, error code); credentials not named get ``default``."""
    anonymous: tuple[int, str | None] = (401, "UNAUTHORIZED")
    suspended: tuple[int, str | None] = (403, "ORGANIZATION_SUSPENDED")

    def expect(self, credential: str) -> tuple[int, str | None]:
        if credential in self.expected:
            return self.expected[credential]
        if credential == "none":
            return self.anonymous
        if credential == "suspended":
            return self.suspended
        return (401, "UNAUTHORIZED")  # bad, revoked, expired


OK, CREATED = (200, None), (201, None)
NOT_FOUND, FORBIDDEN = (404, "ORGANIZATION_NOT_FOUND"), (403, "FORBIDDEN")
NO_CONTEXT = (400, "VALIDATION_ERROR")
NO_USERS = dict.fromkeys(USERS, FORBIDDEN)
ADMIN_ONLY = {"admin": OK, "own": FORBIDDEN, "other": FORBIDDEN, **NO_USERS}
READERS = {"owner": OK, "admin role": OK, "member role": OK, "custom role": OK}
WRITERS = {"owner": OK, "admin role": OK, "member role": FORBIDDEN, "custom role": FORBIDDEN}
NO_MEMBER = {"non-member": NOT_FOUND}
SAME_ORG = {"admin": OK, "own": OK, "other": NOT_FOUND, **READERS, **NO_MEMBER}
SAME_ORG_WRITE = {**SAME_ORG, **WRITERS}
ADMIN_FIELD = {**SAME_ORG, "own": FORBIDDEN, **dict.fromkeys(READERS, FORBIDDEN)}
NO_ENDPOINT = {
    k: (404, "WEBHOOK_ENDPOINT_NOT_FOUND") if v == OK else v for k, v in SAME_ORG_WRITE.items()
}
"""Where a caller may reach the organization's webhook endpoints, an unknown one is 404."""
CURRENT = {"admin": NO_CONTEXT, "own": OK, "other": OK, **READERS, **NO_MEMBER}
CURRENT_WRITE = {**CURRENT, **WRITERS}

ENDPOINTS = [
    Endpoint(
        "create",
        "POST",
        ORGS,
        {},
        {**ADMIN_ONLY, "admin": CREATED, **dict.fromkeys(USERS, CREATED)},
    ),
    Endpoint("list", "GET", ORGS, None, ADMIN_ONLY),
    Endpoint("lookup", "GET", ORGS + "/lookup?slug={slug}", None, SAME_ORG),
    Endpoint("get", "GET", ORGS + "/{a}", None, SAME_ORG),
    Endpoint("patch", "PATCH", ORGS + "/{a}", {"metadata": {"tier": "gold"}}, SAME_ORG_WRITE),
    Endpoint("put", "PUT", ORGS + "/{a}", {"name": "Acme Financial Group"}, SAME_ORG_WRITE),
    Endpoint("patch status", "PATCH", ORGS + "/{a}", {"status": "active"}, ADMIN_FIELD),
    Endpoint(
        "archive (stale If-Match)",
        "DELETE",
        ORGS + "/{a}",
        None,
        {
            "admin": (412, "VERSION_CONFLICT"),
            "own": FORBIDDEN,
            "other": NOT_FOUND,
            **dict.fromkeys(READERS, FORBIDDEN),
            **NO_MEMBER,
        },
    ),
    Endpoint("issue key", "POST", ORGS + "/{a}/api-keys", {}, {**ADMIN_ONLY, "admin": CREATED}),
    Endpoint("list keys", "GET", ORGS + "/{a}/api-keys", None, ADMIN_ONLY),
    Endpoint(
        "revoke unknown key",
        "DELETE",
        ORGS + "/{a}/api-keys/" + str(uuid4()),
        None,
        {**ADMIN_ONLY, "admin": (404, "API_KEY_NOT_FOUND")},
    ),
    Endpoint("get current", "GET", ORGS + "/current", None, CURRENT, suspended=OK),
    Endpoint("patch current", "PATCH", ORGS + "/current", {"metadata": {"a": "b"}}, CURRENT_WRITE),
    Endpoint(
        "put current", "PUT", ORGS + "/current", {"name": "Acme Financial Group"}, CURRENT_WRITE
    ),
    Endpoint("put (seed 000)", "PUT", ORGS, {"name": "Acme Financial Group"}, CURRENT_WRITE),
    Endpoint(
        "patch current status",
        "PATCH",
        ORGS + "/current",
        {"status": "active"},
        {
            "admin": NO_CONTEXT,
            "own": FORBIDDEN,
            "other": FORBIDDEN,
            **dict.fromkeys(READERS, FORBIDDEN),
            **NO_MEMBER,
        },
    ),
    Endpoint(
        "slug availability",
        "GET",
        ORGS + "/slug/availability?slug={slug}",
        None,
        {"admin": OK, "own": OK, "other": OK, **dict.fromkeys(USERS, OK)},
        anonymous=OK,
    ),
    # Webhooks: an organization's key, or a user whose roles grant webhooks:write.
    Endpoint("list every webhook endpoint", "GET", "/api/v1/webhook-endpoints", None, ADMIN_ONLY),
    Endpoint(
        "list webhook endpoints", "GET", ORGS + "/{a}/webhook-endpoints", None, SAME_ORG_WRITE
    ),
    Endpoint(
        "unknown webhook endpoint's deliveries",
        "GET",
        ORGS + "/{a}/webhook-endpoints/" + str(uuid4()) + "/deliveries",
        None,
        NO_ENDPOINT,
    ),
    Endpoint(
        "replay an unknown webhook endpoint",
        "POST",
        ORGS + "/{a}/webhook-endpoints/" + str(uuid4()) + "/replay",
        {"fromPosition": 1},
        NO_ENDPOINT,
    ),
]


@pytest.mark.parametrize("credential", CREDENTIALS + USERS)
@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.name)
def test_access_matrix(server: Server, world: World, endpoint: Endpoint, credential: str) -> None:
    path = endpoint.path.format(a=world.a["id"], slug=world.a["slug"])
    headers = dict(world.headers[credential])
    if endpoint.method == "DELETE" and "api-keys" not in path:
        headers["If-Match"] = '"999"'
    body = create_body() if endpoint.name == "create" else endpoint.body
    response = server.client.request(endpoint.method, path, json=body, headers=headers)
    status, code = endpoint.expect(credential)
    assert response.status_code == status, response.text
    assert response.json().get("code") == code


def test_a_401_says_how_to_authenticate(server: Server) -> None:
    refused = server.client.get(f"{ORGS}/current", headers=bearer("sk_not_a_key"))
    assert refused.status_code == 401
    assert refused.headers["www-authenticate"] == 'Bearer realm="tenant-registry"'

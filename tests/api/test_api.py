"""The REST API over a real uvicorn server, on each store: the happy path and the error table."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from uuid import UUID

import pytest

from application.registry import OrganizationRegistry
from service.settings import Settings
from tests.helpers import ADMIN, create_body, random_slug

if TYPE_CHECKING:
    from tests.api.conftest import InProcessServer as Server

ORGS = "/api/v1/organizations"


def create(server: Server, **fields: Any) -> dict[str, Any]:
    response = server.client.post(ORGS, json=create_body(**fields), headers=ADMIN)
    assert response.status_code == 201, response.text
    org: dict[str, Any] = response.json()["organization"]
    return org


def error(response: Any) -> tuple[int, str]:
    body = response.json()
    assert set(body) == {"message", "code", "details"}
    return response.status_code, body["code"]


def test_organization_lifecycle_over_http(server: Server) -> None:
    # Create, with the seed 003 alias for the external id and known settings.
    settings = {
        "fiscalYearStart": "01-01",
        "defaultCurrency": "USD",
        "timezone": "America/Los_Angeles",
    }
    body = create_body(stytchOrgId="organization-test-6f0cd115", settings=settings)
    created = server.client.post(ORGS, json=body, headers={**ADMIN, "X-Request-Id": "req-e2e-1"})
    assert created.status_code == 201
    org = created.json()["organization"]
    assert (org["externalId"], org["stytchOrgId"], org["version"]) == (
        "organization-test-6f0cd115",
    ) * 2 + (1,)
    assert created.headers["etag"] == '"1"'
    assert created.headers["x-request-id"] == "req-e2e-1"

    # Check it is readable at once: by Location, slug (any case) and external id.
    assert (
        server.client.get(created.headers["location"], headers=ADMIN).json()["organization"] == org
    )
    by_slug = server.client.get(
        f"{ORGS}/lookup", params={"slug": org["slug"].upper()}, headers=ADMIN
    )
    assert by_slug.json()["organization"]["id"] == org["id"]
    by_idp = server.client.get(
        f"{ORGS}/lookup", params={"stytchOrgId": org["stytchOrgId"]}, headers=ADMIN
    )
    assert by_idp.json()["organization"]["id"] == org["id"]

    # Update: PUT replaces settings, PATCH merges them, and each bumps the version.
    put = server.client.put(
        f"{ORGS}/{org['id']}",
        json={"name": "Acme Global", "settings": {"timezone": "UTC"}},
        headers=ADMIN,
    )
    assert put.json()["organization"]["settings"] == {"timezone": "UTC"}
    patch = server.client.patch(
        f"{ORGS}/{org['id']}",
        json={"settings": {"locale": "en-GB"}, "metadata": {"tier": "gold"}},
        headers=ADMIN,
    )
    updated = patch.json()["organization"]
    assert updated["settings"] == {"timezone": "UTC", "locale": "en-GB"}
    assert (updated["name"], updated["metadata"], patch.headers["etag"]) == (
        "Acme Global",
        {"tier": "gold"},
        '"5"',
    )

    # Archive: gone from the default list, present when archived ones are asked for.
    archived = server.client.delete(f"{ORGS}/{org['id']}", headers=ADMIN).json()["organization"]
    assert archived["status"] == "archived"
    listed = server.client.get(ORGS, params={"q": org["slug"]}, headers=ADMIN).json()
    assert listed == {"organizations": [], "nextCursor": None}
    listed = server.client.get(
        ORGS, params={"q": org["slug"], "status": "archived"}, headers=ADMIN
    ).json()
    assert [o["id"] for o in listed["organizations"]] == [org["id"]]


def test_events_record_the_actor_and_the_request_id(
    server: Server, module_database_url: str
) -> None:
    response = server.client.post(
        ORGS, json=create_body(), headers={**ADMIN, "X-Request-Id": "trace-77"}
    )
    org_id = response.json()["organization"]["id"]
    registry = OrganizationRegistry(Settings(database_url=module_database_url).registry_env())
    [event] = registry.history(UUID(org_id))
    registry.close()
    assert (event.actor, event.request_id) == ({"type": "admin"}, "trace-77")


def test_list_pages_through_with_next_cursor(server: Server) -> None:
    prefix = random_slug("page")
    ids = [create(server, slug=f"{prefix}-{i}")["id"] for i in range(5)]
    seen, cursor = [], None
    while True:
        params: dict[str, str | int] = {
            "q": prefix,
            "limit": 2,
            **({"cursor": cursor} if cursor else {}),
        }
        page = server.client.get(ORGS, params=params, headers=ADMIN).json()
        seen += [o["id"] for o in page["organizations"]]
        cursor = page["nextCursor"]
        if cursor is None:
            break
    assert seen == ids[::-1]


def test_slug_availability_needs_no_credentials(server: Server) -> None:
    taken = create(server)["slug"]

    def check(slug: str) -> Any:
        return server.client.get(f"{ORGS}/slug/availability", params={"slug": slug}).json()

    assert check(random_slug())["available"] is True
    assert (check(taken.upper())["available"], check(taken)["reason"]) == (False, "taken")
    assert (check("Support")["reason"], check("Support")["slug"]) == ("reserved", "support")
    assert check("no--way")["reason"] == "invalid"


ERROR_CASES = [
    ("post", ORGS, {"json": {"name": "Acme", "slug": "a"}}, ADMIN, 400, "VALIDATION_ERROR"),
    ("post", ORGS, {"json": {"name": "Acme"}}, ADMIN, 400, "VALIDATION_ERROR"),
    ("post", ORGS, {"json": {"name": "Acme", "slug": "admin"}}, ADMIN, 400, "VALIDATION_ERROR"),
    (
        "post",
        ORGS,
        {"json": {"name": "Acme", "slug": "acme-xx", "unknown": 1}},
        ADMIN,
        400,
        "VALIDATION_ERROR",
    ),
    (
        "post",
        ORGS,
        {"content": b'{"name": ', "headers": {"content-type": "application/json"}},
        ADMIN,
        400,
        "VALIDATION_ERROR",
    ),
    ("post", ORGS, {"content": b"x" * (64 * 1024 + 1)}, ADMIN, 413, "PAYLOAD_TOO_LARGE"),
    ("get", ORGS, {}, {}, 401, "UNAUTHORIZED"),
    ("get", ORGS, {}, {"Authorization": "Bearer wrong-token"}, 401, "UNAUTHORIZED"),
    (
        "get",
        f"{ORGS}/00000000-0000-0000-0000-000000000000",
        {},
        ADMIN,
        404,
        "ORGANIZATION_NOT_FOUND",
    ),
    ("get", f"{ORGS}/not-a-uuid", {}, ADMIN, 404, "ORGANIZATION_NOT_FOUND"),
    ("get", f"{ORGS}/lookup?slug=no-such-org-here", {}, ADMIN, 404, "ORGANIZATION_NOT_FOUND"),
    ("get", f"{ORGS}/lookup", {}, ADMIN, 400, "VALIDATION_ERROR"),
    ("get", f"{ORGS}?limit=101", {}, ADMIN, 400, "VALIDATION_ERROR"),
    ("get", f"{ORGS}?cursor=garbage", {}, ADMIN, 400, "VALIDATION_ERROR"),
]


@pytest.mark.parametrize(("method", "path", "kwargs", "headers", "status", "code"), ERROR_CASES)
def test_error_table(
    server: Server,
    method: str,
    path: str,
    kwargs: dict[str, Any],
    headers: dict[str, str],
    status: int,
    code: str,
) -> None:
    kwargs = {**kwargs, "headers": {**headers, **kwargs.get("headers", {})}}
    response = getattr(server.client, method)(path, **kwargs)
    assert error(response) == (status, code)
    assert response.headers["x-request-id"]


def test_validation_error_lists_every_bad_field(server: Server) -> None:
    body = create_body(
        slug="Bad--Slug", supportEmail="nope", primaryColor="blue", settings={"timezone": "Nowhere"}
    )
    response = server.client.post(ORGS, json=body, headers=ADMIN)
    fields = {f["field"] for f in response.json()["details"]["fields"]}
    assert fields == {"slug", "supportEmail", "primaryColor", "settings.timezone"}


def test_duplicates_are_refused_with_their_codes(server: Server) -> None:
    org = create(server, externalId=random_slug("idp"))
    dup_slug = server.client.post(ORGS, json=create_body(slug=org["slug"]), headers=ADMIN)
    dup_idp = server.client.post(
        ORGS, json=create_body(externalId=org["externalId"]), headers=ADMIN
    )
    assert error(dup_slug) == (400, "DUPLICATE_SLUG")
    assert error(dup_idp) == (400, "DUPLICATE_ORGANIZATION")


def test_stale_if_match_is_refused_and_records_nothing(server: Server) -> None:
    org = create(server)
    response = server.client.patch(
        f"{ORGS}/{org['id']}", json={"name": "X"}, headers={**ADMIN, "If-Match": '"9"'}
    )
    assert error(response) == (412, "VERSION_CONFLICT")
    assert response.json()["details"] == {"currentVersion": 1}
    assert (
        server.client.get(f"{ORGS}/{org['id']}", headers=ADMIN).json()["organization"]["version"]
        == 1
    )


def test_openapi_describes_every_route(server: Server) -> None:
    paths = server.client.get("/openapi.json").json()["paths"]
    assert set(paths) >= {
        ORGS,
        f"{ORGS}/{{org_id}}",
        f"{ORGS}/lookup",
        f"{ORGS}/slug/availability",
        "/healthz",
        "/readyz",
    }
    assert set(paths[f"{ORGS}/{{org_id}}"]) == {"get", "put", "patch", "delete"}
    assert server.client.get("/docs").status_code == 200


def test_readiness_reports_caught_up_projections(server: Server) -> None:
    create(server)
    ready = server.client.get("/readyz")
    assert (ready.status_code, ready.json()["lag"]) == (200, 0)


def test_an_unquoted_if_match_is_refused(server: Server) -> None:
    org = create(server)
    response = server.client.patch(
        f"{ORGS}/{org['id']}", json={"name": "X"}, headers={**ADMIN, "If-Match": "1"}
    )
    assert error(response) == (400, "VALIDATION_ERROR")


@pytest.mark.parametrize("path", ["/{id}", "/lookup?slug={slug}"])
def test_a_read_naming_the_current_etag_is_304_without_a_body(server: Server, path: str) -> None:
    org = create(server)
    url = ORGS + path.format(id=org["id"], slug=org["slug"])
    fresh = server.client.get(url, headers={**ADMIN, "If-None-Match": '"1"'})
    assert (fresh.status_code, fresh.content, fresh.headers["etag"]) == (304, b"", '"1"')
    server.client.patch(f"{ORGS}/{org['id']}", json={"name": "Changed"}, headers=ADMIN)
    stale = server.client.get(url, headers={**ADMIN, "If-None-Match": 'W/"1"'})
    assert (stale.status_code, stale.headers["etag"]) == (200, '"2"')
    assert stale.json()["organization"]["name"] == "Changed"


def test_slug_availability_names_the_holder_of_a_taken_slug_to_the_admin_only(
    server: Server,
) -> None:
    org = create(server)
    path = f"{ORGS}/slug/availability"
    to_admin = server.client.get(path, params={"slug": org["slug"]}, headers=ADMIN).json()
    to_anyone = server.client.get(path, params={"slug": org["slug"]}).json()
    assert (to_admin["reason"], to_admin["organizationId"]) == ("taken", org["id"])
    assert (to_anyone["reason"], to_anyone["organizationId"]) == ("taken", None)

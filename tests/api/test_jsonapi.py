"""JSON:API on request, on each store: seed 001's organization documents checked against
the specification's JSON Schema (as npm's jsonapi-validator ships it) and read by a JSON:API
client library; compound documents within the reader's permissions; sparse fieldsets;
pages; error objects; request documents; the media-type rules."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import pytest

from api.jsonapi import documents, included
from service.logs import LOGGERS, RequestContext
from tests.api.conftest import InProcessServer
from tests.api.jsonapi_tools import (
    MEDIA_TYPE,
    jsonapi_client,
    schema_errors,
    schema_validator,
)
from tests.helpers import ADMIN, ORGS, bearer, issue_key, new_org, org_with, random_slug
from tests.key_server import AUDIENCE, KeyServer

if TYPE_CHECKING:
    from collections.abc import Iterator

    import httpx
    from jsonschema import Draft6Validator
    from starlette.types import Message

JSONAPI = {**ADMIN, "Accept": MEDIA_TYPE}
WRITE = {**JSONAPI, "Content-Type": MEDIA_TYPE}
CREATED = {
    "name": "Acme Commerce",
    "domain": "acme.com",
    "config": {"timezone": "Europe/Rome", "defaultCurrency": "EUR"},
    "support_phone": "+14155550123",
    "support_email": "support@acme.com",
    "logo_url": "https://acme.com/logo.png",
    "favicon_url": "https://acme.com/favicon.ico",
    "primary_color": "#1A2B3C",
    "contrast_color": "#FFFFFF",
    "gtm_id": "GTM-AB12CD3",
    "gtm_id_test": "GTM-TEST01",
    "region": "us-east-1",
    "reference": "ERP-0042",
    "reference_origin": "erp",
    "metadata": {"tier": "gold"},
}
"""Seed 001's attributes a create sets."""
PATCHED = {
    "discount_disabled": True,
    "account_disabled": True,
    "acceptance_disabled": True,
    "max_concurrent_promotions": 10,
    "max_concurrent_imports": 2,
    "can_switch_live": True,
    "subscription_info": {"plan": "growth", "limits": {"orders": 10000}, "totals": {"orders": 42}},
}
"""The admin's: set by a patch, as in the JSON form."""
SEED_001 = {**CREATED, **PATCHED}
"""Every attribute of seed 001 but the service's own (created_at, updated_at)."""


@pytest.fixture(scope="module")
def keys() -> Iterator[KeyServer]:
    server = KeyServer(("RS256",))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def server(module_database_url: str, keys: KeyServer) -> Iterator[InProcessServer]:
    running = InProcessServer(
        module_database_url,
        regions="eu-west-1,us-east-1",
        jwt_issuer=keys.issuer,
        jwt_audience=AUDIENCE,
    )
    yield running
    running.stop()
    for name in LOGGERS:
        logging.getLogger(name).handlers.clear()


@pytest.fixture(scope="module")
def validator() -> Draft6Validator:
    return schema_validator()


@pytest.fixture
def failing_key_list(server: InProcessServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """The key list fails on the server's side (500) until the test ends."""

    def fail(*_: object) -> None:
        raise RuntimeError("the key list failed")

    monkeypatch.setattr(server.app.state.services.read_model.queries, "list_api_keys", fail)


@pytest.fixture
def api_log() -> Iterator[list[logging.LogRecord]]:
    """The records the API logs during the test, each with its request id."""
    kept: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            kept.append(record)

    handler = Keep()
    handler.addFilter(RequestContext())
    logger = logging.getLogger("tenant_registry.api")
    logger.addHandler(handler)
    yield kept
    logger.removeHandler(handler)


def document(resource: dict[str, Any]) -> str:
    return json.dumps({"data": {"type": "organizations", **resource}})


def create(server: InProcessServer, **attributes: Any) -> httpx.Response:
    body = document({"attributes": {"name": "Acme", "slug": random_slug(), **attributes}})
    return server.client.post(ORGS, content=body, headers=WRITE)


def valid(validator: Draft6Validator, response: httpx.Response) -> dict[str, Any]:
    """The response's document, once its media type and the schema say it is one."""
    assert response.headers["content-type"] == MEDIA_TYPE, response.text
    found: dict[str, Any] = response.json()
    assert schema_errors(validator, found) == []
    return found


def test_an_organization_created_with_every_seed_001_attribute_reads_each_back(
    server: InProcessServer, validator: Draft6Validator, monkeypatch: pytest.MonkeyPatch
) -> None:
    created = create(server, **CREATED)
    assert created.status_code == 201, created.text
    org_id = valid(validator, created)["data"]["id"]
    body = document({"id": org_id, "attributes": PATCHED})
    patched = server.client.patch(f"{ORGS}/{org_id}", content=body, headers=WRITE)
    assert patched.status_code == 200, patched.text
    api = jsonapi_client(monkeypatch, server.client, ADMIN["Authorization"].split()[1])
    read = api.endpoint(f"organizations/{org_id}").get()
    assert read.data.type == "organizations"
    assert read.data.id == org_id
    assert {name: read.data.attributes[name] for name in SEED_001} == SEED_001
    assert {"created_at", "updated_at"} <= set(read.data.attributes)


def test_a_document_is_seed_001s_organization_object(
    server: InProcessServer, validator: Draft6Validator
) -> None:
    org = new_org(server)
    found = valid(validator, server.client.get(f"{ORGS}/{org['id']}", headers=JSONAPI))
    link = f"{ORGS}/{org['id']}"
    assert found["data"]["links"] == {"self": link}
    assert found["data"]["attributes"]["config"] == org["settings"]
    assert "settings" not in found["data"]["attributes"]
    assert found["data"]["relationships"] == {
        "memberships": {"links": {"related": f"{link}/members"}},
        "roles": {"links": {"related": f"{link}/roles"}},
        "permissions": {"links": {"related": f"{link}/roles"}},
        "api_credentials": {"links": {"related": f"{link}/api-keys"}},
    }


def test_without_the_jsonapi_accept_the_json_form_is_unchanged(server: InProcessServer) -> None:
    org = new_org(server)
    plain = server.client.get(f"{ORGS}/{org['id']}", headers=ADMIN)
    asked_json = server.client.get(
        f"{ORGS}/{org['id']}", headers={**ADMIN, "Accept": "application/json"}
    )
    assert plain.headers["content-type"] == "application/json"
    assert plain.content == asked_json.content
    assert plain.json()["organization"]["id"] == org["id"]


def test_a_compound_document_includes_memberships_roles_permissions_and_credentials(
    server: InProcessServer, validator: Draft6Validator
) -> None:
    org = org_with(server, alice="owner", bob="member")
    issue_key(server, org["id"], name="backend")
    include = "memberships,roles,permissions,api_credentials"
    url = f"{ORGS}/{org['id']}?include={include}"
    found = valid(validator, server.client.get(url, headers=JSONAPI))
    included = {(r["type"], r["id"]) for r in found["included"]}
    for name in include.split(","):
        linked = found["data"]["relationships"][name]["data"]
        assert {(r["type"], r["id"]) for r in linked} <= included
    kinds = [r["type"] for r in found["included"]]
    assert kinds.count("memberships") == 2
    assert kinds.count("api_credentials") == 1
    assert f"{org['id']}:owner" in {r["id"] for r in found["included"] if r["type"] == "roles"}
    assert ("permissions", "members:read") in included


def test_api_credentials_show_what_the_key_list_shows_and_never_a_secret(
    server: InProcessServer,
) -> None:
    org = new_org(server)
    issued = issue_key(server, org["id"], name="backend")
    url = f"{ORGS}/{org['id']}?include=api_credentials"
    response = server.client.get(url, headers=JSONAPI)
    assert issued["secret"] not in response.text
    (credential,) = response.json()["included"]
    listed = server.client.get(f"{ORGS}/{org['id']}/api-keys", headers=ADMIN).json()
    (key,) = listed["apiKeys"]
    assert credential["id"] == key["id"]
    assert credential["attributes"] == {
        "name": key["name"],
        "prefix": key["prefix"],
        "created_at": key["createdAt"],
        "expires_at": key["expiresAt"],
        "revoked_at": key["revokedAt"],
    }


def test_a_key_gets_its_organization_without_the_credentials_it_may_not_list(
    server: InProcessServer, validator: Draft6Validator
) -> None:
    org = org_with(server, alice="owner")
    secret = issue_key(server, org["id"])["secret"]
    url = f"{ORGS}/{org['id']}?include=memberships,api_credentials"
    headers = {**bearer(secret), "Accept": MEDIA_TYPE}
    found = valid(validator, server.client.get(url, headers=headers))
    credentials = found["data"]["relationships"]["api_credentials"]
    assert credentials["meta"] == {"omitted": {"status": "403", "code": "FORBIDDEN"}}
    assert "data" not in credentials
    assert {r["type"] for r in found["included"]} == {"memberships"}


def test_a_member_whose_roles_do_not_grant_roles_read_gets_no_roles(
    server: InProcessServer, keys: KeyServer, validator: Draft6Validator
) -> None:
    org = org_with(server, bob="member")  # member: organization:read and members:read.
    headers = {**bearer(keys.token("bob")), "Accept": MEDIA_TYPE}
    url = f"{ORGS}/{org['id']}?include=memberships,roles"
    found = valid(validator, server.client.get(url, headers=headers))
    roles = found["data"]["relationships"]["roles"]
    assert roles["meta"] == {"omitted": {"status": "403", "code": "FORBIDDEN"}}
    assert {r["type"] for r in found["included"]} == {"memberships"}


def test_a_sparse_fieldset_shows_only_the_fields_asked_for(
    server: InProcessServer, validator: Draft6Validator
) -> None:
    org = new_org(server)
    url = f"{ORGS}/{org['id']}?fields[organizations]=name,region,roles"
    found = valid(validator, server.client.get(url, headers=JSONAPI))
    assert found["data"]["attributes"] == {"name": org["name"], "region": org["region"]}
    assert set(found["data"]["relationships"]) == {"roles"}


def test_a_page_links_to_the_next_with_the_json_forms_cursor(
    server: InProcessServer, validator: Draft6Validator
) -> None:
    for _ in range(3):
        new_org(server)
    first = valid(validator, server.client.get(f"{ORGS}?limit=2", headers=JSONAPI))
    cursor = server.client.get(f"{ORGS}?limit=2", headers=ADMIN).json()["nextCursor"]
    assert first["meta"] == {"next_cursor": cursor}
    assert first["links"]["self"] == f"{ORGS}?limit=2"
    following = valid(validator, server.client.get(first["links"]["next"], headers=JSONAPI))
    listed = server.client.get(f"{ORGS}?limit=2&cursor={cursor}", headers=ADMIN).json()
    assert [r["id"] for r in following["data"]] == [o["id"] for o in listed["organizations"]]


def test_an_error_is_a_jsonapi_error_object_with_our_code(
    server: InProcessServer, validator: Draft6Validator
) -> None:
    missing = f"{ORGS}/00000000-0000-4000-8000-000000000000"
    found = valid(validator, server.client.get(missing, headers=JSONAPI))
    assert found["errors"] == [
        {
            "status": "404",
            "code": "ORGANIZATION_NOT_FOUND",
            "title": "Organization not found",
            "detail": "Organization not found",
        }
    ]


def test_an_invalid_attribute_is_pointed_at_in_the_request_document(
    server: InProcessServer, validator: Draft6Validator
) -> None:
    response = create(server, support_phone="not a phone", gtm_id_test="UA-1")
    assert response.status_code == 400
    errors = valid(validator, response)["errors"]
    assert {e["code"] for e in errors} == {"VALIDATION_ERROR"}
    assert {e["source"]["pointer"] for e in errors} == {
        "/data/attributes/support_phone",
        "/data/attributes/gtm_id_test",
    }


def test_an_attribute_seed_001_names_otherwise_is_refused_by_our_name(
    server: InProcessServer,
) -> None:
    response = create(server, settings={"timezone": "UTC"})
    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert error["source"] == {"pointer": "/data/attributes/settings"}


def test_a_patch_document_changes_the_organization(
    server: InProcessServer, validator: Draft6Validator
) -> None:
    org = new_org(server)
    body = document({"id": org["id"], "attributes": {"config": {"locale": "it-IT"}}})
    response = server.client.patch(f"{ORGS}/{org['id']}", content=body, headers=WRITE)
    assert response.status_code == 200, response.text
    found = valid(validator, response)
    assert found["data"]["attributes"]["config"]["locale"] == "it-IT"
    assert found["meta"] == {"read_your_writes": "ok"}


def test_a_patch_document_of_another_organization_is_a_conflict(
    server: InProcessServer,
) -> None:
    org, other = new_org(server), new_org(server)
    body = document({"id": other["id"], "attributes": {"name": "Renamed"}})
    response = server.client.patch(f"{ORGS}/{org['id']}", content=body, headers=WRITE)
    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == "DOCUMENT_CONFLICT"
    assert (
        server.client.get(f"{ORGS}/{org['id']}", headers=ADMIN).json()["organization"]["name"]
        == org["name"]
    )


def test_a_patch_of_the_current_organization_holds_its_id(server: InProcessServer) -> None:
    org = new_org(server)
    headers = {**bearer(issue_key(server, org["id"])["secret"]), "Content-Type": MEDIA_TYPE}
    right = document({"id": org["id"], "attributes": {"domain": "acme.org"}})
    wrong = document({"id": new_org(server)["id"], "attributes": {"domain": "acme.net"}})
    assert server.client.patch(f"{ORGS}/current", content=wrong, headers=headers).status_code == 409
    changed = server.client.patch(f"{ORGS}/current", content=right, headers=headers)
    assert changed.status_code == 200, changed.text
    assert changed.json()["organization"]["domain"] == "acme.org"  # Asked for JSON.


def test_a_document_of_another_type_is_a_conflict(server: InProcessServer) -> None:
    body = json.dumps({"data": {"type": "people", "attributes": {"name": "Acme"}}})
    response = server.client.post(ORGS, content=body, headers=WRITE)
    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == "DOCUMENT_CONFLICT"


def test_an_id_chosen_by_the_client_is_refused_on_create(server: InProcessServer) -> None:
    body = document({"id": "mine", "attributes": {"name": "Acme", "slug": random_slug()}})
    response = server.client.post(ORGS, content=body, headers=WRITE)
    assert response.status_code == 403
    assert response.json()["errors"][0]["code"] == "FORBIDDEN"


@pytest.mark.parametrize(
    "content_type", [f"{MEDIA_TYPE}; charset=utf-8", f'{MEDIA_TYPE}; ext="https://x.org/ext"']
)
def test_a_document_whose_media_type_has_a_parameter_but_profile_is_415(
    server: InProcessServer, content_type: str
) -> None:
    body = document({"attributes": {"name": "Acme", "slug": random_slug()}})
    response = server.client.post(
        ORGS, content=body, headers={**WRITE, "Content-Type": content_type}
    )
    assert response.status_code == 415
    assert response.json()["errors"][0]["code"] == "UNSUPPORTED_MEDIA_TYPE"


def test_a_document_with_a_profile_is_taken(server: InProcessServer) -> None:
    profiled = f'{MEDIA_TYPE}; profile="https://example.com/profile"'
    body = document({"attributes": {"name": "Acme", "slug": random_slug()}})
    response = server.client.post(ORGS, content=body, headers={**WRITE, "Content-Type": profiled})
    assert response.status_code == 201, response.text


def test_an_accept_whose_every_jsonapi_media_type_has_parameters_is_406(
    server: InProcessServer,
) -> None:
    org = new_org(server)
    accept = f"{MEDIA_TYPE}; charset=utf-8, {MEDIA_TYPE}; ext=bulk"
    response = server.client.get(f"{ORGS}/{org['id']}", headers={**ADMIN, "Accept": accept})
    assert response.status_code == 406
    assert response.json()["code"] == "NOT_ACCEPTABLE"


def test_one_acceptable_jsonapi_media_type_in_accept_is_enough(
    server: InProcessServer, validator: Draft6Validator
) -> None:
    org = new_org(server)
    accept = f"{MEDIA_TYPE}; ext=bulk, {MEDIA_TYPE}; profile=x"
    response = server.client.get(f"{ORGS}/{org['id']}", headers={**ADMIN, "Accept": accept})
    assert valid(validator, response)["data"]["id"] == org["id"]


def test_an_unknown_include_is_400_naming_the_parameter(
    server: InProcessServer, validator: Draft6Validator
) -> None:
    org = new_org(server)
    url = f"{ORGS}/{org['id']}?include=owner"
    response = server.client.get(url, headers=JSONAPI)
    assert response.status_code == 400
    (error,) = valid(validator, response)["errors"]
    assert error["source"] == {"parameter": "include"}


def test_an_idempotent_replay_is_answered_as_a_document(
    server: InProcessServer, validator: Draft6Validator
) -> None:
    body = document({"attributes": {"name": "Acme", "slug": random_slug()}})
    headers = {**WRITE, "Idempotency-Key": random_slug()}
    first = server.client.post(ORGS, content=body, headers=headers)
    again = server.client.post(ORGS, content=body, headers=headers)
    assert again.headers["idempotent-replayed"] == "true"
    assert valid(validator, again)["data"] == valid(validator, first)["data"]


def test_a_body_over_the_limit_is_a_jsonapi_error(server: InProcessServer) -> None:
    body = document({"attributes": {"name": "x" * 70_000}})
    response = server.client.post(ORGS, content=body, headers=WRITE)
    assert response.status_code == 413
    assert response.json()["errors"][0]["code"] == "PAYLOAD_TOO_LARGE"


def test_a_lookup_answers_a_document(server: InProcessServer, validator: Draft6Validator) -> None:
    org = new_org(server)
    url = f"{ORGS}/lookup?slug={org['slug']}"
    assert valid(validator, server.client.get(url, headers=JSONAPI))["data"]["id"] == org["id"]


def test_a_client_library_reads_the_included_resources(
    server: InProcessServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    org = org_with(server, alice="owner")
    api = jsonapi_client(monkeypatch, server.client, ADMIN["Authorization"].split()[1])
    read = api.endpoint(f"organizations/{org['id']}").get(params={"include": "memberships"})
    (member,) = read.content.included
    assert member.type == "memberships"
    assert member.attributes["user_id"] == "alice"
    linked = read.data.relationships["memberships"].data
    assert [(r.type, r.id) for r in linked] == [(member.type, member.id)]


@pytest.mark.usefixtures("failing_key_list")
def test_a_create_whose_include_fails_is_answered_as_created(
    server: InProcessServer, validator: Draft6Validator
) -> None:
    body = document({"attributes": {"name": "Acme", "slug": random_slug()}})
    response = server.client.post(f"{ORGS}?include=api_credentials", content=body, headers=WRITE)
    assert response.status_code == 201, response.text
    found = valid(validator, response)
    assert response.headers["location"].endswith(found["data"]["id"])
    credentials = found["data"]["relationships"]["api_credentials"]
    assert credentials["meta"] == {"omitted": {"status": "500", "code": "INTERNAL_ERROR"}}
    assert "data" not in credentials


@pytest.mark.usefixtures("failing_key_list")
def test_a_failed_include_is_logged_under_the_answers_request_id(
    server: InProcessServer, api_log: list[logging.LogRecord]
) -> None:
    org = new_org(server)
    url = f"{ORGS}/{org['id']}?include=api_credentials"
    response = server.client.get(url, headers=JSONAPI)
    assert response.status_code == 200, response.text
    logged = {getattr(r, "request_id", None) for r in api_log if r.levelno >= logging.ERROR}
    assert logged == {response.headers["x-request-id"]}


def test_a_failure_of_the_jsonapi_layer_is_a_500_document_with_the_request_id(
    server: InProcessServer, validator: Draft6Validator, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail(*_: object) -> None:
        raise RuntimeError("the document failed")

    monkeypatch.setattr(documents, "single", fail)
    org = new_org(server)
    response = server.client.get(f"{ORGS}/{org['id']}", headers=JSONAPI)
    assert response.status_code == 500
    (error,) = valid(validator, response)["errors"]
    assert error["code"] == "INTERNAL_ERROR"
    assert response.headers["x-request-id"]


@pytest.mark.parametrize("parameter", ["sort=-name", "page[number]=2", "filter[name]=x", "foo=bar"])
def test_a_parameter_this_service_does_not_take_is_400_naming_it(
    server: InProcessServer, validator: Draft6Validator, parameter: str
) -> None:
    response = server.client.get(f"{ORGS}?{parameter}", headers=JSONAPI)
    assert response.status_code == 400
    (error,) = valid(validator, response)["errors"]
    assert error["source"] == {"parameter": parameter.split("=")[0]}


def test_page_size_and_page_cursor_page_as_limit_and_cursor(
    server: InProcessServer, validator: Draft6Validator
) -> None:
    for _ in range(3):
        new_org(server)
    first = valid(validator, server.client.get(f"{ORGS}?page[size]=2", headers=JSONAPI))
    assert len(first["data"]) == 2
    cursor = first["meta"]["next_cursor"]
    following_query = urlencode({"page[size]": 2, "page[cursor]": cursor})
    assert first["links"]["next"] == f"{ORGS}?{following_query}"
    following = valid(validator, server.client.get(first["links"]["next"], headers=JSONAPI))
    listed = server.client.get(f"{ORGS}?limit=2&cursor={cursor}", headers=ADMIN).json()
    assert [r["id"] for r in following["data"]] == [o["id"] for o in listed["organizations"]]


def test_a_filter_parameter_filters_as_our_own_parameter(
    server: InProcessServer, validator: Draft6Validator
) -> None:
    name = f"Filtered {random_slug()}"
    org = new_org(server, name=name)
    response = server.client.get(f"{ORGS}?{urlencode({'filter[q]': name})}", headers=JSONAPI)
    assert [r["id"] for r in valid(validator, response)["data"]] == [org["id"]]


def test_the_json_form_of_an_organization_endpoint_varies_with_accept(
    server: InProcessServer,
) -> None:
    org = new_org(server)
    assert server.client.get(f"{ORGS}/{org['id']}", headers=ADMIN).headers["vary"] == "Accept"


def test_a_document_has_its_own_etag_that_if_none_match_names(server: InProcessServer) -> None:
    org = new_org(server)
    url = f"{ORGS}/{org['id']}"
    plain_tag = server.client.get(url, headers=ADMIN).headers["etag"]
    tag = server.client.get(url, headers=JSONAPI).headers["etag"]
    assert tag != plain_tag
    cached = server.client.get(url, headers={**JSONAPI, "If-None-Match": tag})
    assert (cached.status_code, cached.headers["etag"]) == (304, tag)
    other = server.client.get(url, headers={**JSONAPI, "If-None-Match": plain_tag})
    assert other.status_code == 200


def test_a_patch_document_with_if_match_of_the_documents_etag_is_applied(
    server: InProcessServer,
) -> None:
    org = new_org(server)
    tag = server.client.get(f"{ORGS}/{org['id']}", headers=JSONAPI).headers["etag"]
    body = document({"id": org["id"], "attributes": {"name": "Renamed"}})
    headers = {**WRITE, "If-Match": tag}
    response = server.client.patch(f"{ORGS}/{org['id']}", content=body, headers=headers)
    assert response.status_code == 200, response.text
    assert response.json()["data"]["attributes"]["name"] == "Renamed"


@pytest.mark.parametrize("travel", ["version=1", "asOf=2026-01-01T00:00:00Z"])
def test_include_with_time_travel_is_400_naming_include(
    server: InProcessServer, validator: Draft6Validator, travel: str
) -> None:
    org = new_org(server)
    url = f"{ORGS}/{org['id']}?{travel}&include=memberships"
    response = server.client.get(url, headers=JSONAPI)
    assert response.status_code == 400
    (error,) = valid(validator, response)["errors"]
    assert error["source"] == {"parameter": "include"}


def test_included_resources_beyond_the_budget_are_cut_and_said_incomplete(
    server: InProcessServer, validator: Draft6Validator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(included, "MAX_INCLUDED", 2)
    org = org_with(server, alice="owner", bob="member", carol="member")
    url = f"{ORGS}/{org['id']}?include=memberships"
    found = valid(validator, server.client.get(url, headers=JSONAPI))
    assert len(found["included"]) == 2
    assert found["data"]["relationships"]["memberships"]["meta"] == {"complete": False}
    assert found["meta"] == {"complete": False}


def test_a_list_page_includes_one_page_of_members_per_organization(
    server: InProcessServer, validator: Draft6Validator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(included, "MEMBER_PAGE_SIZE", 1)
    org = org_with(server, alice="owner", bob="member")
    query = urlencode({"filter[q]": org["name"], "include": "memberships"})
    found = valid(validator, server.client.get(f"{ORGS}?{query}", headers=JSONAPI))
    (listed,) = [r for r in found["data"] if r["id"] == org["id"]]
    assert len(listed["relationships"]["memberships"]["data"]) == 1
    assert listed["relationships"]["memberships"]["meta"] == {"complete": False}


def test_a_client_gone_before_its_body_arrived_is_sent_nothing(server: InProcessServer) -> None:
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)

    headers = [(k.lower().encode(), v.encode()) for k, v in WRITE.items()]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": ORGS,
        "raw_path": ORGS.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": headers,
        "client": ("127.0.0.1", 1),
        "server": ("testserver", 80),
    }
    asyncio.run(server.app(scope, receive, send))
    assert sent == []


def test_a_document_sent_to_another_endpoint_is_415(server: InProcessServer) -> None:
    org = new_org(server)
    body = json.dumps({"userId": "alice", "email": "alice@acme.com", "roles": ["owner"]})
    url = f"{ORGS}/{org['id']}/members"
    response = server.client.post(url, content=body, headers=WRITE)
    assert response.status_code == 415
    assert response.json()["code"] == "UNSUPPORTED_MEDIA_TYPE"


def test_the_media_type_in_any_of_several_accept_headers_asks_for_a_document(
    server: InProcessServer, validator: Draft6Validator
) -> None:
    org = new_org(server)
    headers = [*ADMIN.items(), ("Accept", MEDIA_TYPE), ("Accept", "text/html")]
    response = server.client.get(f"{ORGS}/{org['id']}", headers=headers)
    assert valid(validator, response)["data"]["id"] == org["id"]


def test_a_sparse_fieldset_of_an_included_type_shows_only_its_fields(
    server: InProcessServer, validator: Draft6Validator
) -> None:
    org = org_with(server, alice="owner")
    url = f"{ORGS}/{org['id']}?include=memberships&fields[memberships]=user_id"
    found = valid(validator, server.client.get(url, headers=JSONAPI))
    assert [r["attributes"] for r in found["included"]] == [{"user_id": "alice"}]


def test_a_list_page_includes_a_permission_of_several_organizations_once(
    server: InProcessServer, validator: Draft6Validator
) -> None:
    name = f"Shared {random_slug()}"
    for _ in range(2):
        new_org(server, name=name)
    query = urlencode({"filter[q]": name, "include": "permissions"})
    found = valid(validator, server.client.get(f"{ORGS}?{query}", headers=JSONAPI))
    assert len(found["data"]) == 2
    included = [(r["type"], r["id"]) for r in found["included"]]
    assert len(included) == len(set(included))
    assert ("permissions", "members:read") in included

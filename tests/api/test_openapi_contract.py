"""The OpenAPI description is a valid contract of what the server does."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from openapi_spec_validator import validate

import api
from api.http.openapi import ERRORS

if TYPE_CHECKING:
    from tests.api.conftest import InProcessServer as Server


def spec_of(server: Server) -> dict[str, Any]:
    spec: dict[str, Any] = server.client.get("/openapi.json").json()
    return spec


def operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(p, m, op) for p, item in spec["paths"].items() for m, op in item.items()]


def test_the_description_is_valid_openapi_with_a_bearer_scheme(server: Server) -> None:
    spec = spec_of(server)
    validate(spec)
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    secured = {f"{m} {p}": op.get("security") for p, m, op in operations(spec)}
    assert secured["post /api/v1/organizations"] == [{"bearerAuth": []}]
    assert secured["get /api/v1/organizations/slug/availability"] == [{}, {"bearerAuth": []}]
    assert secured["get /readyz"] is None


def test_no_operation_lists_a_422_the_api_never_answers(server: Server) -> None:
    assert '"422"' not in json.dumps(spec_of(server))


def test_writes_declare_the_headers_the_service_reads(server: Server) -> None:
    for path, method, operation in operations(spec_of(server)):
        names = {p["name"] for p in operation["parameters"] if p["in"] == "header"}
        assert "X-Request-Id" in names, (method, path)
        assert "authorization" not in {n.lower() for n in names}, (method, path)
        if method in ("post", "put", "patch", "delete"):
            assert {"Idempotency-Key", "X-Change-Reason"} <= names, (method, path)


def test_organization_reads_declare_their_etag(server: Server) -> None:
    operation = spec_of(server)["paths"]["/api/v1/organizations/{org_id}"]["get"]
    assert "ETag" in operation["responses"]["200"]["headers"]


def test_docs_render_from_assets_the_server_itself_serves(server: Server) -> None:
    page = server.client.get("/docs")
    assert page.status_code == 200
    assert not re.findall(r"https?://", page.text)  # Nothing fetched from elsewhere.
    assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert any(a.endswith(".js") for a in assets)
    assert any(a.endswith(".css") for a in assets)
    for asset in assets:
        assert server.client.get(asset).status_code == 200, asset
    assert "'/openapi.json'" in page.text or '"/openapi.json"' in page.text


def test_each_operation_documents_the_error_codes_it_answers(server: Server) -> None:
    spec = spec_of(server)
    create = spec["paths"]["/api/v1/organizations"]["post"]["responses"]
    assert "DUPLICATE_SLUG" in create["400"]["description"]
    assert "IDEMPOTENCY_KEY_REUSED" in create["409"]["description"]
    assert {"401", "403", "413", "429", "503"} <= set(create)
    read = spec["paths"]["/api/v1/organizations/{org_id}"]["get"]["responses"]
    assert "ORGANIZATION_NOT_FOUND" in read["404"]["description"]
    assert not {"409", "412", "413"} & set(read)  # A read answers none of these.


def test_every_operation_answering_errors_has_them_listed(server: Server) -> None:
    undocumented = [
        f"{method} {path}"
        for path, method, operation in operations(spec_of(server))
        if path not in ("/healthz", "/metrics")
        and not any(status >= "400" for status in operation["responses"])
    ]
    assert undocumented == []


def test_seed_001s_nullable_attributes_accept_null_in_the_update_schema(server: Server) -> None:
    schemas = spec_of(server)["components"]["schemas"]
    update = schemas["OrganizationUpdate"]["properties"]
    nullable = ("gtmId", "gtmIdTest", "maxConcurrentImports", "subscriptionInfo")
    for name in (*nullable, "discountDisabled", "canSwitchLive", "maxConcurrentPromotions"):
        assert {"type": "null"} in update[name]["anyOf"], name
    public = schemas["OrganizationPublic"]
    assert {"region", "gtmId", "subscriptionInfo", "acceptanceDisabled"} <= set(public["required"])
    assert {"type": "null"} in public["properties"]["gtmIdTest"]["anyOf"]


def test_the_update_schema_does_not_offer_null_for_region(server: Server) -> None:
    schemas = spec_of(server)["components"]["schemas"]
    document = schemas["JsonApiOrganizationUpdateDocument"]["properties"]["data"]
    for update in (schemas["OrganizationUpdate"], document["properties"]["attributes"]):
        region = update["properties"]["region"]
        assert (region["type"], "anyOf" in region, "default" in region) == ("string", False, False)
        assert "region" not in update.get("required", [])


def test_organization_operations_document_their_jsonapi_documents(server: Server) -> None:
    paths = spec_of(server)["paths"]
    jsonapi = "application/vnd.api+json"
    read = paths["/api/v1/organizations/{org_id}"]["get"]
    assert read["responses"]["200"]["content"][jsonapi]["schema"] == {
        "$ref": "#/components/schemas/JsonApiOrganizationDocument"
    }
    assert jsonapi in read["responses"]["404"]["content"]
    assert "406" in read["responses"]
    assert {"include", "fields[organizations]"} <= {p["name"] for p in read["parameters"]}
    listed = paths["/api/v1/organizations"]["get"]["responses"]["200"]["content"]
    assert listed[jsonapi]["schema"]["$ref"].endswith("/JsonApiOrganizationsDocument")
    patch = paths["/api/v1/organizations/{org_id}"]["patch"]
    assert patch["requestBody"]["content"][jsonapi]["schema"]["$ref"].endswith(
        "/JsonApiOrganizationUpdateDocument"
    )
    assert "415" in patch["responses"]


def test_the_jsonapi_attributes_are_seed_001s_names(server: Server) -> None:
    schemas = spec_of(server)["components"]["schemas"]
    attributes = schemas["JsonApiOrganization"]["properties"]["attributes"]["properties"]
    assert {"config", "gtm_id_test", "subscription_info", "support_phone"} <= set(attributes)
    assert not {"settings", "gtmIdTest", "id"} & set(attributes)
    create = schemas["JsonApiOrganizationCreateDocument"]["properties"]["data"]
    assert "name" in create["properties"]["attributes"]["required"]


def test_the_json_form_is_documented_as_before(server: Server) -> None:
    operation = spec_of(server)["paths"]["/api/v1/organizations"]["post"]
    json_form = operation["requestBody"]["content"]["application/json"]["schema"]
    assert json_form == {"$ref": "#/components/schemas/OrganizationCreate"}
    answered = operation["responses"]["201"]["content"]["application/json"]["schema"]
    assert answered == {"$ref": "#/components/schemas/OrganizationEnvelope"}


def test_operation_ids_are_camel_case_route_names(server: Server) -> None:
    ids = [operation["operationId"] for _, _, operation in operations(spec_of(server))]
    assert [i for i in ids if not re.fullmatch(r"[a-z]+(?:[A-Z][a-z0-9]*)*", i)] == []
    assert "getCurrentOrganization" in ids
    assert len(ids) == len(set(ids))


def test_every_tag_used_is_listed_with_a_description(server: Server) -> None:
    spec = spec_of(server)
    listed = {tag["name"]: tag["description"] for tag in spec["tags"]}
    used = {tag for _, _, operation in operations(spec) for tag in operation["tags"]}
    assert used <= set(listed)
    assert all(listed.values())


def test_error_codes_are_an_enum_of_every_code(server: Server) -> None:
    code = spec_of(server)["components"]["schemas"]["ErrorBody"]["properties"]["code"]
    assert {"VALIDATION_ERROR", "METHOD_NOT_ALLOWED", "NOT_FOUND"} <= set(code["enum"])
    answered = server.client.request("PATCH", "/api/v1/events").json()["code"]
    assert answered in code["enum"]


def test_header_parameters_are_never_nullable(server: Server) -> None:
    for path, method, operation in operations(spec_of(server)):
        for parameter in operation["parameters"]:
            if parameter["in"] == "header":
                assert "anyOf" not in parameter["schema"], (method, path, parameter["name"])


def test_reads_with_an_etag_declare_if_none_match_and_304(server: Server) -> None:
    read = spec_of(server)["paths"]["/api/v1/organizations/{org_id}"]["get"]
    assert "If-None-Match" in {p["name"] for p in read["parameters"]}
    assert "ETag" in read["responses"]["304"]["headers"]


def test_responses_declare_the_headers_they_carry(server: Server) -> None:
    create = spec_of(server)["paths"]["/api/v1/organizations"]["post"]["responses"]
    assert {"Location", "Idempotent-Replayed", "X-Read-Your-Writes"} <= set(
        create["201"]["headers"]
    )
    assert "WWW-Authenticate" in create["401"]["headers"]
    assert "Retry-After" in create["429"]["headers"]
    assert "Retry-After" in create["503"]["headers"]


def test_no_format_or_limit_stands_beside_an_any_of(server: Server) -> None:
    found: list[str] = []

    def walk(node: Any, path: str) -> None:
        if isinstance(node, dict):
            if "anyOf" in node and {"format", "maxLength", "pattern"} & set(node):
                found.append(path)
            for key, value in node.items():
                walk(value, f"{path}/{key}")
        elif isinstance(node, list):
            for i, value in enumerate(node):
                walk(value, f"{path}/{i}")

    walk(spec_of(server), "")
    assert found == []


def test_patch_fields_refused_as_null_are_not_nullable(server: Server) -> None:
    schemas = spec_of(server)["components"]["schemas"]
    for model, names in (
        ("OrganizationUpdate", "name slug status"),
        ("MemberUpdate", "roles status"),
    ):
        for name in names.split():
            assert "anyOf" not in schemas[model]["properties"][name], (model, name)


def test_history_events_are_typed(server: Server) -> None:
    event = spec_of(server)["components"]["schemas"]["HistoryEvent"]["properties"]
    assert "MembershipChanged" in event["type"]["enum"]
    assert event["actor"] == {"$ref": "#/components/schemas/Actor"}
    assert event["changes"]["additionalProperties"] == {"$ref": "#/components/schemas/Change"}


def _codes_answered_in(source: str) -> set[str]:
    """The error codes a module's calls answer: literals given to the error builders."""
    call = r"(?:_simple|error_response|error_body)\(\s*(?:\d+,\s*)?\"([A-Z_]+)\""
    table = r"\d{3}: \"([A-Z_]+)\""  # The codes of HTTP's own errors, by status.
    return set(re.findall(call, source)) | set(re.findall(table, source))


def test_every_code_the_server_answers_is_in_the_enum(server: Server) -> None:
    enum = set(spec_of(server)["components"]["schemas"]["ErrorBody"]["properties"]["code"]["enum"])
    answered: set[str] = set()
    for module in Path(api.__file__).parent.rglob("*.py"):
        answered |= _codes_answered_in(module.read_text())
    assert {"WEBHOOK_ENDPOINT_NOT_FOUND", "NOT_FOUND", "INTERNAL_ERROR"} <= answered
    assert answered - enum == set()


def test_every_operation_but_health_lists_its_own_error_codes(server: Server) -> None:
    unlisted = [
        op["operationId"]
        for _, _, op in operations(spec_of(server))
        if op["operationId"] not in ERRORS and op["operationId"] not in ("healthz", "metrics")
    ]
    assert unlisted == []


def test_the_snapshots_lines_are_described_by_their_schema_alone(server: Server) -> None:
    answer = spec_of(server)["paths"]["/api/v1/snapshot"]["get"]["responses"]["200"]
    schema = answer["content"]["application/x-ndjson"]["schema"]
    assert schema == {"$ref": "#/components/schemas/SnapshotLine"}

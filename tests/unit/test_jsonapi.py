"""JSON:API's pure parts: media-type negotiation, seed 001's names for our fields, request
documents as bodies, and where an error's source is."""

from __future__ import annotations

import json

import pytest

from api.jsonapi.documents import attribute_name, field_name, permissions
from api.jsonapi.errors import Request, errors_document, source
from api.jsonapi.media import not_acceptable, unsupported_document, wants_jsonapi
from api.jsonapi.query import problems
from api.jsonapi.writes import DocumentRefusedError, plain_body

JSONAPI = "application/vnd.api+json"


def accept(value: str) -> dict[bytes, bytes]:
    return {b"accept": value.encode()}


@pytest.mark.parametrize(
    "value", [JSONAPI, f"{JSONAPI}; profile=x", f"{JSONAPI};q=0.5", f"text/html, {JSONAPI}"]
)
def test_the_media_type_alone_or_with_a_profile_asks_for_jsonapi(value: str) -> None:
    assert wants_jsonapi(accept(value))
    assert not not_acceptable(accept(value))


@pytest.mark.parametrize("value", [f"{JSONAPI}; charset=utf-8", f"{JSONAPI}; ext=bulk"])
def test_every_instance_with_another_parameter_or_an_extension_is_not_acceptable(
    value: str,
) -> None:
    assert not_acceptable(accept(f"{value}, */*"))
    assert not wants_jsonapi(accept(value))


@pytest.mark.parametrize("value", [f"{JSONAPI};q=0", f"{JSONAPI}; q=0.0, application/json"])
def test_the_media_type_weighed_zero_is_not_asked_for(value: str) -> None:
    assert not wants_jsonapi(accept(value))
    assert not not_acceptable(accept(value))


def test_an_accept_without_the_media_type_changes_nothing() -> None:
    assert not wants_jsonapi(accept("application/json, */*"))
    assert not not_acceptable(accept("application/json, */*"))


@pytest.mark.parametrize(
    ("value", "refused"),
    [(JSONAPI, False), (f"{JSONAPI}; profile=x", False), (f"{JSONAPI}; ext=x", True)],
)
def test_a_document_may_carry_a_profile_only(value: str, refused: bool) -> None:
    assert unsupported_document({b"content-type": value.encode()}) == refused


@pytest.mark.parametrize(
    ("field", "attribute"),
    [
        ("settings", "config"),
        ("gtmIdTest", "gtm_id_test"),
        ("subscriptionInfo", "subscription_info"),
    ],
)
def test_our_fields_have_seed_001s_names_both_ways(field: str, attribute: str) -> None:
    assert attribute_name(field) == attribute
    assert field_name(attribute) == field


def test_a_patch_document_is_the_body_of_its_json_form() -> None:
    document = {"data": {"type": "organizations", "id": "A", "attributes": {"config": {}}}}
    body = plain_body(json.dumps(document).encode(), "PATCH", "a")
    assert json.loads(body) == {"settings": {}}


@pytest.mark.parametrize(
    ("data", "status"),
    [
        ({"attributes": {}}, 400),
        ({"type": "people", "id": "a"}, 409),
        ({"type": "organizations", "id": "b"}, 409),
        ({"type": "organizations"}, 400),
        ({"type": "organizations", "id": "a", "relationships": {}}, 403),
        ({"type": 1, "id": "a"}, 400),
        ({"type": ["organizations"], "id": "a"}, 400),
        ({"type": "organizations", "id": "a", "attributes": {"settings": {}}}, 400),
    ],
)
def test_a_patch_document_that_does_not_fit_is_refused(
    data: dict[str, object], status: int
) -> None:
    with pytest.raises(DocumentRefusedError) as refused:
        plain_body(json.dumps({"data": data}).encode(), "PATCH", "a")
    assert refused.value.status == status


def test_a_create_document_may_not_choose_its_id() -> None:
    document = {"data": {"type": "organizations", "id": "a", "attributes": {}}}
    with pytest.raises(DocumentRefusedError) as refused:
        plain_body(json.dumps(document).encode(), "POST", None)
    assert refused.value.status == 403


def test_an_error_names_its_source_in_the_request() -> None:
    sent = Request(frozenset({"limit"}), frozenset({"if-match"}), document=True)
    assert source("limit", sent) == {"parameter": "limit"}
    assert source("If-Match", sent) == {"header": "If-Match"}
    assert source("settings.a/b", sent) == {"pointer": "/data/attributes/config/a~1b"}
    assert source("/data/type", sent) == {"pointer": "/data/type"}


def test_include_and_fields_name_only_what_the_service_knows() -> None:
    assert problems(b"include=roles,memberships&fields[organizations]=name,roles") == []
    assert [p["field"] for p in problems(b"include=owner")] == ["include"]
    assert [p["field"] for p in problems(b"fields[organizations]=nope")] == [
        "fields[organizations]"
    ]
    assert [p["field"] for p in problems(b"fields[people]=name")] == ["fields[people]"]


def test_permissions_are_each_granted_name_once() -> None:
    roles = [{"key": "a", "permissions": ["x", "y"]}, {"key": "b", "permissions": ["y"]}]
    assert [p["id"] for p in permissions(roles, {})] == ["x", "y"]


def test_an_attribute_a_patch_does_not_set_is_pointed_at_by_its_escaped_name() -> None:
    document = {"data": {"type": "organizations", "id": "a", "attributes": {"a/b~c": 1}}}
    with pytest.raises(DocumentRefusedError) as refused:
        plain_body(json.dumps(document).encode(), "PATCH", "a")
    (problem,) = refused.value.body["details"]["fields"]
    assert problem["field"] == "/data/attributes/a~1b~0c"


def test_malformed_json_names_no_source_in_the_document() -> None:
    with pytest.raises(DocumentRefusedError) as refused:
        plain_body(b'{"data": ', "POST", None)
    sent = Request(frozenset(), frozenset(), document=True)
    (error,) = errors_document(refused.value.status, refused.value.body, sent)["errors"]
    assert (error["status"], error["code"]) == ("400", "VALIDATION_ERROR")
    assert "source" not in error

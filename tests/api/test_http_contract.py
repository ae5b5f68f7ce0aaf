"""What HTTP answers before any route runs, as the OpenAPI description promises: 405 with
``Allow`` for a method a path does not take, 401 for a write without accepted
credentials, and neither of them claims or reads an ``Idempotency-Key``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.helpers import ADMIN, bearer, new_org

if TYPE_CHECKING:
    from tests.api.conftest import InProcessServer as Server

ORGS = "/api/v1/organizations"


def test_a_method_a_path_does_not_take_is_405_naming_every_method_it_takes(
    server: Server,
) -> None:
    org = new_org(server)
    response = server.client.request("TRACE", f"{ORGS}/{org['id']}/members/u1", headers=ADMIN)
    assert (response.status_code, response.json()["code"]) == (405, "METHOD_NOT_ALLOWED")
    assert response.headers["Allow"] == "DELETE, GET, PATCH"


def test_a_keyed_write_with_a_method_the_path_does_not_take_claims_no_key(
    server: Server,
) -> None:
    members = f"{ORGS}/{new_org(server)['id']}/members"
    key = {**ADMIN, "Idempotency-Key": "k-405"}
    body = {"userId": "u405", "email": "u405@example.com"}
    assert server.client.post(members, json=body, headers=key).status_code == 201
    response = server.client.patch(members, json={"roles": ["admin"]}, headers=key)
    assert (response.status_code, response.headers["Allow"]) == (405, "GET, POST")


def test_a_keyed_write_without_credentials_is_401_before_the_key_is_read(
    server: Server,
) -> None:
    members = f"{ORGS}/{new_org(server)['id']}/members"
    body = {"userId": "u401", "email": "u401@example.com"}
    server.client.post(members, json=body, headers={**ADMIN, "Idempotency-Key": "k-401"})
    other = {"userId": "u402", "email": "u402@example.com"}
    for credentials in ({}, bearer("sk_not_a_key_at_all_0000000000")):
        headers = {**credentials, "Idempotency-Key": "k-401"}
        response = server.client.post(members, json=other, headers=headers)
        assert (response.status_code, response.json()["code"]) == (401, "UNAUTHORIZED")


def test_an_integer_field_takes_any_json_number_with_no_fraction_and_nothing_else(
    server: Server,
) -> None:
    path = f"{ORGS}/{new_org(server)['id']}"
    answers = [
        server.client.patch(path, json={"maxAllowedMemberships": value}, headers=ADMIN)
        for value in (7.0, 7.5, "7", True)
    ]
    assert [a.status_code for a in answers] == [200, 400, 400, 400]
    assert answers[0].json()["organization"]["maxAllowedMemberships"] == 7


def test_405_names_only_the_methods_of_the_path_the_router_matches(server: Server) -> None:
    response = server.client.request("OPTIONS", f"{ORGS}/lookup", headers=ADMIN)
    assert (response.status_code, response.headers["Allow"]) == (405, "GET")

"""Input no store can hold faithfully is refused, naming the field, and nothing is recorded:
each vector found by attacking the API, over a real server on each store."""

from __future__ import annotations

import base64
import json
from typing import TYPE_CHECKING, Any

import pytest

from tests.helpers import ADMIN, create_body

if TYPE_CHECKING:
    import httpx

    from tests.api.conftest import InProcessServer as Server

ORGS = "/api/v1/organizations"


def send(server: Server, method: str, path: str, raw_json: str, **headers: str) -> httpx.Response:
    """Send JSON text as written (escapes such as \\ud800 and tokens such as NaN included)."""
    return server.client.request(
        method,
        path,
        content=raw_json.encode(),
        headers={**ADMIN, "Content-Type": "application/json", **headers},
    )


def fields_of(response: httpx.Response) -> list[str]:
    body = response.json()
    assert (response.status_code, body["code"]) == (400, "VALIDATION_ERROR"), response.text
    return [f["field"] for f in body["details"]["fields"]]


@pytest.fixture
def org(server: Server) -> dict[str, Any]:
    response = server.client.post(ORGS, json=create_body(), headers=ADMIN)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()["organization"]
    return created


def version_of(server: Server, org_id: str) -> int:
    return int(
        server.client.get(f"{ORGS}/{org_id}", headers=ADMIN).json()["organization"]["version"]
    )


# Each kind of JSON that carries an unstorable value (tokens JSON has no numbers for, a
# number beyond any float, escapes of NUL and of lone surrogates in values and in keys),
# and camelCase field names; every unstorable value, by field:
# ``tests/commands/test_unstorable_values.py``.
UPDATE_VECTORS = [
    (
        '{"settings": {"big": 123456789012345678901234567890, "inf": Infinity}}',
        ["settings.big", "settings.inf"],
    ),
    ('{"settings": {"n": 1e400}}', ["settings.n"]),
    ('{"settings": {"n": NaN}}', ["settings.n"]),
    ('{"settings": {"n": -Infinity}}', ["settings.n"]),
    ('{"settings": {"k\\u0000": 1}}', ["settings"]),
    ('{"metadata": {"\\ud800": "v"}}', ["metadata"]),
    ('{"status": "suspended", "statusReason": "a\\u0000b"}', ["statusReason"]),
    ('{"name": "a\\ud800b"}', ["name"]),
    ('{"externalId": "x\\ud83d"}', ["externalId"]),
]


@pytest.mark.parametrize(("raw", "fields"), UPDATE_VECTORS)
def test_an_update_with_unstorable_values_is_refused_and_records_nothing(
    server: Server, org: dict[str, Any], raw: str, fields: list[str]
) -> None:
    response = send(server, "PATCH", f"{ORGS}/{org['id']}", raw)
    assert fields_of(response) == fields
    assert version_of(server, org["id"]) == org["version"]


def test_a_create_with_unstorable_values_is_refused_and_records_nothing(server: Server) -> None:
    body = json.dumps(create_body(settings={"n": 1}))
    raw = body.replace('"n": 1', '"n": NaN, "t": "\\u0000"')
    response = send(server, "POST", ORGS, raw)
    assert fields_of(response) == ["settings.n", "settings.t"]
    slug = json.loads(body)["slug"]
    found = server.client.get(f"{ORGS}/lookup", params={"slug": slug}, headers=ADMIN)
    assert found.status_code == 404


def test_a_revert_reason_with_nul_is_refused(server: Server, org: dict[str, Any]) -> None:
    raw = '{"toVersion": 1, "reason": "x\\u0000"}'
    assert fields_of(send(server, "POST", f"{ORGS}/{org['id']}/revert", raw)) == ["reason"]
    assert version_of(server, org["id"]) == org["version"]


def test_a_change_reason_header_over_the_limit_is_refused(
    server: Server, org: dict[str, Any]
) -> None:
    raw, reason = '{"name": "Renamed"}', "r" * 1001
    response = send(server, "PATCH", f"{ORGS}/{org['id']}", raw, **{"X-Change-Reason": reason})
    assert fields_of(response) == ["X-Change-Reason"]
    assert version_of(server, org["id"]) == org["version"]


@pytest.mark.parametrize("field", ["settings", "metadata"])
def test_null_settings_or_metadata_in_a_patch_clears_them(server: Server, field: str) -> None:
    body = create_body(settings={"a": 1}, metadata={"k": "v"})
    org = server.client.post(ORGS, json=body, headers=ADMIN).json()["organization"]
    response = send(server, "PATCH", f"{ORGS}/{org['id']}", json.dumps({field: None}))
    assert response.status_code == 200, response.text
    assert response.json()["organization"][field] == {}


@pytest.mark.parametrize(
    "expires_at",
    ["9999-12-31T23:59:59-14:00", "9999-12-31T23:59:59.999999Z", "1969-12-31T23:00:00Z"],
)
def test_a_key_expiry_outside_the_time_range_is_refused(
    server: Server, org: dict[str, Any], expires_at: str
) -> None:
    raw = json.dumps({"expiresAt": expires_at})
    assert fields_of(send(server, "POST", f"{ORGS}/{org['id']}/api-keys", raw)) == ["expiresAt"]


def cursor(*values: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("", {"q": "a\x00"}, "q"),
        ("", {"externalId": "\x00"}, "externalId"),
        ("/lookup", {"slug": "a\x00b"}, "slug"),
        ("/lookup", {"externalId": "x\x00"}, "externalId"),
        ("/lookup", {"stytchOrgId": "\x00"}, "stytchOrgId"),
        ("", {"cursor": cursor(1, 2)}, "cursor"),
        ("", {"cursor": cursor(["2030-01-01T00:00:00Z"], "x")}, "cursor"),
        (
            "",
            {"cursor": cursor("9999-12-31T23:59:59-14:00", "6a8f2c9e-0d1b-4c4e-9a51-0d3f1d2b7c11")},
            "cursor",
        ),
        ("", {"cursor": "%%%"}, "cursor"),
    ],
)
def test_malformed_query_parameters_are_refused(
    server: Server, path: str, params: dict[str, str], field: str
) -> None:
    response = server.client.get(f"{ORGS}{path}", params=params, headers=ADMIN)
    assert fields_of(response) == [field]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"cursor": "\u00b2"}, "cursor"),
        ({"cursor": "\u0663"}, "cursor"),
        ({"cursor": "9" * 19}, "cursor"),
        ({"since": "0001-01-01T00:00:00+05:00"}, "since"),
        ({"until": "9999-12-31T23:59:59.999999Z"}, "until"),
    ],
)
def test_malformed_history_queries_are_refused(
    server: Server, org: dict[str, Any], params: dict[str, str], field: str
) -> None:
    response = server.client.get(f"{ORGS}/{org['id']}/history", params=params, headers=ADMIN)
    assert fields_of(response) == [field]


def test_a_time_travel_moment_outside_the_range_is_refused(
    server: Server, org: dict[str, Any]
) -> None:
    params = {"asOf": "9999-12-31T23:59:59-14:00"}
    response = server.client.get(f"{ORGS}/{org['id']}", params=params, headers=ADMIN)
    assert fields_of(response) == ["asOf"]


def test_a_feed_position_beyond_64_bits_is_refused(server: Server) -> None:
    response = server.client.get("/api/v1/events", params={"after": 2**63}, headers=ADMIN)
    assert fields_of(response) == ["after"]


@pytest.mark.parametrize(
    "raw",
    [
        b'{"settings": {"a": ' + b"[" * 5000 + b"]" * 5000 + b"}}",
        b'{"metadata": {"a": ' + b'{"b": ' * 5000 + b"1" + b"}" * 5000 + b"}}",
        b'{"name": "\xff\xfe"}',
    ],
)
def test_a_body_no_json_parser_reads_is_malformed_json(
    server: Server, org: dict[str, Any], raw: bytes
) -> None:
    response = server.client.patch(
        f"{ORGS}/{org['id']}", content=raw, headers={**ADMIN, "Content-Type": "application/json"}
    )
    assert fields_of(response) == ["body"]
    assert version_of(server, org["id"]) == org["version"]


def test_a_key_name_with_a_lone_surrogate_is_refused(server: Server, org: dict[str, Any]) -> None:
    raw = '{"name": "a\\ud800b"}'
    assert fields_of(send(server, "POST", f"{ORGS}/{org['id']}/api-keys", raw)) == ["name"]

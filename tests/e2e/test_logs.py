"""Logs are JSON lines, each with the request id and actor it belongs to, the access log
included; over a real server on each store."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest

from tests.helpers import ADMIN, Server, create_body

if TYPE_CHECKING:
    from collections.abc import Iterator

ORGS = "/api/v1/organizations"


@pytest.fixture(scope="module")
def logged(module_database_url: str) -> Iterator[Server]:
    server = Server(module_database_url, "--access-log")
    yield server
    server.stop()


def records(server: Server) -> list[dict[str, Any]]:
    lines = [line for line in server.logs().splitlines() if line.startswith("{")]
    return [json.loads(line) for line in lines]


def test_every_line_is_a_json_object(logged: Server) -> None:
    logged.client.get("/healthz")
    lines = [line for line in logged.logs().splitlines() if line.strip()]
    assert lines
    for line in lines:
        assert isinstance(json.loads(line), dict), line


def test_the_access_log_line_carries_the_request_id_and_actor(logged: Server) -> None:
    headers = {**ADMIN, "X-Request-Id": "req-logged-1"}
    assert logged.client.post(ORGS, json=create_body(), headers=headers).status_code == 201
    [access] = [r for r in records(logged) if r.get("request_id") == "req-logged-1"]
    assert access["logger"] == "uvicorn.access"
    assert access["actor"] == {"type": "admin"}
    assert "POST /api/v1/organizations" in access["message"]
    assert {"time", "level"} <= set(access)

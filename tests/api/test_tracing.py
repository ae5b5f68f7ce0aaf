"""Optional OpenTelemetry tracing: each request is a span named by its route template,
carrying its status and request id."""

from __future__ import annotations

import json
import re

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from tests.helpers import ADMIN, make_settings


@pytest.mark.usefixtures("app_logging")
def test_requests_become_spans_with_their_route_status_and_request_id(
    database_url: str, capfd: pytest.CaptureFixture[str]
) -> None:
    app = create_app(make_settings(database_url, tracing="console"))
    with TestClient(app) as client:
        response = client.get(
            "/api/v1/organizations", headers={**ADMIN, "X-Request-Id": "req-traced-1"}
        )
    assert response.status_code == 200
    printed = capfd.readouterr().out
    spans = [json.loads(block) for block in re.findall(r"^\{\n.*?^\}$", printed, re.M | re.S)]
    [server] = [s for s in spans if s["kind"] == "SpanKind.SERVER"]
    assert server["name"] == "GET /api/v1/organizations"
    assert server["attributes"]["http.status_code"] == 200 or (
        server["attributes"].get("http.response.status_code") == 200
    )
    assert server["attributes"]["registry.request_id"] == "req-traced-1"

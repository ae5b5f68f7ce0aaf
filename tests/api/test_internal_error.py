"""An unexpected failure is a 500 INTERNAL_ERROR, logged with the request id, with no trace."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from tests.helpers import make_settings


@pytest.mark.usefixtures("app_logging")
def test_unexpected_error_is_internal_error_with_request_id_logged(
    tmp_path: object, capfd: pytest.CaptureFixture[str]
) -> None:
    app = create_app(make_settings(f"sqlite:///{tmp_path}/r.db"))

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("secret internals")

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/boom", headers={"X-Request-Id": "req-500"})
    assert response.status_code == 500
    assert response.json() == {
        "message": "Internal error; quote the X-Request-Id header",
        "code": "INTERNAL_ERROR",
        "details": {},
    }
    assert response.headers["x-request-id"] == "req-500"
    assert "secret internals" not in response.text
    logged = [json.loads(line) for line in capfd.readouterr().err.splitlines() if line]
    [error] = [r for r in logged if r["level"] == "ERROR"]
    assert error["request_id"] == "req-500"
    assert "secret internals" in error["exc_info"]  # In the log, never in the response.

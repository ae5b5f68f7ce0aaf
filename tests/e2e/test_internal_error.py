"""An unexpected failure is a 500 INTERNAL_ERROR, logged with the request id, with no trace."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from fastapi.testclient import TestClient

from api.main import create_app
from tests.conftest import make_settings

if TYPE_CHECKING:
    import pytest


def test_unexpected_error_is_internal_error_with_request_id_logged(
    tmp_path: object, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(make_settings(f"sqlite:///{tmp_path}/r.db"))

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("secret internals")

    with TestClient(app, raise_server_exceptions=False) as client, caplog.at_level(logging.ERROR):
        response = client.get("/boom", headers={"X-Request-Id": "req-500"})
    assert response.status_code == 500
    assert response.json() == {
        "message": "Internal error; quote the X-Request-Id header",
        "code": "INTERNAL_ERROR",
        "details": {},
    }
    assert response.headers["x-request-id"] == "req-500"
    assert "secret internals" not in response.text
    assert any("req-500" in r.getMessage() for r in caplog.records)

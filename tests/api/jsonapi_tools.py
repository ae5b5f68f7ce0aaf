"""What the JSON:API tests check documents with: the specification's JSON Schema as npm's
jsonapi-validator ships it (``scripts/jsonapi-schema`` fetches it), and a real JSON:API
client library (``jsonapi-requests``) speaking to the in-process app."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jsonapi_requests
import pytest
import requests
from jsonschema import Draft6Validator
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

if TYPE_CHECKING:
    import httpx
    from requests import PreparedRequest

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = Path(
    os.environ.get(
        "REGISTRY_JSONAPI_SCHEMA",
        ROOT / ".cache/jsonapi-validator-3.0.5/package/lib/schema.json",
    )
)
MEDIA_TYPE = "application/vnd.api+json"


def schema_validator() -> Draft6Validator:
    if not SCHEMA.is_file():
        pytest.fail(f"no JSON:API schema at {SCHEMA}: run scripts/jsonapi-schema")
    return Draft6Validator(json.loads(SCHEMA.read_text()))


def schema_errors(validator: Draft6Validator, document: Any) -> list[str]:
    """Where ``document`` breaks the JSON:API schema (empty: it is a valid document)."""
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in validator.iter_errors(document)
    ]


class InProcessAdapter(BaseAdapter):
    """A ``requests`` transport onto the in-process app's client."""

    def __init__(self, client: httpx.Client) -> None:
        super().__init__()
        self.client = client

    def send(self, request: PreparedRequest, *_: Any, **__: Any) -> requests.Response:
        body = request.body  # The library sends JSON: text or bytes.
        assert body is None or isinstance(body, str | bytes)
        answer = self.client.request(
            str(request.method),
            str(request.url),
            headers={k: str(v) for k, v in request.headers.items()},
            content=body,
        )
        response = requests.Response()
        response.status_code = answer.status_code
        response._content = answer.content
        response.headers = CaseInsensitiveDict(answer.headers)
        response.url, response.request = str(request.url), request
        return response

    def close(self) -> None:
        pass


class Bearer(requests.auth.AuthBase):
    def __init__(self, token: str) -> None:
        self.token = token

    def __call__(self, request: PreparedRequest) -> PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self.token}"
        return request


def jsonapi_client(
    monkeypatch: pytest.MonkeyPatch, client: httpx.Client, token: str
) -> jsonapi_requests.Api:
    """``jsonapi-requests`` on the in-process app, as the given credential (the library
    sends each request with ``requests.request``: routed here through the adapter)."""
    session = requests.Session()
    session.mount("http://testserver", InProcessAdapter(client))
    monkeypatch.setattr(requests, "request", session.request)
    return jsonapi_requests.Api.config(
        {"API_ROOT": "http://testserver/api/v1/", "AUTH": Bearer(token), "APPEND_SLASH": False}
    )

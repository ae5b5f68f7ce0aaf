"""The SDK against the live server's own description: a method for every operation and an
exception class for every error code, so a new route or code without them fails."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from tenant_registry_client import ERRORS, OPERATIONS, AsyncClient, Client, RegistryError

if TYPE_CHECKING:
    from tests.helpers import Server

ROOT = Path(__file__).resolve().parents[2]


def description(server: Server) -> dict[str, Any]:
    # Made on first request: seconds on a busy machine, past httpx's 5 s default.
    spec: dict[str, Any] = httpx.get(f"{server.url}/openapi.json", timeout=60).json()
    return spec


def method_of(client: object, dotted: str) -> Any:
    resource, name = dotted.split(".")
    return getattr(getattr(client, resource, None), name, None)


def test_every_operation_has_an_sdk_method_and_every_method_an_operation(
    server: Server,
) -> None:
    operations = {
        operation["operationId"]
        for path in description(server)["paths"].values()
        for operation in path.values()
    }
    assert sorted(operations - set(OPERATIONS)) == [], "operations without an SDK method"
    assert sorted(set(OPERATIONS) - operations) == [], "SDK methods of no operation"


def test_every_mapped_method_exists_on_both_clients() -> None:
    clients = [Client("http://127.0.0.1:9"), AsyncClient("http://127.0.0.1:9")]
    missing = [
        (type(client).__name__, dotted)
        for client in clients
        for dotted in OPERATIONS.values()
        if not callable(method_of(client, dotted))
    ]
    assert missing == []


def test_every_error_code_has_its_own_exception_class(server: Server) -> None:
    codes = description(server)["components"]["schemas"]["ErrorBody"]["properties"]["code"]
    missing = [code for code in codes["enum"] if code not in ERRORS]
    assert missing == []
    assert all(issubclass(ERRORS[code], RegistryError) for code in codes["enum"])
    assert len({ERRORS[code] for code in codes["enum"]}) == len(codes["enum"])


def test_the_sync_client_is_what_the_async_one_generates() -> None:
    check = subprocess.run(
        [sys.executable, "sdk/unasync.py", "--check"], cwd=ROOT, capture_output=True, text=True
    )
    assert check.returncode == 0, check.stdout

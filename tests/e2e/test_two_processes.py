"""Read-your-writes across API processes sharing one database."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.helpers import ADMIN, Server, create_body

if TYPE_CHECKING:
    from collections.abc import Iterator

import pytest

ORGS = "/api/v1/organizations"


@pytest.fixture(scope="module")
def two_servers(module_database_url: str) -> Iterator[tuple[Server, Server]]:
    projector = Server(module_database_url)
    reader = Server(module_database_url, "--no-projections")
    yield projector, reader
    reader.stop()
    projector.stop()


def test_a_write_on_one_process_is_readable_at_once_on_the_other(
    two_servers: tuple[Server, Server],
) -> None:
    for writer, reader in (two_servers, two_servers[::-1]) * 10:
        created = writer.client.post(ORGS, json=create_body(), headers=ADMIN)
        assert created.status_code == 201
        org = created.json()["organization"]
        seen = reader.client.get(f"{ORGS}/{org['id']}", headers=ADMIN)
        assert seen.status_code == 200
        assert seen.json()["organization"] == org
        renamed = writer.client.patch(
            f"{ORGS}/{org['id']}", json={"name": "Renamed"}, headers=ADMIN
        )
        assert renamed.status_code == 200
        seen = reader.client.get(f"{ORGS}/lookup", params={"slug": org["slug"]}, headers=ADMIN)
        assert seen.json()["organization"]["name"] == "Renamed"


def test_a_serve_process_without_projections_has_none_running(
    two_servers: tuple[Server, Server],
) -> None:
    _, reader = two_servers
    assert "leading, following the event store" not in reader.logs()

"""Events and read models survive a restart of the service."""

from __future__ import annotations

from tests.helpers import ADMIN, Server, create_body

ORGS = "/api/v1/organizations"


def test_organizations_survive_a_server_restart(database_url: str) -> None:
    first = Server(database_url)
    org = first.client.post(ORGS, json=create_body(), headers=ADMIN).json()["organization"]
    first.stop()

    second = Server(database_url)
    try:
        seen = second.client.get(f"{ORGS}/{org['id']}", headers=ADMIN)
        assert seen.json()["organization"] == org
        renamed = second.client.patch(
            f"{ORGS}/{org['id']}", json={"name": "After Restart"}, headers=ADMIN
        )
        assert renamed.json()["organization"]["version"] == 2
    finally:
        second.stop()

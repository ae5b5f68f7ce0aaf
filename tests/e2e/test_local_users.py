"""Trying users without an identity provider: `tenant-registry users keys` and `users token`
with a real server, on each store."""

from __future__ import annotations

import subprocess
import sys
from typing import TYPE_CHECKING

from tests.helpers import ORGS, Server, bearer, random_slug

if TYPE_CHECKING:
    from pathlib import Path


def cli(*args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "cli.main", "users", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return result.stdout


def test_a_local_key_pair_signs_in_a_user_who_creates_an_organization(
    database_url: str, tmp_path: Path
) -> None:
    exports = cli("keys", "--dir", str(tmp_path))
    env = dict(line.removeprefix("export ").split("=", 1) for line in exports.splitlines())
    server = Server(database_url, env=env)
    try:
        token = cli("token", "alice", "--email", "alice@example.com", "--dir", str(tmp_path))
        body = {"name": "Alice's", "slug": random_slug()}
        created = server.client.post(ORGS, json=body, headers=bearer(token.strip()))
        assert created.status_code == 201, created.text
        assert created.json()["organization"]["owner"] == "alice"
    finally:
        server.stop()

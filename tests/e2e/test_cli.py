"""The tenant-registry command line."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from typing import TYPE_CHECKING

import httpx
import pytest

from cli.main import main as tenant_registry
from cli.users import JWKS, LOCAL_AUDIENCE, LOCAL_ISSUER, make_keys, mint_token
from domain.commands import OrganizationChanges
from service.composition import bootstrap
from tests.helpers import (
    ORGS,
    Server,
    bearer,
    create_body,
    free_port,
    make_settings,
    run_cli,
    written_by_admin,
)

if TYPE_CHECKING:
    from pathlib import Path


def test_history_prints_events_oldest_first_by_slug(database_url: str) -> None:
    org, _ = written_by_admin(database_url, OrganizationChanges(name="Renamed Co"))

    result = run_cli("history", org["slug"], "--json", database_url=database_url)
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(r["version"], r["type"]) for r in rows] == [(1, "Created"), (2, "Renamed")]
    assert rows[1]["actor"] == {"type": "admin"}
    assert rows[1]["changes"] == {"name": "Renamed Co"}


def test_history_shows_the_user_who_caused_an_event(database_url: str, tmp_path: Path) -> None:
    make_keys(tmp_path)
    env = {
        "REGISTRY_JWKS_FILE": str(tmp_path / JWKS),
        "REGISTRY_JWT_ISSUER": LOCAL_ISSUER,
        "REGISTRY_JWT_AUDIENCE": LOCAL_AUDIENCE,
    }
    server = Server(database_url, env=env)
    try:
        token = mint_token(tmp_path, "alice", email="alice@example.com")
        created = server.client.post(ORGS, json=create_body(), headers=bearer(token))
        assert created.status_code == 201, created.text
    finally:
        server.stop()
    org_id = created.json()["organization"]["id"]
    as_text = run_cli("history", org_id, database_url=database_url).stdout.splitlines()
    assert [(line.split()[2], line.split()[3]) for line in as_text] == [
        ("Created", "user:alice"),
        ("MembershipChanged", "user:alice"),
    ]
    as_json = run_cli("history", org_id, "--json", database_url=database_url).stdout
    assert {json.loads(line)["actor"]["id"] for line in as_json.splitlines()} == {"alice"}


def test_history_of_unknown_organization_fails_clearly(database_url: str) -> None:
    bootstrap(make_settings(database_url), run_projections=False).close()  # An empty store.
    result = run_cli("history", "no-such-org", database_url=database_url)
    assert result.returncode != 0
    assert "no organization 'no-such-org'" in result.stderr


def test_serve_without_admin_token_generates_and_prints_one(tmp_path: Path) -> None:
    port = free_port()
    env = {"REGISTRY_DATABASE_URL": f"sqlite:///{tmp_path}/r.db", "PATH": "/usr/bin:/bin"}
    process = subprocess.Popen(
        [sys.executable, "-m", "cli.main", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline() for _ in range(2)]
        assert "generated an admin token" in lines[0]
        token = lines[1].strip()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                response = httpx.get(
                    f"http://127.0.0.1:{port}/api/v1/organizations",
                    headers={"Authorization": f"Bearer {token}"},
                )
                break
            except httpx.TransportError:
                time.sleep(0.1)
        assert response.status_code == 200
    finally:
        process.terminate()
        process.wait(15)


def test_invalid_database_url_is_a_clear_error(tmp_path: Path) -> None:
    result = run_cli("history", "x", database_url="mysql://nope")
    assert result.returncode != 0
    assert "unsupported database URL scheme" in result.stderr


def test_history_prints_the_state_at_a_version_or_a_time(database_url: str) -> None:
    org, renamed = written_by_admin(database_url, OrganizationChanges(name="Renamed Co"))
    org_id, updated_at = str(org["id"]), renamed["updated_at"].isoformat()

    at_one = run_cli("history", org_id, "--version", "1", "--json", database_url=database_url)
    assert json.loads(at_one.stdout)["name"] == org["name"]
    now = run_cli("history", org["slug"], "--as-of", updated_at, "--json",
                  database_url=database_url)  # fmt: skip
    assert (json.loads(now.stdout)["name"], json.loads(now.stdout)["version"]) == ("Renamed Co", 2)
    before = run_cli(
        "history", org_id, "--as-of", "2001-01-01T00:00:00Z", database_url=database_url
    )
    assert before.returncode == 1
    assert "no organization" in before.stderr


def test_version_prints_the_installed_version() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "cli.main", "--version"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0
    assert result.stdout.startswith("tenant-registry ")
    assert result.stdout.strip() != "tenant-registry unknown"


@pytest.mark.parametrize(
    "command",
    [("history", "acme"), ("projections", "status"), ("projections", "verify"), ("export",)],
)
def test_a_command_that_reads_a_store_refuses_a_sqlite_file_that_does_not_exist(
    tmp_path: Path, command: tuple[str, ...]
) -> None:
    missing = tmp_path / "elsewhere.db"
    result = run_cli(*command, database_url=f"sqlite:///{missing}")
    assert result.returncode == 1
    assert f"no database at {missing}" in result.stderr
    assert not missing.exists()


@pytest.mark.parametrize(
    ("variable", "value", "problem"),
    [
        ("REGISTRY_DATABASE_URL", "mysql://registry:SuperSecret99@db/registry", "unsupported"),
        ("REGISTRY_ADMIN_TOKEN", "short-Secret", "at least 16 characters"),
        ("REGISTRY_READY_MAX_LAG", "-1", "greater than or equal to 0"),
        ("REGISTRY_MAX_BODY_BYTES", "0", "greater than or equal to 1024"),
        ("REGISTRY_CONSISTENCY_TIMEOUT", "-5", "greater than 0"),
    ],
)
def test_a_bad_setting_is_named_with_its_variable_and_never_echoed(
    tmp_path: Path, variable: str, value: str, problem: str
) -> None:
    env = {
        "PATH": "/usr/bin:/bin",
        "REGISTRY_DATABASE_URL": f"sqlite:///{tmp_path}/r.db",
        "REGISTRY_ADMIN_TOKEN": "test-admin-token-0123456789abcdef",
        variable: value,
    }
    result = subprocess.run(
        [sys.executable, "-m", "cli.main", "projections", "status"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert f"{variable}:" in result.stderr
    assert problem in result.stderr
    assert "input_value" not in result.stderr
    assert "Secret" not in result.stderr  # The secret-bearing values are never echoed.


@pytest.mark.parametrize(
    "command", [("serve", "--port", "0"), ("project",), ("projections", "status")]
)
def test_an_unreachable_database_is_one_line_not_a_traceback(command: tuple[str, ...]) -> None:
    url = f"postgresql://registry:Secret-Password@127.0.0.1:{free_port()}/registry"
    result = run_cli(*command, database_url=url)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) <= 2
    assert "Connection refused" in result.stderr
    assert "Secret-Password" not in result.stderr


def test_a_sqlite_folder_that_does_not_exist_is_one_line(tmp_path: Path) -> None:
    folder = tmp_path / "missing"
    result = run_cli("serve", "--port", "0", database_url=f"sqlite:///{folder}/r.db")
    assert result.returncode == 1
    assert result.stderr.strip() == (
        f"tenant-registry: cannot write the SQLite database in {folder}: set "
        "REGISTRY_DATABASE_URL to a writable place"
    )


def test_history_names_fields_as_the_api_does(database_url: str) -> None:
    changes = OrganizationChanges(status="suspended", status_reason="audit", external_id="idp-9")
    org_id = str(written_by_admin(database_url, changes)[0]["id"])
    as_json = run_cli("history", org_id, "--json", database_url=database_url)
    rows = [json.loads(line) for line in as_json.stdout.splitlines()]
    assert {"statusReason", "externalId"} <= {k for row in rows for k in row["changes"]}
    as_text = run_cli("history", org_id, database_url=database_url).stdout
    assert 'statusReason="audit"' in as_text
    assert "status_reason" not in as_text


@pytest.mark.parametrize(
    "command",
    [
        ("serve",),
        ("project",),
        ("history",),
        ("projections", "status"),
        ("projections", "rebuild"),
        ("projections", "verify"),
        ("export",),
        ("import",),
        ("users",),
        ("users", "keys"),
        ("users", "token"),
    ],
)
def test_every_command_describes_itself_with_an_example(
    command: tuple[str, ...], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "80")  # As wide as a process without a terminal prints.
    with pytest.raises(SystemExit) as exited:  # In this process: only the arguments' parser.
        tenant_registry([*command, "--help"])
    assert exited.value.code == 0
    stdout = capsys.readouterr().out
    assert "examples:" in stdout
    assert f"tenant-registry {' '.join(command)}" in stdout


def test_serve_on_a_port_in_use_says_so_in_one_plain_line(tmp_path: Path) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        result = run_cli("serve", "--port", str(port), database_url=f"sqlite:///{tmp_path}/r.db")
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"tenant-registry serve: cannot listen on 127.0.0.1:{port}: address already in use"
    ]

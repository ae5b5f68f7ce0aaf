"""`tenant-registry projections` against real stores and a real server."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from typing import TYPE_CHECKING, Any

from projections.rebuild import rebuild_checkpoint
from projections.tables import NEXT_SUFFIX
from service.composition import bootstrap
from tests.helpers import ADMIN, Server, create_body, make_settings, populate, random_slug, run_cli

if TYPE_CHECKING:
    from pathlib import Path

    from service.composition import Services

ORGS = "/api/v1/organizations"


def rebuild_process(database_url: str, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "REGISTRY_DATABASE_URL": database_url}
    command = [sys.executable, "-m", "cli.main", "projections", "rebuild", *args]
    return subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def checkpoint(services: Services) -> int:
    return rebuild_checkpoint(services.read_model, NEXT_SUFFIX) or 0


def test_status_reports_position_lag_and_exit_code(database_url: str) -> None:
    populate(database_url, 3)
    result = run_cli("projections", "status", "--json", database_url=database_url)
    [row] = json.loads(result.stdout)
    assert set(row) >= {"name", "version", "position", "head", "lag", "state", "lastError"}
    assert (row["name"], row["lag"], row["position"] == row["head"]) == (
        "organization_lookup",
        0,
        True,
    )
    assert result.returncode == 0


def test_verify_exits_1_on_drift_and_0_when_the_read_model_matches(database_url: str) -> None:
    populate(database_url, 3)
    assert run_cli("projections", "verify", database_url=database_url).returncode == 0
    services = bootstrap(make_settings(database_url), run_projections=False)
    try:
        from tests.helpers import tamper

        tamper(
            services,
            services.read_model.admin.rows(services.read_model.tables.organizations, "id")[0]["id"],
        )
    finally:
        services.close()
    drifted = run_cli("projections", "verify", database_url=database_url)
    assert drifted.returncode == 1
    assert "tampered" in drifted.stdout


def test_killed_rebuild_leaves_the_live_read_model_serving_and_resumes(database_url: str) -> None:
    orgs = populate(database_url, 600)
    services = bootstrap(make_settings(database_url), run_projections=False)
    try:
        process = rebuild_process(database_url, "--batch-size", "10")
        deadline = time.monotonic() + 60
        while checkpoint(services) == 0 and time.monotonic() < deadline:
            time.sleep(0.005)
        process.send_signal(signal.SIGKILL)
        process.wait()
        reached = checkpoint(services)
        assert 0 < reached < services.read_model.position()  # Killed midway.
        assert services.read_model.queries.get_organization(orgs[-1]["id"]) == orgs[-1]
        finished = run_cli("projections", "rebuild", database_url=database_url)
        assert finished.returncode == 0, finished.stderr
        assert services.read_model.queries.get_organization(orgs[-1]["id"]) == orgs[-1]
        done = int(finished.stdout.split("rebuilt organization_lookup: ")[1].split()[0])
        assert done < 2 * len(orgs)  # Resumed from the checkpoint, not from the start.
        assert run_cli("projections", "verify", database_url=database_url).returncode == 0
    finally:
        services.close()


def workers_of(pid: int) -> list[int]:
    """The rebuild worker processes ``pid`` started."""
    found = []
    for entry in os.listdir("/proc"):
        try:
            with open(f"/proc/{entry}/stat") as stat:
                parent = int(stat.read().rsplit(")", 1)[1].split()[1])
            with open(f"/proc/{entry}/cmdline", "rb") as cmdline:
                command = cmdline.read()
        except (OSError, ValueError):
            continue
        if parent == pid and b"spawn_main" in command:
            found.append(int(entry))
    return found


def running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except OSError:
        return False


def test_a_killed_rebuild_by_several_processes_takes_its_workers_along_and_resumes(
    database_url: str,
) -> None:
    orgs = populate(database_url, 600)
    services = bootstrap(make_settings(database_url), run_projections=False)
    try:
        process = rebuild_process(database_url, "--workers", "2", "--batch-size", "5")
        deadline = time.monotonic() + 60
        while len(workers := workers_of(process.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.005)
        assert len(workers) == 2
        while checkpoint(services) == 0 and time.monotonic() < deadline:
            time.sleep(0.005)
        process.send_signal(signal.SIGKILL)
        process.wait()
        deadline = time.monotonic() + 2  # Dying with it takes milliseconds.
        while any(running(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert not any(running(pid) for pid in workers)
        reached = checkpoint(services)
        assert 0 < reached < services.read_model.position()  # Killed midway.
        assert services.read_model.queries.get_organization(orgs[-1]["id"]) == orgs[-1]
        finished = run_cli("projections", "rebuild", "--workers", "3", database_url=database_url)
        assert finished.returncode == 0, finished.stderr
        done = int(finished.stdout.split("rebuilt organization_lookup: ")[1].split()[0])
        assert done < 2 * len(orgs)  # Resumed from the checkpoints, not from the start.
        assert services.read_model.queries.get_organization(orgs[-1]["id"]) == orgs[-1]
        assert run_cli("projections", "verify", database_url=database_url).returncode == 0
    finally:
        services.close()


def test_the_api_answers_every_lookup_during_a_rebuild(database_url: str) -> None:
    populate(database_url, 300)
    server = Server(database_url)
    page = server.client.get(ORGS, params={"limit": 100}, headers=ADMIN)
    orgs = page.json()["organizations"]
    failures: list[str] = []
    stop = threading.Event()
    polls = [0]

    def poll() -> None:
        i = 0
        while not stop.is_set():
            polls[0] = i
            org = orgs[i % len(orgs)]
            by_id = server.client.get(f"{ORGS}/{org['id']}", headers=ADMIN)
            by_slug = server.client.get(
                f"{ORGS}/lookup", params={"slug": org["slug"]}, headers=ADMIN
            )
            for response in (by_id, by_slug):
                if response.status_code != 200 or response.json()["organization"] != org:
                    failures.append(f"{response.status_code} {response.text[:200]}")
            i += 1

    poller = threading.Thread(target=poll)
    poller.start()
    try:
        for _ in range(2):
            process = rebuild_process(database_url, "--batch-size", "50")
            _, stderr = process.communicate(timeout=120)
            assert process.returncode == 0, stderr
        created = server.client.post(
            ORGS, json={"name": "After", "slug": random_slug()}, headers=ADMIN
        )
        assert created.status_code == 201
        fetched = server.client.get(created.headers["location"], headers=ADMIN)
        assert fetched.json()["organization"] == created.json()["organization"]
    finally:
        stop.set()
        poller.join()
        server.stop()
    assert failures == []
    assert polls[0] > 10  # The lookups ran while the rebuilds did.


def test_export_import_moves_a_sqlite_registry_to_postgres_with_identical_answers(
    tmp_path: Any, postgres_url: str
) -> None:
    sqlite_url = f"sqlite:///{tmp_path}/embedded.db"
    source = Server(sqlite_url)
    made = [source.client.post(ORGS, json=create_body(), headers=ADMIN).json() for _ in range(5)]
    org_id = made[0]["organization"]["id"]
    source.client.patch(f"{ORGS}/{org_id}", json={"settings": {"timezone": "UTC"}}, headers=ADMIN)
    secret = source.client.post(f"{ORGS}/{org_id}/api-keys", json={}, headers=ADMIN).json()[
        "secret"
    ]
    people = {
        f"{ORGS}/{org_id}/roles/billing": {"name": "Billing", "permissions": ["billing:*"]},
        f"{ORGS}/{org_id}/members": {
            "userId": "u1",
            "email": "u1@example.com",
            "roles": ["billing"],
        },
    }
    for path, body in people.items():
        (source.client.put if "roles" in path else source.client.post)(
            path, json=body, headers=ADMIN
        ).raise_for_status()
    invitation = source.client.post(
        f"{ORGS}/{org_id}/invitations", json={"email": "new@example.com"}, headers=ADMIN
    ).json()
    source.stop()
    exported = tmp_path / "events.jsonl"
    assert run_cli("export", "--output", str(exported), database_url=sqlite_url).returncode == 0

    imported = run_cli("import", str(exported), database_url=postgres_url)
    assert imported.returncode == 0, imported.stderr
    assert run_cli("projections", "verify", database_url=postgres_url).returncode == 0
    again = run_cli("import", str(exported), database_url=postgres_url)
    assert again.returncode == 1  # Refuses a store that already has events.

    servers = Server(sqlite_url), Server(postgres_url)
    try:
        for path in (
            *(f"{ORGS}/{m['organization']['id']}" for m in made),
            f"{ORGS}/{org_id}/history",
            f"{ORGS}/{org_id}/api-keys",
            f"{ORGS}?limit=100",
            f"{ORGS}/{org_id}/members?status=invited",
            f"{ORGS}/{org_id}/members",
            f"{ORGS}/{org_id}/roles",
            f"{ORGS}/{org_id}/members/u1/permissions",
            "/api/v1/users/u1/organizations",
        ):
            answers = [s.client.get(path, headers=ADMIN).json() for s in servers]
            assert answers[0] == answers[1], path
        by_key = servers[1].client.get(
            f"{ORGS}/current", headers={"Authorization": f"Bearer {secret}"}
        )
        assert by_key.json()["organization"]["id"] == org_id
        accepted = servers[1].client.post(
            f"{ORGS}/{org_id}/invitations/{invitation['member']['id']}/accept",
            json={"token": invitation["token"], "userId": "u2"},
            headers=ADMIN,
        )
        assert accepted.json()["member"]["status"] == "active"
    finally:
        for server in servers:
            server.stop()


def test_status_shows_a_failed_projection_with_its_error_until_a_rebuild_mends_it(
    database_url: str,
) -> None:
    orgs = populate(database_url, 2)
    # The rename below cannot reach the read model: its answer need not wait the usual 10 s.
    server = Server(database_url, env={"REGISTRY_CONSISTENCY_TIMEOUT": "1"})
    try:
        assert (
            json.loads(
                run_cli("projections", "status", "--json", database_url=database_url).stdout
            )[0]["state"]
            == "running"
        )
        services = bootstrap(make_settings(database_url), run_projections=False)
        try:
            from tests.helpers import tamper

            tamper(services, orgs[0]["id"], delete=True)
        finally:
            services.close()
        server.client.patch(f"{ORGS}/{orgs[0]['id']}", json={"name": "Lost"}, headers=ADMIN)
        failed = json.loads(
            run_cli("projections", "status", "--json", database_url=database_url).stdout
        )[0]
        assert failed["state"] == "failed"
        assert "no row for organization" in failed["lastError"]
        assert run_cli("projections", "rebuild", database_url=database_url).returncode == 0
        deadline = time.monotonic() + 60
        while True:
            row = json.loads(
                run_cli("projections", "status", "--json", database_url=database_url).stdout
            )[0]
            if row["state"] == "running" and row["lag"] == 0:
                break
            assert time.monotonic() < deadline, row
            time.sleep(0.2)
        fetched = server.client.get(f"{ORGS}/{orgs[0]['id']}", headers=ADMIN)
        assert fetched.json()["organization"]["name"] == "Lost"
    finally:
        server.stop()
    stopped = run_cli("projections", "status", "--json", database_url=database_url)
    assert json.loads(stopped.stdout)[0]["state"] == "stopped"


def test_an_import_with_a_bad_line_anywhere_writes_nothing(
    database_url: str, tmp_path: Path
) -> None:
    populate(database_url, 3)
    exported = tmp_path / "registry.jsonl"
    assert run_cli("export", "--output", str(exported), database_url=database_url).returncode == 0
    lines = exported.read_text().splitlines()
    lines.insert(len(lines) - 1, "{not an exported event")  # Near the end.
    exported.write_text("\n".join(lines) + "\n")
    target = tmp_path / "restored.db"
    result = run_cli("import", str(exported), database_url=f"sqlite:///{target}")
    assert result.returncode == 1
    assert f"line {len(lines) - 1} is not an exported event" in result.stderr
    assert not target.exists()  # Refused before anything was written.

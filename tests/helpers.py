"""Test data and helpers shared by every suite."""

from __future__ import annotations

import contextlib
import os
import random
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import parse_qs, urlsplit

import httpx
import psycopg
from psycopg.sql import SQL, Identifier

from application.registry import OrganizationRegistry
from domain.commands import NewOrganization, OrganizationChanges
from domain.context import acting_as, admin_actor
from projections.leadership import leader_lock, schema_setup
from projections.leadership import postgres_conninfo as bootstrap_conninfo
from projections.postgres.writer import PostgresRowWriter
from service.composition import bootstrap
from service.settings import Settings, store_env

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from service.composition import Services

ADMIN_TOKEN = "test-admin-token-0123456789abcdef"
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
ORGS = "/api/v1/organizations"
POSTGRES_URL = os.environ.get("REGISTRY_TEST_POSTGRES_URL", "")
WRITERS = 16
"""Threads in a race."""


def postgres_conninfo(database_url: str = POSTGRES_URL) -> dict[str, Any]:
    """Connection arguments for the database the URL names (the suite's by default)."""
    return bootstrap_conninfo(store_env(database_url))


def random_slug(prefix: str = "org") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


PORT_BLOCK = 500
"""Ports each test process (pytest-xdist worker) takes its own from."""


def _port_numbers() -> Iterator[int]:
    """This process's block of ports, below the kernel's ephemeral range (32768 up, where
    outgoing connections take theirs): worker ``gwN`` of pytest-xdist gets the Nth block, so
    no two workers are handed the same port; a random start within the block keeps two runs
    side by side apart too. Each port is handed out once."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")
    first = 20000 + (int(worker) if worker.isdigit() else 0) % 24 * PORT_BLOCK
    start = random.randrange(PORT_BLOCK)
    for offset in range(PORT_BLOCK):
        yield first + (start + offset) % PORT_BLOCK


_ports = _port_numbers()


def free_port() -> int:
    """A port nobody listens on, that no other test process of this run is handed."""
    for port in _ports:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"every port of this process's block of {PORT_BLOCK} was handed out")


class HasClient(Protocol):
    """Anything with an HTTP client on the API: a ``Server`` process, or the in-process
    app of ``tests/api`` (whose Starlette ``TestClient`` is an ``httpx.Client``)."""

    @property
    def client(self) -> httpx.Client: ...


class Server:
    """A real ``tenant-registry serve`` process on a free port."""

    def __init__(
        self,
        database_url: str,
        *args: str,
        env: dict[str, str] | None = None,
        port: int | None = None,
    ) -> None:
        """``port``: that one (a server back where its clients know it), else a free one."""
        self._command = ["serve", *args]
        self._env = {
            **os.environ,
            "REGISTRY_DATABASE_URL": database_url,
            "REGISTRY_ADMIN_TOKEN": ADMIN_TOKEN,
            **(env or {}),
        }
        for _ in range(3):  # Another test run on this machine may take the port first.
            self._start(port or free_port())
            if self._started():
                return
        raise RuntimeError(f"no free port: {self.logs()}")

    def _started(self) -> bool:
        """Whether it answers; else (its port was taken, or it failed) it is stopped."""
        try:
            if self._wait_healthy():
                return True
        except BaseException:
            self.stop()  # A server that did not start must not outlive its test.
            raise
        self.stop()
        return False

    def _start(self, port: int) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.log_path = f"/tmp/tenant-registry-test-{os.getpid()}-{port}.log"
        self.log = open(self.log_path, "w")  # noqa: SIM115
        self.process = subprocess.Popen(
            [sys.executable, "-m", "cli.main", *self._command, "--port", str(port)],
            env=self._env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self.client = httpx.Client(base_url=self.url, timeout=30)

    def _wait_healthy(self, timeout: float = 30) -> bool:
        """Whether it answers (``False``: its port was taken); raises if it failed else."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                if "address already in use" in self.logs():
                    return False
                raise RuntimeError(f"server exited: {self.logs()}")
            with contextlib.suppress(httpx.TransportError):
                # What answers may be another run's server, unless this one says it bound.
                if self.client.get("/healthz", timeout=2).status_code == 200 and self._bound():
                    return True
            time.sleep(0.05)
        raise RuntimeError(f"server did not start: {self.logs()}")

    def _bound(self) -> bool:
        """Whether this server, not another run's, holds the port: its log says so, or (a
        server logging warnings only says nothing) the process has it listening."""
        return f"Uvicorn running on {self.url} " in self.logs() or listens(
            self.process.pid, self.port
        )

    def logs(self) -> str:
        if not self.log.closed:
            self.log.flush()
        with open(self.log_path) as f:
            return f.read()

    def restart(self) -> None:
        """Stop the process and serve again on the same port: a client keeps its address."""
        self.stop()
        self._start(self.port)
        if not self._started():
            raise RuntimeError(f"port {self.port} was taken meanwhile: {self.logs()}")

    def stop(self) -> None:
        self.client.close()
        self.process.terminate()
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


def create_body(**fields: Any) -> dict[str, Any]:
    return {"name": "Acme Financial Group", "slug": random_slug(), **fields}


def new_org(server: HasClient, **fields: Any) -> dict[str, Any]:
    response = server.client.post(ORGS, json=create_body(**fields), headers=ADMIN)
    assert response.status_code == 201, response.text
    org: dict[str, Any] = response.json()["organization"]
    return org


def org_with(server: HasClient, **people: str) -> dict[str, Any]:
    """A new organization with these members (userId: role), added by the admin."""
    org = new_org(server)
    for user_id, role in people.items():
        body = {"userId": user_id, "email": f"{user_id}@example.com", "roles": [role]}
        added = server.client.post(f"{ORGS}/{org['id']}/members", json=body, headers=ADMIN)
        assert added.status_code == 201, added.text
    return org


def issue_key(server: HasClient, org_id: str, **fields: Any) -> dict[str, Any]:
    response = server.client.post(f"{ORGS}/{org_id}/api-keys", json=fields, headers=ADMIN)
    assert response.status_code == 201, response.text
    issued: dict[str, Any] = response.json()
    return issued


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def run_cli(*args: str, database_url: str) -> subprocess.CompletedProcess[str]:
    env = {"REGISTRY_DATABASE_URL": database_url, "PATH": "/usr/bin:/bin"}
    return subprocess.run(
        [sys.executable, "-m", "cli.main", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def race(
    database_url: str, command: Callable[[OrganizationRegistry, int], Any], writers: int = WRITERS
) -> list[Any]:
    """Run ``command`` in ``writers`` threads at once, each with its own registry (own
    connections)."""
    env = make_settings(database_url).registry_env()
    with schema_setup(env):
        registries = [OrganizationRegistry(env) for _ in range(writers)]
    barrier = threading.Barrier(writers)
    outcomes: list[Any] = [None] * writers

    def run(i: int) -> None:
        barrier.wait()
        try:
            outcomes[i] = command(registries[i], i)
        except Exception as error:
            outcomes[i] = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for r in registries:
        r.close()
    return outcomes


def lock(services: Services) -> Any:
    return leader_lock(services.registry.env, "organization_lookup-rebuild")


def tamper(services: Services, org_id: Any, *, delete: bool = False, model: Any = None) -> None:
    """Change (or delete) one read-model row behind the projection's back (in ``model``,
    the live copy by default)."""
    model = model or services.read_model
    change = "DELETE FROM {}" if delete else "UPDATE {} SET name_folded = 'tampered'"
    table_name = model.tables.organizations
    if isinstance(model.writer, PostgresRowWriter):
        table = SQL("{}.{}").format(Identifier(model.datastore.schema), Identifier(table_name))
        statement: Any = SQL(change + " WHERE id = %s").format(table)
    else:
        statement, org_id = change.format(table_name) + " WHERE id = ?", str(org_id)
    with model.datastore.transaction(commit=True) as c:
        c.execute(statement, (org_id,))


def snapshot(services: Services) -> dict[str, Any]:
    model = services.read_model
    return {
        name: model.admin.rows(getattr(model.tables, attribute), key)
        for name, attribute, key in TABLES
    }


TABLES = (
    ("lookup", "organizations", "id"),
    ("keys", "keys", "id"),
    ("history", "history", "position"),
    ("members", "members", "id"),
)


def caught_up(services: Services) -> None:
    deadline = time.monotonic() + 30
    while services.lag()[1] and time.monotonic() < deadline:
        time.sleep(0.01)
    assert services.lag()[1] == 0


def dump_store(database_url: str) -> str:
    """Every row of every table of the store (events, read models, tracking), as text."""
    parts = urlsplit(database_url)
    if parts.scheme == "sqlite":
        with sqlite3.connect(parts.path[1:]) as conn:
            tables = [
                r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
            ]
            rows = [conn.execute(f'SELECT * FROM "{t}"').fetchall() for t in tables]  # noqa: S608
        return repr(rows)
    schema = parse_qs(parts.query)["schema"][0]
    with psycopg.connect(**postgres_conninfo()) as conn:
        tables = conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s", (schema,)
        ).fetchall()
        rows = [
            conn.execute(
                SQL("SELECT * FROM {}.{}").format(Identifier(schema), Identifier(t))
            ).fetchall()
            for (t,) in tables
        ]
    return repr(rows)


def populate(database_url: str, organizations: int) -> list[dict[str, Any]]:
    services = bootstrap(make_settings(database_url))
    try:
        made = []
        for i in range(organizations):
            org = services.registry.create(NewOrganization(name=f"O{i}", slug=random_slug()))
            written = services.registry.update(
                org.organization["id"], OrganizationChanges(name=f"Org {i}")
            )
            made.append(written.organization)
        services.read_model.queries.wait_for_position(written.position or 0, 60)
        return made
    finally:
        services.close()


def written_by_admin(
    database_url: str, *changes: OrganizationChanges
) -> tuple[dict[str, Any], dict[str, Any]]:
    """An organization created, then changed, by the admin, and projected: as the API
    records them, from the test's process (no server to start). Returns the organization
    as created and as last changed (the registry's dicts: snake_case, a UUID id)."""
    services = bootstrap(make_settings(database_url))
    try:
        with acting_as(admin_actor()):
            created = services.registry.create(
                NewOrganization(name="Acme Financial Group", slug=random_slug())
            )
            written = created
            for change in changes:
                written = services.registry.update(created.organization["id"], change)
        assert services.read_model.queries.wait_for_position(written.position or 0, 30)
        return created.organization, written.organization
    finally:
        services.close()


def make_settings(database_url: str, **overrides: object) -> Settings:
    return Settings(database_url=database_url, admin_token=ADMIN_TOKEN, **overrides)  # type: ignore[arg-type]


def listens(pid: int, port: int) -> bool:
    """Whether process ``pid`` has a TCP socket listening on ``port`` (Linux's /proc)."""
    inodes = set()
    with contextlib.suppress(OSError):
        for fd in os.listdir(f"/proc/{pid}/fd"):
            with contextlib.suppress(OSError):
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
                if target.startswith("socket:["):
                    inodes.add(target[8:-1])
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError), open(table) as sockets:
            for line in list(sockets)[1:]:
                fields = line.split()
                local_port = int(fields[1].rsplit(":", 1)[1], 16)
                if fields[3] == "0A" and local_port == port and fields[9] in inodes:
                    return True
    return False

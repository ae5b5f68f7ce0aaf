"""A PostgreSQL cluster of the tests' own: initialized in a temporary folder, on a free
port, run as the ``postgres`` user when started as root (PostgreSQL refuses root). Tests
and scripts change, stop and restart only such a cluster, never a server they did not
start.

``scripts/test`` uses it when no ``REGISTRY_TEST_POSTGRES_URL`` is given::

    eval "$(python3 -m tests.pg_cluster start)"   # exports REGISTRY_TEST_POSTGRES_URL
    python3 -m tests.pg_cluster stop "$REGISTRY_TEST_CLUSTER"
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import psycopg

from tests.helpers import free_port

BIN_DIRS = [Path(f"/usr/lib/postgresql/{v}/bin") for v in (15, 16, 17)]


def server_binary(name: str) -> str | None:
    for directory in BIN_DIRS:
        if (directory / name).exists():
            return str(directory / name)
    return shutil.which(name)


class Cluster:
    def __init__(self, prefix: str = "registry-pg-", max_connections: int = 100) -> None:
        """Initialize and start a cluster (PostgreSQL's default of 100 connections)."""
        self.root = Path(tempfile.mkdtemp(prefix=prefix))
        self.data = self.root / "data"
        self.port = free_port()
        self.max_connections = max_connections
        self._as_postgres = os.geteuid() == 0
        if self._as_postgres:
            shutil.chown(self.root, "postgres", "postgres")
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync")
        self.start()

    def _run(self, binary: str, *args: str) -> None:
        path = server_binary(binary)
        if path is None:
            raise RuntimeError(f"{binary} not found: PostgreSQL's server binaries are needed")
        prefix = ["runuser", "-u", "postgres", "--"] if self._as_postgres else []
        subprocess.run([*prefix, path, *args], check=True, capture_output=True, cwd=self.root)

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 "
            f"-c max_connections={self.max_connections} -c fsync=off -c synchronous_commit=off"
        )
        log = str(self.root / "log")
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", log, "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def schema_url(self) -> str:
        """A fresh schema's URL."""
        schema = f"faults_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(
            host="127.0.0.1", port=self.port, user="postgres", dbname="postgres", autocommit=True
        ) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
        return f"{self.url}?schema={schema}"

    def remove(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):  # Already stopped.
            self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)


def _stop(root: str) -> None:
    cluster = Cluster.__new__(Cluster)
    cluster.root, cluster.data = Path(root), Path(root) / "data"
    cluster._as_postgres = os.geteuid() == 0
    cluster.remove()


if __name__ == "__main__":
    if sys.argv[1:2] == ["start"]:
        started = Cluster()
        print(f"export REGISTRY_TEST_POSTGRES_URL={started.url}")
        print(f"export REGISTRY_TEST_CLUSTER={started.root}")
    elif sys.argv[1:2] == ["stop"] and len(sys.argv) == 3:
        _stop(sys.argv[2])
    else:
        raise SystemExit("usage: python3 -m tests.pg_cluster start | stop FOLDER")

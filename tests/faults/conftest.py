"""A PostgreSQL cluster of the fault suite's own, on its own port, that its tests may stop,
kill and start again: they never touch a server they did not start. PostgreSQL refuses to
run as root, so as root the cluster runs as the ``postgres`` user."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

import psycopg
import pytest

from tests.helpers import free_port

if TYPE_CHECKING:
    from collections.abc import Iterator

BIN_DIRS = [Path(p) for p in ("/usr/lib/postgresql/15/bin", "/usr/lib/postgresql/16/bin")]


def _bin(name: str) -> str:
    for directory in BIN_DIRS:
        if (directory / name).exists():
            return str(directory / name)
    found = shutil.which(name)
    if found is None:
        pytest.fail(f"{name} not found: the fault suite needs PostgreSQL's server binaries")
    return found


class Cluster:
    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="registry-faults-"))
        self.data = self.root / "data"
        self.port = free_port()
        self._as_postgres = os.geteuid() == 0
        if self._as_postgres:
            shutil.chown(self.root, "postgres", "postgres")
        self._run(
            _bin("initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync"
        )
        self.start()

    def _run(self, *command: str) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if self._as_postgres else []
        subprocess.run([*prefix, *command], check=True, capture_output=True, cwd=self.root)

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 "
            "-c max_connections=60 -c fsync=off -c synchronous_commit=off"
        )
        self._run(
            _bin("pg_ctl"),
            "-D",
            str(self.data),
            "-o",
            options,
            "-l",
            str(self.root / "log"),
            "-w",
            "start",
        )

    def stop(self, mode: str = "fast") -> None:
        self._run(_bin("pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")

    def schema_url(self) -> str:
        """A fresh schema's URL."""
        schema = f"faults_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(
            host="127.0.0.1", port=self.port, user="postgres", dbname="postgres", autocommit=True
        ) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres?schema={schema}"

    def remove(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):  # Already stopped.
            self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    started = Cluster()
    yield started
    started.remove()

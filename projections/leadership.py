"""Leader locks: at any moment one process on a database runs each projection.

PostgreSQL: a session advisory lock, released by the server when its connection dies.
SQLite: an exclusive ``flock`` on a file beside the database, released by the kernel
when the process dies.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from typing import IO, TYPE_CHECKING, Any, Protocol

import psycopg

if TYPE_CHECKING:
    from collections.abc import Iterator


class LeaderLock(Protocol):
    def acquire(self) -> bool:
        """Try to become the leader; ``False`` if another process is."""

    def held(self) -> bool:
        """Whether this process still leads (its lock connection is alive)."""

    def release(self) -> None:
        """Stop leading."""


class PostgresLeaderLock:
    def __init__(self, conninfo: dict[str, Any], key: str) -> None:
        self._conninfo = conninfo
        self._key = key
        self._conn: psycopg.Connection[Any] | None = None

    def acquire(self) -> bool:
        try:
            if self._conn is None or self._conn.closed:
                self._conn = psycopg.connect(**self._conninfo, autocommit=True)
            row = self._conn.execute(
                "SELECT pg_try_advisory_lock(hashtextextended(%s, 0))", (self._key,)
            ).fetchone()
        except psycopg.Error:
            self.release()
            return False
        return bool(row and row[0])

    def held(self) -> bool:
        try:
            return self._conn is not None and self._conn.execute("SELECT 1").fetchone() is not None
        except psycopg.Error:
            self.release()
            return False

    def release(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(psycopg.Error):
                self._conn.close()  # Closing the session releases its advisory locks.
            self._conn = None


class FileLeaderLock:
    def __init__(self, path: str) -> None:
        self._path = path
        self._file: IO[str] | None = None

    def acquire(self) -> bool:
        if self._file is not None:
            return True
        file = open(self._path, "a")  # noqa: SIM115 - held open while leading
        try:
            fcntl.flock(file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            file.close()
            return False
        file.write(f"{os.getpid()}\n")
        file.flush()
        self._file = file
        return True

    def held(self) -> bool:
        return self._file is not None

    def release(self) -> None:
        if self._file is not None:
            fcntl.flock(self._file.fileno(), fcntl.LOCK_UN)
            self._file.close()
            self._file = None


def leader_lock(env: dict[str, str], name: str) -> LeaderLock:
    """The lock named ``name`` in the store ``env`` names."""
    if is_postgres(env):
        key = f"tenant-registry/{env.get('POSTGRES_SCHEMA') or 'public'}/{name}"
        return PostgresLeaderLock(postgres_conninfo(env), key)
    return FileLeaderLock(f"{env['SQLITE_DBNAME']}.{name}.lock")


def is_postgres(env: dict[str, str]) -> bool:
    return env["PERSISTENCE_MODULE"] == "eventsourcing.postgres"


def store_conninfo(env: dict[str, str]) -> dict[str, Any] | None:
    """PostgreSQL's connection parameters, for connections of a process's own (probes,
    LISTEN); ``None`` for SQLite."""
    return postgres_conninfo(env) if is_postgres(env) else None


def postgres_conninfo(env: dict[str, str]) -> dict[str, Any]:
    return {
        "dbname": env["POSTGRES_DBNAME"],
        "host": env["POSTGRES_HOST"],
        "port": env["POSTGRES_PORT"],
        "user": env["POSTGRES_USER"],
        "password": env["POSTGRES_PASSWORD"],
    }


@contextlib.contextmanager
def schema_setup(env: dict[str, str]) -> Iterator[None]:
    """Hold the store's table-creation lock: one process at a time creates tables.

    On PostgreSQL the library re-creates its insert function (``CREATE OR REPLACE
    FUNCTION``) whenever it creates its tables, and two processes doing that at once make
    one fail with "tuple concurrently updated"; so processes that start together (several
    workers, an API beside a projector) take turns. SQLite serializes DDL by itself.
    """
    if not is_postgres(env):
        yield
        return
    key = f"tenant-registry/{env.get('POSTGRES_SCHEMA') or 'public'}/schema-setup"
    with psycopg.connect(**postgres_conninfo(env), autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(hashtextextended(%s, 0))", (key,))
        try:
            yield
        finally:
            conn.execute("SELECT pg_advisory_unlock(hashtextextended(%s, 0))", (key,))

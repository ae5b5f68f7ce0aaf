"""Whether the database answers, known within about a second, so requests fail fast.

Without it, a request made while PostgreSQL is down waits for a pooled connection and the
library retries each statement: about a minute before it fails. Here one thread per process
asks the database ``SELECT 1`` every ``PROBE_SECONDS`` on a connection of its own; while it
gets no answer, every use of the store's connections raises ``StoreUnavailableError`` at
once (requests answer 503 ``STORE_UNAVAILABLE``, ``/readyz`` 503), and a request already
waiting stops at its next attempt. SQLite is a file in this process: always available.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import psycopg

from projections.store_errors import StoreUnavailableError

if TYPE_CHECKING:
    from collections.abc import Iterator

log = logging.getLogger("tenant_registry.api")

PROBE_SECONDS = 0.5
RETRY_SECONDS = 0.2
TOO_MANY_CONNECTIONS = "53300"
"""While the database is down, it is asked again this often."""


class StoreHealth:
    def __init__(self, conninfo: dict[str, Any] | None, timeout: float) -> None:
        """``conninfo``: PostgreSQL's connection parameters (``None`` for SQLite);
        ``timeout``: how long a probe may wait for the database."""
        self._conninfo = conninfo
        self._timeout = timeout
        self.available = True
        self._stopping = threading.Event()
        self._wake = threading.Event()
        self._thread = threading.Thread(
            target=self._probe_forever, name="store-health", daemon=True
        )

    def start(self) -> None:
        if self._conninfo is not None:
            self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(self._timeout + 1)

    def suspect(self) -> None:
        """A request met a database error: ask the database now, not at the next probe."""
        self._wake.set()

    def guard(self, datastore: Any) -> None:
        """Make ``datastore`` refuse its connections at once while the database is down
        (PostgreSQL's; SQLite's are left as they are)."""
        if self._conninfo is None:
            return
        connect = datastore.get_connection

        @contextmanager
        def get_connection(*args: Any, **kwargs: Any) -> Iterator[Any]:
            if not self.available:
                raise StoreUnavailableError
            with connect(*args, **kwargs) as conn:
                yield conn

        datastore.get_connection = get_connection

    def _probe_forever(self) -> None:
        conn: psycopg.Connection[Any] | None = None
        while not self._stopping.is_set():
            try:
                conn = self._probe(conn)
            except Exception:
                try:  # A lost connection is not a lost database: ask on a new one.
                    conn = self._probe(None)
                except Exception as error:
                    conn = None
                    # A server refusing more connections answers: the pool's still work.
                    answers = getattr(error, "sqlstate", None) == TOO_MANY_CONNECTIONS
                    self._set(available=answers, error=error)
            if conn is not None:
                self._set(available=True)
            self._wake.wait(PROBE_SECONDS if self.available else RETRY_SECONDS)
            self._wake.clear()
        if conn is not None:
            conn.close()

    def _probe(self, conn: psycopg.Connection[Any] | None) -> psycopg.Connection[Any]:
        """Ask ``SELECT 1`` on ``conn`` (a new connection if ``None``), and return it; a
        connection that failed is closed."""
        try:
            if conn is None:
                wait_ms = int(self._timeout * 1000)
                conn = psycopg.connect(
                    **self._conninfo,  # type: ignore[arg-type]
                    autocommit=True,
                    connect_timeout=max(1, round(self._timeout)),
                    # A silent network (no reset) must fail the probe too, not hang it.
                    keepalives=1,
                    keepalives_idle=1,
                    keepalives_interval=1,
                    keepalives_count=max(1, round(self._timeout)),
                    tcp_user_timeout=wait_ms,
                    options=f"-c statement_timeout={wait_ms}",
                )
            conn.execute("SELECT 1")
        except Exception:
            if conn is not None:
                with contextlib.suppress(psycopg.Error):
                    conn.close()
            raise
        return conn

    def _set(self, *, available: bool, error: Exception | None = None) -> None:
        if available != self.available:
            if available:
                log.info("the database answers again")
            else:
                log.warning("the database does not answer: %s", error)
        self.available = available

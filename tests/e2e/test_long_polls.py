"""Long polls of the change feed: cheap while idle in any process, woken by events written
in another one, and ended at once by SIGTERM."""

from __future__ import annotations

import signal
import threading
import time
from typing import TYPE_CHECKING, Any

import httpx
import psycopg

from tests.helpers import ADMIN, Server, create_body, postgres_conninfo

if TYPE_CHECKING:
    from collections.abc import Callable

ORGS = "/api/v1/organizations"
FEED = "/api/v1/events"


def head(server: Server) -> int:
    after, more = 0, True
    while more:
        page = server.client.get(FEED, params={"after": after, "limit": 1000}, headers=ADMIN)
        more, after = bool(page.json()["events"]), page.json()["next"]
    return int(after)


def in_background(call: Callable[[], Any]) -> tuple[threading.Thread, dict[str, Any]]:
    result: dict[str, Any] = {}

    def run() -> None:
        started = time.monotonic()
        result["response"] = call()
        result["seconds"] = time.monotonic() - started

    thread = threading.Thread(target=run)
    thread.start()
    return thread, result


def long_poll(server: Server, after: int, wait: float = 20) -> httpx.Response:
    with httpx.Client(base_url=server.url, timeout=60) as client:
        return client.get(FEED, params={"after": after, "wait": wait}, headers=ADMIN)


def test_sigterm_ends_an_open_long_poll_at_once_with_an_empty_page(database_url: str) -> None:
    server = Server(database_url)
    after = head(server)
    thread, result = in_background(lambda: long_poll(server, after))
    time.sleep(2)  # The poll is waiting.
    server.process.send_signal(signal.SIGTERM)
    thread.join(30)
    server.process.wait(15)  # Ended (uvicorn raises the signal again once it is done).
    server.stop()
    response = result["response"]
    assert (response.status_code, response.json()) == (200, {"events": [], "next": after})
    assert result["seconds"] < 10  # Not the 20 s it asked to wait.


def test_a_long_poll_in_a_process_without_the_projection_wakes_for_another_processes_write(
    database_url: str,
) -> None:
    writer, reader = Server(database_url), Server(database_url, "--no-projections")
    try:
        after = head(reader)
        thread, result = in_background(lambda: long_poll(reader, after))
        time.sleep(0.5)
        created = writer.client.post(ORGS, json=create_body(), headers=ADMIN)
        thread.join(30)
    finally:
        reader.stop()
        writer.stop()
    events = result["response"].json()["events"]
    assert [(e["type"], e["organizationId"]) for e in events] == [
        ("Created", created.json()["organizationId"])
    ]


def transactions(database_url: str) -> int:
    """Transactions of the test's own database (``postgres_database_url``) so far."""
    with psycopg.connect(**postgres_conninfo(database_url), autocommit=True) as conn:
        conn.execute("SELECT pg_stat_force_next_flush()")
        row = conn.execute(
            "SELECT xact_commit + xact_rollback FROM pg_stat_database "
            "WHERE datname = current_database()"
        ).fetchone()
    assert row is not None
    return int(row[0])


def transactions_during(database_url: str, seconds: float) -> int:
    before = transactions(database_url)
    time.sleep(seconds)
    return transactions(database_url) - before


def test_idle_long_polls_cost_the_database_next_to_nothing(postgres_database_url: str) -> None:
    """Twenty idle long polls in a process without the projection, against the same
    process idle: a poll each of its own would add about 200 transactions a second."""
    url = postgres_database_url
    projector, reader = Server(url), Server(url, "--no-projections")
    try:
        after = head(reader)
        idle = transactions_during(url, 3)
        polls = [in_background(lambda: long_poll(reader, after, wait=8)) for _ in range(20)]
        time.sleep(1)
        waiting = transactions_during(url, 3)
        projector.client.post(ORGS, json=create_body(), headers=ADMIN)  # Ends the polls.
        for thread, _ in polls:
            thread.join(30)
        assert waiting - idle < 60, (idle, waiting)
    finally:
        reader.stop()
        projector.stop()

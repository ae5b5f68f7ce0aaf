"""Retries through the SDK across a server's crash and restart, and over its request quota:
each write is recorded once, however many times it was sent."""

from __future__ import annotations

import signal
import threading
import time
from typing import TYPE_CHECKING, Any

import httpx
from eventsourcing.persistence import OperationalError

from domain.errors import OrganizationNotFoundError
from service.composition import bootstrap
from tenant_registry_client import Client, Organization, RetryPolicy
from tests.helpers import ADMIN_TOKEN, Server, make_settings, random_slug

if TYPE_CHECKING:
    from collections.abc import Callable

PATIENT = RetryPolicy(max_attempts=1000, initial_backoff=0.05, max_backoff=0.5, max_elapsed=90)
"""Retries until a server is back (it starts in a few seconds)."""
NEVER_ANSWERS = {"REGISTRY_CONSISTENCY_TIMEOUT": "60"}
"""With ``--no-projections``: a write commits, then waits for reads that never catch up."""


class CountingTransport(httpx.HTTPTransport):
    """httpx's own transport, counting the attempts it is handed."""

    def __init__(self) -> None:
        super().__init__()
        self.attempts = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.attempts += 1
        return super().handle_request(request)


def in_background(work: Callable[[], Any]) -> tuple[threading.Thread, list[Any]]:
    done: list[Any] = []
    thread = threading.Thread(target=lambda: done.append(work()), daemon=True)
    thread.start()
    return thread, done


def until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 30
    while not condition():
        assert time.monotonic() < deadline, "never came about"
        time.sleep(0.05)


def recorded(url: str, slug: str) -> list[str]:
    """The events of the organizations holding ``slug`` (none: an empty list)."""
    with Client(url, ADMIN_TOKEN) as admin:
        found = list(admin.organizations.list(q=slug))
        return [e.type for org in found for e in admin.organizations.history(org.id)]


def committed(database_url: str, slug: str) -> bool:
    """Whether the store holds an organization with ``slug`` (read from the events; not
    yet, while the server's write holds SQLite's lock)."""
    try:
        services = bootstrap(make_settings(database_url), run_projections=False)
    except OperationalError:
        return False
    try:
        services.registry.find_by_slug(slug)
    except (OrganizationNotFoundError, OperationalError):
        return False
    finally:
        services.close()
    return True


def test_a_create_whose_answer_a_crash_lost_is_recorded_once(database_url: str) -> None:
    first = Server(database_url, "--no-projections", env=NEVER_ANSWERS)
    slug = random_slug()
    with Client(first.url, ADMIN_TOKEN, retry=PATIENT) as client:
        thread, created = in_background(lambda: client.organizations.create(name="1", slug=slug))
        try:
            until(lambda: committed(database_url, slug))
        finally:
            first.process.send_signal(signal.SIGKILL)
            first.stop()
        second = Server(database_url, port=first.port)
        try:
            thread.join(60)
            assert [type(org) for org in created] == [Organization]
            assert recorded(second.url, slug) == ["Created"]
        finally:
            second.stop()


def test_a_write_sent_while_the_server_is_down_is_recorded_once_it_is_back(
    database_url: str,
) -> None:
    first = Server(database_url)
    port, slug = first.port, random_slug()
    first.stop()
    transport = CountingTransport()
    with Client(f"http://127.0.0.1:{port}", ADMIN_TOKEN, retry=PATIENT, transport=transport) as c:
        thread, created = in_background(lambda: c.organizations.create(name="Back", slug=slug))
        until(lambda: transport.attempts >= 2)  # Refused at least once.
        second = Server(database_url, port=port)
        try:
            thread.join(60)
            assert [o.slug for o in created] == [slug]
            assert recorded(second.url, slug) == ["Created"]
        finally:
            second.stop()


def test_writes_over_the_quota_wait_as_retry_after_asks_and_succeed(database_url: str) -> None:
    quota = {
        "REGISTRY_RATE_LIMIT_WRITES_PER_MINUTE": "60",
        "REGISTRY_RATE_LIMIT_WRITE_BURST": "1",
        "REGISTRY_RATE_LIMIT_REFUSAL_DELAY": "0",
    }
    server = Server(database_url, env=quota)
    try:
        with Client(server.url, ADMIN_TOKEN, retry=PATIENT) as client:
            made = [client.organizations.create(name="Q", slug=random_slug()) for _ in range(3)]
            metrics = client.health.metrics()
        assert len({org.id for org in made}) == 3
        refusals = [
            float(line.split()[-1])
            for line in metrics.splitlines()
            if line.startswith("registry_quota_refusals_total")
        ]
        assert sum(refusals) >= 1
    finally:
        server.stop()

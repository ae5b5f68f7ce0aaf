"""A stream of keyed writes from several clients, and the checks that follow a fault.

Each client creates organizations and renames them, every request with an
``Idempotency-Key``, and retries a request that got no answer or a 5xx with the same key,
as a careful client does. What was acknowledged (2xx) is remembered; after the fault, every
acknowledged write must be in the store, once.
"""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.helpers import ADMIN, random_slug, run_cli

ORGS = "/api/v1/organizations"


@dataclass
class Acknowledged:
    created: dict[str, str] = field(default_factory=dict)
    """slug -> organization id"""
    renamed: dict[str, str] = field(default_factory=dict)
    """organization id -> the last name acknowledged for it"""
    requests: int = 0
    retries: int = 0
    times: list[float] = field(default_factory=list)
    """When each acknowledgement arrived (monotonic)."""

    def answered_again(self, fault: float) -> float:
        """Seconds from ``fault`` to the first acknowledgement after it."""
        return min(t for t in self.times if t > fault) - fault

    def summary(self, fault: str, at: float) -> str:
        return (
            f"{fault}: {self.requests} writes acknowledged, {self.retries} retries, "
            f"answered again after {self.answered_again(at):.2f} s"
        )


class WriteStream:
    def __init__(self, url: str, clients: int = 4) -> None:
        self.url = url
        """Where the clients send (may change while they run: a restarted server)."""
        self.acknowledged = Acknowledged()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, daemon=True) for _ in range(clients)]
        self._failures: list[BaseException] = []

    def __enter__(self) -> WriteStream:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(120)
        if self._failures:  # A client's failed check fails the test, not just the thread.
            raise self._failures[0]

    def _run(self) -> None:
        try:
            # One client per thread (making one costs ~30 ms of CPU), with a new connection
            # for each request as before (to wherever ``url`` names then): kept-alive
            # connections made a create right after PostgreSQL restarted take ~29 s.
            with httpx.Client(
                timeout=30, limits=httpx.Limits(max_keepalive_connections=0)
            ) as client:
                self._client(client)
        except BaseException as failure:
            self._failures.append(failure)

    def _send(
        self, client: httpx.Client, method: str, path: str, body: dict[str, Any]
    ) -> httpx.Response | None:
        """Send until answered below 500 (same key every time); ``None`` if stopped first."""
        headers = {**ADMIN, "Idempotency-Key": uuid.uuid4().hex}
        attempt = 0
        while True:
            try:
                response = client.request(method, self.url + path, json=body, headers=headers)
                if response.status_code < 500:
                    return response
            except httpx.TransportError:
                pass
            attempt += 1
            with self._lock:
                self.acknowledged.retries += 1
            if self._stop.is_set() and attempt > 100:
                return None
            time.sleep(0.1)

    def _client(self, client: httpx.Client) -> None:
        while not self._stop.is_set():
            slug = random_slug("stream")
            created = self._send(client, "POST", ORGS, {"name": "Stream", "slug": slug})
            if created is None:
                return
            assert created.status_code == 201, created.text
            org_id = created.json()["organizationId"]
            with self._lock:
                self.acknowledged.created[slug] = org_id
                self.acknowledged.requests += 1
                self.acknowledged.times.append(time.monotonic())
            name = f"Renamed {uuid.uuid4().hex[:8]}"
            renamed = self._send(client, "PATCH", f"{ORGS}/{org_id}", {"name": name})
            if renamed is None:
                return
            assert renamed.status_code == 200, renamed.text
            with self._lock:
                self.acknowledged.renamed[org_id] = name
                self.acknowledged.requests += 1
                self.acknowledged.times.append(time.monotonic())


def check_after_fault(client: httpx.Client, database_url: str, acknowledged: Acknowledged) -> None:
    """Every acknowledged write is there, once; the read models equal a rebuild."""
    assert acknowledged.created, "the stream acknowledged nothing"
    for slug, org_id in acknowledged.created.items():
        found = client.get(f"{ORGS}/lookup", params={"slug": slug}, headers=ADMIN)
        assert found.json()["organizationId"] == org_id, (slug, found.text)
        history = client.get(f"{ORGS}/{org_id}/history", headers=ADMIN).json()["events"]
        types = [e["type"] for e in history]
        assert types in (["Created"], ["Created", "Renamed"]), (org_id, types)
        assert [e["version"] for e in history] == list(range(1, len(history) + 1))
        if org_id in acknowledged.renamed:
            assert found.json()["organization"]["name"] == acknowledged.renamed[org_id]
    verified = run_cli("projections", "verify", database_url=database_url)
    assert verified.returncode == 0, verified.stdout + verified.stderr

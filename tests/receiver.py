"""A webhook receiver on loopback, as a customer runs one: it verifies every request with
the ``standardwebhooks`` library and keeps what it received. A test can make it answer
with errors, answer slowly, or go down (connections refused) and come back on its port."""

from __future__ import annotations

import collections
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

import httpx
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from tests.helpers import ADMIN, ORGS

if TYPE_CHECKING:
    from collections.abc import Callable

    from tests.helpers import Server


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A sender that gave up on a slow answer closed its end: nothing to report."""


class Receiver:
    def __init__(self) -> None:
        self.secrets: list[str] = []
        self.received: list[dict[str, Any]] = []
        """Verified requests answered 2xx, in the order they arrived: headers, body (and
        its bytes, ``raw``), and when it arrived (``time.time()``)."""
        self.refused = 0
        self.answers: list[int] = []
        """Statuses to answer next, one per request (then 204)."""
        self.retry_after: str | None = None
        """A ``Retry-After`` to send with every answer that is not 2xx."""
        self.delay = 0.0
        """Seconds to wait before answering (what arrived is kept at once)."""
        self.held: threading.Event | None = None
        """When set to an event not yet set, answers wait for it (at most 60 s)."""
        self.headers: dict[str, str] = {}
        """Headers sent with every answer (a ``Location``, say)."""
        self.endless = False
        """Answer with a body that never ends (until the sender closes the connection)."""
        self.lock = threading.Lock()
        self.port = 0
        self.up()

    def up(self) -> None:
        """Listen (again, on the same port after ``down``)."""
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.take(self, body)

            def log_message(self, *_: Any) -> None:
                pass

        self.server = QuietServer(("127.0.0.1", self.port), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/hooks"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def down(self) -> None:
        """Stop listening: connections to the port are refused until ``up``."""
        self.stop()

    def take(self, handler: BaseHTTPRequestHandler, body: bytes) -> None:
        headers = {k.lower(): v for k, v in handler.headers.items()}
        with self.lock:
            status = self.answers.pop(0) if self.answers else 204
            try:
                payload = _verified(self.secrets, body, headers)
            except WebhookVerificationError:
                self.refused += 1
                status = 401
            else:
                if 200 <= status < 300:
                    self.received.append(
                        {"headers": headers, "body": payload, "raw": body, "at": time.time()}
                    )
            delay, retry_after, held = self.delay, self.retry_after, self.held
        time.sleep(delay)
        if held is not None:
            held.wait(60)
        headers = dict(self.headers)
        if retry_after is not None and not 200 <= status < 300:
            headers["Retry-After"] = retry_after
        self.answer(handler, status, headers)

    def answer(self, handler: BaseHTTPRequestHandler, status: int, headers: dict[str, str]) -> None:
        handler.send_response(status)
        for name, value in headers.items():
            handler.send_header(name, value)
        if not self.endless:
            handler.send_header("Content-Length", "0")
            handler.end_headers()
            return
        handler.end_headers()  # HTTP/1.0 and no length: the body runs until the close.
        try:
            while True:
                handler.wfile.write(b"x" * 65536)
        except OSError:
            pass  # The sender read what it would and closed.

    def positions(self) -> list[int]:
        with self.lock:
            return [r["body"]["data"]["event"]["position"] for r in self.received]

    def by_organization(self) -> dict[str, list[int]]:
        """Each organization's positions in the order they arrived (duplicates kept)."""
        found: dict[str, list[int]] = collections.defaultdict(list)
        with self.lock:
            for r in self.received:
                event = r["body"]["data"]["event"]
                found[event["organizationId"]].append(event["position"])
        return dict(found)

    def duplicates(self) -> dict[str, int]:
        """``webhook-id``s received more than once, with how many times more."""
        with self.lock:
            counts = collections.Counter(r["headers"]["webhook-id"] for r in self.received)
        return {i: n - 1 for i, n in counts.items() if n > 1}

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class NeverAccepting:
    """A listener on loopback whose queue of connections is full and never taken: a new
    connection waits (its SYN dropped) as to a host that does not answer."""

    def __init__(self) -> None:
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(0)
        address, self.queued = self.listener.getsockname(), []
        self.port = address[1]
        self.url = f"http://127.0.0.1:{self.port}/hooks"
        for _ in range(8):
            try:
                self.queued.append(socket.create_connection(address, timeout=0.5))
            except TimeoutError:
                return
        raise RuntimeError("the listener's queue never filled")

    def stop(self) -> None:
        for connection in self.queued:
            connection.close()
        self.listener.close()


def _verified(secrets: list[str], body: bytes, headers: dict[str, str]) -> Any:
    """The body, if one of the secrets signed it (every secret shared must be checked)."""
    for secret in secrets:
        try:
            return Webhook(secret).verify(body, headers)
        except WebhookVerificationError:
            continue
    raise WebhookVerificationError("no secret signed it")


HOOKS = "/api/v1/webhook-endpoints"
WORKERS = 8
"""Deliveries the registry has on their way at once (``service.webhooks.dispatcher``)."""
PER_REQUEST = 5
"""Events one PATCH of ``write_concurrently`` records (fewer requests, the same events)."""
HOOKS_ENV = {
    "REGISTRY_SECRET_KEY": "test-secret-key-0123456789abcdef",
    "REGISTRY_WEBHOOK_ALLOWED_NETWORKS": "127.0.0.0/8",
    # Short pauses, so an outage spans several retries within seconds; five failures in a
    # row (about 6 s) are still tolerated before the endpoint is disabled.
    "REGISTRY_WEBHOOK_RETRY_SCHEDULE": "0.2,0.4,0.8,1.6,3.2",
    "REGISTRY_WEBHOOK_TIMEOUT": "1",
}
"""A server's settings for delivering to a receiver on loopback."""


def feed_positions(client: Any, headers: dict[str, str], after: int = 0) -> dict[str, list[int]]:
    """Each organization's positions after ``after``, as the change feed shows them."""
    found: dict[str, list[int]] = collections.defaultdict(list)
    while True:
        page = client.get("/api/v1/events", params={"after": after, "limit": 1000}, headers=headers)
        events = page.json()["events"]
        for event in events:
            found[event["organizationId"]].append(event["position"])
        if not events:
            return dict(found)
        after = events[-1]["position"]


def attempts(client: Any, endpoint_url: str, headers: dict[str, str]) -> dict[str, int]:
    """Each ``webhook-id``'s delivery attempts, as the endpoint's deliveries show them."""
    found, after = {}, 0
    while True:
        page = client.get(
            f"{endpoint_url}/deliveries", params={"after": after, "limit": 500}, headers=headers
        ).json()
        found.update({f"evt_{d['position']}": d["attempts"] for d in page["deliveries"]})
        if page["next"] is None:
            return found
        after = page["next"]


def eventually(check: Callable[[], Any], timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if found := check():
            return found
        time.sleep(0.05)
    raise AssertionError("not within the time allowed")


def hook(client: httpx.Client, receiver: Receiver, org_id: str | None = None) -> str:
    """A new endpoint delivering to ``receiver`` (one organization's events, or all); its URL."""
    body = {"url": receiver.url, **({"organizationId": org_id} if org_id else {})}
    created = client.post(HOOKS, json=body, headers=ADMIN)
    assert created.status_code == 201, created.text
    receiver.secrets.append(created.json()["secret"])
    return f"{HOOKS}/{created.json()['endpoint']['id']}"


def all_received(receiver: Receiver, expected: dict[str, list[int]]) -> bool:
    if len(receiver.received) < sum(map(len, expected.values())):
        return False  # Cheaply: there are not even as many requests yet.
    received = receiver.by_organization()
    return all(set(received.get(org, ())) >= set(positions) for org, positions in expected.items())


def assert_in_order(receiver: Receiver, expected: dict[str, list[int]]) -> None:
    """Each organization's events arrived in position order, every one of them, and
    nothing else (an event again right after itself is a duplicate, counted apart)."""
    received = receiver.by_organization()
    for org, positions in expected.items():
        got = received[org]
        assert got == sorted(got), f"out of order for {org}: {got}"
        assert list(dict.fromkeys(got)) == positions


def changes(n: int, events: int) -> dict[str, Any]:
    """A PATCH body recording ``events`` events (1 to ``PER_REQUEST``): a rename, then
    settings, profile, metadata and account changes, each one event."""
    fields: list[dict[str, Any]] = [
        {"name": f"Name {n}"},
        {"settings": {"n": n}},
        {"supportEmail": f"n{n}@example.com"},
        {"metadata": {"n": str(n)}},
        {"maxConcurrentImports": n},
    ]
    return {k: v for field in fields[:events] for k, v in field.items()}


def write_concurrently(server: Server, org_ids: list[str], total: int, first: int = 0) -> None:
    """``total`` events from ``WORKERS`` writers at once, each over its share of the
    organizations in turn, ``PER_REQUEST`` events a request (the last one fewer if need be);
    values numbered from ``first`` (a value again would record nothing)."""
    requests = -(-total // PER_REQUEST)
    errors: list[BaseException] = []

    def write(writer: int) -> None:
        mine = org_ids[writer::WORKERS]
        with httpx.Client(base_url=server.url, timeout=60) as client:
            try:
                for n in range(writer, requests, WORKERS):
                    body = changes(first + n, min(PER_REQUEST, total - PER_REQUEST * n))
                    org = mine[n // WORKERS % len(mine)]
                    answer = client.patch(f"{ORGS}/{org}", json=body, headers=ADMIN)
                    assert answer.status_code == 200, answer.text
            except BaseException as error:
                errors.append(error)

    threads = [threading.Thread(target=write, args=(w,)) for w in range(WORKERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []

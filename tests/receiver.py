"""A webhook receiver on loopback, as a customer runs one: it verifies every request with
the ``standardwebhooks`` library and keeps what it received."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks.webhooks import Webhook, WebhookVerificationError


class Receiver:
    def __init__(self) -> None:
        self.secrets: list[str] = []
        self.received: list[dict[str, Any]] = []
        """Verified requests: their headers and parsed body."""
        self.refused = 0
        self.answers: list[int] = []
        """Statuses to answer next, one per request (then 204)."""
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.take(self, body)

            def log_message(self, *_: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

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
                    self.received.append({"headers": headers, "body": payload})
        handler.send_response(status)
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    def positions(self) -> list[int]:
        with self.lock:
            return [r["body"]["data"]["event"]["position"] for r in self.received]

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _verified(secrets: list[str], body: bytes, headers: dict[str, str]) -> Any:
    """The body, if one of the secrets signed it (every secret shared must be checked)."""
    for secret in secrets:
        try:
            return Webhook(secret).verify(body, headers)
        except WebhookVerificationError:
            continue
    raise WebhookVerificationError("no secret signed it")

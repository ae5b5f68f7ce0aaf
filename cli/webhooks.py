"""``tenant-registry webhooks``: what was delivered to an endpoint, and deliver it again.

Both work on the store directly (beside a running server, or without one); the process
that delivers (``serve`` or ``project``) sends what a replay queued at its next poll.
"""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from application.webhooks import ALL
from cli.commands import command, moment
from cli.context import open_services
from domain.errors import WebhookEndpointNotFoundError
from service.webhooks.outbox import Outbox
from service.webhooks.replay import position_at, replay

if TYPE_CHECKING:
    from service.composition import Services

COLUMNS = ("position", "organization_id", "event_type", "attempts", "last_status", "last_code")
TIMES = ("last_attempt_at", "next_attempt_at", "delivered_at")


def _endpoint(services: Services, text: str) -> UUID:
    """The endpoint's id, once it is known to exist."""
    try:
        endpoint_id = UUID(text)
        services.webhooks.get(ALL, endpoint_id)
    except (ValueError, WebhookEndpointNotFoundError):
        raise SystemExit(f"tenant-registry: no webhook endpoint {text!r}") from None
    return endpoint_id


def _shown(row: dict[str, Any]) -> dict[str, Any]:
    shown = {c: row[c] for c in COLUMNS}
    for column in TIMES:
        at = row[column]
        shown[column] = None if at is None else datetime.fromtimestamp(at, UTC).isoformat()
    if row["delivered_at"] is not None:
        shown["next_attempt_at"] = None
    return shown


def deliveries(args: argparse.Namespace) -> None:
    services = open_services()
    try:
        endpoint_id = _endpoint(services, args.endpoint)
        rows = services.webhook_store.deliveries(str(endpoint_id), args.after, args.limit)
    finally:
        services.close()
    for row in map(_shown, rows):
        if args.json:
            print(json.dumps(row, sort_keys=True))
            continue
        state = "delivered " + row["delivered_at"] if row["delivered_at"] else "pending"
        retry = f", next attempt {row['next_attempt_at']}" if row["next_attempt_at"] else ""
        print(
            f"{row['position']:>9}  {row['organization_id']}  {row['event_type']:<28} "
            f"attempts={row['attempts']} last={row['last_status'] or '-'}/"
            f"{row['last_code'] or '-'}  {state}{retry}"
        )


def replay_command(args: argparse.Namespace) -> None:
    services = open_services()
    try:
        endpoint_id = _endpoint(services, args.endpoint)
        start = args.from_position
        if args.since is not None:
            start = position_at(services.read_model, args.since)
        outbox = Outbox(services.webhook_store, services.registry, services.read_model)
        queued, position = 0, start
        while position is not None:  # In batches: each reads a bounded part of the history.
            replayed = replay(outbox, str(endpoint_id), position)
            queued, position = queued + replayed.queued, replayed.next_position
    finally:
        services.close()
    print(f"queued {queued} deliveries to {endpoint_id} from position {start}")


def _position(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"a position is a whole number from 1: {text!r}")
    return int(text)


def add_parsers(sub: Any) -> None:
    p = command(
        sub,
        "webhooks",
        "see an endpoint's deliveries and deliver its events again",
        "tenant-registry webhooks deliveries 5f0c...e1",
        "tenant-registry webhooks replay 5f0c...e1 --since 2026-12-01T00:00:00Z",
    )
    commands = p.add_subparsers(dest="webhooks_command", required=True)
    _add_deliveries(commands)
    _add_replay(commands)


def _add_deliveries(commands: Any) -> None:
    d = command(
        commands,
        "deliveries",
        "each event queued for an endpoint: attempts, last status and code, next attempt",
        "tenant-registry webhooks deliveries 5f0c...e1 --after 1200 --limit 50",
        "tenant-registry webhooks deliveries 5f0c...e1 --json",
    )
    d.add_argument("endpoint", help="the endpoint's id")
    d.add_argument("--after", type=int, default=0, metavar="N", help="from after position N")
    d.add_argument("--limit", type=_position, default=100, metavar="N", help="at most N rows")
    d.add_argument("--json", action="store_true", help="one JSON object a line")
    d.set_defaults(func=deliveries)


def _add_replay(commands: Any) -> None:
    r = command(
        commands,
        "replay",
        "deliver an endpoint's events again, from a position or a time on, each "
        "organization's in order (with the webhook-id of their first delivery)",
        "tenant-registry webhooks replay 5f0c...e1 --from-position 1200",
        "tenant-registry webhooks replay 5f0c...e1 --since 2026-12-01T09:00:00+01:00",
    )
    r.add_argument("endpoint", help="the endpoint's id")
    start = r.add_mutually_exclusive_group(required=True)
    start.add_argument(
        "--from-position", type=_position, metavar="N", help="every event from position N on"
    )
    start.add_argument(
        "--since",
        type=moment,
        metavar="TIME",
        help="every event recorded at or after TIME (ISO 8601; UTC without a zone)",
    )
    r.set_defaults(func=replay_command)

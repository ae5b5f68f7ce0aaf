"""``tenant-registry export`` and ``import``: the whole event log as JSON Lines.

One line per stored event, in commit order: its position, aggregate id, version, type,
time, topic and data (the event's stored state). Both run in constant memory, a batch of
events at a time. Import writes the events into an empty store with the same ids,
versions, times and order, then rebuilds the read models; this is how a registry moves
from the embedded SQLite store to PostgreSQL.
"""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Any, TextIO
from uuid import UUID

from eventsourcing.persistence import StoredEvent

from cli.commands import command

if TYPE_CHECKING:
    import argparse
    from collections.abc import Iterator

    from eventsourcing.persistence import Notification

BATCH = 1000


def _line(n: Notification) -> str:
    data = json.loads(n.state)
    timestamp = data.get("timestamp")
    time = timestamp.get("_data_") if isinstance(timestamp, dict) else timestamp
    return json.dumps(
        {
            "position": n.id,
            "originatorId": str(n.originator_id),
            "version": n.originator_version,
            "type": n.topic.rsplit(".", 1)[-1].rsplit(":", 1)[-1],
            "time": time,
            "topic": n.topic,
            "data": data,
        },
        separators=(",", ":"),
    )


def export(args: argparse.Namespace) -> None:
    from cli.context import open_services
    from cli.projections import ProgressBar

    services = open_services()
    out: TextIO = open(args.output, "w") if args.output else sys.stdout  # noqa: SIM115
    bar = ProgressBar(unit="position")
    try:
        position, count = 0, 0
        head = services.registry.recorder.max_notification_id() or 0
        while batch := services.registry.recorder.select_notifications(
            start=position + 1, limit=BATCH
        ):
            out.writelines(_line(n) + "\n" for n in batch)
            position, count = batch[-1].id, count + len(batch)
            bar(position, max(head, position))
    finally:
        bar.close()
        if out is not sys.stdout:
            out.close()
        services.close()
    print(f"exported {count} events", file=sys.stderr)


def _stored_events(lines: Iterator[str]) -> Iterator[StoredEvent]:
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            e: dict[str, Any] = json.loads(line)
            yield StoredEvent(
                originator_id=UUID(e["originatorId"]),
                originator_version=int(e["version"]),
                topic=e["topic"],
                state=json.dumps(e["data"], separators=(",", ":")).encode(),
            )
        except (ValueError, KeyError, TypeError) as error:
            msg = f"tenant-registry: line {number} is not an exported event: {error}"
            raise SystemExit(msg) from None


def import_(args: argparse.Namespace) -> None:
    from cli.context import open_services
    from cli.projections import REBUILD_LOCK, ProgressBar
    from projections.leadership import leader_lock
    from projections.rebuild import rebuild

    # First the whole file is read and checked, so that a bad line anywhere stops the
    # import before anything is written.
    with open(args.file) as lines:
        total = sum(1 for _ in _stored_events(lines))
    services = open_services(existing=False)  # Into a new store, most often.
    bar = ProgressBar()
    try:
        recorder = services.registry.recorder
        if recorder.max_notification_id() and not args.into_non_empty:
            raise SystemExit(
                "tenant-registry: the store already has events; import into an empty store "
                "(or give --into-non-empty to add these after them)"
            )
        count, batch = 0, []
        with open(args.file) as lines:
            for event in _stored_events(lines):
                batch.append(event)
                if len(batch) == BATCH:
                    recorder.insert_events(batch)
                    count, batch = count + len(batch), []
                    bar(count, total)
        if batch:
            recorder.insert_events(batch)
            count += len(batch)
        bar(count, total)
        bar.close()
        print(f"imported {count} events; rebuilding the read models", file=sys.stderr)
        lock = leader_lock(services.registry.env, REBUILD_LOCK)
        report = rebuild(services.registry, services.read_model, lock)
        print(f"rebuilt the read models from {report.events} organization events", file=sys.stderr)
    finally:
        services.close()


def add_parsers(sub: Any) -> None:
    e = command(
        sub,
        "export",
        "write the whole event log as JSON Lines",
        "tenant-registry export --output registry-2026-12-03.jsonl",
    )
    e.add_argument("--output", metavar="FILE", help="write here instead of standard output")
    e.set_defaults(func=export)
    i = command(
        sub,
        "import",
        "write exported events into an empty store, then rebuild the read models",
        "REGISTRY_DATABASE_URL=sqlite:///restored.db tenant-registry import registry.jsonl",
    )
    i.add_argument("file", metavar="FILE", help="a file written by export")
    i.add_argument(
        "--into-non-empty", action="store_true", help="allow a store that already has events"
    )
    i.set_defaults(func=import_)

"""The ``tenant-registry`` command: serve the API, run projections, print history."""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import logging.config
import os
import secrets
import signal
import socket
import sqlite3
import sys
import threading
from typing import TYPE_CHECKING, Any
from uuid import UUID

import psycopg
from eventsourcing.persistence import PersistenceError
from pydantic.alias_generators import to_camel

from cli import projections, transfer, users, webhooks
from cli.commands import command, moment
from cli.context import load_settings, open_services
from projections.leadership import postgres_conninfo
from service.logs import logging_config

if TYPE_CHECKING:
    from service.settings import Settings


def serve(args: argparse.Namespace) -> None:
    import uvicorn

    settings = load_settings()
    _check_store(settings)
    if settings.admin_token is None:
        token = secrets.token_urlsafe(32)
        os.environ["REGISTRY_ADMIN_TOKEN"] = token  # Shared with every worker process.
        print(
            "REGISTRY_ADMIN_TOKEN is not set: generated an admin token for this run "
            f"(shown once, not stored):\n  {token}",
            flush=True,
        )
    if args.no_projections:
        os.environ["REGISTRY_RUN_PROJECTIONS"] = "false"
    _check_port_free(args.host, args.port)
    uvicorn.run(
        "api.main:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level=settings.log_level,
        log_config=logging_config(settings.log_level, settings.log_format),
        access_log=args.access_log,
        timeout_graceful_shutdown=settings.shutdown_grace,
        http="api.http.protocol:GuardedHttpToolsProtocol",
    )


def _check_port_free(host: str, port: int) -> None:
    """A port that cannot be had is one plain line and exit status 1, before anything
    starts (uvicorn would say it among its start-up records)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # As uvicorn binds.
        try:
            probe.bind((host, port))
        except OSError as error:
            reason = (error.strerror or str(error)).lower()
            sys.exit(f"tenant-registry serve: cannot listen on {host}:{port}: {reason}")


def project(_: argparse.Namespace) -> None:
    from service.composition import bootstrap

    settings = load_settings()
    _check_store(settings)
    logging.config.dictConfig(logging_config(settings.log_level, settings.log_format))
    services = bootstrap(settings, run_projections=True, deliver_webhooks=True)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    print("projecting; Ctrl-C to stop", file=sys.stderr, flush=True)
    stop.wait()
    services.close()


def _change_text(changes: dict[str, Any]) -> str:
    return ", ".join(f"{k}={json.dumps(v, sort_keys=True)}" for k, v in changes.items())


def _event_row(e: Any) -> dict[str, Any]:
    return {
        "version": e.originator_version,
        "occurredAt": e.timestamp.isoformat(),
        "type": type(e).__name__,
        "actor": e.actor,
        "requestId": e.request_id,
        "reason": e.why(),
        "changes": {to_camel(k): v for k, v in e.summary().items()},  # The API's names.
    }


def _print_events(events: list[Any], as_json: bool) -> None:
    for e in events:
        row = _event_row(e)
        if as_json:
            print(json.dumps(row, sort_keys=True))
            continue
        actor = e.actor.get("type", "?") + (f":{e.actor['id']}" if "id" in e.actor else "")
        reason = f"  (reason: {row['reason']})" if row["reason"] else ""
        print(
            f"{row['version']:>5}  {row['occurredAt']}  {row['type']:<18} {actor:<14} "
            f"{_change_text(row['changes'])}{reason}"
        )


def _print_state(details: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print(json.dumps(details, sort_keys=True, default=str))
        return
    for field, value in details.items():
        print(f"{field:<16} {json.dumps(value, default=str)}")


def history(args: argparse.Namespace) -> None:
    from domain.errors import OrganizationNotFoundError

    services = open_services()
    registry = services.registry
    try:
        try:
            org_id = UUID(args.org)
        except ValueError:
            org_id = registry.find_by_slug(args.org)
        version = args.version
        if args.as_of is not None:
            version = services.read_model.queries.version_at(org_id, args.as_of)
            if version is None:
                raise OrganizationNotFoundError(org_id)
        if version is not None:
            _print_state(registry.get_details(org_id, version), args.json)
        else:
            _print_events(registry.history(org_id), args.json)
    except OrganizationNotFoundError:
        raise SystemExit(f"tenant-registry: no organization {args.org!r} (at that time)") from None
    finally:
        services.close()


def _version() -> str:
    try:
        return importlib.metadata.version("tenant-registry")
    except importlib.metadata.PackageNotFoundError:  # Run from a checkout, not installed.
        return "unknown"


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="tenant-registry",
        description="Event-sourced tenant registry. Configure with REGISTRY_* environment "
        "variables (REGISTRY_DATABASE_URL, REGISTRY_ADMIN_TOKEN, ...; see README).",
    )
    p.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    sub = p.add_subparsers(dest="command", required=True)
    _add_serve(sub)
    _add_project(sub)
    _add_history(sub)
    projections.add_parser(sub)
    transfer.add_parsers(sub)
    users.add_parsers(sub)
    webhooks.add_parsers(sub)
    return p


def _add_serve(sub: Any) -> None:
    s = command(
        sub,
        "serve",
        "serve the REST API (with the projections, by default)",
        "tenant-registry serve --port 8000",
        "tenant-registry serve --host 0.0.0.0 --workers 2 --no-projections --access-log",
    )
    s.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    s.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    s.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    s.add_argument(
        "--no-projections",
        action="store_true",
        help="serve without running projections (another process runs `project`)",
    )
    s.add_argument("--access-log", action="store_true", help="log every request")
    s.set_defaults(func=serve)


def _add_project(sub: Any) -> None:
    pr = command(
        sub,
        "project",
        "run the projections alone, until stopped (beside `serve --no-projections`)",
        "tenant-registry project",
    )
    pr.set_defaults(func=project)


def _add_history(sub: Any) -> None:
    h = command(
        sub,
        "history",
        "print an organization's events, oldest first, or its state at a time or version",
        "tenant-registry history acme-financial",
        "tenant-registry history acme-financial --as-of 2026-05-11T12:00:00Z --json",
    )
    h.add_argument("org", metavar="ORG", help="organization id or slug")
    when = h.add_mutually_exclusive_group()
    when.add_argument(
        "--as-of",
        type=moment,
        metavar="TIME",
        help="print the organization as it was at TIME (ISO 8601; UTC without a zone)",
    )
    when.add_argument(
        "--version", type=int, metavar="N", help="print the organization as it was at version N"
    )
    h.add_argument("--json", action="store_true", help="JSON (one object per line for events)")
    h.set_defaults(func=history)


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    try:
        args.func(args)
    except (PersistenceError, psycopg.Error, sqlite3.Error) as error:
        raise SystemExit(_unreachable(error)) from None


def _unreachable(error: Exception) -> str:
    """One line instead of a traceback: what failed, and what to check."""
    first = (str(error).strip().splitlines() or [type(error).__name__])[0]
    return (
        f"tenant-registry: the database failed: {first}\n"
        "check that it runs and that REGISTRY_DATABASE_URL names it (and, for SQLite, that "
        "its folder exists and is writable)"
    )


def _check_store(settings: Settings) -> None:
    """Before serving: the database answers (one line if not, not a traceback per worker)."""
    env = settings.registry_env()
    path = env.get("SQLITE_DBNAME")
    if path is not None:
        folder = os.path.dirname(os.path.abspath(path))
        if not os.access(folder, os.W_OK):
            raise SystemExit(
                f"tenant-registry: cannot write the SQLite database in {folder}: set "
                "REGISTRY_DATABASE_URL to a writable place"
            )
        return
    conninfo = {**postgres_conninfo(env), "connect_timeout": 5}
    with psycopg.connect(**conninfo) as conn:
        conn.execute("SELECT 1")


if __name__ == "__main__":
    main()

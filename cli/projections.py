"""``tenant-registry projections``: see the read models, rebuild them, verify them."""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from tqdm import tqdm

from cli.commands import command
from cli.context import open_services
from projections.builder import BATCH_SIZE
from projections.leadership import leader_lock
from projections.rebuild import LOCK_NAME, rebuild_checkpoint
from projections.runner import stopped_at

if TYPE_CHECKING:
    from service.composition import Services

NAME = "organization_lookup"
REBUILD_LOCK = LOCK_NAME


def _held_elsewhere(services: Services, name: str) -> bool:
    lock = leader_lock(services.registry.env, name)
    if lock.acquire():
        lock.release()
        return False
    return True


def status_row(services: Services) -> dict[str, Any]:
    from projections.projection import READ_MODEL_VERSION

    admin, registry = services.read_model.admin, services.registry
    position, behind = services.behind(100_000)
    lag_seconds = 0.0
    if behind:
        oldest: Any = registry.mapper.to_domain_event(behind[0])
        lag_seconds = (datetime.now(UTC) - oldest.timestamp).total_seconds()
    recorded, last_error = admin.recorded_status()
    if _held_elsewhere(services, REBUILD_LOCK):
        state = "rebuilding"
    elif recorded == "failed":  # Its projector is backing off before it tries again.
        state = "failed"
    else:
        state = "running" if _held_elsewhere(services, NAME) else "stopped"
    return {
        "name": NAME,
        "version": READ_MODEL_VERSION,
        "position": position,
        "head": behind[-1].id if behind else position,
        "lag": len(behind),
        "lagSeconds": round(lag_seconds, 3),
        "state": state,
        "lastError": last_error,
        "stoppedAt": stopped_at(last_error) if state == "failed" else None,
        "rebuildCheckpoint": rebuild_checkpoint(services.read_model),
    }


def status(args: argparse.Namespace) -> None:
    services = open_services()
    try:
        row = status_row(services)
    finally:
        services.close()
    if args.json:
        print(json.dumps([row]))
    else:
        print(
            f"{'name':<22}{'version':>8}{'position':>10}{'head':>10}{'lag':>8}{'lag s':>9}  state"
        )
        print(
            f"{row['name']:<22}{row['version']:>8}{row['position']:>10}{row['head']:>10}"
            f"{row['lag']:>8}{row['lagSeconds']:>9}  {row['state']}"
        )
        if row["state"] == "failed":
            print(f"stopped on {row['lastError']}")
    if row["lag"] > args.max_lag:
        raise SystemExit(1)


class ProgressBar:
    """Progress on standard error (tqdm): done of total, rate and time left. Shown on a
    terminal only, unless ``shown`` says otherwise."""

    def __init__(self, unit: str = "event", shown: bool | None = None) -> None:
        self._bar = tqdm(
            total=0,
            unit=unit,
            unit_scale=True,
            file=sys.stderr,
            disable=not (sys.stderr.isatty() if shown is None else shown),
            dynamic_ncols=True,
        )

    def __call__(self, done: int, total: int, _seconds: float = 0.0) -> None:
        self._bar.total = total
        self._bar.n = done
        self._bar.refresh()

    def close(self) -> None:
        self._bar.close()


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value


def _check_names(names: list[str]) -> None:
    unknown = sorted(set(names) - {NAME})
    if unknown:
        raise SystemExit(f"tenant-registry: no read model {unknown[0]!r} (there is: {NAME})")


def rebuild(args: argparse.Namespace) -> None:
    from projections.partitions import PartitionFailedError, default_workers
    from projections.rebuild import RebuildRunningError
    from projections.rebuild import rebuild as run_rebuild

    _check_names(args.names)
    services = open_services()
    bar = ProgressBar()
    try:
        env = services.registry.env
        events = services.registry.recorder.max_notification_id() or 0
        workers = args.workers or default_workers(env, events)
        lock = leader_lock(env, REBUILD_LOCK)
        report = run_rebuild(
            services.registry,
            services.read_model,
            lock,
            keep_old=args.keep_old,
            progress=bar,
            batch_size=args.batch_size,
            workers=workers,
        )
    except RebuildRunningError:
        raise SystemExit("tenant-registry: another rebuild of the read model is running") from None
    except PartitionFailedError as e:
        raise SystemExit(
            f"tenant-registry: rebuild stopped, the live copy untouched: {e}"
        ) from None
    finally:
        bar.close()
        services.close()
    print(
        f"rebuilt {NAME}: {report.events} events in {report.seconds:.1f}s "
        f"({report.rate:,.0f} events/s); readers switched to the new copy"
    )


def verify(args: argparse.Namespace) -> None:
    from projections.rebuild import verify as run_verify

    _check_names(args.names)
    services = open_services()
    started = time.monotonic()
    try:
        differences = run_verify(services.registry, services.read_model)
    finally:
        services.close()
    for d in differences:
        print(f"{d.table} {d.key}:\n  live:    {d.live}\n  rebuilt: {d.rebuilt}")
    seconds = time.monotonic() - started
    if differences:
        raise SystemExit(f"{NAME}: {len(differences)} rows differ from the events")
    print(f"{NAME}: matches the events ({seconds:.1f}s)")


def add_parser(sub: Any) -> None:
    p = command(
        sub,
        "projections",
        "see, rebuild and verify the read models",
        "tenant-registry projections status",
        "tenant-registry projections rebuild --workers 2",
    )
    commands = p.add_subparsers(dest="projections_command", required=True)
    _add_status(commands)
    _add_rebuild(commands)
    _add_verify(commands)


def _add_status(commands: Any) -> None:
    s = command(
        commands,
        "status",
        "position, lag and state of each read model; exit 1 if behind",
        "tenant-registry projections status --json --max-lag 100",
    )
    s.add_argument("--json", action="store_true", help="a JSON list of objects")
    s.add_argument(
        "--max-lag", type=int, default=0, metavar="N", help="exit 1 when more than N events behind"
    )
    s.set_defaults(func=status)


def _add_rebuild(commands: Any) -> None:
    r = command(
        commands,
        "rebuild",
        "rebuild from the event store beside the live copy, then switch readers to it",
        "tenant-registry projections rebuild",
        "tenant-registry projections rebuild --keep-old --batch-size 2000 --workers 2",
    )
    r.add_argument("names", nargs="*", metavar="NAME", help=f"read models (default: all; {NAME})")
    r.add_argument("--keep-old", action="store_true", help="keep the old copy under __old")
    r.add_argument(
        "--batch-size",
        type=_positive,
        default=BATCH_SIZE,
        metavar="N",
        help=f"events per transaction (default {BATCH_SIZE})",
    )
    r.add_argument(
        "--workers",
        type=_positive,
        metavar="N",
        help="processes filling the new copy, each projecting a share of the organizations "
        "(default: one per CPU on PostgreSQL when the store holds 100,000 events or more; "
        "otherwise 1)",
    )
    r.set_defaults(func=rebuild)


def _add_verify(commands: Any) -> None:
    v = command(
        commands,
        "verify",
        "compare the live read model with a copy built from the events",
        "tenant-registry projections verify",
    )
    v.add_argument("names", nargs="*", metavar="NAME", help=f"read models (default: all; {NAME})")
    v.set_defaults(func=verify)

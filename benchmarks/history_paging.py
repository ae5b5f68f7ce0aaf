"""History paging and time travel on a long-lived organization, per store.

Usage: python3 benchmarks/history_paging.py [--events 10000] [--pages 200] [--postgres-url URL]

Builds one organization with ``--events`` events and one with 10, then times (mean and p99,
in ms): a history page of 20 at the start, middle and end of each; ``asOf`` (the version
found through the time index); and the state at a version (``?version=N``) at the start,
middle and end. Prints JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.stores import on_each_store
from domain.commands import NewOrganization, OrganizationChanges
from projections.records import HistoryQuery
from service.composition import bootstrap
from service.settings import Settings
from tests.helpers import ADMIN_TOKEN, random_slug

if TYPE_CHECKING:
    from collections.abc import Callable
    from uuid import UUID

    from service.composition import Services


def timed(call: Callable[[], object], repeat: int) -> dict[str, float]:
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    return {
        "mean_ms": round(statistics.fmean(timings), 3),
        "p99_ms": round(timings[int(len(timings) * 0.99)], 3),
    }


def organization_with(services: Services, events: int) -> UUID:
    org_id: UUID = services.registry.create(
        NewOrganization(name="Long-lived", slug=random_slug())
    ).organization["id"]
    for i in range(events - 1):
        services.registry.update(org_id, OrganizationChanges(settings={"i": i}))
    return org_id


def measure_one(services: Services, org_id: UUID, events: int, repeat: int) -> dict[str, Any]:
    view, registry = services.read_model.queries, services.registry
    entries = view.organization_history(HistoryQuery(org_id, limit=events))
    result: dict[str, Any] = {}
    for where, version in (("start", 0), ("middle", events // 2), ("end", events - 20)):
        query = HistoryQuery(org_id, limit=20, after_version=max(version, 0))
        result[f"page_{where}"] = timed(partial(view.organization_history, query), repeat)
        at = max(version, 1)
        result[f"version_{where}"] = timed(partial(registry.get_details, org_id, at), 20)
    moment = entries[events // 2].occurred_at
    result["as_of_lookup"] = timed(lambda: view.version_at(org_id, moment), repeat)
    return result


def measure(database_url: str, args: argparse.Namespace) -> dict[str, Any]:
    settings = Settings(database_url=database_url, admin_token=ADMIN_TOKEN)
    services = bootstrap(settings)
    try:
        long_id, short_id = (
            organization_with(services, args.events),
            organization_with(services, 10),
        )
        services.read_model.queries.wait_for_position(
            services.registry.recorder.max_notification_id() or 0, 600
        )
        return {
            f"{args.events}_events": measure_one(services, long_id, args.events, args.pages),
            "10_events": measure_one(services, short_id, 10, args.pages),
        }
    finally:
        services.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--pages", type=int, default=200, help="timed repeats per query")
    parser.add_argument("--postgres-url", default=os.environ.get("REGISTRY_TEST_POSTGRES_URL"))
    args = parser.parse_args()
    print(json.dumps(on_each_store(measure, args, args.postgres_url), indent=2))


if __name__ == "__main__":
    main()

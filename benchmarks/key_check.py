"""What the per-request secret-key check costs, per store.

Usage: python3 benchmarks/key_check.py [--keys 2000] [--checks 5000] [--seconds 5]
                                      [--postgres-url URL]

1. In process: the time of the whole check a request with a key pays (hash the secret,
   one indexed read of the key read model joined with its organization, the expiry and
   status checks), over random keys of a store holding ``--keys`` keys; mean, p50, p99.
2. Over HTTP with wrk (16 connections), if wrk is installed: ``GET /current`` with a key
   against ``GET /{id}`` with the admin token, which reads the same row without the check.
Prints JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from api.http.auth import key_caller
from benchmarks.harness import NO_QUOTAS, wrk
from benchmarks.stores import on_each_store
from domain.commands import NewApiKey, NewOrganization
from service.composition import bootstrap
from service.settings import Settings
from tests.helpers import ADMIN_TOKEN, Server


def fill(database_url: str, keys: int) -> list[tuple[str, str]]:
    """``keys`` organizations with one key each: (organization id, secret)."""
    services = bootstrap(Settings(database_url=database_url, admin_token=ADMIN_TOKEN))
    try:
        made = []
        for i in range(keys):
            org = services.registry.create(NewOrganization(name=f"Org {i}", slug=f"org-{i:07d}"))
            issued = services.registry.issue_api_key(org.organization["id"], NewApiKey())
            made.append((str(org.organization["id"]), issued.secret))
            last = issued.written.position or 0
        services.read_model.queries.wait_for_position(last, 120)
        return made
    finally:
        services.close()


def in_process(database_url: str, secrets: list[str], checks: int) -> dict[str, float]:
    services = bootstrap(
        Settings(database_url=database_url, admin_token=ADMIN_TOKEN),
        run_projections=False,
    )
    try:
        for secret in secrets[:200]:  # Warm the connection pool and prepared statements.
            key_caller(services.read_model.queries, secret)
        timings = []
        for _ in range(checks):
            secret = random.choice(secrets)
            started = time.perf_counter_ns()
            key_caller(services.read_model.queries, secret)
            timings.append((time.perf_counter_ns() - started) / 1000)
    finally:
        services.close()
    timings.sort()
    return {
        "mean_us": round(statistics.fmean(timings), 1),
        "p50_us": round(timings[len(timings) // 2], 1),
        "p99_us": round(timings[int(len(timings) * 0.99)], 1),
    }


def over_http(database_url: str, org_id: str, secret: str, seconds: int) -> dict[str, Any]:
    server = Server(database_url, env={"REGISTRY_LOG_LEVEL": "warning", **NO_QUOTAS})
    try:
        by_key = wrk(
            server.url,
            seconds,
            {"TOKEN": secret, "PATH_TO_GET": "/api/v1/organizations/current"},
            script="get.lua",
        )
        path = f"/api/v1/organizations/{org_id}"
        by_admin = wrk(server.url, seconds, {"PATH_TO_GET": path}, script="get.lua")
    finally:
        server.stop()
    return {"current_by_key": by_key, "get_by_admin": by_admin}


def measure(database_url: str, args: argparse.Namespace) -> dict[str, Any]:
    made = fill(database_url, args.keys)
    result: dict[str, Any] = {
        "keys": args.keys,
        "check": in_process(database_url, [s for _, s in made], args.checks),
    }
    if shutil.which("wrk"):
        result["http"] = over_http(database_url, *made[0], args.seconds)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--keys", type=int, default=2000, help="keys in the store")
    parser.add_argument("--checks", type=int, default=5000, help="key checks to time")
    parser.add_argument("--seconds", type=int, default=5, help="seconds per wrk run")
    parser.add_argument("--postgres-url", default=os.environ.get("REGISTRY_TEST_POSTGRES_URL"))
    args = parser.parse_args()
    print(json.dumps(on_each_store(measure, args, args.postgres_url), indent=2))


if __name__ == "__main__":
    main()

"""The permission check against a lookup by slug, with many members in one organization.

Usage: python3 benchmarks/permission_check.py [--members 1000,100000] [--hot 1000]
                                              [--seconds 10] [--postgres-url URL]

For each store (SQLite; PostgreSQL with ``--postgres-url``) and each member count, one
organization is filled with that many members (bulk adds of 1,000, through the registry,
as ``POST .../members/bulk`` does), then one server process (with its projection, hence
its read cache) is measured with wrk at 16 connections:

- ``lookup_by_slug``: ``GET /organizations/lookup?slug=`` of that organization;
- ``check_hot``: ``GET .../members/{userId}/permissions/members:read`` for random users
  among the first ``--hot`` members (a working set that fits the member cache);
- ``check_all``: the same for random users among all the members.

Each run follows a warm-up run of the same requests, long enough for nearly every user to
have been asked for once (at most 3 minutes): the measured runs show the read cache warm.

Prints requests per second, p50 and p99 (ms) and non-2xx answers of each, the checks'
rates as ratios of the lookup's, measured in the same run, and the server's resident memory
at the end (its read cache then holds the members asked for). Asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.harness import NO_QUOTAS, resident_mb, wrk
from benchmarks.stores import on_each_store
from domain.commands import NewMember, NewOrganization
from service.composition import bootstrap
from service.settings import Settings
from tests.helpers import ADMIN_TOKEN, Server

BULK = 1000
WARM_UP_USERS_PER_SECOND, MAX_WARM_UP_SECONDS = 200, 180


def fill(database_url: str, members: int) -> tuple[str, str, float]:
    """An organization with ``members`` members: its id, its slug, and the seconds taken
    (recorded and projected)."""
    started = time.monotonic()
    services = bootstrap(Settings(database_url=database_url, admin_token=ADMIN_TOKEN))
    try:
        slug = f"big-{members}"
        org = services.registry.create(NewOrganization(name="Big", slug=slug)).organization
        position = 0
        for start in range(0, members, BULK):
            news = [
                NewMember(
                    user_id=f"user-{i:07d}",
                    email=f"user-{i:07d}@example.com",
                    roles=["owner" if i == 0 else ("admin" if i % 2 else "member")],
                )
                for i in range(start, min(start + BULK, members))
            ]
            position = services.registry.add_members(org["id"], news).written.position or 0
        if not services.read_model.queries.wait_for_position(position, 600):
            raise RuntimeError("the read model did not catch up")
        return str(org["id"]), slug, time.monotonic() - started
    finally:
        services.close()


def measure_one(database_url: str, members: int, args: argparse.Namespace) -> dict[str, Any]:
    org_id, slug, seconds = fill(database_url, members)
    result: dict[str, Any] = {"members": members, "fill_seconds": round(seconds, 1)}
    server = Server(database_url, env={"REGISTRY_LOG_LEVEL": "warning", **NO_QUOTAS})
    try:
        lookup = f"/api/v1/organizations/lookup?slug={slug}"
        check = {"ORG": org_id, "PERMISSION": "members:read"}
        hot = min(args.hot, members)
        runs = {
            "lookup_by_slug": ({"PATH_TO_GET": lookup}, "get.lua", 1),
            "check_hot": ({**check, "USERS": str(hot)}, "permission.lua", hot),
            "check_all": ({**check, "USERS": str(members)}, "permission.lua", members),
        }
        for name, (env, script, users) in runs.items():
            # Warm up the connections and the read cache: long enough for random requests
            # to have asked for nearly every user once.
            warm_up = min(max(2, users // WARM_UP_USERS_PER_SECOND), MAX_WARM_UP_SECONDS)
            wrk(server.url, warm_up, env, script=script)
            result[name] = wrk(server.url, args.seconds, env, script=script)
        result["server_rss_mb"] = resident_mb(server.process.pid)
    finally:
        server.stop()
    base = result["lookup_by_slug"]["rps"]
    for name in ("check_hot", "check_all"):
        result[f"{name}_vs_lookup"] = round(result[name]["rps"] / base, 2) if base else None
    return result


def measure(database_url: str, args: argparse.Namespace) -> list[dict[str, Any]]:
    results = []
    for members in args.members:
        results.append(measure_one(database_url, members, args))
        print(json.dumps(results[-1]), file=sys.stderr)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--members",
        type=lambda text: [int(n) for n in text.split(",")],
        default=[1000, 100_000],
        help="member counts to measure, comma-separated (default 1000,100000)",
    )
    parser.add_argument("--hot", type=int, default=1000, help="users in the hot working set")
    parser.add_argument("--seconds", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--postgres-url", default=os.environ.get("REGISTRY_TEST_POSTGRES_URL"))
    args = parser.parse_args()
    if not shutil.which("wrk"):
        parser.error("wrk is needed: apt-get install wrk")
    print(json.dumps(on_each_store(measure, args, args.postgres_url), indent=2))


if __name__ == "__main__":
    main()

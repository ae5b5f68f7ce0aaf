"""Permission checks from the SDK's live local cache against the same checks over HTTP, and
the memory the cache takes per member.

Usage: python3 benchmarks/sdk_cache.py [--members 10000] [--http-checks 2000]
                                       [--cache-checks 200000] [--out FILE]

One organization is filled with ``--members`` members (bulk adds, as ``permission_check.py``
does) in a fresh SQLite store; one server process (with its projection and read cache)
serves it. Then, from this process, for random members among all of them:

- ``http``: ``GET .../members/{userId}/permissions/members:read``, one after another on one
  keep-alive connection (the SDK's way: a blocking call per check);
- ``cache``: ``RegistryCache.check`` of the same kind, after the cache loaded its snapshot.

Prints and writes (``--out``) the checks per second of each and their ratio (one run: the
ratio is what compares, on a machine shared with other work), the seconds the snapshot took
to load, and the bytes the cache's state holds per member (tracemalloc: what a loaded state
keeps, after the loading's garbage is collected, divided by the members). Asserts nothing.
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "sdk" / "src"))
sys.path.insert(0, str(ROOT))

from benchmarks.harness import NO_QUOTAS  # noqa: E402
from benchmarks.permission_check import fill  # noqa: E402
from tenant_registry_client import Client  # noqa: E402
from tenant_registry_client.cache import Feed, RegistryCache, read_snapshot  # noqa: E402
from tests.helpers import ADMIN, ADMIN_TOKEN, Server  # noqa: E402

PERMISSION = "members:read"


def http_rate(server: Server, org_id: str, users: list[str]) -> float:
    started = time.perf_counter()
    for user in users:
        path = f"/api/v1/organizations/{org_id}/members/{user}/permissions/{PERMISSION}"
        response = server.client.get(path, headers=ADMIN)
        assert response.status_code == 200, response.text
    return len(users) / (time.perf_counter() - started)


def cache_rate(cache: RegistryCache, org_id: str, users: list[str]) -> float:
    started = time.perf_counter()
    for user in users:
        cache.check(org_id, user, PERMISSION)
    return len(users) / (time.perf_counter() - started)


def bytes_per_member(server: Server, members: int) -> float:
    transport = Feed(Client(server.url, ADMIN_TOKEN))
    try:
        gc.collect()
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        state = read_snapshot(transport.snapshot())
        gc.collect()
        held = tracemalloc.get_traced_memory()[0] - before
        tracemalloc.stop()
    finally:
        transport.close()
    assert sum(len(org.members) for org in state.organizations.values()) >= members
    return held / members


def measure(database_url: str, args: argparse.Namespace) -> dict[str, Any]:
    org_id, _, fill_seconds = fill(database_url, args.members)
    server = Server(database_url, env={"REGISTRY_LOG_LEVEL": "warning", **NO_QUOTAS})
    try:
        names = [f"user-{random.randrange(args.members):07d}" for _ in range(args.cache_checks)]
        http_rate(server, org_id, names[:200])  # Warm-up: connection, read cache.
        http = http_rate(server, org_id, names[: args.http_checks])
        started = time.perf_counter()
        with RegistryCache(server.url, ADMIN_TOKEN, wait=5.0) as cache:
            loaded = time.perf_counter() - started
            cached = cache_rate(cache, org_id, names)
        per_member = bytes_per_member(server, args.members)
    finally:
        server.stop()
    return {
        "members": args.members,
        "fill_seconds": round(fill_seconds, 1),
        "http_checks_per_second": round(http, 1),
        "cache_checks_per_second": round(cached, 1),
        "cache_vs_http": round(cached / http, 1),
        "snapshot_load_seconds": round(loaded, 2),
        "cache_bytes_per_member": round(per_member, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--http-checks", type=int, default=2000)
    parser.add_argument("--cache-checks", type=int, default=200_000)
    parser.add_argument("--out", default=str(ROOT / "benchmarks/results/sdk-cache.json"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        result = {"store": "sqlite", **measure(f"sqlite:///{tmp}/bench.db", args)}
    print(json.dumps(result, indent=2))
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()

"""HTTP throughput of one `tenant-registry serve` process, per store, with wrk at 16 connections.

Usage: python3 benchmarks/http_throughput.py [--seconds 10] [--postgres-url URL]
Prints creates/s and gets-by-id/s (with p50/p99 latency) for SQLite and, if given, PostgreSQL.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.harness import NO_QUOTAS, wrk
from benchmarks.stores import on_each_store
from tests.helpers import ADMIN, Server, create_body


def measure(database_url: str, seconds: int) -> dict[str, dict[str, float]]:
    server = Server(database_url, env={"REGISTRY_LOG_LEVEL": "warning", **NO_QUOTAS})
    try:
        org = server.client.post("/api/v1/organizations", json=create_body(), headers=ADMIN).json()
        with tempfile.NamedTemporaryFile("w", suffix=".ids") as ids:
            ids.write(f"{org['organization']['id']}\n")
            ids.flush()
            return {
                "create": wrk(server.url, seconds, {"MODE": "create"}),
                "get_by_id": wrk(server.url, seconds, {"MODE": "get", "IDS_FILE": ids.name}),
            }
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--postgres-url", default=os.environ.get("REGISTRY_TEST_POSTGRES_URL"))
    args = parser.parse_args()
    print(json.dumps(on_each_store(measure, args.seconds, args.postgres_url), indent=2))


if __name__ == "__main__":
    main()

"""HTTP throughput of one `tenant-registry serve` process, per store, with wrk at 16 connections.

Usage: python3 benchmarks/http_throughput.py [--seconds 10] [--postgres-url URL]
Prints creates/s and gets-by-id/s (with p50/p99 latency) for SQLite and, if given, PostgreSQL.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.helpers import ADMIN, ADMIN_TOKEN, Server, create_body

HERE = Path(__file__).resolve().parent


def wrk(url: str, script: str, seconds: int, env: dict[str, str]) -> dict[str, float]:
    out = subprocess.run(
        ["wrk", "-t2", "-c16", f"-d{seconds}s", "--latency", "-s", str(HERE / script), url],
        env={**os.environ, "TOKEN": ADMIN_TOKEN, **env},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out)[1])  # type: ignore[index]

    def ms(p: str) -> float:
        value, unit = re.search(rf"{p}%\s+([\d.]+)(us|ms|s)", out).groups()  # type: ignore[union-attr]
        return float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]

    return {"rps": rate, "p50_ms": ms("50"), "p99_ms": ms("99")}


def measure(database_url: str, seconds: int) -> dict[str, dict[str, float]]:
    server = Server(database_url, env={"REGISTRY_LOG_LEVEL": "warning"})
    try:
        org = server.client.post("/api/v1/organizations", json=create_body(), headers=ADMIN).json()
        path = f"/api/v1/organizations/{org['organization']['id']}"
        return {
            "create": wrk(server.url, "create.lua", seconds, {}),
            "get_by_id": wrk(server.url, "get.lua", seconds, {"PATH_TO_GET": path}),
        }
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--postgres-url", default=os.environ.get("REGISTRY_TEST_POSTGRES_URL"))
    args = parser.parse_args()
    results: dict[str, object] = {"cpus": os.cpu_count()}
    with tempfile.TemporaryDirectory() as tmp:
        results["sqlite"] = measure(f"sqlite:///{tmp}/bench.db", args.seconds)
    if args.postgres_url:
        results["postgres"] = measure(args.postgres_url, args.seconds)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()

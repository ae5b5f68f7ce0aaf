"""One tenant cannot slow the others: a quiet tenant's latency alone and while another
organization's key floods the same endpoint, with request quotas off and on; one run.

Usage: python3 benchmarks/quotas.py [--seconds 20] [--connections 64] [--workers 1]
                                    [--postgres-url URL] [--output FILE]

A server process (``serve --workers``, SQLite unless ``--postgres-url``) with two
organizations, each with a key. The quiet tenant's backend asks ``GET
/api/v1/organizations/current`` with its key ten times a second (one connection, requests
on a fixed schedule): p50 and p99. Then wrk floods the same endpoint with the other key
from ``--connections`` connections while the quiet tenant asks as before. Both, first on a
server with no quotas (the flood is served), then on one with the service's default
quotas (the flood is refused beyond its key's quota, each refusal sent after the refusal
delay). For each flood: its rate, its answers by status (429s with Retry-After counted),
and the server's CPU time per flood request. Last, the flood against a quota of one read
a minute with refusals sent at once: what a refusal costs the server, against what a
served request cost in the first flood. Prints JSON.
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.harness import HERE, NO_QUOTAS, cpu_seconds
from tests.helpers import ORGS, Server, issue_key, new_org

QUIET_RATE = 10.0


def quiet_tenant(port: int, secret: str, seconds: float) -> dict[str, Any]:
    """Ten requests a second on one connection, on a fixed schedule: latencies."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Authorization": f"Bearer {secret}"}
    latencies, statuses = [], []
    start = time.perf_counter()
    for i in range(int(seconds * QUIET_RATE)):
        time.sleep(max(0.0, start + i / QUIET_RATE - time.perf_counter()))
        sent = time.perf_counter()
        conn.request("GET", f"{ORGS}/current", headers=headers)
        response = conn.getresponse()
        response.read()
        latencies.append((time.perf_counter() - sent) * 1000)
        statuses.append(response.status)
    conn.close()
    return summary(latencies, statuses)


def summary(latencies: list[float], statuses: list[int]) -> dict[str, Any]:
    ordered = sorted(latencies)
    return {
        "requests": len(ordered),
        "p50_ms": round(statistics.median(ordered), 2),
        "p99_ms": round(ordered[math.ceil(0.99 * len(ordered)) - 1], 2),
        "not_200": sum(status != 200 for status in statuses),
    }


def tree_cpu_seconds(pid: int) -> float:
    """CPU time of a process and of its children (``serve --workers``' worker processes)."""
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as listed:
            children = [int(child) for child in listed.read().split()]
    except OSError:
        children = []
    return cpu_seconds(pid) + sum(tree_cpu_seconds(child) for child in children)


def flood(server: Server, secret: str, seconds: int, connections: int) -> dict[str, Any]:
    """wrk from ``connections`` connections with one key: its answers, and the server's
    CPU time per request meanwhile."""
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "-s", str(HERE / "flood.lua")]
    env = {"TOKEN": secret, "PATH_TO_GET": f"{ORGS}/current", "PATH": "/usr/bin:/bin"}
    before = tree_cpu_seconds(server.process.pid)
    done = subprocess.run([*command, server.url], env=env, capture_output=True, text=True)
    used = tree_cpu_seconds(server.process.pid) - before
    counts = dict(re.findall(r"(\w+)=(\d+)", done.stdout.split("FLOOD", 1)[1]))
    answers = {name: int(count) for name, count in counts.items()}
    total = sum(answers[name] for name in ("ok", "limited", "other"))
    return {
        "rps": round(total / seconds, 1),
        "answers": answers,
        "server_cpu_ms_per_request": round(1000 * used / total, 3) if total else None,
    }


def during_flood(
    server: Server, quiet: str, flooder: str, args: argparse.Namespace
) -> dict[str, Any]:
    """The quiet tenant while the flood runs (it starts a second into the flood)."""
    result: dict[str, Any] = {}

    def run_flood() -> None:
        result["flood"] = flood(server, flooder, args.seconds + 2, args.connections)

    thread = threading.Thread(target=run_flood)
    thread.start()
    time.sleep(1)
    result["quiet"] = quiet_tenant(server.port, quiet, args.seconds)
    thread.join()
    return result


def measure(database_url: str, args: argparse.Namespace, quotas: bool) -> dict[str, Any]:
    env = {"REGISTRY_LOG_LEVEL": "warning", **({} if quotas else NO_QUOTAS)}
    server = Server(database_url, "--workers", str(args.workers), env=env)
    try:
        quiet, flooder = (issue_key(server, new_org(server)["id"])["secret"] for _ in "qf")
        quiet_tenant(server.port, quiet, 2)  # Warm up: caches, connections.
        return {
            "alone": quiet_tenant(server.port, quiet, args.seconds),
            "during_flood": during_flood(server, quiet, flooder, args),
        }
    finally:
        server.stop()


def refusal_cost(database_url: str, args: argparse.Namespace) -> dict[str, Any]:
    """The flood against a quota of one read a minute, refusals sent at once: what the
    server spends on a refusal."""
    env = {
        "REGISTRY_LOG_LEVEL": "warning",
        "REGISTRY_RATE_LIMIT_READS_PER_MINUTE": "1",
        "REGISTRY_RATE_LIMIT_READ_BURST": "1",
        "REGISTRY_RATE_LIMIT_REFUSAL_DELAY": "0",
    }
    server = Server(database_url, "--workers", str(args.workers), env=env)
    try:
        flooder = issue_key(server, new_org(server)["id"])["secret"]
        return flood(server, flooder, min(args.seconds, 10), args.connections)
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--postgres-url")
    parser.add_argument("--output")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.postgres_url or f"sqlite:///{tmp}/bench.db"
        results: dict[str, Any] = {
            "store": "postgres" if args.postgres_url else "sqlite",
            "workers": args.workers,
            "connections": args.connections,
            "without_quotas": measure(url, args, quotas=False),
            "with_quotas": measure(url, args, quotas=True),
            "refusals_at_once": refusal_cost(url, args),
        }
    results["ratios"] = ratios(results)
    text = json.dumps(results, indent=2)
    print(text)
    if args.output:
        Path(args.output).write_text(text + "\n")


def ratios(results: dict[str, Any]) -> dict[str, Any]:
    """The quiet tenant's p99 during the flood / alone, and a refusal's CPU / a served one's."""
    out = {}
    for name in ("without_quotas", "with_quotas"):
        run = results[name]
        out[f"quiet_p99_flood_over_alone_{name}"] = round(
            run["during_flood"]["quiet"]["p99_ms"] / run["alone"]["p99_ms"], 2
        )
    served = results["without_quotas"]["during_flood"]["flood"]["server_cpu_ms_per_request"]
    refused = results["refusals_at_once"]["server_cpu_ms_per_request"]
    if served and refused:
        out["refusal_cpu_over_served_cpu"] = round(refused / served, 3)
    return out


if __name__ == "__main__":
    main()

"""Soak: mixed traffic for N minutes against `serve --workers 2` plus a separate projector.

Prints the requests made, the 5xx answers, p50 and p99 latency per operation, each
process's resident memory at the start and at the end, and the read model's lag one second
after the load stops; writes it all to benchmarks/results/soak-<time>.json. Not a test:
it asserts nothing, it reports.

    python3 benchmarks/soak.py --minutes 10
    python3 benchmarks/soak.py --minutes 30 --postgres-url postgresql://registry:registry@localhost:5432/registry
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.harness import NO_QUOTAS
from benchmarks.stores import new_schema
from tests.helpers import free_port

OPERATIONS = (  # (name, weight)
    ("get", 40),
    ("lookup", 20),
    ("list", 10),
    ("rename", 12),
    ("create", 6),
    ("history", 6),
    ("feed", 6),
)


def start(command: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "cli.main", *command],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def family(pid: int) -> list[int]:
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [pid, *(int(c) for c in children)]


def memory(processes: dict[str, int]) -> dict[str, int]:
    found = {}
    for name, pid in processes.items():
        for i, member in enumerate(family(pid)):
            found[f"{name}[{i}]" if i else name] = rss_kib(member)
    return found


class Load:
    def __init__(self, url: str, headers: dict[str, str], orgs: list[dict[str, Any]]) -> None:
        self.url, self.headers, self.orgs = url, headers, orgs
        self.latencies: dict[str, list[float]] = {name: [] for name, _ in OPERATIONS}
        self.errors: dict[str, int] = {}
        self.requests = 0
        self._lock = threading.Lock()
        self.stop = threading.Event()

    def client(self) -> None:
        names = [name for name, _ in OPERATIONS]
        weights = [weight for _, weight in OPERATIONS]
        with httpx.Client(base_url=self.url, headers=self.headers, timeout=30) as http:
            while not self.stop.is_set():
                name = random.choices(names, weights)[0]
                started = time.perf_counter()
                status: int | str
                try:
                    status = self.request(http, name)
                except httpx.TransportError as error:
                    status = f"{type(error).__name__}"
                seconds = time.perf_counter() - started
                with self._lock:
                    self.requests += 1
                    self.latencies[name].append(seconds)
                    if not isinstance(status, int) or status >= 500:
                        self.errors[f"{name} {status}"] = self.errors.get(f"{name} {status}", 0) + 1

    def request(self, http: httpx.Client, name: str) -> int:
        org = random.choice(self.orgs)
        orgs = "/api/v1/organizations"
        if name == "get":
            return http.get(f"{orgs}/{org['id']}").status_code
        if name == "lookup":
            return http.get(f"{orgs}/lookup", params={"slug": org["slug"]}).status_code
        if name == "list":
            return http.get(orgs, params={"limit": 20}).status_code
        if name == "rename":
            body = {"name": f"Soak {secrets.token_hex(4)}"}
            return http.patch(f"{orgs}/{org['id']}", json=body).status_code
        if name == "create":
            body = {"name": "Soak", "slug": f"soak-{secrets.token_hex(8)}"}
            response = http.post(orgs, json=body)
            if response.status_code == 201:
                with self._lock:
                    self.orgs.append(response.json()["organization"])
            return response.status_code
        if name == "history":
            return http.get(f"{orgs}/{org['id']}/history").status_code
        return http.get("/api/v1/events", params={"after": 0, "limit": 50}).status_code


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000 if ordered else 0.0


def soak(database_url: str, args: argparse.Namespace) -> dict[str, Any]:
    token = secrets.token_urlsafe(24)
    port = free_port()
    env = {
        **os.environ,
        "REGISTRY_DATABASE_URL": database_url,
        "REGISTRY_ADMIN_TOKEN": token,
        **NO_QUOTAS,
    }
    headers = {"Authorization": f"Bearer {token}"}
    with ExitStack() as stack:
        projector = start(["project"], env)
        stack.callback(projector.wait, 30)
        stack.callback(projector.terminate)
        server = start(["serve", "--port", str(port), "--workers", "2", "--no-projections"], env)
        stack.callback(server.wait, 30)
        stack.callback(server.terminate)
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("the server did not start")
            time.sleep(0.2)
        orgs = []
        for i in range(args.organizations):
            body = {"name": f"Soak {i}", "slug": f"soak-seed-{i}-{secrets.token_hex(3)}"}
            created = httpx.post(f"{url}/api/v1/organizations", json=body, headers=headers)
            orgs.append(created.json()["organization"])
        processes = {"server": server.pid, "projector": projector.pid}
        memory_at_start = memory(processes)
        load = Load(url, headers, orgs)
        threads = [threading.Thread(target=load.client) for _ in range(args.clients)]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        time.sleep(args.minutes * 60)
        load.stop.set()
        for thread in threads:
            thread.join()
        seconds = time.monotonic() - started
        memory_at_end = memory(processes)
        time.sleep(1)
        ready = httpx.get(f"{url}/readyz").json()
    return {
        "minutes": args.minutes,
        "clients": args.clients,
        "requests": load.requests,
        "rate": round(load.requests / seconds, 1),
        "errors5xx": load.errors,
        "latencyMs": {
            name: {"p50": round(percentile(v, 0.5), 2), "p99": round(percentile(v, 0.99), 2)}
            for name, v in load.latencies.items()
        },
        "rssKiB": {"start": memory_at_start, "end": memory_at_end},
        "lagOneSecondAfter": ready.get("lag", ready.get("details", {}).get("lag")),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--organizations", type=int, default=200, help="seeded before the load")
    parser.add_argument(
        "--postgres-url", help="soak on PostgreSQL (a fresh schema) instead of SQLite"
    )
    parser.add_argument("--output", help="where to write the JSON (default benchmarks/results/)")
    args = parser.parse_args()
    if args.postgres_url:
        with new_schema(args.postgres_url, "soak") as url:
            result = soak(url, args)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            result = soak(f"sqlite:///{tmp}/soak.db", args)
    result["store"] = "postgres" if args.postgres_url else "sqlite"
    result["cpus"] = os.cpu_count()
    print(json.dumps(result, indent=2))
    output = Path(args.output or f"benchmarks/results/soak-{time.strftime('%Y%m%dT%H%M%S')}.json")
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()

"""Webhook delivery of one `tenant-registry serve` process to a receiver on loopback (in
this process, verifying every request with `standardwebhooks`), per store.

Usage: python3 benchmarks/webhooks.py [--seconds 10] [--rate 200] [--postgres-url URL]
                                      [--out benchmarks/results/webhooks.json]

1. Creates for `--seconds` with wrk (16 connections) while the endpoint is disabled: the
   registry's create rate, and a backlog of that many events.
2. The endpoint enabled: the backlog delivered, first receipt to last: deliveries per
   second, against the create rate of step 1 (the same run, the same server).
3. Creates paced at `--rate` events per second for `--seconds`, the endpoint enabled: the
   time from each event's commit (its `timestamp`) to its receipt, p50 and p99.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.harness import NO_QUOTAS, wrk
from benchmarks.stores import on_each_store
from tests.helpers import ADMIN, ORGS, Server, create_body
from tests.receiver import HOOKS, HOOKS_ENV, Receiver

PACERS = 4
"""Threads issuing the paced creates (each its share of the rate)."""


def measure(database_url: str, args: argparse.Namespace) -> dict[str, Any]:
    receiver = Receiver()
    env = {**HOOKS_ENV, **NO_QUOTAS, "REGISTRY_LOG_LEVEL": "warning"}
    server = Server(database_url, env=env)
    try:
        created = server.client.post(HOOKS, json={"url": receiver.url}, headers=ADMIN).json()
        receiver.secrets.append(created["secret"])
        endpoint = f"{HOOKS}/{created['endpoint']['id']}"
        backlog = deliveries_per_second(server, receiver, endpoint, args.seconds)
        return {**backlog, "latency_at_rate": latency(server, receiver, args.rate, args.seconds)}
    finally:
        server.stop()
        receiver.stop()


def deliveries_per_second(
    server: Server, receiver: Receiver, endpoint: str, seconds: int
) -> dict[str, Any]:
    server.client.patch(endpoint, json={"enabled": False}, headers=ADMIN)
    creates = wrk(server.url, seconds, {"MODE": "create"})
    backlog = round(creates["rps"] * seconds) - creates["errors"]  # Events recorded.
    server.client.patch(endpoint, json={"enabled": True}, headers=ADMIN)
    deadline = time.monotonic() + 600
    while len(receiver.received) < backlog * 0.99:  # wrk's count is rounded.
        if time.monotonic() > deadline:
            raise RuntimeError(f"{len(receiver.received)} of {backlog} events delivered")
        time.sleep(0.05)
    time.sleep(1)
    with receiver.lock:
        arrivals = [r["at"] for r in receiver.received]
        receiver.received.clear()
    rate = len(arrivals) / (arrivals[-1] - arrivals[0])
    return {
        "creates_per_second": creates["rps"],
        "create_p99_ms": creates["p99_ms"],
        "backlog_events": len(arrivals),
        "deliveries_per_second": round(rate, 1),
        "deliveries_vs_creates": round(rate / creates["rps"], 2),
    }


def latency(server: Server, receiver: Receiver, rate: int, seconds: int) -> dict[str, Any]:
    """Creates at ``rate`` a second, evenly spaced; each event's commit to its receipt."""
    total, started = rate * seconds, time.monotonic() + 0.5

    def pace(share: int) -> None:
        with httpx.Client(base_url=server.url, timeout=30) as client:
            for n in range(share, total, PACERS):
                time.sleep(max(0.0, started + n / rate - time.monotonic()))
                client.post(ORGS, json=create_body(), headers=ADMIN)

    threads = [threading.Thread(target=pace, args=(p,)) for p in range(PACERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    deadline = time.monotonic() + 120
    while len(receiver.received) < total and time.monotonic() < deadline:
        time.sleep(0.05)
    with receiver.lock:
        delays = sorted(
            r["at"] - datetime.fromisoformat(r["body"]["timestamp"]).timestamp()
            for r in receiver.received
        )
    cuts = statistics.quantiles(delays, n=100)
    return {
        "events_per_second": rate,
        "events": len(delays),
        "commit_to_receipt_p50_ms": round(cuts[49] * 1000, 1),
        "commit_to_receipt_p99_ms": round(cuts[98] * 1000, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rate", type=int, default=200)
    parser.add_argument("--postgres-url", default=os.environ.get("REGISTRY_TEST_POSTGRES_URL"))
    parser.add_argument("--out", help="also write the results to this JSON file")
    args = parser.parse_args()
    load = os.getloadavg()
    results = {"load_average_at_start": load, **on_each_store(measure, args, args.postgres_url)}
    text = json.dumps(results, indent=2)
    print(text)
    if args.out:
        Path(args.out).write_text(text + "\n")


if __name__ == "__main__":
    main()

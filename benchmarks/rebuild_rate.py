"""Rebuild rate against a plain SELECT streaming the same event rows, in one run.

Usage: python3 benchmarks/rebuild_rate.py [--organizations 50000] [--workers N]
       [--postgres-url URL]

Fills a fresh PostgreSQL schema with ``--organizations`` organizations of two events each
(``Created``, ``Renamed``) and their slug claims, then measures:

1. a plain server-side cursor SELECT of those organization events (twice before the
   rebuilds and once after each; the ratios use the fastest);
2. reading and decoding them alone in one process (the ceiling of a one-process rebuild
   through the library's recorder and mapper);
3. two rebuilds of the read model, as ``tenant-registry projections rebuild`` runs them
   (batches of 5,000 events per transaction, indexes built at the end, the switch
   included): one process, then ``--workers`` processes (default: one per CPU); with the
   peak RSS of this process and of the largest worker;
4. ``tenant-registry export`` of the whole store, with its peak RSS.

Prints JSON with the rates and each rebuild's ratio to the SELECT.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psycopg
from psycopg.sql import SQL, Identifier

from benchmarks.stores import fill, new_schema
from projections.builder import BATCH_SIZE
from projections.leadership import leader_lock, postgres_conninfo
from projections.projection import OrganizationLookupProjection
from projections.rebuild import LOCK_NAME, rebuild
from service.composition import bootstrap
from service.settings import Settings, store_env
from tests.helpers import ADMIN_TOKEN

if TYPE_CHECKING:
    from collections.abc import Iterator

    from application.registry import OrganizationRegistry


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def select_rate(url: str) -> dict[str, float]:
    env = store_env(url)
    schema = url.rsplit("schema=", 1)[1]
    table = SQL("{}.{}").format(Identifier(schema), Identifier("organizationregistry_events"))
    with psycopg.connect(**postgres_conninfo(env)) as conn, conn.cursor(name="stream") as cur:
        cur.itersize = 10_000
        started, rows = time.perf_counter(), 0
        # The rows a rebuild reads: the organization events (not the slug claims).
        topics = list(OrganizationLookupProjection.topics)
        cur.execute(SQL("SELECT * FROM {} WHERE topic = ANY(%s)").format(table), (topics,))
        for _ in cur:
            rows += 1
        seconds = time.perf_counter() - started
    return {"rows": rows, "seconds": round(seconds, 2), "rows_per_s": round(rows / seconds)}


def settle(url: str) -> None:
    """VACUUM ANALYZE the freshly filled events table, as autovacuum would soon do: the
    measurements then all see a store at rest (not one autovacuum is working through)."""
    env = store_env(url)
    table = SQL("{}.{}").format(
        Identifier(env["POSTGRES_SCHEMA"]), Identifier("organizationregistry_events")
    )
    with psycopg.connect(**postgres_conninfo(env), autocommit=True) as conn:
        conn.execute(SQL("VACUUM ANALYZE {}").format(table))


def decode_rate(registry: OrganizationRegistry) -> dict[str, float]:
    """What any rebuild through the library's recorder and mapper pays before projecting
    anything: reading the organization events in the rebuild's batches and decoding them into
    domain events (the ceiling of a rebuild's rate)."""
    topics, position, events = OrganizationLookupProjection.topics, 0, 0
    started = time.perf_counter()
    while notifications := registry.recorder.select_notifications(
        start=position + 1, limit=BATCH_SIZE, topics=topics
    ):
        for notification in notifications:
            registry.mapper.to_domain_event(notification)
        events += len(notifications)
        position = notifications[-1].id
    seconds = time.perf_counter() - started
    return {"events": events, "seconds": round(seconds, 2), "events_per_s": round(events / seconds)}


class WorkersPeak:
    """The highest peak RSS (VmHWM) of this process's rebuild workers, sampled while they
    run (a child's rusage would count the memory of the parent it was forked from)."""

    def __init__(self) -> None:
        self.mb = 0.0

    @contextmanager
    def watching(self) -> Iterator[None]:
        stop = threading.Event()

        def sample() -> None:
            while not stop.wait(0.2):
                for peak_kb in self._workers_peaks_kb():
                    self.mb = max(self.mb, peak_kb / 1024)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        try:
            yield
        finally:
            stop.set()
            sampler.join()

    @staticmethod
    def _workers_peaks_kb() -> list[int]:
        peaks = []
        for entry in os.listdir("/proc"):
            try:
                with open(f"/proc/{entry}/status") as status:
                    fields = dict(line.split(":", 1) for line in status)
                with open(f"/proc/{entry}/cmdline", "rb") as cmdline:
                    command = cmdline.read()
            except (OSError, ValueError):
                continue
            if int(fields["PPid"]) == os.getpid() and b"spawn_main" in command:
                peaks.append(int(fields.get("VmHWM", "0 kB").split()[0]))
        return peaks


EXPORT_AND_REPORT = """
import os, sys
from cli.main import main
main(["export", "--output", os.devnull])
with open("/proc/self/status") as status:
    print([line.split()[1] for line in status if line.startswith("VmHWM")][0], file=sys.stderr)
"""


def export_run(url: str) -> dict[str, float]:
    """``tenant-registry export`` of the whole store in a child process: its time, and its
    peak RSS (VmHWM, read by the child itself: a child's rusage would count the memory of
    the parent it was forked from)."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", EXPORT_AND_REPORT],
        env={**os.environ, "REGISTRY_DATABASE_URL": url},
        check=True,
        capture_output=True,
        text=True,
    )
    peak_kb = int(done.stderr.strip().splitlines()[-1])
    return {
        "seconds": round(time.perf_counter() - started, 1),
        "peak_rss_mb": round(peak_kb / 1024, 1),
    }


def measure(url: str, args: argparse.Namespace) -> dict[str, Any]:
    settings = Settings(database_url=url, admin_token=ADMIN_TOKEN)
    services = bootstrap(settings, run_projections=False)
    try:
        started = time.perf_counter()
        fill(services.registry, args.organizations, renamed=True)
        filled = time.perf_counter() - started
        settle(url)
        selects = [select_rate(url), select_rate(url)]
        read_and_decode = decode_rate(services.registry)
        rss_before = rss_mb()
        # What `tenant-registry projections rebuild` runs: fill a new copy (in one process,
        # then with --workers processes), build its indexes, catch up and switch readers.
        lock = leader_lock(services.registry.env, LOCK_NAME)
        rebuilds, workers_peak = {}, WorkersPeak()
        for workers in sorted({1, args.workers}):
            started = time.perf_counter()
            with workers_peak.watching():
                report = rebuild(services.registry, services.read_model, lock, workers=workers)
            seconds = time.perf_counter() - started
            rebuilds[workers] = {
                "events": report.events,
                "seconds": round(seconds, 2),
                "events_per_s": round(report.events / seconds),
            }
            selects.append(select_rate(url))
        # This machine's speed drifts from minute to minute: the ratios are taken against
        # the fastest SELECT (two before the rebuilds, one after each).
        select = max(selects, key=lambda run: run["rows_per_s"])
        export = export_run(url)
    finally:
        services.close()
    return {
        "fill_seconds": round(filled, 1),
        "select": select,
        "select_runs_rows_per_s": [run["rows_per_s"] for run in selects],
        "rebuild_by_workers": {
            str(workers): {
                **rebuilt,
                "to_select_ratio": round(rebuilt["events_per_s"] / select["rows_per_s"], 3),
            }
            for workers, rebuilt in rebuilds.items()
        },
        "read_and_decode_only": read_and_decode,
        "read_and_decode_to_select_ratio": round(
            read_and_decode["events_per_s"] / select["rows_per_s"], 3
        ),
        "peak_rss_mb": {
            "before_rebuild": round(rss_before, 1),
            "after": round(rss_mb(), 1),
            "largest_worker": round(workers_peak.mb, 1),
        },
        "export": export,
    }


def measure_in_new_schema(url: str, args: argparse.Namespace) -> dict[str, Any]:
    with new_schema(url) as schema_url:
        return measure(schema_url, args)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--organizations", type=int, default=50_000)
    parser.add_argument(
        "--workers", type=int, default=os.cpu_count() or 1, help="processes of the second rebuild"
    )
    parser.add_argument("--postgres-url", default=os.environ.get("REGISTRY_TEST_POSTGRES_URL"))
    args = parser.parse_args()
    if not args.postgres_url:
        parser.error("give --postgres-url (or set REGISTRY_TEST_POSTGRES_URL)")
    result = {
        "cpus": os.cpu_count(),
        "postgres": measure_in_new_schema(args.postgres_url, args),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()

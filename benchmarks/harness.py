"""The performance harness: the registry against a plain CRUD service and the database's own
limit, on one PostgreSQL, in one run.

Usage: python3 benchmarks/harness.py --postgres-url URL [--seconds 10]
                                     [--organizations 1000000] [--skip-scale] [--output FILE]

1. pgbench: single-row INSERT transactions per second at 16 connections (the database's limit).
2. The CRUD baseline (``benchmarks/crud_baseline``) and 3. the registry, each one uvicorn
   process with the same settings, each in a fresh schema holding 1,000 organizations:
   creates, lookups by slug, gets by id and renames with wrk at 16 connections and at 1
   (rate, p50, p99, and the server's CPU time per request; every non-2xx response is
   counted and reported).
4. The ratios registry / baseline (at 16 connections and at 1), and registry creates /
   database limit.
5. Lookup p99 with 1,000 and with ``--organizations`` organizations in the store: the same
   1,000 slugs with the read cache on, and any slug with the cache off (the database's
   index); and lookups of any slug with the cache on.
6. Peak RSS of the registry's server process at that size. (``--skip-scale`` leaves 5 and 6
   out.)
Prints a table and writes everything, with the CPU count and versions, to a JSON file.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx
import psycopg
from psycopg.sql import SQL, Identifier

from benchmarks.stores import fill, new_schema, slug_of
from projections.leadership import leader_lock, postgres_conninfo
from projections.rebuild import LOCK_NAME, rebuild
from service.composition import bootstrap
from service.settings import Settings, store_env
from tests.helpers import ADMIN_TOKEN, free_port

if TYPE_CHECKING:
    from collections.abc import Iterator

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SEEDED = 1000
OPERATIONS = ("create", "lookup", "get", "rename")
OPERATIONS_IN_ORDER = ("lookup", "get", "rename", "create")
CONNECTIONS = 16
PACKAGES = ("eventsourcing", "fastapi", "uvicorn", "psycopg", "psycopg-pool", "pydantic")


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


class ServerProcess:
    """One uvicorn server process on a free port, with its output in a log file."""

    def __init__(self, command: list[str], env: dict[str, str]) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = tempfile.NamedTemporaryFile("w+", prefix="harness-", suffix=".log")  # noqa: SIM115
        self.process = subprocess.Popen(
            [*command, "--port", str(self.port)],
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited:\n{self.logs()}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"server did not start:\n{self.logs()}")

    def logs(self) -> str:
        self.log.flush()
        self.log.seek(0)
        return self.log.read()

    def peak_rss_mb(self) -> dict[str, float]:
        return resident_mb(self.process.pid)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


NO_QUOTAS = {
    "REGISTRY_RATE_LIMIT_READS_PER_MINUTE": "0",
    "REGISTRY_RATE_LIMIT_WRITES_PER_MINUTE": "0",
    "REGISTRY_RATE_LIMIT_IN_FLIGHT": "0",
}
"""Request quotas off: a benchmark measures what a server does, not what it refuses
(``benchmarks/quotas.py`` measures quotas)."""

# Both servers run with these settings: one uvicorn process (its default event loop and
# HTTP parser, 40 worker threads), warnings only, no access log.
UVICORN_FLAGS = ["--host", "127.0.0.1", "--log-level", "warning"]


@contextmanager
def registry_server(url: str, *, cache: bool = True) -> Iterator[ServerProcess]:
    """A registry server; ``cache=False`` turns its in-process read cache off, so every
    read goes to the database."""
    command = [sys.executable, "-m", "cli.main", "serve", "--host", "127.0.0.1"]
    env = {
        "REGISTRY_DATABASE_URL": url,
        "REGISTRY_ADMIN_TOKEN": ADMIN_TOKEN,
        "REGISTRY_LOG_LEVEL": "warning",
        **NO_QUOTAS,
        **({} if cache else {"REGISTRY_READ_CACHE_SIZE": "0"}),
    }
    server = ServerProcess(command, env)
    try:
        yield server
    finally:
        server.stop()


@contextmanager
def baseline_server(url: str) -> Iterator[ServerProcess]:
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "benchmarks.crud_baseline.app:create_app",
        "--factory",
        "--no-access-log",
        *UVICORN_FLAGS,
    ]
    server = ServerProcess(command, {"CRUD_DATABASE_URL": url, "CRUD_ADMIN_TOKEN": ADMIN_TOKEN})
    try:
        yield server
    finally:
        server.stop()


def output(command: list[str], env: dict[str, str]) -> str:
    """What a command prints, run with these variables added to the environment."""
    done = subprocess.run(
        command, env={**os.environ, **env}, capture_output=True, text=True, check=True
    )
    return done.stdout


def resident_mb(pid: int) -> dict[str, float]:
    """A process's resident memory now and at its peak (VmRSS, VmHWM), in MB."""
    with open(f"/proc/{pid}/status") as status:
        fields = dict(line.split(":", 1) for line in status)
    return {
        key: round(int(fields[name].split()[0]) / 1024, 1)
        for key, name in (("now", "VmRSS"), ("peak", "VmHWM"))
    }


def wrk(
    url: str,
    seconds: int,
    env: dict[str, str],
    script: str = "load.lua",
    connections: int = CONNECTIONS,
) -> dict[str, Any]:
    """One wrk run of a script in ``benchmarks/`` (``env`` configures the script; ``TOKEN``
    defaults to the admin token)."""
    out = output(
        [
            "wrk",
            f"-t{min(2, connections)}",
            f"-c{connections}",
            f"-d{seconds}s",
            "--latency",
            "-s",
            str(HERE / script),
            url,
        ],
        {"TOKEN": ADMIN_TOKEN, **env},
    )
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out)[1])  # type: ignore[index]
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)

    def ms(p: str) -> float:
        value, unit = re.search(rf"\s{p}%\s+([\d.]+)(us|ms|s)", out).groups()  # type: ignore[union-attr]
        return round(float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit], 2)

    return {
        "rps": round(rate, 1),
        "p50_ms": ms("50"),
        "p99_ms": ms("99"),
        "errors": int(errors[1]) if errors else 0,
    }


def cpu_seconds(pid: int) -> float:
    """CPU time a process has used so far (user and system, all its threads)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measured(
    server: ServerProcess, seconds: int, env: dict[str, str], connections: int
) -> dict[str, Any]:
    """One wrk run against ``server``, with the server's CPU time per request."""
    before = cpu_seconds(server.process.pid)
    result = wrk(server.url, seconds, env, connections=connections)
    used = cpu_seconds(server.process.pid) - before
    requests = result["rps"] * seconds
    result["cpu_ms"] = round(1000 * used / requests, 2) if requests else None
    return result


def load(server: ServerProcess, ids: list[str], slugs: int, seconds: int) -> dict[str, Any]:
    """Every operation against one server, at 16 connections and then at 1: reads first,
    while the store holds exactly the seeded organizations; creates last. Renames pick
    among the first half of ``ids`` at 16 connections and the second half at 1, so each
    run starts on organizations of the same history."""
    with tempfile.TemporaryDirectory() as tmp:
        halves = [ids[: len(ids) // 2], ids[len(ids) // 2 :]]
        files = []
        for i, half in enumerate(halves):
            files.append(Path(tmp) / f"ids-{i}")
            files[-1].write_text("\n".join(half) + "\n")
        results = {}
        for mode in OPERATIONS_IN_ORDER:
            runs = []
            for ids_file, connections in zip(files, (CONNECTIONS, 1), strict=True):
                env = {"MODE": mode, "IDS_FILE": str(ids_file), "SLUG_COUNT": str(slugs)}
                runs.append(measured(server, seconds, env, connections))
            results[mode] = {**runs[0], "one_connection": runs[1]}
            say(f"  {mode:7} {runs[0]}\n          1 connection: {runs[1]}")
        return results


def seed_registry(url: str, organizations: int) -> list[str]:
    """Record ``organizations`` organizations, then build the read model from them in
    batches (a rebuild), so a server starts on a caught-up store."""
    services = bootstrap(Settings(database_url=url, admin_token=ADMIN_TOKEN), run_projections=False)
    try:
        started = time.monotonic()

        def progress(done: int) -> None:
            if done % 50_000 == 0:
                say(f"  recorded {done:,} organizations ({time.monotonic() - started:.0f} s)")

        ids = fill(services.registry, organizations, progress=progress)
        lock = leader_lock(services.registry.env, LOCK_NAME)
        report = rebuild(services.registry, services.read_model, lock)
        say(f"  read model built: {report.events:,} events at {report.rate:,.0f} events/s")
        return [str(i) for i in ids[:SEEDED]]
    finally:
        services.close()


def seed_baseline(url: str, organizations: int) -> list[str]:
    schema = url.rsplit("schema=", 1)[1]
    conninfo = postgres_conninfo(store_env(url))
    ids = []
    with (
        psycopg.connect(**conninfo, options=f"-csearch_path={schema}") as conn,
        conn.cursor() as cur,
    ):
        cur.executemany(
            "INSERT INTO crud_organizations (id, name, slug, created_at, updated_at) "
            "VALUES (gen_random_uuid(), %s, %s, now(), now()) RETURNING id",
            [(f"Org {i}", slug_of(i)) for i in range(organizations)],
            returning=True,
        )
        while True:
            ids.append(str(cur.fetchone()[0]))  # type: ignore[index]
            if not cur.nextset():
                break
    return ids


def pgbench(url: str, seconds: int) -> dict[str, Any]:
    """Single-row INSERT transactions per second at 16 connections, in a fresh schema."""
    env = store_env(url)
    schema = url.rsplit("schema=", 1)[1]
    with psycopg.connect(**postgres_conninfo(env), autocommit=True) as conn:
        conn.execute(
            SQL(
                "CREATE TABLE {}.pgbench_orgs (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), "
                "name text NOT NULL, slug text NOT NULL UNIQUE, "
                "created_at timestamptz NOT NULL DEFAULT now())"
            ).format(Identifier(schema))
        )
    out = output(
        [
            "pgbench",
            "-n",
            f"-c{CONNECTIONS}",
            "-j2",
            f"-T{seconds}",
            "-f",
            str(HERE / "pgbench_insert.sql"),
            "-h",
            env["POSTGRES_HOST"],
            "-p",
            env["POSTGRES_PORT"],
            "-U",
            env["POSTGRES_USER"],
            env["POSTGRES_DBNAME"],
        ],
        {"PGPASSWORD": env["POSTGRES_PASSWORD"], "PGOPTIONS": f"-csearch_path={schema}"},
    )
    tps = float(re.search(r"tps = ([\d.]+)", out)[1])  # type: ignore[index]
    latency = re.search(r"latency average = ([\d.]+) ms", out)
    return {"tps": round(tps, 1), "latency_avg_ms": float(latency[1]) if latency else None}


def versions(url: str) -> dict[str, str]:
    conninfo = postgres_conninfo(store_env(url))
    with psycopg.connect(**conninfo) as conn:
        server = str(conn.execute("SHOW server_version").fetchone()[0])  # type: ignore[index]
    wrk_version = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.split()
    pgbench_version = subprocess.run(["pgbench", "--version"], capture_output=True, text=True)
    return {
        "python": platform.python_version(),
        "postgresql": server,
        "pgbench": pgbench_version.stdout.split("(PostgreSQL)")[-1].strip(),
        "wrk": wrk_version[1] if len(wrk_version) > 1 else "?",
        **{name: importlib.metadata.version(name) for name in PACKAGES},
    }


def ratio(a: float, b: float) -> float | None:
    return round(a / b, 3) if b else None


def run(args: argparse.Namespace) -> dict[str, Any]:
    url = args.postgres_url
    result: dict[str, Any] = {
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "cpus": os.cpu_count(),
        "machine": platform.platform(),
        "versions": versions(url),
        "settings": {"seconds": args.seconds, "connections": CONNECTIONS, "seeded": SEEDED},
    }
    say("1. pgbench: single-row INSERT transactions at 16 connections")
    with new_schema(url, "bench_pgbench") as schema_url:
        result["database_limit"] = pgbench(schema_url, args.seconds)
    say(f"  {result['database_limit']}")
    say(f"2. CRUD baseline, {SEEDED:,} organizations")
    with new_schema(url, "bench_crud") as schema_url, baseline_server(schema_url) as server:
        ids = seed_baseline(schema_url, SEEDED)
        result["baseline"] = load(server, ids, SEEDED, args.seconds)
    say(f"3. registry, {SEEDED:,} organizations")
    with new_schema(url, "bench_registry") as schema_url:
        ids = seed_registry(schema_url, SEEDED)
        with registry_server(schema_url) as server:
            result["registry"] = load(server, ids, SEEDED, args.seconds)
        with registry_server(schema_url, cache=False) as server:
            small_uncached = lookups(server, SEEDED, args.seconds)
    result.update(ratios(result))
    if not args.skip_scale:
        result["scale"] = scale(args, result["registry"]["lookup"], small_uncached)
    return result


def ratios(result: dict[str, Any]) -> dict[str, Any]:
    """Registry / baseline per operation, at 16 connections and at 1, and creates / the
    database's limit."""
    registry, baseline = result["registry"], result["baseline"]
    at_16 = {op: ratio(registry[op]["rps"], baseline[op]["rps"]) for op in OPERATIONS}
    at_16["create_vs_database_limit"] = ratio(
        registry["create"]["rps"], result["database_limit"]["tps"]
    )
    at_1 = {
        op: ratio(registry[op]["one_connection"]["rps"], baseline[op]["one_connection"]["rps"])
        for op in OPERATIONS
    }
    return {"ratios": at_16, "ratios_one_connection": at_1}


def scale(
    args: argparse.Namespace, small: dict[str, Any], small_uncached: dict[str, Any]
) -> dict[str, Any]:
    """5. and 6.: lookups and memory with ``--organizations`` organizations in the store."""
    say(f"5. registry, {args.organizations:,} organizations")
    with new_schema(args.postgres_url, "bench_large") as schema_url:
        seed_registry(schema_url, args.organizations)
        with registry_server(schema_url) as server:
            hot = lookups(server, SEEDED, args.seconds)
            large = lookups(server, args.organizations, args.seconds)
            rss = server.peak_rss_mb()
        with registry_server(schema_url, cache=False) as server:
            large_uncached = lookups(server, args.organizations, args.seconds)
    say(f"  RSS {rss}")
    return {
        "organizations": args.organizations,
        "hot_set": {
            "about": f"lookups of the same {SEEDED:,} slugs, read cache on",
            "small": small,
            "large": hot,
            "p99_ratio": ratio(hot["p99_ms"], small["p99_ms"]),
        },
        "database": {
            "about": "lookups of any slug in the store, read cache off",
            "small": small_uncached,
            "large": large_uncached,
            "p99_ratio": ratio(large_uncached["p99_ms"], small_uncached["p99_ms"]),
        },
        "uniform_large_cached": large,
        "server_rss_mb": rss,
    }


def lookups(server: ServerProcess, slugs: int, seconds: int) -> dict[str, Any]:
    """Lookups by slug of random organizations among the first ``slugs``."""
    measured = wrk(server.url, seconds, {"MODE": "lookup", "SLUG_COUNT": str(slugs)})
    say(f"  lookups among {slugs:,} slugs: {measured}")
    return measured


def table(result: dict[str, Any]) -> str:
    base, reg = result["baseline"], result["registry"]
    versions_ = result["versions"]
    lines = [
        f"cpus {result['cpus']}; " + ", ".join(f"{k} {v}" for k, v in versions_.items()),
        f"database limit (pgbench, {CONNECTIONS} connections): "
        f"{result['database_limit']['tps']:,.0f} INSERT transactions/s",
        "",
        f"{'operation':10} {'baseline/s':>11} {'p50':>7} {'p99':>7} {'cpu':>5}   "
        f"{'registry/s':>11} {'p50':>7} {'p99':>7} {'cpu':>5}   {'ratio':>6}  "
        f"{'1 conn':>13} {'ratio':>6}  errors",
    ]
    for op in OPERATIONS:
        b, r = base[op], reg[op]
        b1, r1 = b["one_connection"], r["one_connection"]
        lines.append(
            f"{op:10} {b['rps']:>11,.0f} {b['p50_ms']:>7.1f} {b['p99_ms']:>7.1f} "
            f"{b['cpu_ms']:>5.2f}   {r['rps']:>11,.0f} {r['p50_ms']:>7.1f} {r['p99_ms']:>7.1f} "
            f"{r['cpu_ms']:>5.2f}   {result['ratios'][op]:>6.2f}  "
            f"{b1['rps']:>6,.0f}/{r1['rps']:<6,.0f} {result['ratios_one_connection'][op]:>6.2f}  "
            f"{b['errors'] + b1['errors']}/{r['errors'] + r1['errors']}"
        )
    lines += [
        "(rates per second at 16 connections and at 1 (baseline/registry); latencies in ms;",
        " cpu: the server's CPU ms per request at 16 connections; errors: non-2xx responses)",
        f"registry creates / database limit: {result['ratios']['create_vs_database_limit']:.3f}",
    ]
    if "scale" in result:
        lines += scale_table(result["scale"])
    return "\n".join(lines)


def scale_table(scale: dict[str, Any]) -> list[str]:
    return [
        f"lookup p99 at {SEEDED:,} / {scale['organizations']:,} organizations:",
        *(
            f"  {part['about']}: {part['small']['p99_ms']:.1f} / {part['large']['p99_ms']:.1f} ms "
            f"(ratio {part['p99_ratio']:.2f}; {part['small']['rps']:,.0f} / "
            f"{part['large']['rps']:,.0f} lookups/s)"
            for part in (scale["hot_set"], scale["database"])
        ),
        f"  lookups of any slug, read cache on: {scale['uniform_large_cached']['rps']:,.0f}/s, "
        f"p99 {scale['uniform_large_cached']['p99_ms']:.1f} ms",
        f"registry server RSS at {scale['organizations']:,} organizations: "
        f"{scale['server_rss_mb']['now']:.0f} MB (peak {scale['server_rss_mb']['peak']:.0f} MB)",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(
        description="The registry against a plain CRUD service and pgbench, on one PostgreSQL."
    )
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("REGISTRY_TEST_POSTGRES_URL"),
        help="database to benchmark in (fresh schemas, dropped afterwards)",
    )
    parser.add_argument("--seconds", type=int, default=10, help="seconds per load run")
    parser.add_argument(
        "--organizations",
        type=int,
        default=1_000_000,
        help="organizations in the store for the lookup-at-scale run (default 1,000,000)",
    )
    parser.add_argument(
        "--skip-scale",
        action="store_true",
        help="leave out step 5 (lookups and memory with --organizations in the store)",
    )
    parser.add_argument(
        "--output",
        default=str(
            HERE / "results" / f"harness-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}.json"
        ),
        help="JSON file for the results (default benchmarks/results/harness-<time>.json)",
    )
    args = parser.parse_args()
    if not args.postgres_url:
        parser.error("give --postgres-url (or set REGISTRY_TEST_POSTGRES_URL)")
    result = run(args)
    output = Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(result, indent=2) + "\n")
    print(table(result))
    print(f"results: {output}")


if __name__ == "__main__":
    main()

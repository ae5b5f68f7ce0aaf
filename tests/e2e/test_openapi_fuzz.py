"""Schemathesis over the server's own ``/openapi.json``, every check on: the server does
what its description says.

Every operation gets valid and invalid parameters, bodies and headers (schemathesis'
coverage, fuzzing and stateful phases) as the admin, on a store holding a few real
organizations (one updated several times, one suspended, one archived) and API keys,
so that path ids, ``If-Match`` versions, slugs and external ids often name real
objects instead of always missing. Every check runs (``--checks all``): no 5xx; statuses,
content types, headers and bodies as documented; schema-valid requests accepted and
schema-violating ones refused; a missing required header or credential refused; an
undeclared method answered 405 with ``Allow``. The refusals no schema can state are named,
each with why, in ``tests/e2e/fuzz_hooks.py`` (loaded as schemathesis hooks).

CI runs a seeded run on each store: the coverage phase's fixed boundary cases (about
4,500), up to ``CI_MAX_EXAMPLES`` generated cases per operation in the fuzzing phase, and
stateful scenarios chaining operations through the links schemathesis infers. Any failed
check fails the test, grouped by check and operation, each with the request, a curl command
sending it again and the answer (with the server's traceback for a 5xx). A longer run, on a
fresh store or against a running server (``scripts/fuzz --help``)::

    scripts/fuzz --max-examples 500
    scripts/fuzz --database-url postgresql://registry:registry@localhost:5432/registry_test
    scripts/fuzz --url http://127.0.0.1:8000 --admin-token "$REGISTRY_ADMIN_TOKEN"

which runs ``main`` below: it prints how many cases ran and every failed check.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from tests.helpers import ADMIN_TOKEN, Server, random_slug

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

ROOT = Path(__file__).resolve().parents[2]
CI_MAX_EXAMPLES = 30
CI_SEED = 20240601
REQUEST_TIMEOUT = 10.0
"""Seconds for one request: a hung request fails the run (as an error, not a 5xx)."""
CI_RUN_TIMEOUT = 1200.0
"""Seconds for one whole CI run, far above its usual length: a guard against a hang."""

_SCHEMATHESIS = ("-c", "from schemathesis.cli import schemathesis; schemathesis()")
_LOG_RECORD = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d|INFO:|WARNING:|ERROR:)")


@dataclass
class Seeds:
    """Real objects for the generated requests to name."""

    org_ids: list[str] = field(default_factory=list)
    key_ids: list[str] = field(default_factory=list)
    slugs: list[str] = field(default_factory=list)
    external_ids: list[str] = field(default_factory=list)


@dataclass
class Failure:
    """One failed check on one request, as schemathesis recorded it."""

    check: str
    """The check's code and name, ``ST202 positive_data_acceptance``."""
    title: str
    message: str
    operation: str
    phase: str
    method: str
    url: str
    headers: dict[str, str]
    body: bytes | None
    status: int | None
    response: str
    request_id: str | None

    @property
    def server_error(self) -> bool:
        return self.status is not None and self.status >= 500

    def curl(self) -> str:
        """A shell command sending the same request (the admin token from the environment)."""
        parts = [f"curl -sS -X {self.method}"]
        for name, value in self.headers.items():
            if name.lower() == "authorization" and value == "[Filtered]":
                parts.append('-H "Authorization: Bearer $REGISTRY_ADMIN_TOKEN"')
            elif name.lower() != "user-agent" and not name.lower().startswith("x-schemathesis"):
                parts.append(f"-H {shlex.quote(f'{name}: {value}')}")
        stdin = ""
        if self.body is not None:
            try:
                parts.append(f"--data-binary {shlex.quote(self.body.decode())}")
            except UnicodeDecodeError:
                stdin = f"python3 -c 'import sys; sys.stdout.buffer.write({self.body!r})' | "
                parts.append("--data-binary @-")
        parts.append(shlex.quote(self.url))
        return stdin + " ".join(parts)

    def describe(self, logs: str | None = None) -> str:
        message = self.message.strip().replace("\n", "\n      ")
        lines = [
            f"{self.title} ({self.phase}): {message[:1500]}",
            f"  request:  {self.method} {self.url}",
            f"  body:     {self.body!r}"[:2000],
            f"  response: {self.status} {self.response[:500]}",
            f"  reproduce: {self.curl()}"[:3000],
        ]
        if logs and self.request_id and self.server_error:
            excerpt = log_excerpt(logs, self.request_id)
            if excerpt:
                lines.append("  server log:")
                lines += [f"    {line}" for line in excerpt.splitlines()]
        return "\n".join(lines)


@dataclass
class FuzzResult:
    exit_code: int
    output: str
    seconds: float
    cases: int
    cases_by_phase: dict[str, int]
    failures: list[Failure]

    @property
    def server_errors(self) -> list[Failure]:
        return [f for f in self.failures if f.check.endswith("not_a_server_error")]

    def summary(self) -> str:
        phases = ", ".join(f"{phase} {n}" for phase, n in self.cases_by_phase.items() if n)
        return (
            f"{self.cases} cases ({phases}) in {self.seconds:.1f}s; "
            f"{len(self.failures)} failed checks, {len(self.server_errors)} of them server "
            f"errors (5xx); schemathesis exit code {self.exit_code}"
        )


def describe_failures(failures: Sequence[Failure], logs: str | None, per_group: int) -> str:
    """The failed checks by check and operation, with the first few of each in full."""
    groups: dict[tuple[str, str], list[Failure]] = {}
    for failure in failures:
        groups.setdefault((failure.check, failure.operation), []).append(failure)
    parts = [f"{len(failures)} failed checks:"]
    parts += [
        f"  {check} on {operation}: {len(group)}" for (check, operation), group in groups.items()
    ]
    for (check, operation), group in groups.items():
        shown = group[:per_group]
        parts.append(f"\n=== {check} on {operation}: {len(shown)} of {len(group)} ===")
        parts += [failure.describe(logs) for failure in shown]
    return "\n".join(parts)


def seed_store(base_url: str, admin_token: str) -> Seeds:
    """Organizations in each status, with history to revert to and API keys, via the API."""
    seeds = Seeds()
    auth = {"Authorization": f"Bearer {admin_token}"}
    with httpx.Client(base_url=base_url, headers=auth, timeout=30) as client:

        def call(method: str, path: str, body: dict[str, Any] | None = None, **headers: str) -> Any:
            response = client.request(method, path, json=body, headers=headers)
            assert response.status_code < 300, (method, path, response.status_code, response.text)
            return response.json()

        def create(name: str, **fields: Any) -> str:
            slug = random_slug("fuzz")
            body = call("POST", "/api/v1/organizations", {"name": name, "slug": slug, **fields})
            seeds.org_ids.append(body["organization"]["id"])
            seeds.slugs.append(slug)
            return str(body["organization"]["id"])

        external_id = f"ext-{uuid.uuid4().hex[:12]}"
        busy = create(
            "Fuzz Busy Org",
            externalId=external_id,
            settings={"theme": "dark", "limits": {"seats": 5}},
            metadata={"plan": "pro"},
            domain="busy.example.com",
        )
        seeds.external_ids.append(external_id)
        path = f"/api/v1/organizations/{busy}"
        call("PATCH", path, {"name": "Fuzz Busy Org Renamed"}, **{"If-Match": '"1"'})
        call("PATCH", path, {"settings": {"theme": None, "locale": "fr"}})
        keys = f"{path}/api-keys"
        seeds.key_ids.append(call("POST", keys, {"name": "live"})["apiKey"]["id"])
        revoked = call("POST", keys, {"name": "old"})["apiKey"]["id"]
        call("DELETE", f"{keys}/{revoked}")
        seeds.key_ids.append(revoked)

        suspended = create("Fuzz Suspended Org")
        call("PATCH", f"/api/v1/organizations/{suspended}", {"status": "suspended"})
        seeds.key_ids.append(
            call("POST", f"/api/v1/organizations/{suspended}/api-keys", {})["apiKey"]["id"]
        )

        archived = create("Fuzz Archived Org")
        call("DELETE", f"/api/v1/organizations/{archived}")
    return seeds


def _toml_values(values: Sequence[str]) -> str:
    # JSON strings are TOML basic strings (json.dumps escapes everything outside ASCII).
    return "[" + ", ".join(json.dumps(v) for v in values) + "]"


# Valid values for the body fields with a format the schema does not state, so that
# creates and updates get past validation often enough to reach the registry.
_VALID_FIELDS = {
    "countryCode": ["US", "de", "GB"],
    "domain": ["example.com", "sub.example.co.uk"],
    "supportEmail": ["help@example.com"],
    "supportPhone": ["+14155550123"],
    "logoUrl": ["https://example.com/logo.png"],
    "faviconUrl": ["https://example.com/favicon.ico"],
    "primaryColor": ["#1A2B3C", "#ffffff"],
    "contrastColor": ["#000000"],
}


def write_config(path: Path, seeds: Seeds) -> None:
    """A schemathesis.toml: real ids and valid field values drawn half of the time, and no
    state kept between runs."""
    fresh_slugs = [random_slug("fz") for _ in range(200)]
    dictionaries = {
        "org_ids": seeds.org_ids,
        "key_ids": seeds.key_ids,
        "slugs": seeds.slugs,
        "new_slugs": fresh_slugs + seeds.slugs,
        "external_ids": seeds.external_ids,
        **{f"valid_{name}": values for name, values in _VALID_FIELDS.items()},
    }
    bindings = {
        "path.org_id": "org_ids",
        "path.key_id": "key_ids",
        "header.X-Organization-Id": "org_ids",
        "header.x-stytch-organization-id": "external_ids",
        "query.slug": "slugs",
        "query.externalId": "external_ids",
        "query.stytchOrgId": "external_ids",
        "body.slug": "new_slugs",
        **{f"body.{name}": f"valid_{name}" for name in _VALID_FIELDS},
    }
    lines = [
        f"request-timeout = {REQUEST_TIMEOUT}",
        "cache = { enabled = false }",
        "[generation]",
        'database = "none"',
        "[dictionaries]",
        *(f"{name} = {{ values = {_toml_values(v)} }}" for name, v in dictionaries.items() if v),
        # A refusal is also 412 (If-Match is checked before the body: nothing recorded) or
        # 413 (a body over the size limit is refused before it is read); schemathesis' list
        # of refusals omits both.
        "[checks.negative_data_rejection]",
        'expected-statuses = ["400", "401", "403", "404", "405", "406", "409", "412", "413", '
        '"415", "422", "428", "429", "5xx"]',
        "[parameters]",
        *(
            f'"{key}" = {{ dictionary = "{name}", probability = 0.5 }}'
            for key, name in bindings.items()
            if dictionaries[name]
        ),
        # The feed's long poll (up to 30 s) would only spend the run's time waiting.
        "[[operations]]",
        'include-path = "/api/v1/events"',
        'parameters = { "query.wait" = 0 }',
    ]
    path.write_text("\n".join(lines) + "\n")


def _decode(content: Any) -> bytes | None:
    if content is None:
        return None
    if isinstance(content, dict) and "$base64" in content:
        return base64.b64decode(content["$base64"])
    if isinstance(content, str):
        return content.encode()
    return json.dumps(content).encode()


def _events(report: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    with report.open() as lines:
        for line in lines:
            yield from json.loads(line).items()


def read_report(report: Path) -> tuple[Counter[str], list[Failure]]:
    """Cases run per phase, and every failed check, from the NDJSON report."""
    cases: Counter[str] = Counter()
    failures: list[Failure] = []
    for kind, event in _events(report):
        if kind != "ScenarioFinished":
            continue
        recorder = event["recorder"]
        recorded = recorder.get("cases") or {}
        cases[event["phase"]] += len(recorded)
        for case_id, checks in (recorder.get("checks") or {}).items():
            interaction = (recorder.get("interactions") or {}).get(case_id) or {}
            case = recorded.get(case_id, {}).get("value", {})
            for check in checks:
                if check["status"] == "failure":
                    failures.append(_failure(check, interaction, case, event["phase"]))
    return cases, failures


def _failure(
    check: dict[str, Any], interaction: dict[str, Any], case: dict[str, Any], phase: str
) -> Failure:
    found = check.get("failure_info", {}).get("failure", {})
    request = interaction.get("request") or {}
    response = interaction.get("response") or {}
    response_headers = {k.lower(): v for k, v in response.get("headers", {}).items()}
    method = request.get("method", case.get("method", "?"))
    return Failure(
        check=f"{found.get('code', '?')} {check['name']}",
        title=found.get("title", check["name"]),
        message=found.get("message", ""),
        operation=found.get("operation") or f"{case.get('method', method)} {case.get('path', '?')}",
        phase=case.get("meta", {}).get("phase", {}).get("name", phase),
        method=method,
        url=request.get("uri", "?"),
        headers={k: ", ".join(v) for k, v in request.get("headers", {}).items()},
        body=_decode(request.get("body")),
        status=response.get("status_code"),
        response=(_decode(response.get("content")) or b"").decode(errors="replace"),
        request_id=(response_headers.get("x-request-id") or [None])[0],
    )


def log_excerpt(logs: str, request_id: str, tail: int = 30) -> str:
    """The server's log record for one request id: its message, each exception raised
    (chained ones too) and the innermost frames."""
    lines = logs.splitlines()
    for i, line in enumerate(lines):
        if request_id in line:
            end = i + 1
            while end < len(lines) and not _LOG_RECORD.match(lines[end]):
                end += 1
            record = lines[i:end]
            if len(record) <= tail + 1:
                return "\n".join(record)
            raised = [line for line in record[1:-tail] if line and not line[0].isspace()]
            return "\n".join([record[0], *raised, "...", *record[-tail:]])
    return ""


def run_schemathesis(
    base_url: str,
    admin_token: str,
    *,
    max_examples: int,
    seed: int,
    work_dir: Path,
    extra_args: Sequence[str] = (),
    timeout: float | None = None,
    echo: bool = False,
) -> FuzzResult:
    """Seeds the store, then runs the schemathesis CLI in ``work_dir`` (its reports and any
    state it keeps go there, not into the checkout)."""
    work_dir.mkdir(parents=True, exist_ok=True)
    config = work_dir / "schemathesis.toml"
    write_config(config, seed_store(base_url, admin_token))
    # The description is made on its first request: made here, schemathesis' load of it
    # does not race its own request timeout on a busy machine.
    httpx.get(f"{base_url}/openapi.json", timeout=120).raise_for_status()
    report = work_dir / "report.ndjson"
    command = [
        sys.executable,
        *_SCHEMATHESIS,
        "--config-file",
        str(config),
        "run",
        f"{base_url}/openapi.json",
        "--header",
        f"Authorization: Bearer {admin_token}",
        "--checks",
        "all",
        "--max-examples",
        str(max_examples),
        "--seed",
        str(seed),
        "--workers",
        "1",
        "--no-color",
        "--report",
        "ndjson",
        "--report-ndjson-path",
        str(report),
        *extra_args,
    ]
    started = time.monotonic()
    process = subprocess.Popen(
        command,
        cwd=work_dir,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={
            **os.environ,
            "PYTHONUNBUFFERED": "1",
            "PYTHONPATH": str(ROOT),
            "SCHEMATHESIS_HOOKS": "tests.e2e.fuzz_hooks",
        },
    )
    guard = threading.Timer(timeout or 0, process.kill)
    if timeout is not None:
        guard.start()
    output: list[str] = []
    assert process.stdout is not None
    try:
        for line in process.stdout:
            output.append(line)
            if echo:
                print(line, end="", flush=True)
    finally:
        guard.cancel()
        exit_code = process.wait()
    seconds = time.monotonic() - started
    if timeout is not None and seconds >= timeout:
        output.append(f"\n(schemathesis killed after {timeout:.0f}s)\n")
    cases, failures = read_report(report) if report.exists() else (Counter(), [])
    return FuzzResult(
        exit_code, "".join(output), seconds, sum(cases.values()), dict(cases), failures
    )


def test_generated_requests_pass_every_check(server: Server, tmp_path: Path) -> None:
    result = run_schemathesis(
        server.url,
        ADMIN_TOKEN,
        max_examples=CI_MAX_EXAMPLES,
        seed=CI_SEED,
        work_dir=tmp_path,
        timeout=CI_RUN_TIMEOUT,
    )
    print(result.output)
    print(result.summary())
    logs = server.logs()
    assert not result.failures, (
        f"{result.summary()}\n{describe_failures(result.failures, logs, per_group=3)}"
    )
    assert result.exit_code == 0, f"{result.summary()}\n{result.output[-5000:]}"
    assert result.cases > 0, result.output


# scripts/fuzz: a longer run.


def _postgres_schema(database_url: str) -> tuple[str, str]:
    """A fresh schema in the given PostgreSQL database: its URL, and the schema's name."""
    import psycopg
    from psycopg.sql import SQL, Identifier

    from projections.leadership import postgres_conninfo
    from service.settings import store_env

    schema = f"fuzz_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(**postgres_conninfo(store_env(database_url)), autocommit=True) as conn:
        conn.execute(SQL("CREATE SCHEMA {}").format(Identifier(schema)))
    separator = "&" if "?" in database_url else "?"
    return f"{database_url}{separator}schema={schema}", schema


def _drop_postgres_schema(database_url: str, schema: str) -> None:
    import psycopg
    from psycopg.sql import SQL, Identifier

    from projections.leadership import postgres_conninfo
    from service.settings import store_env

    with psycopg.connect(**postgres_conninfo(store_env(database_url)), autocommit=True) as conn:
        conn.execute(SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(Identifier(schema)))


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="scripts/fuzz",
        description=(
            "Fuzz the tenant registry's REST API with schemathesis (every check, all phases, "
            "admin credentials, seeded store) and list every failed check. "
            "Exits 1 if there was any (or any other schemathesis failure)."
        ),
        epilog="Arguments after `--` go to `schemathesis run` as they are, e.g. "
        "`-- --continue-on-failure --phases fuzzing --exclude-path-regex events`.",
    )
    target = parser.add_mutually_exclusive_group()
    target.add_argument(
        "--database-url",
        default=os.environ.get("REGISTRY_FUZZ_DATABASE_URL"),
        help="start a server on this store (env REGISTRY_FUZZ_DATABASE_URL); a PostgreSQL "
        "URL gets a fresh schema in that database, dropped afterwards. "
        "Default: a fresh SQLite file",
    )
    target.add_argument(
        "--url", help="fuzz this running server instead (it gets a few organizations)"
    )
    parser.add_argument(
        "--admin-token",
        default=os.environ.get("REGISTRY_ADMIN_TOKEN", ADMIN_TOKEN),
        help="with --url: its admin token (env REGISTRY_ADMIN_TOKEN)",
    )
    parser.add_argument(
        "-n",
        "--max-examples",
        type=int,
        default=int(os.environ.get("FUZZ_MAX_EXAMPLES", "200")),
        help="generated cases per operation, and stateful scenarios, on top of the coverage "
        f"phase's fixed cases (env FUZZ_MAX_EXAMPLES; default 200; CI: {CI_MAX_EXAMPLES})",
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=int(os.environ.get("FUZZ_SEED", str(CI_SEED))),
        help=f"schemathesis seed (env FUZZ_SEED; default {CI_SEED}, as in CI)",
    )
    parser.add_argument(
        "--work-dir",
        type=Path,
        help="where the config, the NDJSON report and the server log go (default: a new "
        "temporary directory, kept)",
    )
    parser.add_argument("--quiet", action="store_true", help="do not echo schemathesis' output")
    parser.add_argument(
        "--show",
        type=int,
        default=10,
        help="failed checks shown in full per check and operation (default 10; all of them "
        "are in the work directory's report.ndjson)",
    )
    parser.add_argument("schemathesis_args", nargs="*", help=argparse.SUPPRESS)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    work_dir: Path = args.work_dir or Path(tempfile.mkdtemp(prefix="registry-fuzz-"))
    work_dir = work_dir.resolve()
    work_dir.mkdir(parents=True, exist_ok=True)
    server: Server | None = None
    schema: tuple[str, str] | None = None
    try:
        if args.url:
            base_url, token, store = args.url.rstrip("/"), args.admin_token, args.url
        else:
            database_url = args.database_url or f"sqlite:///{work_dir}/registry.db"
            if database_url.startswith("postgres"):
                url, name = _postgres_schema(database_url)
                schema = (database_url, name)
                database_url = url
            server = Server(database_url)
            base_url, token, store = server.url, ADMIN_TOKEN, database_url
        print(f"fuzz: {store} at {base_url}; seed {args.seed}, max examples {args.max_examples}")
        print(f"fuzz: work directory {work_dir}", flush=True)
        result = run_schemathesis(
            base_url,
            token,
            max_examples=args.max_examples,
            seed=args.seed,
            work_dir=work_dir,
            extra_args=args.schemathesis_args,
            echo=not args.quiet,
        )
        logs = server.logs() if server is not None else None
        if server is not None:
            (work_dir / "server.log").write_text(logs or "")
        if result.failures:
            print(describe_failures(result.failures, logs, args.show), end="\n\n")
        print(f"fuzz: {store}: {result.summary()}")
        return 0 if result.exit_code == 0 and not result.failures else 1
    finally:
        if server is not None:
            server.stop()
        if schema is not None:
            _drop_postgres_schema(*schema)


if __name__ == "__main__":
    sys.exit(main())

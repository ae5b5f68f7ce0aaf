"""A signed-in user's token against the admin token, one server process, one run.

Usage: python3 benchmarks/user_token.py [--organizations 50] [--seconds 5] [--rounds 2]
                                       [--postgres-url URL]

With a local key pair (``tenant-registry users keys``), one server process; wrk (16
connections) runs ``GET /organizations/{id}`` and ``PATCH`` (a rename) of random
organizations among ``--organizations``, each with the admin token and with the user's
token (verified, its membership and the operation's permission checked): rates, p50, p99
and the ratio user / admin. Every wrk run has organizations of its own, just made, each
with the user ``bench`` as its owner (a rename folds an organization's events, so runs on
organizations with longer histories would be slower); the runs go admin, user, user,
admin (``--rounds`` times), and each side's rate is the mean of its runs. Prints JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.harness import NO_QUOTAS, wrk
from benchmarks.stores import on_each_store
from cli.users import JWKS, LOCAL_AUDIENCE, LOCAL_ISSUER, make_keys, mint_token
from tests.helpers import ADMIN, ORGS, Server

USER = "bench"


def organizations(server: Server, count: int) -> list[str]:
    """``count`` organizations, each with ``USER`` as its owner."""
    ids = []
    batch = uuid.uuid4().hex[:8]
    for i in range(count):
        body = {"name": f"Org {i}", "slug": f"bench-{batch}-{i:05d}"}
        org = server.client.post(ORGS, json=body, headers=ADMIN).json()["organization"]
        member = {"userId": USER, "email": f"{USER}@example.com", "roles": ["owner"]}
        added = server.client.post(f"{ORGS}/{org['id']}/members", json=member, headers=ADMIN)
        added.raise_for_status()
        ids.append(org["id"])
    return ids


def measure(database_url: str, args: argparse.Namespace) -> dict[str, Any]:
    keys = Path(tempfile.mkdtemp(prefix="bench-keys-"))
    make_keys(keys)
    env = {
        "REGISTRY_JWKS_FILE": str(keys / JWKS),
        "REGISTRY_JWT_ISSUER": LOCAL_ISSUER,
        "REGISTRY_JWT_AUDIENCE": LOCAL_AUDIENCE,
        "REGISTRY_LOG_LEVEL": "warning",
        **NO_QUOTAS,
    }
    server = Server(database_url, env=env)
    try:
        token = mint_token(keys, USER, email=f"{USER}@example.com", minutes=60)
        results: dict[str, Any] = {"organizations": args.organizations}
        for mode in ("get", "rename"):
            runs: dict[str, list[dict[str, Any]]] = {"admin": [], "user": []}
            for who in ("admin", "user", "user", "admin") * args.rounds:
                ids_file = keys / f"ids-{mode}-{who}-{len(runs[who])}.txt"
                ids_file.write_text("\n".join(organizations(server, args.organizations)) + "\n")
                scripted = {"MODE": mode, "IDS_FILE": str(ids_file)}
                runs[who].append(wrk(server.url, args.seconds, scripted | tokens(who, token)))
            results[mode] = summary(runs)
        return results
    finally:
        server.stop()


def tokens(who: str, user_token: str) -> dict[str, str]:
    """The wrk script's ``TOKEN`` for ``who`` (the admin token is its default)."""
    return {"TOKEN": user_token} if who == "user" else {}


def summary(runs: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """Each side's runs, its mean rate, and the ratio of the means user / admin."""
    mean = {who: sum(r["rps"] for r in done) / len(done) for who, done in runs.items()}
    ratio = round(mean["user"] / mean["admin"], 2) if mean["admin"] else None
    return {
        **{who: {"runs": done, "mean_rps": round(mean[who], 1)} for who, done in runs.items()},
        "user_over_admin": ratio,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--organizations", type=int, default=50, help="organizations (50)")
    parser.add_argument("--seconds", type=int, default=5, help="seconds per wrk run (5)")
    parser.add_argument(
        "--rounds", type=int, default=2, help="rounds of admin, user, user, admin runs (2)"
    )
    parser.add_argument("--postgres-url", default=os.environ.get("REGISTRY_TEST_POSTGRES_URL"))
    args = parser.parse_args()
    print(json.dumps(on_each_store(measure, args, args.postgres_url), indent=2))


if __name__ == "__main__":
    main()

"""Stores for benchmarks: fresh PostgreSQL schemas, and organizations recorded in bulk."""

from __future__ import annotations

import os
import tempfile
import uuid
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import psycopg
from psycopg.sql import SQL, Identifier

from domain.organizations.organization import Organization
from domain.unique_keys import SLUGS, UniqueKey
from projections.leadership import postgres_conninfo
from service.settings import store_env

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from uuid import UUID

    from application.registry import OrganizationRegistry

SAVE_BATCH = 500


def on_each_store(
    measure: Callable[[str, Any], Any], args: Any, postgres_url: str | None
) -> dict[str, Any]:
    """``measure(database_url, args)`` on a fresh SQLite file and, if ``postgres_url`` is
    given, in a fresh PostgreSQL schema; with the machine's CPU count."""
    results: dict[str, Any] = {"cpus": os.cpu_count()}
    with tempfile.TemporaryDirectory() as tmp:
        results["sqlite"] = measure(f"sqlite:///{tmp}/bench.db", args)
    if postgres_url:
        with new_schema(postgres_url) as url:
            results["postgres"] = measure(url, args)
    return results


@contextmanager
def new_schema(url: str, prefix: str = "bench") -> Iterator[str]:
    """A fresh schema in the database at ``url``, dropped afterwards; yields its URL."""
    schema = f"{prefix}_{uuid.uuid4().hex[:8]}"
    conninfo = postgres_conninfo(store_env(url))
    with psycopg.connect(**conninfo, autocommit=True) as conn:
        conn.execute(SQL("CREATE SCHEMA {}").format(Identifier(schema)))
    try:
        yield f"{url}{'&' if '?' in url else '?'}schema={schema}"
    finally:
        with psycopg.connect(**conninfo, autocommit=True) as conn:
            conn.execute(SQL("DROP SCHEMA {} CASCADE").format(Identifier(schema)))


def slug_of(i: int) -> str:
    """The slug of the ``i``-th filled organization (the load scripts build the same)."""
    return f"org-{i:08d}"


def fill(
    registry: OrganizationRegistry,
    organizations: int,
    *,
    renamed: bool = False,
    progress: Callable[[int], None] | None = None,
) -> list[UUID]:
    """Record ``organizations`` organizations (each with its slug claimed, as a create
    does), many to a transaction; ``renamed`` adds a second event to each. Returns their
    ids, in order."""
    ids: list[UUID] = []
    for start in range(0, organizations, SAVE_BATCH):
        batch: list[Organization | UniqueKey] = []
        for i in range(start, min(start + SAVE_BATCH, organizations)):
            org = Organization(
                name=f"Org {i}",
                slug=slug_of(i),
                external_id=None,
                settings={"timezone": "UTC"},
                profile={},
                metadata={},
            )
            if renamed:
                org.rename(f"Organization {i}")
            batch += [org, UniqueKey(SLUGS, org.slug, org.id)]
            ids.append(org.id)
        registry.save(*batch)
        if progress is not None:
            progress(len(ids))
    return ids

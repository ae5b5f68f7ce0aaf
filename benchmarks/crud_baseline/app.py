"""The benchmark's plain CRUD baseline: the tenant service a team would write without events.

One table, ``crud_organizations``, updated in place: no history, no projections, no outbox.
Same create / get / lookup-by-slug / rename endpoints as the registry, on PostgreSQL, so the
benchmark can show what the event-sourced registry costs over this.

Run: ``uvicorn benchmarks.crud_baseline.app:create_app --factory`` with ``CRUD_DATABASE_URL``
(``postgresql://user:pass@host:port/db``, optionally ``?schema=name``), ``CRUD_ADMIN_TOKEN``
and optionally ``CRUD_POOL_SIZE`` (default 16).
"""

from __future__ import annotations

import hmac
import os
import re
import uuid
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Annotated, Any, LiteralString
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import psycopg
from fastapi import Depends, FastAPI, Header, Query, Request, Response
from fastapi.responses import JSONResponse
from psycopg import sql
from psycopg.rows import DictRow, dict_row
from psycopg.types.json import Jsonb
from psycopg_pool import ConnectionPool
from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

PREFIX = "/api/v1/organizations"
SLUG = r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$"
SCHEMA_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
TABLE = """CREATE TABLE IF NOT EXISTS crud_organizations (
    id uuid PRIMARY KEY,
    name text NOT NULL,
    slug text NOT NULL UNIQUE,
    external_id text,
    status text NOT NULL DEFAULT 'active',
    settings jsonb NOT NULL DEFAULT '{}',
    version int NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
)"""


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


class OrganizationRename(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200)


class OrganizationCreate(OrganizationRename):
    slug: str = Field(pattern=SLUG)
    external_id: str | None = Field(default=None, alias="externalId", max_length=255)
    settings: dict[str, Any] = Field(default_factory=dict)


def public(row: DictRow | None) -> dict[str, Any]:
    if row is None:
        raise ApiError(404, "NOT_FOUND", "Organization not found")
    return {
        "organization": {
            "id": str(row["id"]),
            "name": row["name"],
            "slug": row["slug"],
            "externalId": row["external_id"],
            "status": row["status"],
            "settings": row["settings"],
            "version": row["version"],
            "createdAt": row["created_at"].isoformat(),
            "updatedAt": row["updated_at"].isoformat(),
        }
    }


async def require_admin(request: Request, authorization: Annotated[str, Header()] = "") -> None:
    scheme, _, token = authorization.partition(" ")
    expected: bytes = request.app.state.admin_token
    if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip().encode(), expected):
        raise ApiError(401, "UNAUTHORIZED", "Missing or invalid admin token")


def create_app() -> FastAPI:
    url = urlsplit(os.environ["CRUD_DATABASE_URL"])
    query = dict(parse_qsl(url.query))
    schema = query.pop("schema", None)  # not a libpq parameter: the tables' search_path
    if schema is not None and not SCHEMA_NAME.match(schema):
        raise ValueError(f"unsupported schema name: {schema!r}")
    conninfo = urlunsplit(url._replace(query=urlencode(query)))
    options = {"options": f"-csearch_path={schema}"} if schema else {}
    pool = ConnectionPool(
        conninfo,
        connection_class=psycopg.Connection[DictRow],
        kwargs={"autocommit": True, "row_factory": dict_row, **options},
        min_size=4,
        max_size=int(os.environ.get("CRUD_POOL_SIZE", "16")),
        open=False,
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        with psycopg.connect(conninfo, autocommit=True) as conn:
            if schema:
                create_schema = sql.SQL("CREATE SCHEMA IF NOT EXISTS {}")
                conn.execute(create_schema.format(sql.Identifier(schema)))
                conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(schema)))
            conn.execute(TABLE)
        pool.open(wait=True)
        yield
        pool.close()

    app = FastAPI(title="CRUD baseline", lifespan=lifespan)
    app.state.admin_token = os.environ["CRUD_ADMIN_TOKEN"].encode()
    admin = [Depends(require_admin)]

    @app.exception_handler(ApiError)
    async def api_error(_: Request, exc: ApiError) -> JSONResponse:
        body = {"error": {"code": exc.code, "message": exc.message}}
        return JSONResponse(body, status_code=exc.status)

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    def fetch_one(query: LiteralString, params: tuple[Any, ...]) -> DictRow | None:
        with pool.connection() as conn:
            return conn.execute(query, params).fetchone()

    @app.post(PREFIX, status_code=201, dependencies=admin)
    def create(body: OrganizationCreate, response: Response) -> dict[str, Any]:
        try:
            row = fetch_one(
                "INSERT INTO crud_organizations"
                " (id, name, slug, external_id, settings, created_at, updated_at)"
                " VALUES (%s, %s, %s, %s, %s, now(), now()) RETURNING *",
                (uuid.uuid4(), body.name, body.slug, body.external_id, Jsonb(body.settings)),
            )
        except psycopg.errors.UniqueViolation as exc:
            raise ApiError(409, "DUPLICATE_SLUG", f"Slug {body.slug!r} is taken") from exc
        created = public(row)
        response.headers["Location"] = f"{PREFIX}/{created['organization']['id']}"
        return created

    @app.get(f"{PREFIX}/lookup", dependencies=admin)
    def lookup(slug: Annotated[str, Query(max_length=256)]) -> dict[str, Any]:
        return public(fetch_one("SELECT * FROM crud_organizations WHERE slug = %s", (slug,)))

    @app.get(PREFIX + "/{org_id}", dependencies=admin)
    def get(org_id: uuid.UUID) -> dict[str, Any]:
        return public(fetch_one("SELECT * FROM crud_organizations WHERE id = %s", (org_id,)))

    @app.patch(PREFIX + "/{org_id}", dependencies=admin)
    def rename(org_id: uuid.UUID, body: OrganizationRename) -> dict[str, Any]:
        return public(
            fetch_one(
                "UPDATE crud_organizations SET name = %s, version = version + 1,"
                " updated_at = now() WHERE id = %s RETURNING *",
                (body.name, org_id),
            )
        )

    return app

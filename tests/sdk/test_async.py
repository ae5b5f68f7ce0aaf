"""The async client: the same resources and methods as the sync one, and a representative
set of operations run with it."""

from __future__ import annotations

import asyncio
import inspect
from typing import TYPE_CHECKING

import pytest

from tenant_registry_client import (
    AsyncClient,
    Client,
    FeedEvent,
    NotModified,
    Organization,
    VersionConflictError,
)
from tests.helpers import ADMIN_TOKEN, random_slug

if TYPE_CHECKING:
    from tests.helpers import Server

RESOURCES = [
    name
    for name, value in vars(Client("http://127.0.0.1:9")).items()
    if not name.startswith("_") and hasattr(value, "_client")
]


def methods(resource: object) -> dict[str, list[str]]:
    return {
        name: list(inspect.signature(method).parameters)
        for name, method in inspect.getmembers(resource, callable)
        if not name.startswith("_")
    }


@pytest.mark.parametrize("resource", RESOURCES)
def test_the_async_client_has_every_method_of_the_sync_one(resource: str) -> None:
    sync, asynchronous = Client("http://127.0.0.1:9"), AsyncClient("http://127.0.0.1:9")
    assert methods(getattr(sync, resource)) == methods(getattr(asynchronous, resource))
    assert methods(getattr(sync, resource))


async def lifecycle(url: str) -> tuple[Organization, object, list[FeedEvent]]:
    async with AsyncClient(url, ADMIN_TOKEN) as client:
        org = await client.organizations.create(name="Async", slug=random_slug())
        renamed = await client.organizations.update(org.id, name="Renamed", if_match=org.etag)
        with pytest.raises(VersionConflictError):
            await client.organizations.update(org.id, name="Stale", if_match=org.etag)
        unchanged = await client.organizations.get(org.id, if_none_match=renamed.etag)
        await client.members.add(org.id, user_id="amy", email="amy@example.com")
        listed = [o.id async for o in client.organizations.list(q=org.slug, limit=1)]
        assert listed == [org.id]
        assert (await client.members.check(org.id, "amy", "members:read")).allowed
        feed = [e async for e in client.events.follow(wait=0, stop_when_idle=True)]
        return renamed, unchanged, [e for e in feed if e.organization_id == org.id]


def test_the_async_client_writes_reads_pages_and_follows(server: Server) -> None:
    renamed, unchanged, events = asyncio.run(lifecycle(server.url))
    assert unchanged == NotModified(renamed.etag)
    assert [e.type for e in events] == ["Created", "Renamed", "MembershipChanged"]

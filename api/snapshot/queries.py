"""A snapshot: the read model's position and every organization the caller may see, with
its roles and members, read in one transaction and sent line by line as it is read."""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

import anyio
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from api.snapshot.schemas import MEDIA_TYPE, SnapshotEnd, SnapshotOrganization, SnapshotStart
from domain.errors import ForbiddenError, OrganizationNotFoundError
from projections.records import SnapshotEntry
from projections.store_errors import STORE_ERRORS

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Generator, Iterator
    from uuid import UUID

    from api.http.auth import Caller
    from api.http.schemas import ResponseBody
    from projections.queries import ReadModelQueries

log = logging.getLogger("tenant_registry.api")

CHUNK_BYTES = 64 * 1024
"""Lines are sent in chunks of about this size (one worker-thread hop each)."""


END = b'{"kind":"end"'


class NdjsonResponse(StreamingResponse):
    media_type = MEDIA_TYPE


def snapshot_scope(caller: Caller, organization_id: UUID | None) -> UUID | None:
    """Whose organizations: the admin's, all (or the one named); a key's, its own only.
    ``None``: all."""
    if caller.user is not None:
        raise ForbiddenError("a snapshot is for the admin and organizations' keys")
    if caller.is_admin:
        return organization_id
    if organization_id not in (None, caller.organization_id):
        raise OrganizationNotFoundError(organization_id)
    return caller.organization_id


async def snapshot_response(
    read_model: ReadModelQueries, only: UUID | None, timeout: float
) -> StreamingResponse:
    """The transaction is begun (and, for one organization, that organization read) before
    the answer starts, so that a store that does not answer, or an organization that does
    not exist, is an error response like any other."""
    lines = snapshot_lines(read_model.snapshot(only), time.monotonic() + timeout)
    head = [await run_in_threadpool(next, lines)]
    if only is not None:
        head.append(await run_in_threadpool(next, lines))
        if head[-1].startswith(END):
            await run_in_threadpool(lines.close)
            raise OrganizationNotFoundError(only)
    return NdjsonResponse(_stream(b"".join(head), lines))


def _line(body: ResponseBody) -> bytes:
    return body.model_dump_json(by_alias=True).encode() + b"\n"


def snapshot_lines(parts: Generator[int | SnapshotEntry], deadline: float) -> Generator[bytes]:
    """The lines of a snapshot; past ``deadline`` it stops without its end line."""
    try:
        position = next(parts)
        assert isinstance(position, int)
        yield _line(SnapshotStart(position=position))
        count = 0
        for entry in parts:
            assert isinstance(entry, SnapshotEntry)
            if time.monotonic() > deadline:
                log.warning("snapshot cut short at its time limit, after %s organizations", count)
                return
            yield _line(SnapshotOrganization.of(entry.organization, entry.members))
            count += 1
        yield _line(SnapshotEnd(position=position, organizations=count))
    finally:
        parts.close()


def _chunk(lines: Iterator[bytes]) -> bytes:
    chunk = bytearray()
    for line in lines:
        chunk += line
        if len(chunk) >= CHUNK_BYTES:
            break
    return bytes(chunk)


async def _stream(head: bytes, lines: Generator[bytes]) -> AsyncIterator[bytes]:
    """The lines, read in a worker thread a chunk at a time. A store error midway ends the
    stream without its end line; the transaction ends however the stream does."""
    try:
        yield head
        while chunk := await run_in_threadpool(_chunk, lines):
            yield chunk
    except STORE_ERRORS as error:
        log.warning("snapshot cut short by the store: %s", error)
    finally:
        with anyio.CancelScope(shield=True):
            await run_in_threadpool(lines.close)

"""A snapshot: the read model's position and every organization the caller may see, with
its roles and members, read in one transaction, then sent line by line."""

from __future__ import annotations

import logging
import time
from tempfile import SpooledTemporaryFile
from typing import TYPE_CHECKING

import anyio
import anyio.to_thread
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from api.snapshot.schemas import MEDIA_TYPE, SnapshotEnd, SnapshotOrganization, SnapshotStart
from domain.errors import ForbiddenError, OrganizationNotFoundError
from projections.records import SnapshotEntry

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Generator
    from uuid import UUID

    from anyio import CapacityLimiter

    from api.http.auth import Caller
    from api.http.schemas import ResponseBody
    from projections.queries import ReadModelQueries

log = logging.getLogger("tenant_registry.api")

CHUNK_BYTES = 64 * 1024
"""The answer is sent in chunks of this size (one worker-thread hop each)."""
SPOOLED_BYTES = 8 * 1024 * 1024
"""A snapshot waiting to be sent is held in memory up to this size, in a temporary file
beyond it."""


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
    read_model: ReadModelQueries, only: UUID | None, timeout: float, limiter: CapacityLimiter
) -> StreamingResponse:
    """The whole snapshot is read (at most ``limiter``'s count at once; the others wait
    without a connection) into a spooled file before the answer starts, so its transaction
    and pooled connection last as long as the store takes to read it, never as long as a
    slow client takes to receive it; and a store that fails, or an organization that does
    not exist, is an error response like any other."""
    deadline = time.monotonic() + timeout
    spool = await anyio.to_thread.run_sync(
        spooled_snapshot, read_model, only, deadline, limiter=limiter
    )
    return NdjsonResponse(_stream(spool))


def spooled_snapshot(
    read_model: ReadModelQueries, only: UUID | None, deadline: float
) -> SpooledTemporaryFile[bytes]:
    """The snapshot's lines in a file (in memory up to ``SPOOLED_BYTES``), at its start."""
    spool = SpooledTemporaryFile(max_size=SPOOLED_BYTES)  # noqa: SIM115
    try:
        for count, line in enumerate(snapshot_lines(read_model.snapshot(only), deadline)):
            if count == 1 and only is not None and line.startswith(END):
                raise OrganizationNotFoundError(only)
            spool.write(line)
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    return spool


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


async def _stream(spool: SpooledTemporaryFile[bytes]) -> AsyncIterator[bytes]:
    """The spooled lines, a chunk at a time (read in a worker thread: it may be on disk)."""
    try:
        while chunk := await run_in_threadpool(spool.read, CHUNK_BYTES):
            yield chunk
    finally:
        spool.close()

"""Long polls wait here: one watcher per process, however many requests wait.

A request that waits for the read model to pass a position (``/events?wait=``) costs no
thread and no query of its own. Where the projection runs in this process, the watcher
reads its position in memory. Elsewhere, on PostgreSQL, one connection LISTENs to the
projector's announcements (``RowWriter.announce``), with one query a second
as a safety net; on SQLite one query per ``POLL_SECONDS`` serves every waiter. Shutting down
wakes every waiter at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from typing import TYPE_CHECKING, Any

import psycopg
from psycopg.sql import SQL, Identifier
from starlette.concurrency import run_in_threadpool

if TYPE_CHECKING:
    from projections.read_model import ReadModel

log = logging.getLogger("tenant_registry.api")

LOCAL_POLL_SECONDS = 0.02
POLL_SECONDS = 0.1
LISTENING_POLL_SECONDS = 1.0
LISTEN_TIMEOUT_SECONDS = 1.0


class PositionWatch:
    def __init__(self, read_model: ReadModel, conninfo: dict[str, Any] | None) -> None:
        """``conninfo``: PostgreSQL's connection parameters, to LISTEN (``None``: poll)."""
        self._read_model = read_model
        self._channel = read_model.writer.channel
        self._conninfo = conninfo if self._channel else None
        self.position = 0
        self.stopping = False
        self._advanced = asyncio.Event()
        self._waiters = 0
        self._someone_waits = asyncio.Event()
        self._listening = False
        self._stop_listening = threading.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start watching (from the event loop that serves the requests)."""
        loop = asyncio.get_running_loop()
        self._task = loop.create_task(self._watch())
        if self._conninfo is not None:
            threading.Thread(
                target=self._listen, args=(loop,), name="feed-listen", daemon=True
            ).start()

    def stop(self) -> None:
        """Wake every waiter now (shutdown); they answer with what they have."""
        self.stopping = True
        self._stop_listening.set()
        self._advanced.set()
        if self._task is not None:
            self._task.cancel()

    async def wait_beyond(self, position: int, timeout: float) -> None:
        """Return once the read model is past ``position``, ``timeout`` passes, or the
        process shuts down."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        self._waiters += 1
        self._someone_waits.set()
        try:
            while self.position <= position and not self.stopping:
                remaining = deadline - loop.time()
                if remaining <= 0:
                    return
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._advanced.wait(), remaining)
        finally:
            self._waiters -= 1
            if not self._waiters:
                self._someone_waits.clear()

    def _advance(self, position: int) -> None:
        if position > self.position:
            self.position = position
            self._advanced.set()
            self._advanced = asyncio.Event()

    async def _watch(self) -> None:
        signal = self._read_model.position_signal
        while not self.stopping:
            await self._someone_waits.wait()
            try:
                if signal.local:
                    self._advance(signal.position)
                    await asyncio.sleep(LOCAL_POLL_SECONDS)
                    continue
                self._advance(await run_in_threadpool(self._read_model.position))
            except Exception as error:  # The database may be down: waiters time out.
                log.debug("feed watch: %s", error)
            await asyncio.sleep(LISTENING_POLL_SECONDS if self._listening else POLL_SECONDS)

    def _listen(self, loop: asyncio.AbstractEventLoop) -> None:
        assert self._conninfo is not None
        assert self._channel is not None
        while not self._stop_listening.is_set():
            try:
                with psycopg.connect(**self._conninfo, autocommit=True, connect_timeout=2) as conn:
                    conn.execute(SQL("LISTEN {}").format(Identifier(self._channel)))
                    self._listening = True
                    while not self._stop_listening.is_set():
                        for notify in conn.notifies(timeout=LISTEN_TIMEOUT_SECONDS):
                            if notify.payload.isdigit():
                                loop.call_soon_threadsafe(self._advance, int(notify.payload))
            except Exception as error:  # Polling covers the gap.
                self._listening = False
                log.debug("feed listen: %s", error)
                self._stop_listening.wait(LISTEN_TIMEOUT_SECONDS)
        self._listening = False

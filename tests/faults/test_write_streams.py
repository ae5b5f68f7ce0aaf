"""Faults under a stream of keyed writes from several clients: no acknowledged write is
lost, none is applied twice or by half, and the read models equal a rebuild."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from typing import TYPE_CHECKING

from tests.faults.streams import WriteStream, check_after_fault
from tests.helpers import ADMIN_TOKEN, Server

if TYPE_CHECKING:
    from tests.pg_cluster import Cluster

STREAM_SECONDS = 2.0
ABANDONED = {"REGISTRY_IDEMPOTENCY_ABANDONED_SECONDS": "2"}
"""A key left pending by a try that died with its server, or whose claim could not be
released while the database was down, is run by its retry after 2 s, not the default 30
(the stream waits for every retry to be answered)."""


def caught_up(server: Server, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while server.client.get("/readyz").status_code != 200:
        assert time.monotonic() < deadline, server.client.get("/readyz").text
        time.sleep(0.1)


def test_postgresql_restarted_during_a_stream_of_writes(cluster: Cluster) -> None:
    url = cluster.schema_url()
    server = Server(url, env=ABANDONED)
    try:
        with WriteStream(server.url) as stream:
            time.sleep(STREAM_SECONDS)
            cluster.stop()
            time.sleep(1)
            cluster.start()
            restored = time.monotonic()
            time.sleep(STREAM_SECONDS)
        caught_up(server)
        check_after_fault(server.client, url, stream.acknowledged)
        print(stream.acknowledged.summary("PostgreSQL down for 1 s, from restart", restored))
        assert stream.acknowledged.retries > 0  # The fault was felt.
    finally:
        server.stop()


def test_the_server_killed_during_a_stream_of_writes(database_url: str) -> None:
    first = Server(database_url, env=ABANDONED)
    with WriteStream(first.url) as stream:
        time.sleep(STREAM_SECONDS)
        fault = time.monotonic()
        first.process.send_signal(signal.SIGKILL)
        first.stop()
        second = Server(database_url, env=ABANDONED)
        stream.url = second.url
        time.sleep(STREAM_SECONDS)
    try:
        caught_up(second)
        check_after_fault(second.client, database_url, stream.acknowledged)
        print(stream.acknowledged.summary("server SIGKILLed", fault))
    finally:
        second.stop()


def projector(database_url: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "REGISTRY_DATABASE_URL": database_url, "REGISTRY_ADMIN_TOKEN": ADMIN_TOKEN}
    return subprocess.Popen(
        [sys.executable, "-m", "cli.main", "project"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def test_the_projector_killed_during_a_stream_of_writes(database_url: str) -> None:
    server = Server(database_url, "--no-projections")
    first = projector(database_url)
    try:
        with WriteStream(server.url) as stream:
            time.sleep(STREAM_SECONDS)
            fault = time.monotonic()
            first.send_signal(signal.SIGKILL)
            first.wait(10)
            time.sleep(0.5)  # Writes go on with nobody projecting.
            second = projector(database_url)
            time.sleep(STREAM_SECONDS)
        try:
            caught_up(server)
            check_after_fault(server.client, database_url, stream.acknowledged)
            print(stream.acknowledged.summary("projector SIGKILLed", fault))
        finally:
            second.terminate()
            second.wait(15)
    finally:
        server.stop()

"""The fault suite's own PostgreSQL cluster, which its tests may stop, kill and start
again (``tests.pg_cluster``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.pg_cluster import Cluster

if TYPE_CHECKING:
    from collections.abc import Iterator


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    started = Cluster(prefix="registry-faults-", max_connections=60)
    yield started
    started.remove()

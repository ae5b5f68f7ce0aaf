"""The command tier: the registry on the event-sourcing library's in-memory (POPO) store,
for the rules its commands enforce. No database, no HTTP: a test here takes milliseconds.
What depends on a store (claims under races, projections) is in ``tests/integration``, on
each store."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from application.registry import OrganizationRegistry
from domain.context import acting_as, admin_actor

if TYPE_CHECKING:
    from collections.abc import Iterator


@pytest.fixture
def registry() -> Iterator[OrganizationRegistry]:
    """A registry in memory, its commands sent by the admin."""
    registry = OrganizationRegistry({"PERSISTENCE_MODULE": "eventsourcing.popo"})
    with acting_as(admin_actor()):
        yield registry
    registry.close()

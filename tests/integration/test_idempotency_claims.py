"""Claims of idempotency keys, on each store: a key whose request died pending is claimed
again once ``REGISTRY_IDEMPOTENCY_ABANDONED_SECONDS`` have passed, not before."""

from __future__ import annotations

from typing import TYPE_CHECKING

from api.http.idempotency_store import CLAIMED, Stored, construct_idempotency_store
from projections.leadership import schema_setup

if TYPE_CHECKING:
    from service.composition import Services


def test_a_pending_key_is_claimed_again_only_once_it_is_taken_for_abandoned(
    services: Services,
) -> None:
    with schema_setup(services.registry.env):
        store = construct_idempotency_store(services.read_model.datastore, abandoned_seconds=5)
    assert store.claim("admin", "k", "fingerprint", now=1000.0) == CLAIMED

    pending = store.claim("admin", "k", "fingerprint", now=1004.9)
    assert isinstance(pending, Stored)
    assert not pending.done
    assert store.claim("admin", "k", "fingerprint", now=1005.1) == CLAIMED

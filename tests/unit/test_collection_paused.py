"""A rebuild pauses automatic garbage collection for one batch at a time."""

from __future__ import annotations

import gc

import pytest

from projections.builder import collection_paused


def test_collection_is_paused_within_a_batch_and_resumes_after() -> None:
    assert gc.isenabled()
    with collection_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_collection_resumes_after_a_batch_that_failed() -> None:
    with pytest.raises(RuntimeError), collection_paused():
        raise RuntimeError
    assert gc.isenabled()


def test_a_collector_disabled_before_stays_disabled() -> None:
    gc.disable()
    try:
        with collection_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()

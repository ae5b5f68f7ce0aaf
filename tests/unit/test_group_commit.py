"""The group committer keeps working whatever one save does."""

from __future__ import annotations

from typing import Any

import pytest
from eventsourcing.application import ProcessingEvent

from domain.group_commit import ClosedError, GroupCommit


def record(events: ProcessingEvent[Any]) -> list[Any]:
    if events.saved_kwargs.get("fail"):
        raise RuntimeError("store unavailable")
    return []


def test_a_failure_after_recording_does_not_fail_the_command_or_stop_the_committer() -> None:
    def after(events: ProcessingEvent[Any], recordings: list[Any]) -> None:
        raise RuntimeError("snapshot failed")

    commit = GroupCommit(record, after, "test")
    try:
        assert commit.save(ProcessingEvent()) == []
        assert commit.save(ProcessingEvent()) == []
    finally:
        commit.close()


def test_a_failing_save_reaches_its_command_and_the_next_one_is_served() -> None:
    commit = GroupCommit(record, lambda events, recordings: None, "test")
    failing: ProcessingEvent[Any] = ProcessingEvent()
    failing.saved_kwargs["fail"] = True
    try:
        with pytest.raises(RuntimeError, match="store unavailable"):
            commit.save(failing)
        assert commit.save(ProcessingEvent()) == []
    finally:
        commit.close()


def test_a_save_after_close_is_refused() -> None:
    commit = GroupCommit(record, lambda events, recordings: None, "test")
    assert commit.save(ProcessingEvent()) == []
    commit.close()
    with pytest.raises(ClosedError):
        commit.save(ProcessingEvent())


def test_close_before_any_save_needs_no_thread() -> None:
    commit = GroupCommit(record, lambda events, recordings: None, "test")
    commit.close()
    with pytest.raises(ClosedError):
        commit.save(ProcessingEvent())

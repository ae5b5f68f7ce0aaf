"""The group committer keeps working whatever one save does."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from eventsourcing.application import ProcessingEvent

from application.group_commit import ClosedError, GroupCommit

BAD = object()
"""An event the store refuses to encode, failing any transaction it is in."""


def record(events: ProcessingEvent[Any]) -> list[Any]:
    if events.saved_kwargs.get("fail"):
        raise RuntimeError("store unavailable")
    if any(event is BAD for event in events.events):
        raise ValueError("cannot encode")
    return []


def with_events(*events: Any) -> ProcessingEvent[Any]:
    processing: ProcessingEvent[Any] = ProcessingEvent()
    processing.events += events
    return processing


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


def test_a_bad_command_in_a_shared_transaction_fails_alone() -> None:
    release, sizes = threading.Event(), []

    def held(events: ProcessingEvent[Any]) -> list[Any]:
        sizes.append(len(events.events))
        if len(sizes) == 1:
            release.wait(10)
        return record(events)

    commit = GroupCommit(held, lambda events, recordings: None, "test")
    outcomes: dict[str, Any] = {}

    def save(name: str, *events: Any) -> None:
        try:
            outcomes[name] = commit.save(with_events(*events))
        except ValueError as error:
            outcomes[name] = error

    first = threading.Thread(target=save, args=("first", object()))
    first.start()
    while not sizes:
        time.sleep(0.001)
    others = [
        threading.Thread(target=save, args=(name, *events))
        for name, events in (("good", (object(),)), ("bad", (BAD,)), ("also good", (object(),)))
    ]
    for thread in others:
        thread.start()
    while commit.queued() < len(others):
        time.sleep(0.001)
    release.set()
    for thread in [first, *others]:
        thread.join(10)
    commit.close()
    assert sizes[1] == 3  # The three queued commands were first tried together.
    assert outcomes["good"] == outcomes["also good"] == outcomes["first"] == []
    assert isinstance(outcomes["bad"], ValueError)

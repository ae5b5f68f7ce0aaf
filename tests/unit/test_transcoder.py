"""Stored events read back through orjson give what the library's decoder gives, with what
no store holds (NUL, lone surrogates, NaN and infinities) made storable."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import pytest
from eventsourcing.persistence import (
    DatetimeAsISO,
    JSONTranscoder,
    TranscodingNotRegisteredError,
    UUIDAsHex,
)
from hypothesis import given
from hypothesis import strategies as st

from application.transcoder import OrjsonTranscoder
from domain.storable import storable_value


def transcoders() -> tuple[JSONTranscoder, OrjsonTranscoder]:
    library, ours = JSONTranscoder(), OrjsonTranscoder()
    for transcoder in (library, ours):
        transcoder.register(UUIDAsHex())
        transcoder.register(DatetimeAsISO())
    return library, ours


LIBRARY, OURS = transcoders()

scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text()
    | st.sampled_from(["_type_", "_data_", '"_type_"'])
    | st.uuids()
    | st.datetimes(timezones=st.just(UTC))
)
keys = st.text(max_size=8) | st.sampled_from(["_type_", "_data_", "timestamp"])
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=4),
    max_leaves=12,
)


def outcome(transcoder: JSONTranscoder, stored: bytes) -> tuple[str, Any]:
    """The decoded value (made storable), or the kind of error decoding raised."""
    try:
        return "value", storable_value(transcoder.decode(stored))
    except Exception as error:
        return "error", type(error)


@given(st.dictionaries(keys, values, max_size=6))
def test_any_event_state_decodes_as_the_library_decodes_it(state: dict[str, Any]) -> None:
    stored = LIBRARY.encode(state)
    assert outcome(OURS, stored) == outcome(LIBRARY, stored)


@given(values)
def test_any_value_decodes_as_the_library_decodes_it(value: Any) -> None:
    stored = LIBRARY.encode(value)
    assert outcome(OURS, stored) == outcome(LIBRARY, stored)


@pytest.mark.parametrize(
    "state",
    [
        {"timestamp": datetime.now(UTC), "name": "Acme"},
        {"timestamp": datetime.now(UTC), "key_id": uuid4(), "expires_at": None},
        {"timestamp": datetime.now(UTC), "settings": {"owner": uuid4()}},
        {"timestamp": datetime.now(UTC), "settings": {"_type_": "not a transcoding"}},
        {"timestamp": datetime.now(UTC), "big": 2**70, "list": [uuid4(), [datetime.now(UTC)]]},
        {"timestamp": datetime.now(UTC), "name": '"_type_"'},
    ],
)
def test_event_shapes_decode_to_typed_values(state: dict[str, Any]) -> None:
    decoded = OURS.decode(LIBRARY.encode(state))
    assert decoded == state
    assert isinstance(decoded["timestamp"], datetime)


@pytest.mark.parametrize(
    ("recorded", "read"),
    [
        ({"n": float("nan")}, {"n": "NaN"}),
        ({"n": [float("inf"), -float("inf")]}, {"n": ["Infinity", "-Infinity"]}),
        ({"a\x00": "b\x00c"}, {"a\ufffd": "b\ufffdc"}),
        ({"n": float("inf"), "big": 2**70}, {"n": "Infinity", "big": 2**70}),
    ],
)
def test_values_no_store_holds_read_back_storable(recorded: Any, read: Any) -> None:
    assert OURS.decode(LIBRARY.encode(recorded)) == read


def test_a_lone_surrogate_escaped_in_stored_json_reads_back_as_a_replacement() -> None:
    assert OURS.decode(b'{"s":"a\\ud800b"}') == {"s": "a\ufffdb"}


@pytest.mark.parametrize("number", [2**64, 2**80, -(2**63) - 1])
def test_integers_beyond_64_bits_stay_integers(number: int) -> None:
    assert OURS.decode(LIBRARY.encode({"i": number})) == {"i": number}


def test_an_unregistered_transcoding_is_refused_like_the_library_refuses_it() -> None:
    stored = b'{"x":{"_type_":"money","_data_":"1.00"}}'
    with pytest.raises(TranscodingNotRegisteredError):
        LIBRARY.decode(stored)
    with pytest.raises(TranscodingNotRegisteredError):
        OURS.decode(stored)


def test_the_registry_reads_its_events_with_it() -> None:
    from application.registry import OrganizationRegistry

    registry = OrganizationRegistry(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    assert isinstance(registry.mapper.transcoder, OrjsonTranscoder)
    assert isinstance(registry.mapper.transcoder.decode(LIBRARY.encode(uuid4())), UUID)

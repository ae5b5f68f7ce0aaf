"""The stored events' JSON, decoded with orjson.

Events are written exactly as the library's ``JSONTranscoder`` writes them, and read back
to the same values; only reading is faster. Reading matters most where every event is read:
loading an aggregate for a command, and rebuilding a read model from millions of events.
"""

from __future__ import annotations

from typing import Any

import orjson
from eventsourcing.persistence import JSONTranscoder

from domain.storable import storable_value

_TYPE_KEY = b'"_type_"'
_DIGITS_AS_ZERO = bytes.maketrans(b"123456789", b"000000000")
_LONG_NUMBER = b"0" * 19
"""Integers of 19 digits and more may lie beyond 64 bits, which orjson reads as floats."""
_NUL = b"\\u0000"


def may_decode_differently(data: bytes) -> bool:
    """Whether an event's stored text may hold what its decoding replaces (``decode``: NUL,
    non-finite numbers, lone surrogates, long numbers), so that the event as it was
    recorded is not the event as it is read: only events recorded before the registry
    refused them do."""
    return (
        b"\\u" in data
        or b"NaN" in data
        or b"Infinity" in data
        or _LONG_NUMBER in data.translate(_DIGITS_AS_ZERO)
    )


class OrjsonTranscoder(JSONTranscoder):
    """``JSONTranscoder`` whose ``decode`` parses with orjson.

    The library's decoder turns each ``{"_type_": name, "_data_": data}`` object back into
    its value (a datetime, a UUID) as it parses, innermost first. Here the parsed document
    is walked instead. Most events hold such objects only as top-level values (the
    timestamp, a key id); when the raw text holds no other ``"_type_"`` key, only the top
    level is looked at, and when the timestamp is the only one, only the timestamp.

    What orjson reads differently is left to the library's decoder: text holding a number
    of 19 digits or more (orjson reads integers beyond 64 bits as floats), and text orjson
    refuses (``NaN``, infinities, lone surrogates).

    Every event decodes to values every store holds (``domain.storable.storable_value``):
    events recorded before the registry refused NUL characters and non-finite numbers
    hold them, and they must stay projectable and readable on every store.
    """

    def decode(self, data: bytes) -> Any:
        if _LONG_NUMBER in data.translate(_DIGITS_AS_ZERO):
            return storable_value(super().decode(data))
        try:
            obj = orjson.loads(data)
        except orjson.JSONDecodeError:
            return storable_value(super().decode(data))
        if _NUL in data:
            obj = storable_value(obj)
        expected = data.count(_TYPE_KEY)
        if expected == 0:
            return obj
        if type(obj) is dict:
            if expected == 1 and self._is_transcoded(obj.get("timestamp")):
                obj["timestamp"] = self._decode_obj(obj["timestamp"])
                return obj
            if self._decode_top_level(obj, expected):
                return obj
        return self._decode_value(obj)

    @staticmethod
    def _is_transcoded(value: Any) -> bool:
        """Whether ``value`` is one ``{"_type_": name, "_data_": data}`` object holding no
        other such object."""
        if type(value) is not dict or len(value) != 2 or "_type_" not in value:
            return False
        data = value.get("_data_", value)
        return type(data) is not dict and type(data) is not list

    def _decode_top_level(self, obj: dict[str, Any], expected: int) -> bool:
        """Decode ``obj``'s transcoded top-level values if they are all there is to decode
        (``expected`` objects, none nested), else leave ``obj`` as it is and say so."""
        found = [key for key, value in obj.items() if self._is_transcoded(value)]
        if len(found) != expected:
            return False
        for key in found:
            obj[key] = self._decode_obj(obj[key])
        return True

    def _decode_value(self, value: Any) -> Any:
        if type(value) is dict:
            for key, item in value.items():
                if type(item) is dict or type(item) is list:
                    value[key] = self._decode_value(item)
            return self._decode_obj(value)
        if type(value) is list:
            for i, item in enumerate(value):
                if type(item) is dict or type(item) is list:
                    value[i] = self._decode_value(item)
        return value

"""What every feature's bodies build on: camelCase request and response bases, documented
fields, the time a query may name, the read-your-writes outcome, the error and health bodies."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from fastapi import Query
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    JsonValue,
    WithJsonSchema,
)
from pydantic.alias_generators import to_camel

from domain.organizations.attributes import REGION_PATTERN
from domain.storable import EARLIEST, LATEST, check_time

_STORED_YEARS = r"^(?:19[7-9][0-9]|[2-8][0-9]{3}|9[0-8][0-9]{2}|99[0-8][0-9]|999[0-8])-"
"""The years of a time every store compares (``domain.storable``: 1970 to 9998; a zone's
offset may still move a time on the first or last day out of that range)."""
STORED_YEARS: dict[str, JsonValue] = {"pattern": _STORED_YEARS}


def _iso_text(value: Any) -> Any:
    """Only ISO 8601 text is a time (pydantic would also read a number, or digits, as
    seconds since 1970)."""
    if not isinstance(value, str) or not re.match(r"[0-9]{4}-", value):
        raise ValueError("must be an ISO 8601 time with a zone, such as 2026-01-31T12:00:00Z")
    return value


StoredTime = Annotated[
    AwareDatetime,
    BeforeValidator(_iso_text),
    AfterValidator(check_time),
    Field(
        description=f"ISO 8601 with a zone, from {EARLIEST.date()} up to {LATEST.date()}.",
        json_schema_extra=STORED_YEARS,
    ),
]
"""A time in a query: within the range every store compares (``domain.storable``)."""

RegionQuery = Annotated[
    str | None,
    Query(
        max_length=50,
        pattern=f"^{REGION_PATTERN}$",
        description="Only organizations in this region.",
    ),
]
"""A region a list or the change feed is filtered by."""


def _integral(value: Any) -> Any:
    """A JSON number with no fractional part (``5.0``) as the integer it is."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


WholeNumber = Annotated[int, BeforeValidator(_integral)]
"""An integer field of a request body: any JSON number with a zero fractional part (``5`` or
``5.0``), as JSON Schema's ``integer`` matches; never a string or a boolean."""


_NO_CONTROL = r"[^\x00-\x1f\x7f-\x9f]"
LINE_PATTERN = rf"^{_NO_CONTROL}*[^\s\x00-\x1f\x7f-\x9f]{_NO_CONTROL}*$"
"""One line of text (``domain.rules.check_line``): no control characters, not blank."""
PRINTABLE_PATTERN = rf"^{_NO_CONTROL}+$"
"""Printable text (``domain.rules.check_external_id``), as near as a pattern says it: no
control characters (Python's ``isprintable`` also refuses separators other than the space,
format and unassigned characters, which no JSON Schema pattern can name)."""
USER_ID_PATTERN = r"^(?!\.\.?$)[^\x00-\x1f\x7f-\x9f/]+$"
"""A userId (``domain.members.validation.check_user_id``): printable, no ``/``, not ``.``
or ``..``."""
MetadataValue = Annotated[str, WithJsonSchema({"type": "string", "maxLength": 500})]
"""A metadata value (``domain.rules.metadata_problems``)."""
METADATA_KEYS = {"propertyNames": {"minLength": 1, "maxLength": 40}}
"""A metadata object's keys (``domain.rules.metadata_problems``)."""


def matching(pattern: str, **schema: Any) -> WithJsonSchema:
    """The schema of text the domain checks against ``pattern`` (anchored here), with its
    own messages, as ``doc`` says: ``Annotated[str, matching(...)]``."""
    return WithJsonSchema({"type": "string", "pattern": f"^(?:{pattern})$", **schema})


def doc(description: str, default: Any = None, **schema: Any) -> Any:
    """A field's description and documented limits (JSON Schema keywords). The domain
    checks them, with its own messages (README, Field rules); the schema only says them."""
    return Field(default=default, description=description, json_schema_extra=schema or None)


def doc_not_null(description: str, **schema: Any) -> Any:
    """A field a body may leave out but not set to null (annotated with its type alone):
    its schema has no null and no default, so a client generated from the specification
    does not send null for it. ``None`` in the model: not given."""

    def extra(field_schema: dict[str, Any]) -> None:
        field_schema.pop("default", None)
        field_schema.update(schema)

    return Field(default=None, description=description, json_schema_extra=extra)


class RequestBody(BaseModel):
    """A request's JSON body: camelCase, unknown fields refused, values as typed."""

    model_config = ConfigDict(
        extra="forbid", alias_generator=to_camel, populate_by_name=False, strict=True
    )


class ResponseBody(BaseModel):
    """A response's JSON body: camelCase."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


ReadYourWrites = Literal["ok", "timeout"]
READ_YOUR_WRITES = Field(
    default=None,
    description="On a command's response: `ok` once reads include the change; `timeout` when "
    "the read models did not reach it in time (the change is recorded, reads may not show it "
    "yet; the `X-Read-Your-Writes: timeout` header says the same). Null on reads.",
)


class ErrorBody(ResponseBody):
    """Every error: what went wrong, a stable code (README, Errors) and details."""

    message: str = Field(description="For people.", examples=["Validation failed"])
    code: str = Field(description="For programs: stable.", examples=["VALIDATION_ERROR"])
    details: dict[str, Any] = Field(
        description="More, by code: `fields` [{field, message}] for VALIDATION_ERROR, "
        "`currentVersion` for VERSION_CONFLICT, `retryAfter` for RATE_LIMITED, "
        "`mayHaveCommitted` for STORE_UNAVAILABLE.",
        examples=[{"fields": [{"field": "slug", "message": "must be 3-50 characters"}]}],
    )


class Health(ResponseBody):
    status: str = Field(description="`ok` (alive) or `ready`.")
    position: int | None = Field(default=None, description="The read model's position.")
    lag: int | None = Field(default=None, description="Events it is behind the store.")

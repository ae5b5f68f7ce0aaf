"""Request and response bodies of API keys: issue one, a key as listed, its secret once."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from pydantic import Field

from api.http.schemas import (
    LINE_PATTERN,
    READ_YOUR_WRITES,
    STORED_YEARS,
    ReadYourWrites,
    RequestBody,
    ResponseBody,
)
from domain.commands import NewApiKey


class ApiKeyCreate(RequestBody):
    name: str | None = Field(
        default=None,
        description="What the key is for (1-100 characters).",
        json_schema_extra={"minLength": 1, "maxLength": 100, "pattern": LINE_PATTERN},
    )
    expires_at: Annotated[datetime | None, Field(strict=False)] = Field(
        default=None,
        description="ISO 8601 time with a zone; the key never expires without it.",
        json_schema_extra=STORED_YEARS,
    )

    def to_command(self) -> NewApiKey:
        return NewApiKey(name=self.name, expires_at=self.expires_at)


class ApiKeyPublic(ResponseBody):
    id: UUID = Field(description="The key's id (revoke it by this id).")
    name: str | None = Field(description="What the key is for.")
    prefix: str = Field(description="The secret's first characters, to tell keys apart.")
    created_at: datetime = Field(description="When it was issued.")
    expires_at: datetime | None = Field(description="When it stops working; null: never.")
    revoked_at: datetime | None = Field(description="When it was revoked; null: it was not.")


class ApiKeyEnvelope(ResponseBody):
    organization_id: UUID = Field(description="The key's organization.")
    api_key: ApiKeyPublic
    read_your_writes: ReadYourWrites | None = READ_YOUR_WRITES


class ApiKeyIssued(ApiKeyEnvelope):
    secret: str = Field(description="The key's secret: shown in this response only.")


class ApiKeysPage(ResponseBody):
    organization_id: UUID = Field(description="The keys' organization.")
    api_keys: list[ApiKeyPublic] = Field(description="Oldest first, revoked ones included.")

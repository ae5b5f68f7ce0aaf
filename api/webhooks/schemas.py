"""Webhook endpoints' request and response bodies."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any
from uuid import UUID

from pydantic import Field, WithJsonSchema, model_validator

from api.http.routing import MAX_POSITION
from api.http.schemas import RequestBody, ResponseBody, StoredTime, WholeNumber, matching
from domain.webhooks.validation import EVENT_TYPES
from service.settings import MAX_SECRET_OVERLAP
from service.webhooks.replay import REPLAY_EVENTS

_PORT = r"(?::(?:[0-9]{1,4}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5]))?"
WebhookUrl = Annotated[
    str,
    matching(
        rf"[Hh][Tt][Tt][Pp][Ss]?://[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*{_PORT}(?:[/?][!-\"$-~]*)?",
        maxLength=2000,
    ),
]
"""An absolute http(s) URL with a host, no credentials and no fragment (the domain also
takes a bracketed IPv6 host, and text beyond ASCII in the path); where it leads is checked
when it is given (``WEBHOOK_URL_NOT_ALLOWED``)."""
WebhookEventType = Annotated[str, WithJsonSchema({"type": "string", "enum": list(EVENT_TYPES)})]
EVENT_TYPES_DOC = "The event types to receive (distinct); every type when absent."


class WebhookEndpointCreate(RequestBody):
    url: WebhookUrl = Field(description="https (http only to allowed networks).")
    event_types: list[WebhookEventType] | None = Field(
        default=None, min_length=1, max_length=len(EVENT_TYPES), description=EVENT_TYPES_DOC
    )
    description: str | None = Field(default=None, max_length=500)
    organization_id: Annotated[UUID | None, Field(strict=False)] = Field(
        default=None, description="Only this organization's events (admin; all when absent)."
    )


class WebhookEndpointUpdate(RequestBody):
    url: WebhookUrl | None = None
    event_types: list[WebhookEventType] | None = Field(
        default=None, min_length=1, max_length=len(EVENT_TYPES), description=EVENT_TYPES_DOC
    )
    description: str | None = Field(default=None, max_length=500)
    enabled: bool | None = Field(
        default=None, description="true resumes at the first event not delivered."
    )

    def changes(self) -> dict[str, Any]:
        return {f: getattr(self, f) for f in self.model_fields_set}


class WebhookSecretRotate(RequestBody):
    overlap_seconds: WholeNumber | None = Field(
        default=None,
        ge=0,
        le=MAX_SECRET_OVERLAP,
        description="How long the secrets before it go on signing (0: they stop at once); "
        "REGISTRY_WEBHOOK_SECRET_OVERLAP (24 h by default) when absent.",
    )

    def overlap(self) -> timedelta | None:
        return None if self.overlap_seconds is None else timedelta(seconds=self.overlap_seconds)


class WebhookSecretPublic(ResponseBody):
    id: str
    expires_at: str | None = Field(description="When it stops signing; null: never.")


class WebhookEndpointPublic(ResponseBody):
    id: UUID
    organization_id: UUID | None
    url: str
    event_types: list[str] | None
    description: str | None
    enabled: bool
    disabled_reason: str | None
    secrets: list[WebhookSecretPublic] = Field(description="Ids of the signing secrets.")
    version: int
    created_at: datetime
    updated_at: datetime


class WebhookEndpointEnvelope(ResponseBody):
    endpoint: WebhookEndpointPublic


class WebhookEndpointIssued(ResponseBody):
    endpoint: WebhookEndpointPublic
    secret: str = Field(description="whsec_...: shown only in this answer.")


class WebhookEndpointsPage(ResponseBody):
    endpoints: list[WebhookEndpointPublic]


class WebhookDelivery(ResponseBody):
    position: int
    organization_id: UUID
    event_type: str
    attempts: int
    last_status: str | None = Field(
        description="delivered, failed, timeout, unreachable or refused."
    )
    last_code: int | None
    last_attempt_at: datetime | None
    next_attempt_at: datetime | None = Field(description="null once delivered.")
    delivered_at: datetime | None


class WebhookDeliveriesPage(ResponseBody):
    deliveries: list[WebhookDelivery]
    next: int | None = Field(description="Pass as `after` for the next page; null: none.")


class WebhookReplay(RequestBody):
    """Where to replay from: a position, or a time (exactly one of them)."""

    from_position: WholeNumber | None = Field(
        default=None,
        ge=1,
        le=MAX_POSITION,
        description="Deliver again every event from this position on.",
    )
    from_time: Annotated[StoredTime | None, Field(strict=False)] = Field(
        default=None, description="Deliver again every event recorded at or after this time."
    )

    @model_validator(mode="after")
    def _one_start(self) -> WebhookReplay:
        if (self.from_position is None) == (self.from_time is None):
            raise ValueError("give fromPosition or fromTime (one of them)")
        return self


class WebhookReplayed(ResponseBody):
    queued: int = Field(description="Deliveries queued, each organization's in order.")
    next_from_position: int | None = Field(
        description=f"One request reads at most {REPLAY_EVENTS} events: replay again from "
        "here for the rest; null: the replay reached the last event."
    )

"""Request and response bodies: camelCase JSON, each field typed; the domain checks the rules."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, model_validator
from pydantic.alias_generators import to_camel

from domain.commands import UNSET, NewApiKey, NewOrganization, OrganizationChanges
from domain.rules import PROFILE_FIELDS
from domain.storable import EARLIEST, LATEST, check_time

Status = Literal["active", "suspended", "archived"]
StoredTime = Annotated[
    AwareDatetime,
    AfterValidator(check_time),
    Field(description=f"ISO 8601 with a zone, from {EARLIEST.date()} up to {LATEST.date()}."),
]
"""A time in a query: within the range every store compares (``domain.storable``)."""


def doc(description: str, default: Any = None, **schema: Any) -> Any:
    """A field's description and documented limits (JSON Schema keywords). The domain
    checks them, with its own messages (README, Field rules); the schema only says them."""
    return Field(default=default, description=description, json_schema_extra=schema or None)


URL_LIMITS = {"format": "uri", "pattern": "^https://", "maxLength": 2048}
COLOR_LIMITS = {"pattern": "^#[0-9A-Fa-f]{6}$", "examples": ["#1A2B3C"]}


class _Request(BaseModel):
    model_config = ConfigDict(
        extra="forbid", alias_generator=to_camel, populate_by_name=False, strict=True
    )


class _OrganizationFields(_Request):
    external_id: str | None = doc(
        "The organization's id at your identity provider: printable, unique.",
        minLength=1,
        maxLength=255,
        examples=["organization-test-6f0cd115"],
    )
    stytch_org_id: str | None = doc("Alias of externalId (seed 003).", maxLength=255)
    country_code: str | None = doc("ISO 3166-1 alpha-2.", pattern="^[A-Z]{2}$", examples=["US"])
    settings: dict[str, Any] | None = doc(
        "A JSON object of at most 16 KiB and 8 levels. Known keys are checked: timezone "
        "(IANA), defaultCurrency (ISO 4217), fiscalYearStart (MM-DD), locale (BCP 47). PUT "
        "replaces it, PATCH merges it (RFC 7396: null removes a key); null clears it.",
        examples=[{"timezone": "America/Los_Angeles", "defaultCurrency": "USD"}],
    )
    domain: str | None = doc("A hostname (IDN too).", maxLength=253, examples=["acme.com"])
    support_email: str | None = doc(
        "An email address (international ones too).", format="email", maxLength=254
    )
    support_phone: str | None = doc(
        "An E.164 number.", pattern=r"^\+[1-9][0-9]{1,14}$", examples=["+14155550123"]
    )
    logo_url: str | None = doc("An https URL, without credentials.", **URL_LIMITS)
    favicon_url: str | None = doc("An https URL, without credentials.", **URL_LIMITS)
    primary_color: str | None = doc("A colour #RRGGBB (kept uppercase).", **COLOR_LIMITS)
    contrast_color: str | None = doc("A colour #RRGGBB (kept uppercase).", **COLOR_LIMITS)
    reference: str | None = doc("Your own reference.", maxLength=255)
    reference_origin: str | None = doc("Where the reference comes from.", maxLength=255)
    metadata: dict[str, str] | None = doc(
        "Up to 50 pairs of text keys (1-40 characters) and values (up to 500).",
        maxProperties=50,
        examples=[{"plan": "enterprise"}],
    )

    @model_validator(mode="after")
    def _one_external_id(self) -> _OrganizationFields:
        given = {"externalId", "stytchOrgId"} & {to_camel(f) for f in self.model_fields_set}
        if len(given) == 2 and self.external_id != self.stytch_org_id:
            msg = "externalId and stytchOrgId are the same field; give one"
            raise ValueError(msg)
        return self

    def _given(self) -> set[str]:
        given = set(self.model_fields_set)
        if "stytch_org_id" in given:
            given = (given - {"stytch_org_id"}) | {"external_id"}
        return given

    def _external_id(self) -> str | None:
        return self.external_id if "external_id" in self.model_fields_set else self.stytch_org_id

    def _profile(self) -> dict[str, Any]:
        return {f: getattr(self, f) for f in PROFILE_FIELDS if f in self.model_fields_set}


class OrganizationCreate(_OrganizationFields):
    name: str = doc(
        "1-256 characters after trimming, no control characters.",
        default=...,
        minLength=1,
        maxLength=256,
        examples=["Acme Financial Group"],
    )
    slug: str = doc(
        "3-50 letters, digits and hyphens, starting and ending with a letter or digit, no "
        "`--`, not reserved; case-insensitive (kept lowercase); unique.",
        default=...,
        minLength=3,
        maxLength=50,
        examples=["acme-financial"],
    )

    def to_command(self) -> NewOrganization:
        return NewOrganization(
            name=self.name,
            slug=self.slug,
            external_id=self._external_id(),
            settings=self.settings,
            profile=self._profile(),
            metadata=self.metadata,
        )


class OrganizationUpdate(_OrganizationFields):
    """Every field optional: only those present in the body change."""

    name: str | None = doc("As on create.", minLength=1, maxLength=256)
    slug: str | None = doc("As on create; the old slug is released.", minLength=3, maxLength=50)
    status: Status | None = doc("Admin only.")
    status_reason: str | None = doc("Why the status changed (admin only).", maxLength=1000)

    def to_changes(self, *, merge: bool) -> OrganizationChanges:
        given = self._given()

        def value(field: str, current: Any) -> Any:
            return current if field in given else UNSET

        return OrganizationChanges(
            name=value("name", self.name),
            slug=value("slug", self.slug),
            external_id=value("external_id", self._external_id()),
            settings=value("settings", self.settings),
            metadata=value("metadata", self.metadata),
            profile=self._profile(),
            status=value("status", self.status),
            status_reason=value("status_reason", self.status_reason),
            merge=merge,
        )


class ApiKeyCreate(_Request):
    name: str | None = Field(default=None, description="What the key is for (1-100 characters).")
    expires_at: Annotated[datetime | None, Field(strict=False)] = Field(
        default=None, description="ISO 8601 time with a zone; the key never expires without it."
    )

    def to_command(self) -> NewApiKey:
        return NewApiKey(name=self.name, expires_at=self.expires_at)


class _Response(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


class OrganizationPublic(_Response):
    id: UUID
    name: str
    slug: str
    external_id: str | None
    stytch_org_id: str | None
    country_code: str | None
    status: Status
    status_reason: str | None
    settings: dict[str, Any]
    domain: str | None
    support_email: str | None
    support_phone: str | None
    logo_url: str | None
    favicon_url: str | None
    primary_color: str | None
    contrast_color: str | None
    reference: str | None
    reference_origin: str | None
    metadata: dict[str, str]
    version: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, details: dict[str, Any]) -> OrganizationPublic:
        return cls(**details, stytch_org_id=details["external_id"])


ReadYourWrites = Literal["ok", "timeout"]
READ_YOUR_WRITES = Field(
    default=None,
    description="On a command's response: `ok` once reads include the change; `timeout` when "
    "the read models did not reach it in time (the change is recorded, reads may not show it "
    "yet; the `X-Read-Your-Writes: timeout` header says the same). Null on reads.",
)


class OrganizationEnvelope(_Response):
    organization_id: UUID
    organization: OrganizationPublic
    read_your_writes: ReadYourWrites | None = READ_YOUR_WRITES

    @classmethod
    def of(
        cls, details: dict[str, Any], read_your_writes: ReadYourWrites | None = None
    ) -> OrganizationEnvelope:
        return cls(
            organization_id=details["id"],
            organization=OrganizationPublic.of(details),
            read_your_writes=read_your_writes,
        )


class ApiKeyPublic(_Response):
    id: UUID
    name: str | None
    prefix: str = Field(description="The secret's first characters, to tell keys apart.")
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None


class ApiKeyEnvelope(_Response):
    organization_id: UUID
    api_key: ApiKeyPublic
    read_your_writes: ReadYourWrites | None = READ_YOUR_WRITES


class ApiKeyIssued(ApiKeyEnvelope):
    secret: str = Field(description="The key's secret: shown in this response only.")


class ApiKeysPage(_Response):
    organization_id: UUID
    api_keys: list[ApiKeyPublic]


class OrganizationsPage(_Response):
    organizations: list[OrganizationPublic]
    next_cursor: str | None


class SlugAvailability(_Response):
    organization_id: UUID | None = Field(
        default=None, description="The caller's organization, when called with its key."
    )
    slug: str
    available: bool
    reason: Literal["taken", "reserved", "invalid"] | None
    message: str


class ErrorBody(_Response):
    message: str
    code: str
    details: dict[str, Any]


class Health(_Response):
    status: str
    position: int | None = None
    lag: int | None = None


def camel_path(path: str) -> str:
    """``status_reason`` -> ``statusReason``; ``settings.fiscal_year`` keeps its key."""
    head, _, rest = path.partition(".")
    return to_camel(head) + (f".{rest}" if rest else "")


class RevertRequest(_Request):
    to_version: int = Field(ge=1, description="The version whose state to bring back.")
    reason: str | None = Field(default=None, max_length=1000)


class HistoryEvent(_Response):
    version: int
    type: str
    occurred_at: datetime
    actor: dict[str, Any]
    request_id: str | None
    reason: str | None
    changes: dict[str, dict[str, Any]] = Field(
        description='For each field that changed: {"from": old, "to": new}; settings and '
        "metadata per key, with dotted paths for nested keys."
    )

    @classmethod
    def fields_of(cls, entry: Any) -> dict[str, Any]:
        return {
            "version": entry.version,
            "type": entry.type,
            "occurred_at": entry.occurred_at,
            "actor": entry.actor,
            "request_id": entry.request_id,
            "reason": entry.reason,
            "changes": {camel_path(p): change for p, change in entry.changes.items()},
        }


class HistoryPage(_Response):
    organization_id: UUID
    events: list[HistoryEvent]
    next_cursor: str | None


class FeedEvent(HistoryEvent):
    position: int
    organization_id: UUID


class FeedPage(_Response):
    events: list[FeedEvent]
    next: int = Field(description="Pass as `after` to read on; equals `after` on an empty page.")
